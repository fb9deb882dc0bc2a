"""q014 · Why LSTM gradients survive: the additive cell path (torch).

An LSTM's cell state is updated additively, c_t = f_t * c_{t-1} + i_t * g_t, so along the cell
path alone the Jacobian of one step is diagonal, dc_t/dc_{t-1} = diag(f_t), and over T steps
    dc_T/dc_0 = diag(f_1 * f_2 * ... * f_T)         (when the gates do not depend on c)
with no weight matrix and no squashing derivative in the product: a forget gate near 1 keeps the
gradient alive (the "constant error carousel"). A tanh RNN multiplies by W_hh^T diag(tanh') at
every step instead, and its gradient to early inputs shrinks geometrically.

cell_path_jacobian(forget_gates)
    forget_gates (T, B, H): f_t for t = 1..T (values in (0, 1)). Returns (B, H, H): for each batch
    row b the diagonal matrix diag(prod_t forget_gates[t, b]); every off-diagonal entry is 0.
    Same dtype as the input.

gradient_norm_profile(cell, T, H, seed, forget_bias=0.0)
    How strongly each input x_t still influences the last hidden state. Build ONE sequence
    (batch 1) and ONE cell from a fresh generator, in float64, with exactly these draws in this
    order (D = H input features; G = 1 gate block for "rnn", 4 for "lstm"):
        g    = torch.Generator().manual_seed(seed)
        W_ih = torch.randn(G * H, D, generator=g, dtype=torch.float64) / math.sqrt(H)   # N(0, 1/H)
        W_hh = torch.randn(G * H, H, generator=g, dtype=torch.float64) / math.sqrt(H)   # N(0, 1/H)
        x    = torch.randn(T, D, generator=g, dtype=torch.float64)                      # x[t-1] is x_t
    The bias b (G * H,) is all zeros, except b[H:2H] = forget_bias for "lstm" (the forget block;
    forget_bias is ignored for "rnn"). Start from h_0 = c_0 = 0 (H,) and run t = 1..T:
        "rnn":   h_t = tanh(W_ih x_t + W_hh h_{t-1} + b)
        "lstm":  a   = W_ih x_t + W_hh h_{t-1} + b            (4H,), gate order i, f, g, o
                 i = sigmoid(a[0:H])   f = sigmoid(a[H:2H])   g = tanh(a[2H:3H])   o = sigmoid(a[3H:4H])
                 c_t = f * c_{t-1} + i * g,   h_t = o * tanh(c_t)
    (the equations of torch.nn.RNNCell / nn.LSTMCell with weight_ih = W_ih, weight_hh = W_hh,
    bias_ih = b, bias_hh = 0). With L = h_T.sum(), return the float64 tensor of shape (T,) whose
    entry t-1 is the Euclidean norm ||dL/dx_t||_2 (use autograd), detached. Any other cell name
    raises ValueError.
"""

import math

import torch


def cell_path_jacobian(forget_gates: torch.Tensor) -> torch.Tensor:
    """diag(prod_t f_t) per batch row: (T, B, H) forget gates -> (B, H, H) Jacobians dc_T/dc_0."""
    ### BEGIN SOLUTION
    return torch.diag_embed(forget_gates.prod(dim=0))    # (B, H) -> (B, H, H)
    ### END SOLUTION


def gradient_norm_profile(cell: str, T: int, H: int, seed: int, forget_bias: float = 0.0) -> torch.Tensor:
    """||d h_T.sum() / d x_t||_2 for t = 1..T, shape (T,), float64 (recipe in the module docstring)."""
    ### BEGIN SOLUTION
    if cell not in ("rnn", "lstm"):
        raise ValueError(f"cell must be 'rnn' or 'lstm', not {cell!r}")
    G = 1 if cell == "rnn" else 4
    g = torch.Generator().manual_seed(seed)
    W_ih = torch.randn(G * H, H, generator=g, dtype=torch.float64) / math.sqrt(H)
    W_hh = torch.randn(G * H, H, generator=g, dtype=torch.float64) / math.sqrt(H)
    x = torch.randn(T, H, generator=g, dtype=torch.float64).requires_grad_(True)
    b = torch.zeros(G * H, dtype=torch.float64)
    if cell == "lstm":
        b[H:2 * H] = forget_bias
    h = torch.zeros(H, dtype=torch.float64)
    c = torch.zeros(H, dtype=torch.float64)
    for t in range(T):
        a = W_ih @ x[t] + W_hh @ h + b
        if cell == "rnn":
            h = torch.tanh(a)
        else:
            i, f = torch.sigmoid(a[0:H]), torch.sigmoid(a[H:2 * H])
            gg, o = torch.tanh(a[2 * H:3 * H]), torch.sigmoid(a[3 * H:4 * H])
            c = f * c + i * gg
            h = o * torch.tanh(c)
    (grad_x,) = torch.autograd.grad(h.sum(), x)         # (T, D)
    return grad_x.norm(dim=1).detach()
    ### END SOLUTION
