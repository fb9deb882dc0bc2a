"""Hidden grader for q057_reinforce_generation (never shipped to students).

Masks are prefix masks (lengths >= 1, unsorted, 1 and T included); pads of rewards, log_probs,
returns and baseline hold large finite garbage (100 * N(0, 1)), so anything read from a pad
shows. Oracles are written here: a Python double loop for the returns, the formula for the loss.
Value tasks call with the in-place check off; task 5 calls with it on.

Task 1: discounted_returns equals the loop oracle (rtol 1e-12, atol 1e-12) for gamma in
        {0, 1, 0.9, 0.5, random}, T = 1, rows of length 1 and T; exactly 0 at pads.
Task 2: reinforce_loss equals -(1/B) sum_real (G - b) log_probs (1e-12), with a baseline and
        with baseline=None (and the default).
Task 3: rnnkit.probes.output_grads: d loss / d log_probs equals the analytic -m (G - b) / B
        (1e-12; errata 35: the 1/B factor), exactly 0 at masked steps.
Task 4: the same probe: no gradient reaches returns or baseline (None or exactly 0): they are
        detached.
Task 5: hygiene: with the in-place check on, no argument changes; float32 inputs give float32
        results, close (1e-5) to the same function's float64 results.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

from rnnkit.fair import ValuesOnly
from rnnkit.testing import assert_close, check, expect_dict, expect_tensor, trandn

GARBAGE = 100.0
# (B, T, lengths, gamma)
FIXED = [(1, 1, [1], 0.9), (3, 5, [5, 1, 3], 0.9), (2, 4, [4, 2], 0.0), (4, 6, [1, 6, 2, 4], 1.0),
         (3, 3, [3, 3, 3], 0.5), (2, 7, [7, 1], 0.99)]
N_CASES = len(FIXED) + 2


@pytest.fixture
def impl(impl):
    return ValuesOnly(impl)


def case_of(rng: np.random.Generator, case: int) -> tuple[int, int, torch.Tensor, float]:
    if case < len(FIXED):
        B, T, lengths, gamma = FIXED[case]
        mask = torch.arange(T)[None, :] < torch.tensor(lengths)[:, None]
        return B, T, mask, gamma
    B, T = int(rng.integers(2, 6)), int(rng.integers(2, 9))
    values = rng.integers(1, T + 1, size=B)
    values[0], values[-1] = 1, T
    lengths = torch.as_tensor(rng.permutation(values))
    return B, T, torch.arange(T)[None, :] < lengths[:, None], float(rng.uniform(0.3, 1.0))


def with_garbage(rng: np.random.Generator, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    out = x.clone()
    out[~mask] = trandn(rng, int((~mask).sum()), scale=GARBAGE)
    return out


def returns_oracle(rewards: torch.Tensor, mask: torch.Tensor, gamma: float) -> torch.Tensor:
    B, T = rewards.shape
    G = torch.zeros(B, T, dtype=torch.float64)
    for b in range(B):
        n = int(mask[b].sum())
        for t in range(n):
            G[b, t] = sum(gamma ** (k - t) * float(rewards[b, k]) for k in range(t, n))
    return G


def loss_inputs(rng: np.random.Generator, case: int) -> tuple[torch.Tensor, ...]:
    B, T, mask, _ = case_of(rng, case)
    log_probs = with_garbage(rng, -torch.from_numpy(rng.exponential(1.0, size=(B, T))), mask)
    returns = with_garbage(rng, trandn(rng, B, T, scale=2.0), mask)
    baseline = with_garbage(rng, trandn(rng, B, T), mask)
    return log_probs, returns, mask, baseline


def loss_oracle(log_probs: torch.Tensor, returns: torch.Tensor, mask: torch.Tensor,
                baseline: torch.Tensor | None) -> torch.Tensor:
    adv = returns if baseline is None else returns - baseline
    total = sum(float(adv[b, t]) * float(log_probs[b, t]) for b, t in mask.nonzero().tolist())
    return torch.tensor(-total / log_probs.shape[0], dtype=torch.float64)


# --- task 1 -------------------------------------------------------------------------------------

@pytest.mark.task(1)
@pytest.mark.parametrize("case", range(N_CASES))
def test_discounted_returns(impl, rng, case):
    B, T, mask, gamma = case_of(rng, case)
    rewards = with_garbage(rng, trandn(rng, B, T), mask)
    got = expect_tensor(impl.discounted_returns(rewards, mask, gamma), (B, T), "discounted_returns(rewards, mask, gamma)",
                        dtype=torch.float64)
    check(bool((got[~mask] == 0).all()), "the returns must be exactly 0 at padded steps")
    assert_close(got, returns_oracle(rewards, mask, gamma), "the returns", rtol=1e-12, atol=1e-12,
                 against="G_t = sum_k gamma^(k - t) r_k inside each length")


# --- task 2 -------------------------------------------------------------------------------------

@pytest.mark.task(2)
@pytest.mark.parametrize("case", range(N_CASES))
def test_loss_value(impl, rng, case):
    log_probs, returns, mask, baseline = loss_inputs(rng, case)
    got = expect_tensor(impl.reinforce_loss(log_probs, returns, mask, baseline), (), "reinforce_loss(...)",
                        dtype=torch.float64)
    assert_close(got, loss_oracle(log_probs, returns, mask, baseline), "the loss with a baseline", rtol=1e-12,
                 atol=1e-12, against="-(1/B) sum over real steps of (G - b) log pi")
    plain = loss_oracle(log_probs, returns, mask, None)
    got = expect_tensor(impl.reinforce_loss(log_probs, returns, mask, None), (), "reinforce_loss(..., None)",
                        dtype=torch.float64)
    assert_close(got, plain, "the loss with baseline=None", rtol=1e-12, atol=1e-12, against="-(1/B) sum G log pi")
    got = expect_tensor(impl.reinforce_loss(log_probs, returns, mask), (), "reinforce_loss(log_probs, returns, mask)",
                        dtype=torch.float64)
    assert_close(got, plain, "the loss without a baseline argument", rtol=1e-12, atol=1e-12, against="-(1/B) sum G log pi")


# --- tasks 3 and 4 ------------------------------------------------------------------------------

def probe_grads(impl: Any, rng: np.random.Generator, case: int) -> tuple[list[Any], torch.Tensor, ...]:
    log_probs, returns, mask, baseline = loss_inputs(rng, case)
    upstream = torch.tensor(1.0, dtype=torch.float64)
    got = expect_dict(impl.probe("output_grads", impl.function("reinforce_loss"),
                                 [log_probs, returns, mask, baseline], [upstream]),
                      ["outputs", "inputs", "params"], "the gradient probe")
    grads = got["inputs"]
    check(isinstance(grads, list) and len(grads) == 3, "the gradient probe could not read the gradients")
    return grads, log_probs, returns, mask, baseline


@pytest.mark.task(3)
@pytest.mark.parametrize("case", range(1, N_CASES))
def test_gradient_is_the_analytic_formula(impl, rng, case):
    grads, log_probs, returns, mask, baseline = probe_grads(impl, rng, case)
    B, T = log_probs.shape
    check(grads[0] is not None, "no gradient reaches log_probs")
    g = expect_tensor(grads[0], (B, T), "d loss / d log_probs")
    check(bool((g[~mask] == 0).all()), "masked steps must get a gradient of exactly 0")
    want = torch.where(mask, -(returns - baseline) / B, torch.zeros_like(returns))
    assert_close(g, want, "d loss / d log_probs", rtol=1e-12, atol=1e-12, against="-(G - b) / B at real steps")


@pytest.mark.task(4)
@pytest.mark.parametrize("case", range(1, 4))
def test_returns_and_baseline_get_no_gradient(impl, rng, case):
    grads, *_ = probe_grads(impl, rng, case)
    for k, name in ((1, "returns"), (2, "baseline")):
        g = grads[k]
        check(g is None or (isinstance(g, torch.Tensor) and bool((g == 0).all())),
              f"a gradient reaches {name}: detach it (the advantage is a constant in REINFORCE)")


# --- task 5 -------------------------------------------------------------------------------------

@pytest.mark.task(5)
@pytest.mark.parametrize("case", range(2))
def test_hygiene(impl, rng, case):
    B, T, mask, gamma = case_of(rng, 1 + case)
    rewards = with_garbage(rng, trandn(rng, B, T), mask)
    impl.checked.discounted_returns(rewards, mask, gamma)          # the in-place check is on
    log_probs, returns, mask, baseline = loss_inputs(rng, 1 + case)
    impl.checked.reinforce_loss(log_probs, returns, mask, baseline)
    g32 = expect_tensor(impl.discounted_returns(rewards.float(), mask, gamma), (B, T),
                        "discounted_returns of float32 rewards", dtype=torch.float32)
    g64 = impl.discounted_returns(rewards.float().double(), mask, gamma)
    assert_close(g32, g64, "float32 returns", rtol=1e-5, atol=1e-4, against="the same returns in float64")
    l32 = expect_tensor(impl.reinforce_loss(log_probs.float(), returns.float(), mask, baseline.float()), (),
                        "reinforce_loss of float32 inputs", dtype=torch.float32)
    l64 = impl.reinforce_loss(log_probs.float().double(), returns.float().double(), mask, baseline.float().double())
    assert_close(l32, l64, "the float32 loss", rtol=1e-5, atol=1e-3, against="the same loss in float64")
