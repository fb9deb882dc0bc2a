"""q096 · Memory-augmented GRU with least-recently-used writes (torch).

A memory-augmented GRU couples a GRU controller with an external memory of N slots. This one
follows the Least Recently Used Access (LRUA) head of Santoro et al. 2016 ("One-shot learning
with memory-augmented neural networks"): it writes either to the slot it read last or to the
slot used least, and it keeps a decaying usage count of every slot to know which one that is.

Shapes (B = batch, D = input size, H = hidden size, N = n_slots, W = slot_dim):
    x        (B, D)      the input of one step
    h        (B, H)      controller state
    M        (B, N, W)   the memory
    w_read   (B, N)      the read weighting of the previous step (non-negative, rows sum to 1)
    usage    (B, N)      the usage of every slot (non-negative)
The state is the tuple (h, M, w_read, usage).

least_used_weights(usage, n_reads=1) -> w_lu (B, N) in usage's dtype: 1.0 at the n_reads slots of
    each row with the SMALLEST usage, 0.0 elsewhere, so every row holds exactly n_reads ones.
    Ties go to the LOWEST index: among equal usages the slot with the smaller index counts as
    less used (sort each row ascending with a stable sort and take the first n_reads indices).
    n_reads must satisfy 1 <= n_reads <= N; otherwise raise ValueError.

class MemoryGRU(nn.Module), MemoryGRU(D, H, n_slots, slot_dim, gamma=0.95):
    parameters (nn.Parameter in the default dtype; names as in the state_dict):
        controller  nn.GRUCell(D + W, H)   controller.weight_ih (3H, D+W), controller.weight_hh
                                           (3H, H), controller.bias_ih (3H,), controller.bias_hh (3H,)
        key         nn.Linear(H, W)        key.weight (W, H), key.bias (W,)
        alpha       nn.Linear(H, 1)        alpha.weight (1, H), alpha.bias (1,)
    gamma (a float attribute, not a parameter) is the usage decay. Initial values are not graded.

    step(x, (h, M, w_read, usage)) -> (out, (h', M', w_read', usage')), in this order:
        1. r       = sum_i w_read[:, i] * M[:, i]               (B, W) the previous step's read
                                                                 vector, fed back to the controller
        2. h'      = controller(concat([x, r], dim=1), h)        (B, H)
        3. k       = key(h')                                     (B, W) the key, also what is written
           a       = alpha(h')                                   (B, 1) the write gate's logit
        4. w_lu    = least_used_weights(usage, 1)                (B, N) one-hot at the least used slot
        5. w_write = sigmoid(a) * w_read + (1 - sigmoid(a)) * w_lu
        6. M'      = M * (1 - w_lu[:, :, None]) + w_write[:, :, None] * k[:, None, :]
                     (the least used slot is cleared first, then the key is written)
        7. w_read' = softmax_i(cos(k, M'[:, i]))  with, as in q071,
                     cos = sum_w (k / max(|k|, 1e-8)) * (M'_i / max(|M'_i|, 1e-8))
                     (F.cosine_similarity(k[:, None, :], M', dim=-1, eps=1e-8); no key strength)
        8. r'      = sum_i w_read'[:, i] * M'[:, i]              (B, W)
        9. usage'  = gamma * usage + w_read' + w_write
       10. out     = concat([h', r'], dim=1)                     (B, H + W)
    With the usage decayed and renewed this way, a slot that is neither read nor written fades
    and becomes the next least-used slot. All results have x's dtype (the grader uses float64);
    never modify the state tensors in place (return new ones).

Forbidden: nothing. nn.GRUCell is the controller on purpose.
"""

import torch
from torch import nn

Tensor = torch.Tensor
State = tuple[Tensor, Tensor, Tensor, Tensor]


def least_used_weights(usage: Tensor, n_reads: int = 1) -> Tensor:
    """usage (B, N) -> (B, N): 1.0 at the n_reads least used slots (ties to the lowest index), else 0."""
    ### BEGIN SOLUTION
    N = usage.shape[-1]
    if not 1 <= n_reads <= N:
        raise ValueError(f"n_reads must be between 1 and {N}, got {n_reads}")
    order = torch.argsort(usage, dim=-1, stable=True)[:, :n_reads]    # (B, n_reads) ascending, stable
    return torch.zeros_like(usage).scatter(1, order, 1.0)
    ### END SOLUTION


class MemoryGRU(nn.Module):
    """A GRU controller with an LRUA memory head (module docstring)."""

    def __init__(self, D: int, H: int, n_slots: int, slot_dim: int, gamma: float = 0.95) -> None:
        """Create controller (GRUCell(D + slot_dim, H)), key (Linear(H, slot_dim)), alpha (Linear(H, 1))."""
        super().__init__()
        self.n_slots, self.slot_dim, self.gamma = n_slots, slot_dim, gamma
        ### BEGIN SOLUTION
        self.controller = nn.GRUCell(D + slot_dim, H)
        self.key = nn.Linear(H, slot_dim)
        self.alpha = nn.Linear(H, 1)
        ### END SOLUTION

    def step(self, x: Tensor, state: State) -> tuple[Tensor, State]:
        """x (B, D), state (h, M, w_read, usage) -> (out (B, H + W), new state)."""
        ### BEGIN SOLUTION
        h, M, w_read, usage = state
        r = (w_read[:, :, None] * M).sum(dim=1)                             # (B, W) previous read
        h_new = self.controller(torch.cat([x, r], dim=1), h)                 # (B, H)
        k = self.key(h_new)                                                  # (B, W)
        gate = torch.sigmoid(self.alpha(h_new))                              # (B, 1)
        w_lu = least_used_weights(usage, 1)                                  # (B, N)
        w_write = gate * w_read + (1 - gate) * w_lu
        M_new = M * (1 - w_lu[:, :, None]) + w_write[:, :, None] * k[:, None, :]
        k_unit = k / k.norm(dim=-1, keepdim=True).clamp_min(1e-8)
        m_unit = M_new / M_new.norm(dim=-1, keepdim=True).clamp_min(1e-8)
        w_read_new = torch.softmax((m_unit * k_unit[:, None, :]).sum(dim=-1), dim=-1)   # (B, N)
        r_new = (w_read_new[:, :, None] * M_new).sum(dim=1)                  # (B, W)
        usage_new = self.gamma * usage + w_read_new + w_write
        return torch.cat([h_new, r_new], dim=1), (h_new, M_new, w_read_new, usage_new)
        ### END SOLUTION
