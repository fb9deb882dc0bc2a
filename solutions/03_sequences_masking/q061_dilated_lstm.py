"""q061 · Dilated LSTM (torch).

A dilated recurrent layer (Chang et al., "Dilated Recurrent Neural Networks", 2017) skips time
steps: with dilation d, step t reads the state of step t - d instead of t - 1,

    (h_t, c_t) = LSTMCell(x_t, (h_{t-d}, c_{t-d}))        with h_{t-d} = c_{t-d} = 0 for t < d.

Information then travels d steps per recurrent hop, so a stack with dilations 1, 2, 4, ...
reaches far back in few hops. The sequence splits into d interleaved subsequences (the steps
t = j, j + d, j + 2d, ... for each phase j in [0, d)) that never interact: each is an ordinary
LSTM run. The reshape trick runs all of them at once, as d * B sequences of one batch through
ONE shared nn.LSTM.

Shapes (B = batch, T = time steps, D = input size, H = hidden size; batch first throughout):

dilate(x, d): x (B, T, D) -> (d * B, K, D), K = ceil(T / d).
    Pad the time axis AT THE END with zeros up to K * d steps (x_pad), then fold, phase-major:
        out[j * B + b, k] = x_pad[b, k * d + j]        j in [0, d), b in [0, B), k in [0, K)
    i.e. rows 0..B-1 hold phase 0 of every sequence, rows B..2B-1 phase 1, and so on. The zero
    padding sits after every real step of its subsequence, so (an LSTM being causal) it never
    changes a real output. d = 1 returns x unchanged (same values, same shape).
undilate(y, d, T): the inverse. y (d * B, K, H) -> (B, T, H), with B = y.shape[0] // d:
        out[b, k * d + j] = y[j * B + b, k]            for k * d + j < T
    (unfold to K * d steps, then keep the first T). undilate(dilate(x, d), d, T) equals x
    exactly, also when T is not a multiple of d.
    Both keep the dtype of their input and work for any d >= 1, d > T included (then K = 1).

class DilatedLSTM(nn.Module): __init__(D, H, dilations), forward(x (B, T, D)) -> (B, T, H).
    Layer l (l = 0 .. len(dilations) - 1) is an nn.LSTM(D if l == 0 else H, H, batch_first=True)
    held in an nn.ModuleList named ``layers``, so the parameters are exactly
        layers.{l}.weight_ih_l0 (4H, D_l), layers.{l}.weight_hh_l0 (4H, H),
        layers.{l}.bias_ih_l0 (4H,), layers.{l}.bias_hh_l0 (4H,)
    (the grader loads a state_dict). forward: y = x, then for each layer l with dilation d_l,
        y = undilate(layers[l](dilate(y, d_l)) output, d_l, T)         zero initial state
    and returns the last layer's y. Each layer has ONE LSTM shared by all d_l subsequences.

Do not modify the inputs.
"""

import torch
from torch import nn


def dilate(x: torch.Tensor, d: int) -> torch.Tensor:
    """Fold x (B, T, D) into (d * B, ceil(T / d), D): row j * B + b holds x[b, j::d], zero-padded."""
    ### BEGIN SOLUTION
    B, T, D = x.shape
    K = -(-T // d)                                          # ceil(T / d)
    if K * d > T:
        x = torch.cat([x, x.new_zeros(B, K * d - T, D)], dim=1)   # (B, K * d, D), zeros at the end
    # x_pad[b, k * d + j] -> (B, K, d, D)[b, k, j] -> (d, B, K, D)[j, b, k] -> row j * B + b
    return x.reshape(B, K, d, D).permute(2, 0, 1, 3).reshape(d * B, K, D)
    ### END SOLUTION


def undilate(y: torch.Tensor, d: int, T: int) -> torch.Tensor:
    """Unfold y (d * B, K, H) back to (B, T, H): the inverse of dilate, padding dropped."""
    ### BEGIN SOLUTION
    dB, K, H = y.shape
    B = dB // d
    out = y.reshape(d, B, K, H).permute(1, 2, 0, 3).reshape(B, K * d, H)   # out[b, k * d + j]
    return out[:, :T]
    ### END SOLUTION


class DilatedLSTM(nn.Module):
    """A stack of dilated LSTM layers (see the module docstring)."""

    def __init__(self, D: int, H: int, dilations: list[int]) -> None:
        """One nn.LSTM per dilation, in an nn.ModuleList named ``layers``."""
        super().__init__()
        self.dilations = [int(d) for d in dilations]
        ### BEGIN SOLUTION
        self.layers = nn.ModuleList(
            nn.LSTM(D if l == 0 else H, H, batch_first=True) for l in range(len(self.dilations)))
        ### END SOLUTION

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x (B, T, D) -> the last layer's outputs (B, T, H)."""
        ### BEGIN SOLUTION
        T = x.shape[1]
        y = x
        for lstm, d in zip(self.layers, self.dilations):
            out, _ = lstm(dilate(y, d))                     # (d * B, K, H), one shared LSTM
            y = undilate(out, d, T)                         # (B, T, H)
        return y
        ### END SOLUTION
