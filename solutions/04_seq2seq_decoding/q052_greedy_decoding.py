"""q052 · Batched greedy decoding with EOS (torch).

Greedy decoding generates a sequence one token at a time and always takes the single most
likely next token. A batch of B sequences is decoded together; each row stops at its own EOS.

The model is a step function (the grader passes one built by rnnkit.stepfns):

    scores, state = step_fn(tokens, state)
        tokens   (B,) int64: the token fed to each row at this step
        state    the model's state (pass back exactly what the previous call returned; the
                 first call gets init_state). Never look inside it: it may be a tensor or a
                 tuple of tensors.
        scores   (B, V) float64 log-probabilities of the next token of each row

greedy_decode(step_fn, init_state, bos, eos, pad, max_len, batch_size), with B = batch_size:
    inp = B copies of bos                                  (B,) int64
    for t = 0, 1, ..., max_len - 1:
        scores, state = step_fn(inp, state)                ONE call per step, on all B rows
        nxt = argmax of scores over the vocabulary         ties: the lowest token id
                                                           (torch.argmax does this)
        a row that has already emitted eos emits pad instead (its scores are ignored)
        tokens[:, t] = nxt
        a row whose nxt is eos is finished from now on
        stop as soon as every row is finished              (no further step_fn call)
        inp = nxt                                          finished rows are fed pad
Returns (tokens, lengths):
    tokens   (B, max_len) int64: the generated tokens, WITHOUT the leading bos; each row's eos is
             kept, every position after it is pad, and so is every column after an early stop
    lengths  (B,) int64: the number of generated tokens of each row INCLUDING its eos (the eos
             sits at tokens[b, lengths[b] - 1]); max_len for a row that never emits eos
So step_fn is called exactly max(lengths) times. bos, eos and pad are distinct ids in [0, V);
max_len >= 1.
"""

from collections.abc import Callable
from typing import Any

import torch

Tensor = torch.Tensor
StepFn = Callable[[Tensor, Any], tuple[Tensor, Any]]


def greedy_decode(
    step_fn: StepFn,
    init_state: Any,
    bos: int,
    eos: int,
    pad: int,
    max_len: int,
    batch_size: int,
) -> tuple[Tensor, Tensor]:
    """Greedy decoding of batch_size rows from bos, each up to its eos or max_len (module docstring).

    Returns (tokens (B, max_len) int64 without bos, pad after eos; lengths (B,) int64 with eos).
    """
    ### BEGIN SOLUTION
    B = batch_size
    tokens = torch.full((B, max_len), pad, dtype=torch.int64)
    lengths = torch.full((B,), max_len, dtype=torch.int64)
    finished = torch.zeros(B, dtype=torch.bool)
    inp = torch.full((B,), bos, dtype=torch.int64)
    state = init_state
    for t in range(max_len):
        scores, state = step_fn(inp, state)                     # (B, V) log-probs
        nxt = scores.argmax(dim=-1)                             # (B,) first maximum on ties
        nxt = torch.where(finished, torch.full_like(nxt, pad), nxt)
        tokens[:, t] = nxt
        ended = ~finished & (nxt == eos)
        lengths[ended] = t + 1                                  # the eos counts
        finished = finished | ended
        if bool(finished.all()):
            break
        inp = nxt
    return tokens, lengths
    ### END SOLUTION
