"""q053 · Coverage vector and coverage loss (torch).

Attention-based decoders repeat themselves: nothing stops them from attending to the same source
words step after step. Coverage (Tu et al. 2016; See et al. 2017, "Get to the point") keeps a
running record of where the decoder has already looked, the coverage vector

    c^t = sum_{t' < t} a^{t'}          (c^1 = 0: nothing has been attended before the first step)

feeds it back into the attention scores so the model can learn to look elsewhere, and penalises
attending again to what is already covered:

    covloss_t = sum_i min(a_i^t, c_i^t)

Shapes (B = batch, S = source length, T = target steps):
    scores     (B, S)       the attention scores of this step before coverage (e.g. additive)
    coverage   (B, S)       c^t, the sum of the attention of the earlier steps (0 at step 1)
    w_c        ()           a 0-d tensor: the learned weight of the coverage feature
    mask       (B, S)       bool, True = a real source position, False = padding
    attn_seq   (B, T, S)    the attention of every target step, a^1 .. a^T
    tgt_mask   (B, T)       bool, True = a real target step, False = padding (right-padded)

coverage_attention_step(scores, coverage, w_c, mask) -> (a, new_coverage, step_loss):
    e = scores + w_c * coverage                        the coverage feature w_c * c_i
    a = softmax of e over the REAL positions, exactly 0 at padded ones; a row with no real
        position gets a = 0 (no NaN)                   (B, S)
    step_loss[b]    = sum_i min(a[b, i], coverage[b, i])   with the coverage BEFORE this step, (B,)
    new_coverage    = coverage + a                         c^{t+1}, (B, S)

coverage_loss(attn_seq, tgt_mask) -> a 0-d tensor:
    c^1 = 0; for t = 1 .. T:  covloss_t[b] = sum_i min(a^t[b, i], c^t[b, i]);
                              c^{t+1} = c^t + a^t   (only real steps add to the coverage)
    loss = (sum of covloss_t[b] over the REAL steps (b, t)) / (number of real steps), and 0 when
    there is no real step. Padded steps hold garbage attention: they add nothing.

Properties: the first step's loss is 0; a step's loss is at most 1 (it is at most sum_i a_i);
attending twice in exactly the same way gives a second-step loss of 1 (up to rounding).
Results are in the inputs' dtype. Do not modify any argument in place (coverage + a, not
coverage += a).
"""

import torch

Tensor = torch.Tensor


def coverage_attention_step(scores: Tensor, coverage: Tensor, w_c: Tensor,
                            mask: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """One decoder step of coverage attention (module docstring).

    Returns (a (B, S), new_coverage (B, S), step_loss (B,)).
    """
    ### BEGIN SOLUTION
    e = scores + w_c * coverage                                             # (B, S)
    e = e.masked_fill(~mask, float("-inf"))
    e = torch.where(mask.any(dim=1, keepdim=True), e, torch.zeros_like(e))  # no all -inf row
    a = torch.where(mask, torch.softmax(e, dim=1), torch.zeros_like(e))
    step_loss = torch.minimum(a, coverage).sum(dim=1)                       # old coverage
    return a, coverage + a, step_loss
    ### END SOLUTION


def coverage_loss(attn_seq: Tensor, tgt_mask: Tensor) -> Tensor:
    """The coverage loss of a decoded sequence, averaged over real target steps (module docstring)."""
    ### BEGIN SOLUTION
    B, T, S = attn_seq.shape
    m = tgt_mask.to(attn_seq.dtype)                                          # (B, T)
    coverage = attn_seq.new_zeros(B, S)
    total = attn_seq.new_zeros(())
    for t in range(T):
        a = attn_seq[:, t]                                                   # (B, S)
        step = torch.minimum(a, coverage).sum(dim=1)                         # (B,)
        total = total + (step * m[:, t]).sum()
        coverage = coverage + a * m[:, t:t + 1]                              # real steps only
    return total / m.sum().clamp(min=1)
    ### END SOLUTION
