"""q019 · Bidirectional LSTM with variable lengths (torch).

A bidirectional LSTM runs two independent LSTMs over a sequence: one left to right, one right to
left, and concatenates their outputs, so the feature at step t sees the past (forward direction)
and the future (backward direction). In a padded batch the backward direction must start at each
sequence's LAST VALID token, not at the padded end T - 1: reverse every row WITHIN ITS LENGTH.
Flipping the whole padded tensor would make short rows start on padding.

Shapes (B = batch, T = padded length, D = input_size, H = hidden_size; batch first):
    x         (B, T, D)   row b is valid at t < lengths[b]; its pad steps may hold ANY finite
                          garbage, which must not change any output
    lengths   (B,)        int64, 1 <= lengths[b] <= T, in any order (not sorted); max(lengths)
                          may be smaller than T

reverse_padded(x, lengths) -> (B, T, *): row b's first n = lengths[b] steps in reverse order,
    the pad steps left where they are: out[b, t] = x[b, n - 1 - t] for t < n, out[b, t] = x[b, t]
    for t >= n. x may have any dtype (float or integer) and any trailing dimensions (B, T) or
    (B, T, ...). Applying it twice gives x back.

class BiLSTM(nn.Module), BiLSTM(input_size, hidden_size):
    parameters (exactly torch.nn.LSTM(D, H, bidirectional=True)'s names and shapes; the grader
    loads your state_dict into it with strict=True), nn.Parameter in the default dtype:
        weight_ih_l0 (4H, D), weight_hh_l0 (4H, H), bias_ih_l0 (4H,), bias_hh_l0 (4H,)
        weight_ih_l0_reverse, weight_hh_l0_reverse, bias_ih_l0_reverse, bias_hh_l0_reverse (same)
    initialised as nn.LSTM does, uniform(-1/sqrt(H), 1/sqrt(H)) (values are not graded).
    forward(x, lengths) -> (out (B, T, 2H), h_n (2, B, H)), zero initial states (create them,
    and any other new tensor, with x's dtype: x.new_zeros(B, H)):
        forward direction  (the plain weights): steps t = 0 .. n-1 of row b
        backward direction (the _reverse weights): steps t = n-1 down to 0 of row b
        out[b, t, :H]  = forward h after reading x[b, 0..t]           for t < n
        out[b, t, H:]  = backward h after reading x[b, n-1 down to t]  for t < n
        out[b, t, :]   = 0.0 exactly for the pad steps t >= n
        h_n[0, b] = forward h after step n-1 (= out[b, n-1, :H])
        h_n[1, b] = backward h after step 0  (= out[b, 0, H:])
    This is exactly nn.LSTM(bidirectional=True, batch_first=True) run on
    pack_padded_sequence(x, lengths, enforce_sorted=False), padded back to length T.

Each direction's step (sigma = torch.sigmoid, * = elementwise), input u, state (h, c):
    a = u W_ih^T + b_ih + h W_hh^T + b_hh    (B, 4H), blocks in the gate order i, f, g, o
    c' = sigma(a_f) * c + sigma(a_i) * tanh(a_g),   h' = sigma(a_o) * tanh(c')
Write the gates yourself: torch's LSTM kernels (nn.LSTM, nn.LSTMCell, torch.lstm,
torch.lstm_cell) and packing (pack_padded_sequence) are forbidden. Do not change x or lengths.
"""

import torch
from torch import nn


def reverse_padded(x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """x (B, T, *), lengths (B,) -> x with each row's first lengths[b] steps reversed, pads in place."""
    ### BEGIN SOLUTION
    B, T = x.shape[:2]
    t = torch.arange(T, device=x.device)[None, :]                          # (1, T)
    n = lengths.to(x.device)[:, None]                                      # (B, 1)
    source = torch.where(t < n, n - 1 - t, t)                              # (B, T) step to read
    rows = torch.arange(B, device=x.device)[:, None]
    return x[rows, source]
    ### END SOLUTION


class BiLSTM(nn.Module):
    """A bidirectional LSTM whose backward direction starts at each row's last valid step."""

    def __init__(self, input_size: int, hidden_size: int) -> None:
        """Register the eight parameters of nn.LSTM(input_size, hidden_size, bidirectional=True)."""
        super().__init__()
        self.input_size = input_size
        self.hidden_size = hidden_size
        ### BEGIN SOLUTION
        H = hidden_size
        bound = 1.0 / H ** 0.5
        for suffix in ("", "_reverse"):
            for name, shape in (("weight_ih_l0", (4 * H, input_size)), ("weight_hh_l0", (4 * H, H)),
                                ("bias_ih_l0", (4 * H,)), ("bias_hh_l0", (4 * H,))):
                self.register_parameter(name + suffix, nn.Parameter(torch.empty(shape).uniform_(-bound, bound)))
        ### END SOLUTION

    def forward(self, x: torch.Tensor, lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """x (B, T, D), lengths (B,) -> (out (B, T, 2H) with zeros at pads, h_n (2, B, H))."""
        ### BEGIN SOLUTION
        B, T, _ = x.shape
        H = self.hidden_size
        mask = torch.arange(T, device=x.device)[None, :] < lengths.to(x.device)[:, None]   # (B, T)
        outs, finals = [], []
        for suffix, seq in (("", x), ("_reverse", reverse_padded(x, lengths))):
            w_ih, w_hh = getattr(self, "weight_ih_l0" + suffix), getattr(self, "weight_hh_l0" + suffix)
            bias = getattr(self, "bias_ih_l0" + suffix) + getattr(self, "bias_hh_l0" + suffix)
            h, c = x.new_zeros(B, H), x.new_zeros(B, H)
            steps = []
            for t in range(T):                                             # left to right over seq
                a = seq[:, t] @ w_ih.T + h @ w_hh.T + bias                 # (B, 4H)
                c_new = torch.sigmoid(a[:, H:2 * H]) * c + torch.sigmoid(a[:, 0:H]) * torch.tanh(a[:, 2 * H:3 * H])
                h_new = torch.sigmoid(a[:, 3 * H:4 * H]) * torch.tanh(c_new)
                valid = mask[:, t, None]                                   # (B, 1)
                h = torch.where(valid, h_new, h)                           # pad steps keep the state
                c = torch.where(valid, c_new, c)
                steps.append(torch.where(valid, h_new, torch.zeros((), dtype=x.dtype)))
            outs.append(torch.stack(steps, dim=1))                         # (B, T, H), 0 at pads
            finals.append(h)                                               # state at the last valid step
        out_b = reverse_padded(outs[1], lengths)                           # back to the original order
        return torch.cat([outs[0], out_b], dim=2), torch.stack(finals)
        ### END SOLUTION
