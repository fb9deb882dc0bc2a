"""Hidden grader for q053_coverage (never shipped to students).

References are written here: a masked softmax of scores + w_c * coverage, and a step-by-step
loop for the loss with python min/sum. Value tasks call with check_mutation=False: in-place
changes to the arguments cost task 4 only. Errata 14: "exactly 1" and "<= 1" hold up to rounding
(atol 1e-12).

Task 1: coverage_attention_step: a, new_coverage and step_loss equal the reference (rtol 1e-12,
        atol 1e-12): the hand 3-step example (a decoder that attends to a 3-word source three
        times, w_c = -1.5), then random scores, coverages (sums of earlier softmax rows), w_c
        and masks (holes; a row with no real position: a = 0, no NaN). a is exactly 0 at pads.
Task 2: step-loss properties over a chained run of steps: step 1's loss is exactly 0; every
        step's loss is <= 1 + 1e-12; the same attention twice (w_c = 0, same scores) gives a
        second-step loss of 1 (atol 1e-12).
Task 3: coverage_loss equals the loop reference (rtol 1e-12, atol 1e-14): hand examples, random
        right-padded target masks with garbage attention at padded steps (two draws give the same
        loss), T = 1 (loss 0), no real step at all (0).
Task 4: with the mutation check on, no argument is changed in place; float32 inputs give float32
        results within float32 rounding of the same functions in float64.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

from rnnkit.fair import ValuesOnly
from rnnkit.testing import assert_close, check, expect_tensor, expect_tuple, trandn

TIGHT = {"rtol": 1e-12, "atol": 1e-12}


@pytest.fixture
def impl(impl):
    return ValuesOnly(impl)


def f64(x: Any) -> torch.Tensor:
    return torch.tensor(x, dtype=torch.float64)


def step_reference(scores: torch.Tensor, coverage: torch.Tensor, w_c: torch.Tensor,
                   mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    B, S = scores.shape
    a = torch.zeros(B, S, dtype=torch.float64)
    loss = torch.zeros(B, dtype=torch.float64)
    for b in range(B):
        real = [i for i in range(S) if bool(mask[b, i])]
        if real:
            e = torch.stack([scores[b, i] + w_c * coverage[b, i] for i in real])
            for i, w in zip(real, torch.softmax(e, dim=0), strict=True):
                a[b, i] = w
        loss[b] = sum(min(float(a[b, i]), float(coverage[b, i])) for i in range(S))
    return a, coverage + a, loss


def loss_reference(attn_seq: torch.Tensor, tgt_mask: torch.Tensor) -> torch.Tensor:
    B, T, S = attn_seq.shape
    total, count = 0.0, 0
    for b in range(B):
        coverage = [0.0] * S
        for t in range(T):
            if not bool(tgt_mask[b, t]):
                continue
            total += sum(min(float(attn_seq[b, t, i]), coverage[i]) for i in range(S))
            coverage = [c + float(attn_seq[b, t, i]) for i, c in enumerate(coverage)]
            count += 1
    return f64(total / count if count else 0.0)


def call_step(impl: Any, scores: torch.Tensor, coverage: torch.Tensor, w_c: torch.Tensor, mask: torch.Tensor,
              dtype: torch.dtype = torch.float64, fn: Any = None) -> tuple[torch.Tensor, ...]:
    fn = fn or impl.coverage_attention_step
    B, S = scores.shape
    got = expect_tuple(fn(scores, coverage, w_c, mask), 3, "coverage_attention_step")
    return (expect_tensor(got[0], (B, S), "a", dtype=dtype), expect_tensor(got[1], (B, S), "new_coverage", dtype=dtype),
            expect_tensor(got[2], (B,), "step_loss", dtype=dtype))


def call_loss(impl: Any, attn_seq: torch.Tensor, tgt_mask: torch.Tensor, dtype: torch.dtype = torch.float64,
              fn: Any = None) -> torch.Tensor:
    fn = fn or impl.coverage_loss
    return expect_tensor(fn(attn_seq, tgt_mask), (), "coverage_loss(...)", dtype=dtype)


def string_mask(rows: list[str]) -> torch.Tensor:
    return torch.tensor([[ch == "1" for ch in row] for row in rows])


def compare_step(got: tuple[torch.Tensor, ...], want: tuple[torch.Tensor, ...], mask: torch.Tensor) -> None:
    check(bool((got[0][~mask] == 0).all()), "a must be exactly 0 at every padded position")
    for g, w, name in zip(got, want, ("a", "new_coverage", "step_loss"), strict=True):
        assert_close(g, w, name, against="the coverage attention reference", **TIGHT)


def random_attention(rng: np.random.Generator, B: int, T: int, S: int, mask: torch.Tensor | None = None) -> torch.Tensor:
    logits = trandn(rng, B, T, S, scale=1.5)
    if mask is not None:
        logits = logits.masked_fill(~mask[:, None, :], float("-inf"))
    return torch.softmax(logits, dim=-1)


# --- task 1 -----------------------------------------------------------------------------------------

HAND_SCORES = f64([[[1.0, 0.0, -1.0]], [[0.5, 1.0, 0.0]], [[0.0, 0.0, 2.0]]])   # (step, B = 1, S = 3)


@pytest.mark.task(1)
def test_hand_three_steps(impl):
    mask = torch.ones(1, 3, dtype=torch.bool)
    w_c = f64(-1.5)
    coverage = torch.zeros(1, 3, dtype=torch.float64)
    for t in range(3):
        got = call_step(impl, HAND_SCORES[t], coverage, w_c, mask)
        want = step_reference(HAND_SCORES[t], coverage, w_c, mask)
        compare_step(got, want, mask)
        coverage = want[1]


STEP_FIXED = [["1"], ["101", "111"], ["0000", "0110"], ["11011"]]


@pytest.mark.task(1)
@pytest.mark.parametrize("case", range(len(STEP_FIXED) + 3))
def test_step_matches_reference(impl, rng, case):
    if case < len(STEP_FIXED):
        mask = string_mask(STEP_FIXED[case])
    else:
        mask = torch.from_numpy(rng.random((int(rng.integers(1, 5)), int(rng.integers(1, 7)))) < 0.7)
    B, S = mask.shape
    steps = int(rng.integers(1, 4))
    coverage = random_attention(rng, B, steps, S, mask).sum(dim=1) if S else torch.zeros(B, S)
    coverage = torch.where(mask, coverage, torch.zeros_like(coverage))
    w_c = f64(float(rng.normal(0.0, 1.5)))
    scores = trandn(rng, B, S)
    compare_step(call_step(impl, scores, coverage, w_c, mask), step_reference(scores, coverage, w_c, mask), mask)


# --- task 2 -----------------------------------------------------------------------------------------

@pytest.mark.task(2)
@pytest.mark.parametrize("case", range(4))
def test_step_loss_properties(impl, rng, case):
    B, S = int(rng.integers(1, 4)), int(rng.integers(1, 6))
    mask = torch.ones(B, S, dtype=torch.bool)
    w_c = f64(float(rng.normal(0.0, 1.0)))
    coverage = torch.zeros(B, S, dtype=torch.float64)
    for t in range(4):
        _, coverage, loss = call_step(impl, trandn(rng, B, S, scale=2.0), coverage, w_c, mask)
        if t == 0:
            check(bool((loss == 0).all()), "the first step's coverage loss must be exactly 0 (coverage starts at 0)")
        check(bool((loss <= 1 + 1e-12).all()), "a step's coverage loss can never exceed 1 (it is at most sum_i a_i)")
    scores = trandn(rng, B, S, scale=2.0)
    zero = torch.zeros(B, S, dtype=torch.float64)
    _, cov1, _ = call_step(impl, scores, zero, f64(0.0), mask)
    _, _, loss2 = call_step(impl, scores, cov1, f64(0.0), mask)
    assert_close(loss2, torch.ones(B, dtype=torch.float64), "the loss of attending twice in the same way", rtol=0,
                 atol=1e-12, against="1")


# --- task 3 -----------------------------------------------------------------------------------------

LOSS_HAND = [
    (f64([[[0.5, 0.5], [0.75, 0.25], [0.25, 0.75]]]), ["111"]),
    (f64([[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.5, 0.25, 0.25]], [[0.25, 0.25, 0.5], [0.25, 0.25, 0.5], [0.0, 0.0, 1.0]]]),
     ["111", "110"]),
    (f64([[[0.5, 0.5]], [[0.25, 0.75]]]), ["1", "1"]),
    (f64([[[0.5, 0.5], [0.5, 0.5]]]), ["00"]),
]


@pytest.mark.task(3)
@pytest.mark.parametrize("case", range(len(LOSS_HAND)))
def test_coverage_loss_hand(impl, case):
    attn_seq, rows = LOSS_HAND[case]
    mask = string_mask(rows)
    assert_close(call_loss(impl, attn_seq, mask), loss_reference(attn_seq, mask), "coverage_loss", rtol=1e-12,
                 atol=1e-14, against="the step-by-step coverage loss")


@pytest.mark.task(3)
@pytest.mark.parametrize("case", range(4))
def test_coverage_loss_random(impl, rng, case):
    B, T, S = int(rng.integers(1, 5)), int(rng.integers(2, 7)), int(rng.integers(1, 6))
    lengths = torch.from_numpy(rng.integers(1, T + 1, size=B))
    lengths[0] = T - 1                                        # at least one padded step
    tgt_mask = torch.arange(T)[None, :] < lengths[:, None]
    attn_seq = random_attention(rng, B, T, S)
    want = loss_reference(attn_seq, tgt_mask)
    got = call_loss(impl, attn_seq, tgt_mask)
    assert_close(got, want, "coverage_loss", rtol=1e-12, atol=1e-14, against="the step-by-step coverage loss")
    garbage = attn_seq.clone()
    garbage[~tgt_mask] = trandn(rng, int((~tgt_mask).sum()), S, scale=10.0)
    assert_close(call_loss(impl, garbage, tgt_mask), got, "coverage_loss with garbage at padded target steps",
                 rtol=1e-12, atol=1e-14, against="the loss before (padded steps add nothing)")


# --- task 4 -----------------------------------------------------------------------------------------

@pytest.mark.task(4)
@pytest.mark.parametrize("case", range(2))
def test_arguments_unchanged(impl, rng, case):
    mask = string_mask(["1101", "0111"])
    coverage = random_attention(rng, 2, 2, 4, mask).sum(dim=1)
    call_step(impl, trandn(rng, 2, 4), coverage, f64(0.7), mask, fn=impl.checked.coverage_attention_step)
    call_loss(impl, random_attention(rng, 2, 3, 4), string_mask(["111", "110"]), fn=impl.checked.coverage_loss)


@pytest.mark.task(4)
def test_float32_in_float32_out(impl, rng):
    mask = string_mask(["1101", "0111"])
    scores, coverage = trandn(rng, 2, 4), random_attention(rng, 2, 2, 4, mask).sum(dim=1)
    w_c = torch.tensor(0.7, dtype=torch.float32)
    got = call_step(impl, scores.float(), coverage.float(), w_c, mask, dtype=torch.float32)
    want = call_step(impl, scores.float().double(), coverage.float().double(), w_c.double(), mask)
    for g, w, name in zip(got, want, ("a", "new_coverage", "step_loss"), strict=True):
        assert_close(g, w, f"{name} (float32)", rtol=1e-5, atol=1e-6, against="the same step in float64")
    attn_seq, tgt_mask = random_attention(rng, 2, 3, 4), string_mask(["111", "110"])
    got_loss = call_loss(impl, attn_seq.float(), tgt_mask, dtype=torch.float32)
    assert_close(got_loss, call_loss(impl, attn_seq.float().double(), tgt_mask), "coverage_loss (float32)", rtol=1e-5,
                 atol=1e-6, against="the same loss in float64")
