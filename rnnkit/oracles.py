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
        lstm.weight_ih_l0.copy_(_t(Wx).T)
        lstm.weight_hh_l0.copy_(_t(Wh).T)
        lstm.bias_ih_l0.copy_(_t(b))
        lstm.bias_hh_l0.zero_()
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
