"""q022 · GRU update gate: the two interpolation conventions, and converting between them (torch).

A GRU's update gate z mixes the previous hidden state h_prev with the candidate n. Papers and
libraries disagree on which side z weighs:

    "torch"  h = (1 - z) * n + z * h_prev     PyTorch nn.GRU/GRUCell, Cho et al. 2014, Keras, d2l
    "chung"  h = z * n + (1 - z) * h_prev     Chung et al. 2014, Wikipedia

So a z near 1 KEEPS the old state in the "torch" convention and REPLACES it in "chung".

Both conventions compute z = sigmoid(a_z) from the same kind of pre-activation
a_z = W_iz x + b_iz + W_hz h_prev + b_hz. Because sigmoid(-a) = 1 - sigmoid(a), negating every
parameter that feeds a_z turns one convention into the other: a "chung" cell whose z-block
parameters are the negated z-block parameters of an nn.GRUCell computes the same function.

nn.GRUCell layout (gate order r, z, n along the first axis, H = hidden size):
    weight_ih  (3H, D)    rows 0:H -> r, rows H:2H -> z, rows 2H:3H -> n
    weight_hh  (3H, H)    same row blocks
    bias_ih    (3H,)      same blocks
    bias_hh    (3H,)      same blocks

All tensors are float64 in the grader; work in whatever dtype you receive. Return new tensors
and never modify the arguments.
"""

from torch import Tensor


def gru_interpolate(h_prev: Tensor, n: Tensor, z: Tensor, convention: str = "torch") -> Tensor:
    """The new hidden state from h_prev, the candidate n and the update gate z, all (B, H).

    convention "torch": (1 - z) * n + z * h_prev
    convention "chung": z * n + (1 - z) * h_prev
    Any other convention (including other spellings such as "Torch" or "keras") raises
    ValueError. Returns a (B, H) tensor.
    """
    ### BEGIN SOLUTION
    if convention == "torch":
        return (1 - z) * n + z * h_prev
    if convention == "chung":
        return z * n + (1 - z) * h_prev
    raise ValueError(f'convention must be "torch" or "chung", got {convention!r}')
    ### END SOLUTION


def convert_update_gate_convention(
    weight_ih: Tensor,
    weight_hh: Tensor,
    bias_ih: Tensor,
    bias_hh: Tensor,
) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """GRU parameters for the other update-gate convention: the z block (rows H:2H) negated.

    Takes nn.GRUCell-layout parameters (see the module docstring) and returns
    (weight_ih, weight_hh, bias_ih, bias_hh) with the same shapes and dtype, where rows H:2H
    of each are negated and every other entry is unchanged. A "chung" cell run with the
    returned parameters equals nn.GRUCell run with the originals (and the conversion is its own
    inverse). H is weight_ih.shape[0] // 3.
    """
    ### BEGIN SOLUTION
    H = weight_ih.shape[0] // 3
    converted = []
    for p in (weight_ih, weight_hh, bias_ih, bias_hh):
        q = p.clone()  # (3H, ...) copy; the argument stays as it was
        q[H:2 * H] = -p[H:2 * H]
        converted.append(q)
    return tuple(converted)
    ### END SOLUTION
