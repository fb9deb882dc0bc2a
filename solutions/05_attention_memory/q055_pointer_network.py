"""q055 · Pointer network decoding (torch).

A pointer network (Vinyals et al. 2015) is an LSTM encoder-decoder whose output at each step is a
POSITION of the input sequence, not a token from a fixed vocabulary: the attention distribution
over the n encoder states is itself the output distribution. That lets it solve problems whose
answer is an ordering of its input (sorting, convex hulls, tours). When every position must be
used exactly once, positions already chosen are masked out.

pointer_scores (given, not graded; it is additive attention as in q025) computes the scores
    u[b, j] = v . tanh(W1 e[b, j] + W2 d[b])        enc (B, n, E), dec (B, Hd)
    with W1 (A, E), W2 (A, Hd), v (A,): W1 e_j is W1 @ e_j (enc @ W1.T in batch form).

You write:

pointer_log_probs(scores, chosen_mask) -> (B, n): the log-softmax of each row of scores over the
    positions NOT yet chosen. chosen_mask (B, n) is bool, True where a position has been chosen;
    every row has at least one position not chosen.
        log_probs[b, j] = scores[b, j] - logsumexp_{l not chosen} scores[b, l]   (j not chosen)
        log_probs[b, j] = -inf exactly                                           (j chosen)
    so exp(log_probs) is a distribution with probability exactly 0 at chosen positions. It must
    stay finite at unchosen positions for scores as large as +-1e4 (use torch.log_softmax or
    torch.logsumexp on scores where chosen entries are -inf, not log(softmax(...))).

pointer_greedy_decode(score_fn, n, batch_size) -> (indices, log_probs):
    score_fn(prev_idx, chosen_mask) -> scores (B, n), with prev_idx (B,) int64 and chosen_mask
    (B, n) bool, is given (in the grader it is a pointer-network decoder). Decode n steps:
        chosen = all False (B, n), prev_idx = -1 for every row (nothing chosen yet)
        for t = 0 .. n-1:
            scores = score_fn(prev_idx, chosen)          call it exactly ONCE per step, with the
                                                         mask of the positions chosen BEFORE step t
            lp = pointer_log_probs(scores, chosen)       (B, n)
            idx = argmax of lp per row                   ties go to the lowest index (torch.argmax)
            indices[:, t] = idx;  log_probs[:, t] = lp
            chosen[b, idx[b]] = True;  prev_idx = idx
    indices is (B, n) int64, and each row is a permutation of 0 .. n-1; log_probs is (B, n, n) in
    the scores' dtype, with log_probs[b, t, j] = -inf exactly for every j chosen before step t.
    Pass score_fn a fresh chosen mask each step (or one you never modify afterwards): it may keep
    what it is given.

Do not modify any argument in place.
"""

from collections.abc import Callable

import torch

Tensor = torch.Tensor


def pointer_scores(enc: Tensor, dec: Tensor, W1: Tensor, W2: Tensor, v: Tensor) -> Tensor:
    """Given: u[b, j] = v . tanh(W1 enc[b, j] + W2 dec[b]) -> (B, n)."""
    return torch.tanh(enc @ W1.T + (dec @ W2.T)[:, None, :]) @ v


def pointer_log_probs(scores: Tensor, chosen_mask: Tensor) -> Tensor:
    """scores (B, n), chosen_mask (B, n) bool -> log-softmax over unchosen positions, -inf at chosen ones."""
    ### BEGIN SOLUTION
    masked = scores.masked_fill(chosen_mask, float("-inf"))            # (B, n)
    return torch.log_softmax(masked, dim=-1)
    ### END SOLUTION


def pointer_greedy_decode(score_fn: Callable[[Tensor, Tensor], Tensor], n: int,
                          batch_size: int) -> tuple[Tensor, Tensor]:
    """Greedy pointer decoding for n steps -> (indices (B, n) int64, log_probs (B, n, n))."""
    ### BEGIN SOLUTION
    chosen = torch.zeros(batch_size, n, dtype=torch.bool)
    prev = torch.full((batch_size,), -1, dtype=torch.int64)
    rows = torch.arange(batch_size)
    indices, log_probs = [], []
    for _ in range(n):
        scores = score_fn(prev, chosen.clone())                        # (B, n)
        lp = pointer_log_probs(scores, chosen)
        idx = lp.argmax(dim=-1)                                        # (B,) first maximum
        indices.append(idx)
        log_probs.append(lp)
        chosen = chosen.clone()
        chosen[rows, idx] = True
        prev = idx
    return torch.stack(indices, dim=1), torch.stack(log_probs, dim=1)
    ### END SOLUTION
