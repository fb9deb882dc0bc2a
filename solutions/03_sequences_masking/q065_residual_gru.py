"""q065 · Residual GRU stack with gated (highway) skip connections (torch).

Deep recurrent stacks train badly: every layer transforms its input again, and the gradient
reaching the bottom is the product of all those Jacobians. A skip connection gives each layer a
path that leaves its input unchanged. Here the skip is GATED, as in highway networks (Srivastava
et al. 2015) and highway LSTMs: a learned transform gate tau chooses, per unit and per step,
between the layer's GRU and the skip path. With tau = 1 the stack is a plain stacked GRU; with
tau = 0 a layer passes its input through untouched.

Shapes (B = batch, T = time, D = input_size, H = hidden_size, L = num_layers; batch first):
    x       (B, T, D)
    h0      (L, B, H) initial hidden state of each layer's GRU, or None (zeros)

Layer l = 0 .. L-1 reads y_{l-1} (y_{-1} = x) of width D_l (D for l = 0, H for l >= 1):
    g_l, hn_l = GRU_l(y_{l-1}, h0[l])          nn.GRU(D_l, H, batch_first=True): (B, T, H), (B, H)
    s_l       = P_l(y_{l-1})                   the skip path: proj(y) for l = 0 when D != H,
                                               else y itself (the identity)
    tau_l     = sigmoid(gates[l](y_{l-1}))     transform gate (B, T, H), gates[l] = nn.Linear(D_l, H)
    y_l       = tau_l * g_l + (1 - tau_l) * s_l
forward returns (y_{L-1} (B, T, H), h_n (L, B, H)) with h_n[l] = hn_l, the final hidden state of
GRU_l itself (not the gated output), like nn.GRU's h_n.

Parameters (exact names: the grader loads a state_dict), created in the default dtype:
    layers.{l}.weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0    (nn.GRU in an nn.ModuleList)
    gates.{l}.weight (H, D_l), gates.{l}.bias (H,)                    (nn.Linear, in an nn.ModuleList)
    proj.weight (H, D)                                                nn.Linear(D, H, bias=False),
                                                                      ONLY when D != H (no proj otherwise)
Initialisation is free (it is not graded); a negative gate bias such as -1 is customary, so that
a fresh stack starts close to its skip path.

Two limits follow from the equations (both are exact in floating point, and graded):
    gates with weight 0 and bias +50: tau = 1, so the stack IS nn.GRU(D, H, num_layers=L)
    all GRU parameters 0, h0 = 0, gates 0: g = 0 and tau = 1/2, so y = x / 2**L (proj(x) / 2**L)
Do not modify the inputs.
"""

import torch
from torch import nn


class ResidualGRU(nn.Module):
    """A stack of GRU layers with highway skip connections (see the module docstring)."""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int) -> None:
        """Create layers (nn.GRU), gates (nn.Linear) and, when input_size != hidden_size, proj."""
        super().__init__()
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        ### BEGIN SOLUTION
        sizes = [input_size] + [hidden_size] * (num_layers - 1)           # D_l
        self.layers = nn.ModuleList(nn.GRU(d, hidden_size, batch_first=True) for d in sizes)
        self.gates = nn.ModuleList(nn.Linear(d, hidden_size) for d in sizes)
        for gate in self.gates:
            nn.init.constant_(gate.bias, -1.0)                            # start near the skip path
        self.proj = nn.Linear(input_size, hidden_size, bias=False) if input_size != hidden_size else None
        ### END SOLUTION

    def forward(self, x: torch.Tensor, h0: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """x (B, T, D), h0 (L, B, H) or None -> (outputs (B, T, H), h_n (L, B, H))."""
        ### BEGIN SOLUTION
        y = x
        finals = []
        for l, (gru, gate) in enumerate(zip(self.layers, self.gates)):
            state = None if h0 is None else h0[l:l + 1].contiguous()     # (1, B, H)
            g, h_l = gru(y, state)                                        # (B, T, H), (1, B, H)
            skip = self.proj(y) if l == 0 and self.proj is not None else y
            tau = torch.sigmoid(gate(y))                                  # (B, T, H)
            y = tau * g + (1 - tau) * skip
            finals.append(h_l[0])
        return y, torch.stack(finals)                                     # (B, T, H), (L, B, H)
        ### END SOLUTION
