"""q018 · Stacked LSTM from cells (torch).

A stacked (deep) LSTM feeds the whole output sequence of one layer to the next: layer 0 reads the
inputs x_t, layer k > 0 reads the hidden states h_t of layer k - 1 at the same step. Each layer
has its own weights and its own recurrent state; the model's output is the top layer's sequence.
Depth gives higher layers more abstract, slower-changing features of the sequence.

Shapes (B = batch, T = steps, D = input_size, H = hidden_size, L = num_layers; batch first):
    x                   (B, T, D)
    state = (h0, c0)    (L, B, H) each, the initial state of every layer; None means zeros
                        (make them with x's dtype, e.g. x.new_zeros(L, B, H): a model built
                        under float32 gets float32 inputs and must return float32)
    returns (out, (h_n, c_n)):
        out             (B, T, H)   the top layer's h_t at every step t
        h_n, c_n        (L, B, H)   the last step's h and c of every layer (h_n[-1] == out[:, -1])

Parameters: exactly torch.nn.LSTM's names and shapes (the grader loads your state_dict into
nn.LSTM(D, H, num_layers=L, batch_first=True) with strict=True), registered as nn.Parameter in
__init__ in the default dtype, for k = 0 .. L-1:
    weight_ih_l{k}   (4H, D) for k = 0, (4H, H) for k > 0
    weight_hh_l{k}   (4H, H)
    bias_ih_l{k}     (4H,)
    bias_hh_l{k}     (4H,)
Initialise them as nn.LSTM does: uniform(-1/sqrt(H), 1/sqrt(H)) (values are not graded).

Layer k at step t (sigma = torch.sigmoid, * = elementwise), with input u_t (x_t for k = 0, the
h_t of layer k - 1 otherwise) and its own previous (h, c):
    a = u_t W_ih^T + b_ih + h W_hh^T + b_hh          (B, 4H), blocks in the gate order i, f, g, o
    i, f, g, o = sigma(a_i), sigma(a_f), tanh(a_g), sigma(a_o)
    c' = f * c + i * g,   h' = o * tanh(c')
Write the gates yourself: torch's LSTM kernels (nn.LSTM, nn.LSTMCell, torch.lstm,
torch.lstm_cell) are forbidden. Do not change the tensors passed in (x, h0, c0).
"""

import torch
from torch import nn


class StackedLSTM(nn.Module):
    """num_layers LSTM layers, each reading the output sequence of the one below (see above)."""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int) -> None:
        """Register weight_ih_l{k}, weight_hh_l{k}, bias_ih_l{k}, bias_hh_l{k} for every layer k."""
        super().__init__()
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        ### BEGIN SOLUTION
        H = hidden_size
        bound = 1.0 / H ** 0.5
        for k in range(num_layers):
            width = input_size if k == 0 else H
            for name, shape in ((f"weight_ih_l{k}", (4 * H, width)), (f"weight_hh_l{k}", (4 * H, H)),
                                (f"bias_ih_l{k}", (4 * H,)), (f"bias_hh_l{k}", (4 * H,))):
                self.register_parameter(name, nn.Parameter(torch.empty(shape).uniform_(-bound, bound)))
        ### END SOLUTION

    def forward(self, x: torch.Tensor, state: tuple[torch.Tensor, torch.Tensor] | None = None
                ) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor]]:
        """x (B, T, D), state (h0, c0) each (L, B, H) or None -> (out (B, T, H), (h_n, c_n) (L, B, H))."""
        ### BEGIN SOLUTION
        B, T, _ = x.shape
        H, L = self.hidden_size, self.num_layers
        if state is None:
            zeros = x.new_zeros(L, B, H)
            state = (zeros, zeros)
        h0, c0 = state
        layer_input = x                                                   # (B, T, D) then (B, T, H)
        h_last, c_last = [], []
        for k in range(L):
            w_ih, w_hh = getattr(self, f"weight_ih_l{k}"), getattr(self, f"weight_hh_l{k}")
            bias = getattr(self, f"bias_ih_l{k}") + getattr(self, f"bias_hh_l{k}")
            h, c = h0[k], c0[k]                                           # (B, H)
            steps = []
            for t in range(T):
                a = layer_input[:, t] @ w_ih.T + h @ w_hh.T + bias        # (B, 4H)
                i = torch.sigmoid(a[:, 0:H])
                f = torch.sigmoid(a[:, H:2 * H])
                g = torch.tanh(a[:, 2 * H:3 * H])
                o = torch.sigmoid(a[:, 3 * H:4 * H])
                c = f * c + i * g
                h = o * torch.tanh(c)
                steps.append(h)
            layer_input = torch.stack(steps, dim=1)                       # (B, T, H)
            h_last.append(h)
            c_last.append(c)
        return layer_input, (torch.stack(h_last), torch.stack(c_last))
        ### END SOLUTION
