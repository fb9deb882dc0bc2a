"""q033 · Measuring exposure bias: teacher-forced vs free-running NLL (torch).

A decoder trained with teacher forcing always reads the GOLD previous token. At inference it
reads its OWN previous prediction, and once it makes a mistake it is in states it never saw in
training: that mismatch is exposure bias. Measure it by scoring the same gold sequences twice with
the same model, changing only what is fed back.

The model is a step function (the grader passes one built by rnnkit.stepfns):

    log_probs, state = step_fn(tokens, state)
        tokens     (B,) int64, the token fed to each row at this step
        state      pass back exactly what the previous call returned (state0 at the first call);
                   never look inside it
        log_probs  (B, V) float64 log-probabilities of the next token

Inputs:
    tgt       (B, T) int64 gold tokens y_0 ... y_{T-1} (the sequence to score, without bos).
              Positions t >= lengths[b] are padding: they hold valid token ids whose values
              must not change any result.
    lengths   (B,) int64 real lengths, 1 <= lengths[b] <= T
    bos       the id fed at the first step

Both modes call step_fn exactly T times, once per step t = 0 .. T-1, on all B rows:
    input at t = 0:          bos for every row
    input at t >= 1:         teacher forcing: the gold token tgt[:, t-1]
                             free running:    the model's own greedy token g_{t-1}, where
                                              g_t = argmax over the vocabulary of log_probs at
                                              step t (ties: the lowest id, as torch.argmax)
    at every step, the GOLD token is scored: nll[b, t] = -log_probs[b, tgt[b, t]]
Generating an eos does not stop the free-running mode: every step up to T - 1 is run and scored.

teacher_forced_nll(...) and free_running_nll(...) return (B,) float64 tensors: the sum of
nll[b, t] over the real steps t < lengths[b] of each row (padding adds exactly 0).
exposure_gap(...) returns a Python float, the gap per real token:
    (sum over b of free_running_nll - sum over b of teacher_forced_nll) / (sum over b of lengths)
It is 0 (up to rounding) for a model whose greedy token is always the gold one (both modes then
feed the same tokens), and usually positive.
"""

from collections.abc import Callable
from typing import Any

import torch

Tensor = torch.Tensor
StepFn = Callable[[Tensor, Any], tuple[Tensor, Any]]


def teacher_forced_nll(step_fn: StepFn, state0: Any, tgt: Tensor, lengths: Tensor, bos: int) -> Tensor:
    """Summed NLL of the gold tokens of each row, feeding the gold previous token. Returns (B,)."""
    ### BEGIN SOLUTION
    B, T = tgt.shape
    inp = torch.full((B,), bos, dtype=torch.int64)
    state = state0
    total = torch.zeros(B, dtype=torch.float64)
    for t in range(T):                                                  # teacher-forced steps
        log_probs, state = step_fn(inp, state)                          # (B, V)
        gold_lp = log_probs.gather(1, tgt[:, t:t + 1]).squeeze(1)       # (B,) gold token scored
        real = t < lengths                                              # (B,) bool, False at padding
        total = total + torch.where(real, -gold_lp, torch.zeros_like(gold_lp))
        inp = tgt[:, t]                                                 # teacher forcing: gold fed back
    return total
    ### END SOLUTION


def free_running_nll(step_fn: StepFn, state0: Any, tgt: Tensor, lengths: Tensor, bos: int) -> Tensor:
    """Summed NLL of the gold tokens of each row, feeding the model's own greedy token. Returns (B,)."""
    ### BEGIN SOLUTION
    B, T = tgt.shape
    inp = torch.full((B,), bos, dtype=torch.int64)
    state = state0
    nll = torch.zeros(B, T, dtype=torch.float64)
    for t in range(T):
        log_probs, state = step_fn(inp, state)                          # (B, V) own inputs
        nll[:, t] = -log_probs.gather(1, tgt[:, t:t + 1]).squeeze(1)    # the GOLD token is scored
        inp = log_probs.argmax(dim=-1)                                  # free running: own greedy token
    mask = torch.arange(T)[None, :] < lengths[:, None]                  # (B, T) real steps
    return torch.where(mask, nll, torch.zeros_like(nll)).sum(dim=1)
    ### END SOLUTION


def exposure_gap(step_fn: StepFn, state0: Any, tgt: Tensor, lengths: Tensor, bos: int) -> float:
    """(total free-running NLL - total teacher-forced NLL) / number of real tokens."""
    ### BEGIN SOLUTION
    free = free_running_nll(step_fn, state0, tgt, lengths, bos)
    teacher = teacher_forced_nll(step_fn, state0, tgt, lengths, bos)
    return float((free.sum() - teacher.sum()) / lengths.sum())
    ### END SOLUTION

