"""q023 · GRU reset gate: reset-after (PyTorch, cuDNN) vs reset-before (Cho v1, Keras) (torch).

The reset gate r decides how much of the previous state h reaches the candidate n. There are
two published places to apply it, and they give different cells:

    reset-after  (PyTorch nn.GRU/GRUCell, cuDNN, Keras reset_after=True):
        n = tanh(W_in x + b_in + r * (W_hn h + b_hn))
    reset-before (Cho et al. 2014 v1, Keras reset_after=False):
        n = tanh(W_in x + b_in + W_hn (r * h) + b_hn)

Everything else is shared (PyTorch's update convention):
    r  = sigmoid(W_ir x + b_ir + W_hr h + b_hr)
    z  = sigmoid(W_iz x + b_iz + W_hz h + b_hz)
    h' = (1 - z) * n + z * h

Shapes and layout (as torch.nn.GRUCell, gate order r, z, n along the first axis):
    x          (B, D)     input
    h          (B, H)     previous hidden state
    weight_ih  (3H, D)    rows 0:H are W_ir, rows H:2H W_iz, rows 2H:3H W_in
    weight_hh  (3H, H)    rows 0:H are W_hr, rows H:2H W_hz, rows 2H:3H W_hn
    bias_ih    (3H,)      b_ir, b_iz, b_in
    bias_hh    (3H,)      b_hr, b_hz, b_hn
Every function returns a (B, H) tensor, keeps autograd working (no .detach(), no numpy) and never
modifies its arguments. torch.nn.GRUCell, torch.gru_cell and nn.GRU are not allowed.

gru_cell_reset_after is provided. You write gru_cell_reset_before and reset_gap_bound.

How far apart are the two cells? Both share r and z, so they differ only in the recurrent term
of the candidate's pre-activation:
    u_after  = r * (W_hn h + b_hn)          u_before = W_hn (r * h) + b_hn
and, because tanh is 1-Lipschitz, |h'_after - h'_before| = (1 - z) * |tanh(. + u_after) -
tanh(. + u_before)| <= (1 - z) * |u_after - u_before|, unit by unit. That bound is 0 when r = 1
(a large positive reset bias makes the cells agree), and also when r is the same for every unit
and b_hn = 0.
"""

import torch
from torch import Tensor


def gru_cell_reset_after(
    x: Tensor, h: Tensor, weight_ih: Tensor, weight_hh: Tensor, bias_ih: Tensor, bias_hh: Tensor
) -> Tensor:
    """One reset-after GRU step, h' (B, H), equal to torch.nn.GRUCell (provided: read it, reuse it)."""
    H = h.shape[1]
    gi = x @ weight_ih.T + bias_ih  # (B, 3H): input terms of r, z, n
    gh = h @ weight_hh.T + bias_hh  # (B, 3H): recurrent terms of r, z, n
    r = torch.sigmoid(gi[:, 0:H] + gh[:, 0:H])
    z = torch.sigmoid(gi[:, H:2 * H] + gh[:, H:2 * H])
    n = torch.tanh(gi[:, 2 * H:3 * H] + r * gh[:, 2 * H:3 * H])  # reset applied AFTER W_hn h + b_hn
    return (1 - z) * n + z * h


def gru_cell_reset_before(
    x: Tensor, h: Tensor, weight_ih: Tensor, weight_hh: Tensor, bias_ih: Tensor, bias_hh: Tensor
) -> Tensor:
    """One reset-before GRU step (Cho v1, Keras reset_after=False): h' of shape (B, H).

    n = tanh(W_in x + b_in + W_hn (r * h) + b_hn): the reset gate scales h BEFORE the recurrent
    matrix, and b_hn is added unscaled. r, z and h' as in the module docstring.
    """
    ### BEGIN SOLUTION
    H = h.shape[1]
    gi = x @ weight_ih.T + bias_ih  # (B, 3H)
    W_hr, W_hz, W_hn = weight_hh[0:H], weight_hh[H:2 * H], weight_hh[2 * H:3 * H]  # (H, H) each
    b_hr, b_hz, b_hn = bias_hh[0:H], bias_hh[H:2 * H], bias_hh[2 * H:3 * H]  # (H,) each
    r = torch.sigmoid(gi[:, 0:H] + h @ W_hr.T + b_hr)
    z = torch.sigmoid(gi[:, H:2 * H] + h @ W_hz.T + b_hz)
    n = torch.tanh(gi[:, 2 * H:3 * H] + (r * h) @ W_hn.T + b_hn)
    return (1 - z) * n + z * h
    ### END SOLUTION


def reset_gap_bound(
    x: Tensor, h: Tensor, weight_ih: Tensor, weight_hh: Tensor, bias_ih: Tensor, bias_hh: Tensor
) -> Tensor:
    """Unit-wise bound on |h'_after - h'_before|: (1 - z) * |u_after - u_before|, shape (B, H).

    With r and z the (shared) gates of this step:
        u_after  = r * (W_hn h + b_hn)
        u_before = W_hn (r * h) + b_hn
    Always >= |gru_cell_reset_after(...) - gru_cell_reset_before(...)|, unit by unit.
    """
    ### BEGIN SOLUTION
    H = h.shape[1]
    gi = x @ weight_ih.T + bias_ih  # (B, 3H)
    gh = h @ weight_hh.T + bias_hh  # (B, 3H)
    r = torch.sigmoid(gi[:, 0:H] + gh[:, 0:H])
    z = torch.sigmoid(gi[:, H:2 * H] + gh[:, H:2 * H])
    W_hn, b_hn = weight_hh[2 * H:3 * H], bias_hh[2 * H:3 * H]
    u_after = r * (h @ W_hn.T + b_hn)  # (B, H)
    u_before = (r * h) @ W_hn.T + b_hn  # (B, H)
    return (1 - z) * (u_after - u_before).abs()
    ### END SOLUTION
