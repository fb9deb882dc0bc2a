"""q009 · Peephole LSTM cell (torch).

A standard LSTM's gates see only x_t and h_{t-1}, never the cell state itself; since
h = o * tanh(c), a closed output gate hides the cell from every gate. Peephole connections
(Gers & Schmidhuber 2000) let the gates look at the cell directly, through one weight per unit
(a DIAGONAL peephole: an elementwise product, not a matrix).

Shapes (B = batch, D = input_size, H = hidden_size):
    x                   (B, D)      input at this step
    state = (h, c)      (B, H) each previous hidden and cell state
    weight_ih           (4H, D)     parameters, gate order i, f, g, o (as torch.nn.LSTMCell)
    weight_hh           (4H, H)
    bias                (4H,)       one bias (LSTMCell's bias_ih + bias_hh)
    p_i, p_f, p_o       (H,)        diagonal peephole weights

Equations (sigma = torch.sigmoid, * = elementwise; a = x W_ih^T + h W_hh^T + bias, (B, 4H),
with blocks a_i = a[:, 0:H], a_f = a[:, H:2H], a_g = a[:, 2H:3H], a_o = a[:, 3H:4H]):
    i      = sigma(a_i + p_i * c)          input gate peeks at the OLD cell c_{t-1}
    f      = sigma(a_f + p_f * c)          forget gate peeks at the OLD cell c_{t-1}
    g      = tanh(a_g)                     candidate (no peephole)
    c_next = f * c + i * g
    o      = sigma(a_o + p_o * c_next)     output gate peeks at the NEW cell c_t
    h_next = o * tanh(c_next)
forward returns (h_next, c_next), both (B, H). With p_i = p_f = p_o = 0 this is exactly
torch.nn.LSTMCell (with bias = bias_ih + bias_hh).

Parameters (exact names: the grader loads a state_dict): weight_ih, weight_hh, bias, p_i, p_f,
p_o, all nn.Parameter, created in __init__ in the default dtype. Initialisation (as torch's
LSTMCell): weight_ih, weight_hh and bias ~ uniform(-1/sqrt(H), 1/sqrt(H)); p_i, p_f, p_o = 0, so
a fresh cell starts as a plain LSTM. Do not call torch's LSTM kernels (nn.LSTMCell, nn.LSTM,
torch.lstm_cell): write the gates yourself.
"""

import torch
from torch import nn


class PeepholeLSTMCell(nn.Module):
    """LSTM cell with diagonal peephole connections (see the module docstring)."""

    def __init__(self, input_size: int, hidden_size: int) -> None:
        """Create the six parameters (names and shapes in the module docstring) and initialise them."""
        super().__init__()
        self.input_size = input_size
        self.hidden_size = hidden_size
        ### BEGIN SOLUTION
        H, D = hidden_size, input_size
        k = 1.0 / H ** 0.5  # torch's LSTMCell bound
        self.weight_ih = nn.Parameter(torch.empty(4 * H, D).uniform_(-k, k))   # (4H, D)
        self.weight_hh = nn.Parameter(torch.empty(4 * H, H).uniform_(-k, k))   # (4H, H)
        self.bias = nn.Parameter(torch.empty(4 * H).uniform_(-k, k))           # (4H,)
        self.p_i = nn.Parameter(torch.zeros(H))                                # (H,)
        self.p_f = nn.Parameter(torch.zeros(H))                                # (H,)
        self.p_o = nn.Parameter(torch.zeros(H))                                # (H,)
        ### END SOLUTION

    def forward(self, x: torch.Tensor, state: tuple[torch.Tensor, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        """One step: x (B, D), state = (h, c) each (B, H) -> (h_next, c_next) each (B, H)."""
        ### BEGIN SOLUTION
        h, c = state
        H = self.hidden_size
        a = x @ self.weight_ih.T + h @ self.weight_hh.T + self.bias            # (B, 4H)
        a_i, a_f, a_g, a_o = a[:, 0:H], a[:, H:2 * H], a[:, 2 * H:3 * H], a[:, 3 * H:4 * H]
        i = torch.sigmoid(a_i + self.p_i * c)                                  # peeks at c_{t-1}
        f = torch.sigmoid(a_f + self.p_f * c)                                  # peeks at c_{t-1}
        g = torch.tanh(a_g)
        c_next = f * c + i * g                                                 # (B, H)
        o = torch.sigmoid(a_o + self.p_o * c_next)                             # peeks at c_t
        h_next = o * torch.tanh(c_next)                                        # (B, H)
        return h_next, c_next
        ### END SOLUTION
