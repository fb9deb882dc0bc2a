"""q032 · Teacher forcing: decoder inputs and shifted targets (torch).

Teacher forcing trains a decoder on the ground truth: at every step it reads the GOLD previous
token (never its own prediction) and is trained to predict the next gold token. The decoder
input is the target shifted right by one, behind a bos; the output target ends with an eos.

make_decoder_io(tgt, lengths, bos, eos, pad)
    tgt      (B, T) int64, row b holds the gold tokens y_1 .. y_n in tgt[b, :n], n = lengths[b]
             (0 <= n <= T); tgt[b, n:] is padding and may hold ANY integer (never copy it)
    lengths  (B,) int64
    Returns (dec_in, dec_out), both new (B, T + 1) int64 tensors:
        dec_in[b]  = [bos, y_1, ..., y_n, pad, ..., pad]
        dec_out[b] = [y_1, ..., y_n, eos, pad, ..., pad]       (eos at position n)
    so dec_out[:, t] is the token to predict after reading dec_in[:, t]. tgt is not modified.

teacher_forced_logits(step_fn, state0, dec_in)
    The model is a step function (the grader passes one built by rnnkit.stepfns):
        log_probs, state = step_fn(tokens, state)
            tokens (B,) int64; state: pass back what the previous call returned (state0 first);
            log_probs (B, V) float64 log-probabilities of the next token
    Call step_fn exactly once per column, t = 0, 1, ..., T' - 1 (T' = dec_in.shape[1]), with
    the ground-truth column dec_in[:, t] on all B rows (pad columns included: the loss masks
    them later), and return the T' outputs stacked on dim 1: (B, T', V), as step_fn returned them.
"""

from collections.abc import Callable
from typing import Any

import torch

Tensor = torch.Tensor
StepFn = Callable[[Tensor, Any], tuple[Tensor, Any]]


def make_decoder_io(tgt: Tensor, lengths: Tensor, bos: int, eos: int, pad: int) -> tuple[Tensor, Tensor]:
    """(dec_in, dec_out), each (B, T + 1): [bos, y..., pad...] and [y..., eos, pad...]."""
    ### BEGIN SOLUTION
    B, T = tgt.shape
    pos = torch.arange(T + 1)[None, :]                             # (1, T + 1)
    n = lengths[:, None]                                           # (B, 1)
    padded = torch.cat([tgt, torch.full((B, 1), pad, dtype=torch.int64)], dim=1)   # (B, T + 1)
    words = torch.where(pos < n, padded, torch.full_like(padded, pad))             # y..., pad...
    dec_out = torch.where(pos == n, torch.full_like(words, eos), words)
    shifted = torch.cat([torch.full((B, 1), bos, dtype=torch.int64), words[:, :T]], dim=1)
    dec_in = torch.where(pos <= n, shifted, torch.full_like(shifted, pad))
    return dec_in, dec_out
    ### END SOLUTION


def teacher_forced_logits(step_fn: StepFn, state0: Any, dec_in: Tensor) -> Tensor:
    """Feed dec_in[:, t] at step t, once per column; returns the stacked log-probs (B, T', V)."""
    ### BEGIN SOLUTION
    state = state0
    outputs = []
    for t in range(dec_in.shape[1]):
        log_probs, state = step_fn(dec_in[:, t], state)            # the gold token, never a prediction
        outputs.append(log_probs)
    return torch.stack(outputs, dim=1)
    ### END SOLUTION
