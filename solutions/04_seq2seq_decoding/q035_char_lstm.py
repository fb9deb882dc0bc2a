"""q035 · Character-level LM pipeline and temperature sampling (torch).

A character-level LSTM reads and writes one character at a time: the vocabulary is the set of
characters of the corpus, and training batches are cut from one long stream of character ids
(as in Karpathy's min-char-rnn). This exercise builds that pipeline and the sampler.

build_char_vocab(text) -> (stoi, itos)
    itos is the list of the DISTINCT characters of text in sorted order (Python's sorted on
    str, i.e. by code point); stoi maps each character to its index in itos.
encode(text, stoi) -> (len(text),) int64 tensor of stoi[ch] for each character (a character
    missing from stoi raises KeyError).
make_char_batches(ids, batch_size, seq_len) -> list of (x, y)
    ids is a 1-D int64 stream. With B = batch_size, the stream is cut into B contiguous lanes of
        n = (len(ids) - 1) // B
    ids: lane b holds the inputs ids[b*n : (b+1)*n], and its targets are the NEXT ids
    ids[b*n + 1 : (b+1)*n + 1] (inputs shifted by one; the tail beyond B*n + 1 is dropped). So
        X = ids[:B*n].reshape(B, n),     Y = ids[1:B*n + 1].reshape(B, n)
    and the batches are consecutive time windows of seq_len columns:
        (X[:, s:s + seq_len], Y[:, s:s + seq_len]) for s = 0, seq_len, 2 * seq_len, ... < n
    (the last one is shorter when seq_len does not divide n). Lane b of batch k+1 continues
    exactly where lane b of batch k stopped, so an LSTM can carry its state across batches.
    ValueError when n == 0 (fewer than B + 1 ids) or seq_len < 1.
sample(step_fn, state0, start_id, n, temperature, generator) -> list[int]
    The model is a step function (the grader passes one built by rnnkit.stepfns) called on a
    batch of ONE sequence:
        log_probs, state = step_fn(tokens, state)
            tokens (1,) int64; state: pass back what the previous call returned (state0 first);
            log_probs (1, V) float64 log-probabilities of the next character
    tok = start_id; repeat n times (one step_fn call each):
        log_probs, state = step_fn(torch.tensor([tok]), state)
        probs = torch.softmax(log_probs[0] / temperature, dim=-1)          (V,) float64
        tok = int(torch.multinomial(probs, 1, generator=generator))        exactly this draw
    Returns the n sampled ids (start_id not included). A low temperature sharpens the
    distribution (temperature -> 0 is greedy decoding), a high one flattens it. temperature > 0.
"""

from collections.abc import Callable
from typing import Any

import torch

Tensor = torch.Tensor
StepFn = Callable[[Tensor, Any], tuple[Tensor, Any]]


def build_char_vocab(text: str) -> tuple[dict[str, int], list[str]]:
    """(stoi, itos): the sorted distinct characters of text and their indices."""
    ### BEGIN SOLUTION
    itos = sorted(set(text))
    stoi = {ch: i for i, ch in enumerate(itos)}
    return stoi, itos
    ### END SOLUTION


def encode(text: str, stoi: dict[str, int]) -> Tensor:
    """(len(text),) int64 ids."""
    ### BEGIN SOLUTION
    return torch.tensor([stoi[ch] for ch in text], dtype=torch.int64)
    ### END SOLUTION


def make_char_batches(ids: Tensor, batch_size: int, seq_len: int) -> list[tuple[Tensor, Tensor]]:
    """Contiguous lanes, consecutive windows, targets shifted by one (module docstring)."""
    ### BEGIN SOLUTION
    B = batch_size
    n = (ids.shape[0] - 1) // B
    if n < 1 or seq_len < 1:
        raise ValueError("need at least batch_size + 1 ids and seq_len >= 1")
    X = ids[: B * n].reshape(B, n)
    Y = ids[1: B * n + 1].reshape(B, n)
    return [(X[:, s:s + seq_len], Y[:, s:s + seq_len]) for s in range(0, n, seq_len)]
    ### END SOLUTION


def sample(step_fn: StepFn, state0: Any, start_id: int, n: int, temperature: float,
           generator: torch.Generator) -> list[int]:
    """n ids sampled from softmax(log_probs / temperature), one torch.multinomial draw each."""
    ### BEGIN SOLUTION
    tok, state, out = start_id, state0, []
    for _ in range(n):
        log_probs, state = step_fn(torch.tensor([tok]), state)        # (1, V)
        probs = torch.softmax(log_probs[0] / temperature, dim=-1)      # (V,)
        tok = int(torch.multinomial(probs, 1, generator=generator))   # one draw per step
        out.append(tok)
    return out
    ### END SOLUTION
