"""q071 · Neural Turing Machine addressing and read/write heads (torch).

A Neural Turing Machine (Graves et al. 2014) is an LSTM controller with an external memory of
N slots of M numbers each. At every step the controller emits head parameters, and a head turns
them into an attention over the slots (a weighting w) in four stages, then reads or writes with
it. You write the four stages, their composition, the read and the write. Everything is batched
over B independent memories.

Shapes (B = batch, N = memory slots, M = slot width, S = shift window, odd, S = 2R + 1):
    memory  (B, N, M)   M_t[b, i] is slot i of memory b
    key     (B, M)      the content key k
    beta    (B,)        key strength, beta >= 0
    g       (B,)        interpolation gate, 0 <= g <= 1
    shift   (B, S)      shift weighting s: s[b, j] >= 0, sum_j s[b, j] = 1; entry j is the weight
                        of the OFFSET j - R (for S = 3: s[0] is offset -1, s[1] no move, s[2] +1)
    gamma   (B,)        sharpening exponent, gamma >= 1
    w_prev  (B, N)      the head's weighting of the previous step (non-negative, rows sum to 1)
    erase   (B, M)      erase vector e, entries in [0, 1]
    add     (B, M)      add vector a
Every returned weighting is (B, N), non-negative, and each row sums to 1 (up to rounding).

1. content_weights(memory, key, beta): cosine similarity, then a softmax over the N slots
       cos[b, i] = sum_m (k[b] / max(|k[b]|, 1e-8))[m] * (M[b, i] / max(|M[b, i]|, 1e-8))[m]
       w_c[b]    = softmax_i(beta[b] * cos[b, i])
   (|v| is the Euclidean norm; this cos is F.cosine_similarity(..., dim=-1, eps=1e-8), which you
   may use.) A zero slot has cos = 0, not NaN; beta = 0 gives the uniform weighting 1/N.
2. interpolate(w_c, w_prev, g):   w_g = g * w_c + (1 - g) * w_prev          (g broadcast per row)
3. circular_shift(w_g, shift):    a circular convolution, indices modulo N:
       w_s[b, i] = sum_{j=0}^{S-1} s[b, j] * w_g[b, (i - (j - R)) mod N]
   so the mass at slot i moves to slot i + (j - R): shift [0, 0, 1] rotates a weighting one
   slot FORWARD (slot N-1 wraps around to slot 0), [1, 0, 0] one slot back, [0, 1, 0] leaves
   it as it is. S <= N.
4. sharpen(w_s, gamma):           w[b, i] = w_s[b, i] ** gamma[b] / sum_l w_s[b, l] ** gamma[b]
   (gamma = 1 changes nothing; a large gamma concentrates the mass on the largest entry.)
ntm_address(memory, key, beta, g, shift, gamma, w_prev) runs stages 1, 2, 3, 4 in this order and
returns the final w (B, N).

ntm_read(memory, w) -> r (B, M):       r[b] = sum_i w[b, i] * M[b, i]
ntm_write(memory, w, erase, add) -> the new memory (B, N, M): erase first, then add,
       M'[b, i] = M[b, i] * (1 - w[b, i] * e[b]) + w[b, i] * a[b]
   i.e. M ⊙ (1 - w eᵀ) + w aᵀ per memory. A one-hot w changes only its slot.

Everything must stay differentiable with torch autograd (the grader backpropagates through
ntm_address, ntm_read and ntm_write to every tensor argument): use torch operations only, no
.detach(), .item(), .numpy() or Python floats on the way. Return new tensors; never modify an
argument in place. All results have the arguments' dtype (the grader uses float64).
"""

import torch

Tensor = torch.Tensor


def content_weights(memory: Tensor, key: Tensor, beta: Tensor) -> Tensor:
    """memory (B, N, M), key (B, M), beta (B,) -> w_c (B, N) = softmax(beta * cosine similarity)."""
    ### BEGIN SOLUTION
    k = key / key.norm(dim=-1, keepdim=True).clamp_min(1e-8)            # (B, M)
    m = memory / memory.norm(dim=-1, keepdim=True).clamp_min(1e-8)      # (B, N, M)
    cos = (m * k[:, None, :]).sum(dim=-1)                               # (B, N)
    return torch.softmax(beta[:, None] * cos, dim=-1)
    ### END SOLUTION


def interpolate(w_c: Tensor, w_prev: Tensor, g: Tensor) -> Tensor:
    """w_c, w_prev (B, N), g (B,) -> g * w_c + (1 - g) * w_prev."""
    ### BEGIN SOLUTION
    gate = g[:, None]                                                   # (B, 1)
    return gate * w_c + (1 - gate) * w_prev
    ### END SOLUTION


def circular_shift(w: Tensor, shift: Tensor) -> Tensor:
    """w (B, N), shift (B, S) with S = 2R + 1 -> w_s[i] = sum_j s[j] * w[(i - (j - R)) mod N]."""
    ### BEGIN SOLUTION
    N, S = w.shape[1], shift.shape[1]
    R = (S - 1) // 2
    i = torch.arange(N)[:, None]                                        # (N, 1)
    offsets = torch.arange(S)[None, :] - R                              # (1, S)
    source = (i - offsets) % N                                          # (N, S) slot read for (i, j)
    return (w[:, source] * shift[:, None, :]).sum(dim=-1)               # (B, N, S) -> (B, N)
    ### END SOLUTION


def sharpen(w: Tensor, gamma: Tensor) -> Tensor:
    """w (B, N), gamma (B,) -> w ** gamma / sum(w ** gamma), per row."""
    ### BEGIN SOLUTION
    powered = w ** gamma[:, None]                                       # (B, N)
    return powered / powered.sum(dim=-1, keepdim=True)
    ### END SOLUTION


def ntm_address(memory: Tensor, key: Tensor, beta: Tensor, g: Tensor, shift: Tensor, gamma: Tensor,
                w_prev: Tensor) -> Tensor:
    """Content addressing, interpolation, circular shift, sharpening, in this order -> w (B, N)."""
    ### BEGIN SOLUTION
    w_c = content_weights(memory, key, beta)
    w_g = interpolate(w_c, w_prev, g)
    w_s = circular_shift(w_g, shift)
    return sharpen(w_s, gamma)
    ### END SOLUTION


def ntm_read(memory: Tensor, w: Tensor) -> Tensor:
    """memory (B, N, M), w (B, N) -> r (B, M) = sum_i w_i M_i."""
    ### BEGIN SOLUTION
    return (w[:, :, None] * memory).sum(dim=1)
    ### END SOLUTION


def ntm_write(memory: Tensor, w: Tensor, erase: Tensor, add: Tensor) -> Tensor:
    """memory (B, N, M), w (B, N), erase, add (B, M) -> M * (1 - w e^T) + w a^T (B, N, M)."""
    ### BEGIN SOLUTION
    we = w[:, :, None] * erase[:, None, :]                              # (B, N, M)
    wa = w[:, :, None] * add[:, None, :]                                # (B, N, M)
    return memory * (1 - we) + wa
    ### END SOLUTION
