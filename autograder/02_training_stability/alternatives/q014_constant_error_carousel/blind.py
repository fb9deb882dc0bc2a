# Alternative solution of q014_constant_error_carousel, written from the stub, its docstring and public tests alone by a developer who never read solutions/ or autograder/ (first try: full marks under seeds 1-5).
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
    if not isinstance(forget_gates, torch.Tensor):
        forget_gates = torch.as_tensor(forget_gates)
    if forget_gates.dim() != 3:
        raise ValueError(f"forget_gates should have shape (T, B, H), got {tuple(forget_gates.shape)}")
    prod = torch.prod(forget_gates, dim=0)  # (B, H); an empty T gives ones (the identity)
    return torch.diag_embed(prod)  # (B, H, H), same dtype and device, zeros off the diagonal


def gradient_norm_profile(cell: str, T: int, H: int, seed: int, forget_bias: float = 0.0) -> torch.Tensor:
    """||d h_T.sum() / d x_t||_2 for t = 1..T, shape (T,), float64 (recipe in the module docstring)."""
    if cell == "rnn":
        G = 1
    elif cell == "lstm":
        G = 4
    else:
        raise ValueError(f"unknown cell {cell!r}: expected 'rnn' or 'lstm'")
    T = int(T)
    H = int(H)
    D = H
    g = torch.Generator().manual_seed(int(seed))
    W_ih = torch.randn(G * H, D, generator=g, dtype=torch.float64) / math.sqrt(H)
    W_hh = torch.randn(G * H, H, generator=g, dtype=torch.float64) / math.sqrt(H)
    x = torch.randn(T, D, generator=g, dtype=torch.float64)
    b = torch.zeros(G * H, dtype=torch.float64)
    if cell == "lstm":
        b[H:2 * H] = float(forget_bias)
    if T == 0:
        return torch.zeros(0, dtype=torch.float64)

    with torch.enable_grad():
        x = x.requires_grad_(True)
        h = torch.zeros(H, dtype=torch.float64)
        c = torch.zeros(H, dtype=torch.float64)
        for t in range(T):
            a = W_ih @ x[t] + W_hh @ h + b
            if cell == "rnn":
                h = torch.tanh(a)
            else:
                i = torch.sigmoid(a[0:H])
                f = torch.sigmoid(a[H:2 * H])
                gg = torch.tanh(a[2 * H:3 * H])
                o = torch.sigmoid(a[3 * H:4 * H])
                c = f * c + i * gg
                h = o * torch.tanh(c)
        (dx,) = torch.autograd.grad(h.sum(), x)
    return dx.norm(dim=1).detach()
