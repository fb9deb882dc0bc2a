"""q017 · Zero vs learnable initial states (torch).

nn.LSTM starts every sequence from h_0 = c_0 = 0 when it is called without a state (hx=None).
That is a fine default, but the start state can also be LEARNED: one vector per layer and
direction, shared by every sequence of the batch and trained by backpropagation like any weight.
Early steps then no longer have to climb out of an arbitrary zero state.

class LSTMWithLearnedInit(nn.Module)
    __init__(input_size, hidden_size, num_layers=1, bidirectional=False)
        self.lstm  nn.LSTM(input_size, hidden_size, num_layers=num_layers,
                           bidirectional=bidirectional, batch_first=True)
        self.h0    nn.Parameter of shape (num_layers * dirs, 1, hidden_size), all zeros
        self.c0    nn.Parameter of the same shape, all zeros
        with dirs = 2 if bidirectional else 1. Exactly these three attributes hold parameters, so
        the state_dict keys are "lstm.weight_ih_l0", ... (nn.LSTM's own names behind "lstm."),
        "h0" and "c0". Create them in the default dtype. Because h0 and c0 start at zero, a fresh
        module computes exactly what nn.LSTM computes with hx=None.
    forward(x)
        x (B, T, input_size), batch first. Expand the learned states over the batch (dim 1) to
        (num_layers * dirs, B, hidden_size), e.g. with self.h0.expand(-1, B, -1), and run
        self.lstm(x, (h0, c0)). Return exactly what nn.LSTM returns:
            (out, (h_n, c_n))   out (B, T, dirs * hidden_size), h_n and c_n (num_layers * dirs, B, hidden_size)
        Every sequence of the batch starts from the same learned state, so the gradient of h0
        (and c0) is the SUM over the batch of the gradients of the expanded start states.
"""

import torch
from torch import nn


class LSTMWithLearnedInit(nn.Module):
    """An nn.LSTM (batch first) whose initial (h, c) are learned parameters h0, c0 (see the module docstring)."""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bidirectional: bool = False) -> None:
        """Build self.lstm (batch_first=True) and the zero parameters self.h0, self.c0 of shape (L * dirs, 1, H)."""
        super().__init__()
        ### BEGIN SOLUTION
        self.lstm = nn.LSTM(input_size, hidden_size, num_layers=num_layers,
                            bidirectional=bidirectional, batch_first=True)
        n_states = num_layers * (2 if bidirectional else 1)
        self.h0 = nn.Parameter(torch.zeros(n_states, 1, hidden_size))
        self.c0 = nn.Parameter(torch.zeros(n_states, 1, hidden_size))
        ### END SOLUTION

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor]]:
        """x (B, T, D) -> (out (B, T, dirs * H), (h_n, c_n) each (L * dirs, B, H)), starting from h0, c0."""
        ### BEGIN SOLUTION
        B = x.shape[0]
        h0 = self.h0.expand(-1, B, -1)        # (L * dirs, B, H), a view: no copy
        c0 = self.c0.expand(-1, B, -1)
        return self.lstm(x, (h0, c0))
        ### END SOLUTION
