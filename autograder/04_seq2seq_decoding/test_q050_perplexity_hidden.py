"""Hidden grader for q050_perplexity (never shipped to students).

The reference is torch's own F.cross_entropy(ignore_index=-100) (forbidden in the submission,
run here in the grader), exponentiated. Masks are arbitrary (holes, left padding), logits at
pads hold garbage (100 * N(0, 1)) and pad targets hold out-of-range ids (-100, V, V + 3, -1).
Value tasks call with the in-place check off; task 5 calls with it on.

Task 1: perplexity equals exp(F.cross_entropy(ignore_index=-100)) on the flattened batch
        (rtol 1e-12); fixed cases B = T = 1, V = 2, holes, then random sizes.
Task 2: (no pads) constant logits give V (rtol 1e-12, errata 9: not bitwise); logits 50 * onehot(target)
        give 1 (rtol 1e-12).
Task 3: stability (no pads): logits shifted by +-1e4, logits of scale 1e4 whose argmax is the target, and a
        batch where one token's target lies 1000 below the maximum (NLL 1000): finite and equal
        to the reference (rtol 1e-10). A naive exp or log(softmax) gives inf or NaN.
Task 4: corpus_perplexity returns a Python float equal to the perplexity of all batches' real
        tokens together (rtol 1e-12): batches of different B and T, one without any real token;
        the mean of per-batch perplexities and exp of the mean of per-batch mean NLLs both fail
        on the fixed cases (regression).
Task 5: hygiene: with the in-place check on, no argument changes; float32 logits give a float32
        0-d tensor close (rtol 1e-4) to the same function's float64 result.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from rnnkit.fair import ValuesOnly
from rnnkit.testing import assert_close, check, expect_tensor, trandn

GARBAGE = 100.0
FIXED = [(["1"], 2), (["11000", "10111"], 3), (["0111", "1101", "1000"], 8), (["111111"], 5), (["10", "01"], 12)]
N_CASES = len(FIXED) + 3


@pytest.fixture
def impl(impl):
    return ValuesOnly(impl)


def string_mask(rows: list[str]) -> torch.Tensor:
    return torch.tensor([[ch == "1" for ch in row] for row in rows])


def random_mask(rng: np.random.Generator, B: int, T: int) -> torch.Tensor:
    mask = torch.from_numpy(rng.random((B, T)) < 0.7)
    mask[int(rng.integers(0, B)), int(rng.integers(0, T))] = True
    return mask


def batch(rng: np.random.Generator, mask: torch.Tensor, V: int, scale: float = 2.0) -> tuple[torch.Tensor, ...]:
    B, T = mask.shape
    logits = trandn(rng, B, T, V, scale=scale)
    logits[~mask] = trandn(rng, int((~mask).sum()), V, scale=GARBAGE)
    targets = torch.from_numpy(rng.integers(0, V, size=(B, T)))
    bad = torch.tensor([-100, V, V + 3, -1])
    for k, (b, t) in enumerate((~mask).nonzero().tolist()):
        targets[b, t] = bad[k % len(bad)]
    return logits, targets, mask


def case_of(rng: np.random.Generator, case: int) -> tuple[torch.Tensor, ...]:
    if case < len(FIXED):
        rows, V = FIXED[case]
        return batch(rng, string_mask(rows), V)
    B, T, V = int(rng.integers(1, 5)), int(rng.integers(1, 9)), int(rng.integers(2, 10))
    return batch(rng, random_mask(rng, B, T), V)


def reference(logits: torch.Tensor, targets: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    V = logits.shape[-1]
    ignored = torch.where(mask, targets, torch.full_like(targets, -100))
    return torch.exp(F.cross_entropy(logits.reshape(-1, V), ignored.reshape(-1), ignore_index=-100))


def call(impl, logits: torch.Tensor, targets: torch.Tensor, mask: torch.Tensor,
         dtype: torch.dtype = torch.float64, checked: bool = False) -> torch.Tensor:
    fn = impl.checked.perplexity if checked else impl.perplexity
    return expect_tensor(fn(logits, targets, mask), (), "perplexity(logits, targets, mask)", dtype=dtype)


# --- task 1 -------------------------------------------------------------------------------------

@pytest.mark.task(1)
@pytest.mark.parametrize("case", range(N_CASES))
def test_matches_cross_entropy(impl, rng, case):
    logits, targets, mask = case_of(rng, case)
    assert_close(call(impl, logits, targets, mask), reference(logits, targets, mask), "the perplexity", rtol=1e-12,
                 atol=0.0, against="exp(F.cross_entropy(ignore_index=-100)) over the real tokens")


# --- task 2 -------------------------------------------------------------------------------------

@pytest.mark.task(2)
@pytest.mark.parametrize("V", [2, 3, 7, 12])
def test_uniform_and_confident_logits(impl, rng, V):
    mask = torch.ones(3, 4, dtype=torch.bool)          # no pads: this task is about the formula's limits
    _, targets, _ = batch(rng, mask, V)
    uniform = torch.full((3, 4, V), float(rng.normal()), dtype=torch.float64)
    got = call(impl, uniform, targets, mask)
    assert_close(got, torch.tensor(float(V), dtype=torch.float64), "the perplexity of uniform logits", rtol=1e-12,
                 atol=0.0, against="V")
    safe = torch.where(mask, targets, torch.zeros_like(targets))
    confident = 50.0 * F.one_hot(safe, V).to(torch.float64)
    got = call(impl, confident, targets, mask)
    assert_close(got, torch.tensor(1.0, dtype=torch.float64), "the perplexity of confident right logits",
                 rtol=1e-12, atol=0.0, against="1")


# --- task 3 -------------------------------------------------------------------------------------

@pytest.mark.task(3)
@pytest.mark.parametrize("kind", ["shift_up", "shift_down", "scale", "one_far_token"])
def test_large_logits_stay_finite(impl, rng, kind):
    mask = torch.ones(3, 4, dtype=torch.bool)          # no pads: this task is about stability
    V = int(rng.integers(3, 8))
    logits, targets, _ = batch(rng, mask, V)
    logits[~mask] = 0.0
    if kind == "shift_up":
        logits = logits + 1e4
    elif kind == "shift_down":
        logits = logits - 1e4
    elif kind == "scale":
        safe = torch.where(mask, targets, torch.zeros_like(targets))
        logits = 1e4 * (trandn(rng, 3, 4, V).abs() * -1.0)
        logits.scatter_(-1, safe.unsqueeze(-1), 1e4)               # the target is the argmax, far ahead
    else:
        b, t = (int(v) for v in mask.nonzero()[int(rng.integers(0, int(mask.sum())))])
        logits[b, t] = 0.0
        logits[b, t, int(targets[b, t])] = -1000.0                   # NLL about 1000 for this token
    got = expect_tensor(impl.perplexity(logits, targets, mask), (), "perplexity(logits, targets, mask)",
                        dtype=torch.float64, finite=False)
    check(bool(torch.isfinite(got)), "the perplexity should stay finite for logits of this size: use logsumexp")
    assert_close(got, reference(logits, targets, mask), "the perplexity of large logits", rtol=1e-10, atol=0.0,
                 against="exp(F.cross_entropy(ignore_index=-100))")


# --- task 4 -------------------------------------------------------------------------------------

CORPUS_FIXED = [
    [(["1"], 4), (["1111", "1111", "1110"], 4)],                    # 1 token against 11
    [(["110", "100"], 5), (["000", "000"], 5), (["11111111"], 5)],  # a batch without real tokens
    [(["1011", "0110"], 3)],                                         # one batch
]


@pytest.mark.task(4)
@pytest.mark.parametrize("case", range(len(CORPUS_FIXED) + 3))
def test_corpus_perplexity(impl, rng, case):
    if case < len(CORPUS_FIXED):
        batches = [batch(rng, string_mask(rows), V, scale=3.0) for rows, V in CORPUS_FIXED[case]]
    else:
        V = int(rng.integers(2, 8))
        batches = [batch(rng, random_mask(rng, int(rng.integers(1, 5)), int(rng.integers(1, 7))), V)
                   for _ in range(int(rng.integers(2, 5)))]
    got = impl.corpus_perplexity([tuple(b) for b in batches])
    check(isinstance(got, float), f"corpus_perplexity should return a Python float, got {type(got).__name__}")
    check(math.isfinite(got), "corpus_perplexity returned NaN or inf")
    logits = torch.cat([lg.reshape(-1, lg.shape[-1]) for lg, _, _ in batches])
    targets = torch.cat([t.reshape(-1) for _, t, _ in batches])
    mask = torch.cat([m.reshape(-1) for _, _, m in batches])
    want = float(reference(logits[None], targets[None], mask[None]))
    check(abs(got - want) <= 1e-12 * want, "corpus_perplexity differs from the perplexity of all real tokens "
          "together: sum the NLL and the token counts over the batches, then take one exp")


# --- task 5 -------------------------------------------------------------------------------------

@pytest.mark.task(5)
@pytest.mark.parametrize("case", range(2))
def test_hygiene(impl, rng, case):
    logits, targets, mask = case_of(rng, 1 + case)
    call(impl, logits, targets, mask, checked=True)                   # the in-place check is on
    impl.checked.corpus_perplexity([(logits, targets, mask), case_of(rng, 2)])
    got = call(impl, logits.float(), targets, mask, dtype=torch.float32)
    want = call(impl, logits.float().double(), targets, mask)
    assert_close(got, want, "the perplexity of float32 logits", rtol=1e-4, atol=0.0, against="the same in float64")
