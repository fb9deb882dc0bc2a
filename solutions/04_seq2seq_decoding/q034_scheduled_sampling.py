"""q034 · Scheduled sampling: schedules and token mixing (torch).

Scheduled sampling (Bengio et al. 2015) fights exposure bias: during training, each decoder input
is the gold previous token with probability p_teacher and the model's own prediction otherwise,
and p_teacher decays over training from 1 (pure teacher forcing) towards 0.

teacher_prob(i, kind, k, c=0.0, eps=0.0): p_teacher after i training steps (i >= 0):
    "linear"           max(eps, k - c * i)           (k <= 1, c >= 0, eps >= 0)
    "exponential"      k ** i                        (0 < k < 1)
    "inverse_sigmoid"  k / (k + exp(i / k))          (k >= 1)
    any other kind raises ValueError. Returns a Python float.

scheduled_sampling_logits(step_fn, state0, tgt, bos, p_teacher, generator)
    The model is a step function (the grader passes one built by rnnkit.stepfns):
        log_probs, state = step_fn(tokens, state)
            tokens (B,) int64; state: pass back what the previous call returned (state0 first);
            log_probs (B, V) float64 log-probabilities of the next token.
    tgt (B, T) int64 holds the gold tokens y_0 ... y_{T-1}; step t predicts tgt[:, t].
    For t = 0, 1, ..., T - 1 (one step_fn call per step, on all B rows):
        t = 0:   the input is bos for every row, and NO random number is drawn
        t >= 1:  first draw  u = torch.rand(B, generator=generator, dtype=torch.float64)
                 (exactly this call: one draw of B numbers per step, before the step_fn call)
                 use_gold = u < p_teacher                         (B,) bool
                 input[b] = tgt[b, t - 1]            where use_gold[b]   (the gold token)
                            argmax of log_probs[b] of step t - 1   elsewhere   (the model's
                            greedy token; ties: the lowest id, as torch.argmax)
        log_probs, state = step_fn(input, state)
    Returns the log_probs of every step stacked on dim 1: (B, T, V), as step_fn returned them.
    So p_teacher = 1 is teacher forcing (inputs bos, tgt[:, 0], ..., tgt[:, T-2]) and
    p_teacher = 0 is free running (inputs bos, then the model's own argmax); both still draw
    T - 1 times, and the generator is left advanced by those draws.
"""

import math
from collections.abc import Callable
from typing import Any

import torch

Tensor = torch.Tensor
StepFn = Callable[[Tensor, Any], tuple[Tensor, Any]]


def teacher_prob(i: int, kind: str, k: float, c: float = 0.0, eps: float = 0.0) -> float:
    """The probability of feeding the gold token after i training steps (module docstring)."""
    ### BEGIN SOLUTION
    if kind == "linear":
        return float(max(eps, k - c * i))
    if kind == "exponential":
        return float(k ** i)
    if kind == "inverse_sigmoid":
        return float(k / (k + math.exp(i / k)))
    raise ValueError(f"unknown schedule {kind!r}: use 'linear', 'exponential' or 'inverse_sigmoid'")
    ### END SOLUTION


def scheduled_sampling_logits(
    step_fn: StepFn,
    state0: Any,
    tgt: Tensor,
    bos: int,
    p_teacher: float,
    generator: torch.Generator,
) -> Tensor:
    """Decoder outputs (B, T, V) with each input drawn gold-or-model (module docstring)."""
    ### BEGIN SOLUTION
    B, T = tgt.shape
    inp = torch.full((B,), bos, dtype=torch.int64)
    state = state0
    outputs = []
    for t in range(T):
        if t > 0:
            u = torch.rand(B, generator=generator, dtype=torch.float64)
            use_gold = u < p_teacher                                   # (B,) bool, True: gold
            inp = torch.where(use_gold, tgt[:, t - 1], outputs[-1].argmax(dim=-1))
        log_probs, state = step_fn(inp, state)                         # (B, V)
        outputs.append(log_probs)
    return torch.stack(outputs, dim=1)                                 # (B, T, V)
    ### END SOLUTION
