"""Trusted torch oracles for graders: torch.nn modules loaded with weights in other layouts.

These run in the grader (never in the sandbox) and hold nothing secret: they are torch itself,
with the weight layouts of the exercises copied in (float64 throughout).
"""

from __future__ import annotations

import numpy as np
import torch


def _t(a: np.ndarray) -> torch.Tensor:
    return torch.as_tensor(np.asarray(a, dtype=np.float64))


def lstm_cell_from_cs231n(Wx: np.ndarray, Wh: np.ndarray, b: np.ndarray) -> torch.nn.LSTMCell:
    """nn.LSTMCell with weight_ih = Wx.T (4H, D), weight_hh = Wh.T (4H, H), bias_ih = b, bias_hh = 0."""
    D, four_h = Wx.shape
    cell = torch.nn.LSTMCell(D, four_h // 4).double()
    with torch.no_grad():
        cell.weight_ih.copy_(_t(Wx).T)
        cell.weight_hh.copy_(_t(Wh).T)
        cell.bias_ih.copy_(_t(b))
        cell.bias_hh.zero_()
    return cell


def lstm_step_oracle(x: np.ndarray, h: np.ndarray, c: np.ndarray, Wx: np.ndarray, Wh: np.ndarray,
                     b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(next_h, next_c) of nn.LSTMCell for CS231n-layout weights."""
    cell = lstm_cell_from_cs231n(Wx, Wh, b)
    with torch.no_grad():
        next_h, next_c = cell(_t(x), (_t(h), _t(c)))
    return next_h.numpy(), next_c.numpy()


def lstm_layer_from_cs231n(Wx: np.ndarray, Wh: np.ndarray, b: np.ndarray) -> torch.nn.LSTM:
    """Single-layer batch_first nn.LSTM with CS231n-layout weights (bias_hh = 0)."""
    D, four_h = Wx.shape
    lstm = torch.nn.LSTM(D, four_h // 4, batch_first=True).double()
    with torch.no_grad():
        params = dict(lstm.named_parameters())
        params["weight_ih_l0"].copy_(_t(Wx).T)
        params["weight_hh_l0"].copy_(_t(Wh).T)
        params["bias_ih_l0"].copy_(_t(b))
        params["bias_hh_l0"].zero_()
    return lstm


def gru_cell_from_torch_layout(W_ih: np.ndarray, W_hh: np.ndarray, b_ih: np.ndarray,
                               b_hh: np.ndarray) -> torch.nn.GRUCell:
    """nn.GRUCell with these (3H, D), (3H, H), (3H,), (3H,) parameters, float64."""
    three_h, D = W_ih.shape
    cell = torch.nn.GRUCell(D, three_h // 3).double()
    with torch.no_grad():
        cell.weight_ih.copy_(_t(W_ih))
        cell.weight_hh.copy_(_t(W_hh))
        cell.bias_ih.copy_(_t(b_ih))
        cell.bias_hh.copy_(_t(b_hh))
    return cell


# ---------------------------------------------------------------------------------------------
# q009_peephole_lstm: a peephole LSTM step written gate by gate (separate matmuls per gate), as an
# independent float64 reference for the fused student cell.


def peephole_lstm_step_oracle(x: torch.Tensor, h: torch.Tensor, c: torch.Tensor,
                              params: dict[str, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    """(h_next, c_next) of a diagonal-peephole LSTM (Gers & Schmidhuber), float64.

    ``params`` holds weight_ih (4H, D), weight_hh (4H, H), bias (4H,), p_i, p_f, p_o (H,), gate
    order i, f, g, o. i and f peek at the old cell c, o at the new cell c_next.
    """
    p = {k: v.detach().to(torch.float64) for k, v in params.items()}
    x, h, c = (t.detach().to(torch.float64) for t in (x, h, c))
    H = p["p_i"].shape[0]

    def pre(k: int) -> torch.Tensor:
        rows = slice(k * H, (k + 1) * H)
        return x @ p["weight_ih"][rows].T + h @ p["weight_hh"][rows].T + p["bias"][rows]

    i = torch.sigmoid(pre(0) + c * p["p_i"])
    f = torch.sigmoid(pre(1) + c * p["p_f"])
    g = torch.tanh(pre(2))
    c_next = f * c + i * g
    o = torch.sigmoid(pre(3) + c_next * p["p_o"])
    return o * torch.tanh(c_next), c_next
