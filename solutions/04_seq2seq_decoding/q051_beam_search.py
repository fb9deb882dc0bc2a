"""q051 · Beam search with EOS handling and a length penalty (torch).

Greedy decoding keeps one hypothesis; beam search keeps the beam_size best partial sequences at
every step, so a word that looks worse now can still win later. Here the search decodes ONE
sequence (one source); the rows of the model's batch are the hypotheses of the beam.

The model is a step function (the grader passes one built by rnnkit.stepfns):

    log_probs, new_state = step_fn(tokens, state)
        tokens     (K,) int64: the last token of each of the K open hypotheses (bos for the
                   empty hypothesis)
        state      the model's state for those K hypotheses, batched on dim 0: a tensor, or a
                   tuple of tensors (such as an LSTM's (h, c)), each with K rows; or None for a
                   model without state. init_state has ONE row (batch 1).
        log_probs  (K, V) float64 log-probabilities of the next token of each hypothesis
        new_state  the state after reading tokens: row k belongs to hypothesis k

Definitions. A hypothesis is the list of generated tokens (bos not included). It is FINISHED
once its last token is eos (the eos is part of it) and OPEN otherwise. Its log-probability
logp(Y) is the sum of the log-probabilities of its tokens, accumulated one step at a time
(score_new = score_parent + log_probs[k, v], as Python floats or float64 tensors).

The search (K = number of open hypotheses, at most beam_size):
    open = [[]] with logp 0.0 and state init_state; finished = []
    for t = 0, 1, ..., max_len - 1, while open is not empty:
        log_probs, state = step_fn(last tokens of open, state)        ONE call per step
        candidates: every open hypothesis k extended by every token v, with score
                    logp_k + log_probs[k, v]   (K * V candidates; eos is a token like others)
        room = beam_size - len(finished)      finished hypotheses keep their slot of the beam
        take the `room` best candidates: highest score first; equal scores -> the lower token
                    sequence first (Python list order: [1, 2] < [1, 3] < [2, 0])
        of those, the ones ending in eos go to finished; the others are the new open list
        reorder the state: row j of the new state is the row of the new open hypothesis j's
                    parent (state.index_select(0, parents), for each tensor of a tuple)
    The search stops when open is empty (beam_size hypotheses finished) or after max_len steps;
    a hypothesis has at most max_len tokens, eos included.
Result: every finished hypothesis plus every hypothesis still open after max_len steps (these
have max_len tokens and no eos), ranked by the length-normalised score (GNMT, Wu et al. 2016)
    score(Y) = logp(Y) / lp(Y),      lp(Y) = ((5 + |Y|) / 6) ** alpha
with |Y| the number of tokens of Y, eos included (alpha = 0 gives lp = 1: the plain logp). The
penalty is used only for this final ranking, never inside the search. Highest score first, equal
scores -> the lower token sequence first. Return a list of (tokens: list[int], score: float),
best first, with score = logp(Y) / lp(Y); it has at most beam_size entries.

So beam_size = 1 is greedy decoding (ties -> the lowest token id), and a beam of at least
V ** max_len never cuts a candidate: the result is then the exhaustive ranking of all
eos-terminated sequences of up to max_len tokens and all open ones of exactly max_len tokens.
beam_size >= 1, max_len >= 1, alpha >= 0.
"""

from collections.abc import Callable
from typing import Any

import torch

Tensor = torch.Tensor
StepFn = Callable[[Tensor, Any], tuple[Tensor, Any]]


def reorder_state(state: Any, index: Tensor) -> Any:
    """Rows ``index`` of a state: a tensor, a tuple (or list) of tensors, or None."""
    ### BEGIN SOLUTION
    if state is None:
        return None
    if isinstance(state, (tuple, list)):
        return tuple(s.index_select(0, index) for s in state)
    return state.index_select(0, index)
    ### END SOLUTION


def beam_search(
    step_fn: StepFn,
    init_state: Any,
    bos: int,
    eos: int,
    beam_size: int,
    max_len: int,
    alpha: float = 0.0,
) -> list[tuple[list[int], float]]:
    """Beam search from bos (module docstring). Returns [(tokens, logp / lp), ...], best first."""
    ### BEGIN SOLUTION
    open_: list[tuple[list[int], float]] = [([], 0.0)]
    finished: list[tuple[list[int], float]] = []
    state = init_state
    for _ in range(max_len):
        if not open_:
            break
        last = torch.tensor([seq[-1] if seq else bos for seq, _ in open_], dtype=torch.int64)
        log_probs, state = step_fn(last, state)                 # (K, V)
        rows = log_probs.tolist()
        candidates = [(score + lp, seq + [v], k)
                      for k, (seq, score) in enumerate(open_) for v, lp in enumerate(rows[k])]
        candidates.sort(key=lambda c: (-c[0], c[1]))
        room = beam_size - len(finished)                       # finished hypotheses keep their slots
        kept, parents = [], []
        for score, seq, k in candidates[:room]:
            if seq[-1] == eos:
                finished.append((seq, score))
            else:
                kept.append((seq, score))
                parents.append(k)
        open_ = kept
        if open_:
            state = reorder_state(state, torch.tensor(parents, dtype=torch.int64))
    ranked = [(seq, logp / ((5 + len(seq)) / 6) ** alpha) for seq, logp in finished + open_]
    ranked.sort(key=lambda r: (-r[1], r[0]))
    return ranked[:beam_size]
    ### END SOLUTION
