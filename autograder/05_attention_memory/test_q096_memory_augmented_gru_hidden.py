"""Hidden grader for q096_memory_augmented_gru (never shipped to students).

The reference is the kit's MemoryGRU (ref), built in the grader in float64 and loaded with the
same random state_dict as the submission's handle (catalogue: "a reference step with copied
weights"); least_used_weights has a loop oracle (a sort on (usage, index)). Weights are N(0, 0.7)
draws; states are random (h ~ N(0, 0.5), M ~ N(0, 1), w_read a softmax, usage uniform in
[0, 3], so continuous usages have no ties) plus fixed fresh-start states (h = 0, M = 0, usage = 0:
every slot ties). Sizes B <= 4, D, H <= 5, N <= 6, W <= 4. Tasks 1-6 call with the in-place check
off (rnnkit.fair.ValuesOnly): in-place changes to the state cost task 7 only.

Task 1: least_used_weights equals the oracle exactly for n_reads = 1, 2, N (integer usages with
        many ties, all-equal rows, random rows); every row holds exactly n_reads ones; the dtype is
        usage's; n_reads = 0 and N + 1 raise ValueError (a positive control sits in the same test).
Task 2: a fresh MemoryGRU's state_dict has exactly the specified keys and shapes (float64) and
        loads into the reference with strict=True; step returns out (B, H + W) and a state of the
        four shapes.
Task 3: step equals the reference step: out, h', M' and w_read' (1e-10); rows of w_read' sum to 1.
        Fixed cases: B = D = H = N = W = 1; a fresh start (all usages tie: slot 0 is cleared);
        gamma = 0; then random draws.
Task 4: alpha's weight 0 and bias -1000 (sigmoid exactly 0): M' equals M bitwise outside each
        row's least used slot, and that slot equals key(h') (1e-12, computed here from the
        returned h'); bias +1000: M' equals the reference (the write follows w_read).
Task 5: usage' equals the reference (1e-12) for gamma in {0, 0.5, 0.95, 1}; usage' - gamma *
        usage - w_read' sums to 1 per row (it is the write weighting).
Task 6: 50 steps, each fed the previous step's state: M stays (B, N, W), every state keeps its
        shape, w_read' rows sum to 1 (1e-12), usage stays >= 0, everything finite.
Task 7: step and least_used_weights, called with the in-place check on, change no argument.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

from rnnkit.fair import ValuesOnly
from rnnkit.testing import assert_close, check, expect_dict, expect_tensor, expect_tuple, trandn

F64 = torch.float64


@pytest.fixture
def impl(impl):
    return ValuesOnly(impl)


def shapes(D: int, H: int, N: int, W: int) -> dict[str, tuple[int, ...]]:
    return {"controller.weight_ih": (3 * H, D + W), "controller.weight_hh": (3 * H, H),
            "controller.bias_ih": (3 * H,), "controller.bias_hh": (3 * H,),
            "key.weight": (W, H), "key.bias": (W,), "alpha.weight": (1, H), "alpha.bias": (1,)}


def random_sd(rng: np.random.Generator, D: int, H: int, N: int, W: int) -> dict[str, torch.Tensor]:
    return {k: trandn(rng, *s, scale=0.7) for k, s in shapes(D, H, N, W).items()}


def random_state(rng: np.random.Generator, B: int, H: int, N: int, W: int) -> tuple[torch.Tensor, ...]:
    return (trandn(rng, B, H, scale=0.5), trandn(rng, B, N, W), torch.softmax(trandn(rng, B, N), dim=-1),
            torch.from_numpy(rng.uniform(0.0, 3.0, size=(B, N))))


def fresh_state(B: int, H: int, N: int, W: int) -> tuple[torch.Tensor, ...]:
    return (torch.zeros(B, H, dtype=F64), torch.zeros(B, N, W, dtype=F64), torch.full((B, N), 1.0 / N, dtype=F64),
            torch.zeros(B, N, dtype=F64))


def sizes(rng: np.random.Generator) -> tuple[int, int, int, int, int]:
    B, D, H = int(rng.integers(1, 5)), int(rng.integers(1, 6)), int(rng.integers(1, 6))
    return B, D, H, int(rng.integers(2, 7)), int(rng.integers(1, 5))


def reference_model(ref: Any, sd: dict[str, torch.Tensor], D: int, H: int, N: int, W: int, gamma: float) -> Any:
    model = ref.MemoryGRU(D, H, N, W, gamma=gamma).double()
    model.load_state_dict(sd, strict=True)
    return model


def reference_step(ref: Any, sd: dict[str, torch.Tensor], dims: tuple[int, ...], gamma: float, x: torch.Tensor,
                   state: tuple[torch.Tensor, ...]) -> tuple[torch.Tensor, ...]:
    with torch.no_grad():
        out, new = reference_model(ref, sd, *dims, gamma).step(x.clone(), tuple(s.clone() for s in state))
    return (out, *new)


def submission(impl: Any, sd: dict[str, torch.Tensor], D: int, H: int, N: int, W: int, gamma: float) -> Any:
    model = impl.MemoryGRU(D, H, N, W, gamma=gamma)
    model.load_state_dict(sd)
    return model


def run_step(model: Any, x: torch.Tensor, state: tuple[torch.Tensor, ...], H: int, N: int, W: int,
             checked: bool = False) -> tuple[torch.Tensor, ...]:
    B = x.shape[0]
    result = model.step(x, state) if checked else model.step.with_options(check_mutation=False)(x, state)
    out, new = expect_tuple(result, 2, "MemoryGRU.step")
    h, M, w, u = expect_tuple(new, 4, "the state (h, M, w_read, usage) returned by step")
    return (expect_tensor(out, (B, H + W), "out", dtype=F64), expect_tensor(h, (B, H), "h'", dtype=F64),
            expect_tensor(M, (B, N, W), "M'", dtype=F64), expect_tensor(w, (B, N), "w_read'", dtype=F64),
            expect_tensor(u, (B, N), "usage'", dtype=F64))


# --- task 1 --------------------------------------------------------------------------------------

def lu_oracle(usage: torch.Tensor, n: int) -> torch.Tensor:
    out = torch.zeros_like(usage)
    for b in range(usage.shape[0]):
        order = sorted(range(usage.shape[1]), key=lambda i: (float(usage[b, i]), i))
        for i in order[:n]:
            out[b, i] = 1.0
    return out


LU_FIXED = [[[0.0, 0.0, 0.0, 0.0]], [[2.0, 1.0, 1.0, 0.0, 1.0]], [[3.0, 3.0, 1.0], [1.0, 3.0, 3.0]],
            [[5.0]], [[0.5, 0.25, 0.25, 0.25, 0.5, 0.25]]]


@pytest.mark.task(1)
@pytest.mark.parametrize("case", range(len(LU_FIXED) + 3))
def test_least_used_weights_exact(impl, rng, case):
    if case < len(LU_FIXED):
        usage = torch.tensor(LU_FIXED[case], dtype=F64)
    elif case == len(LU_FIXED):
        usage = torch.from_numpy(rng.integers(0, 3, size=(4, 6)).astype(np.float64))   # many ties
    else:
        usage = torch.from_numpy(rng.uniform(0.0, 3.0, size=(int(rng.integers(1, 5)), int(rng.integers(2, 8)))))
    B, N = usage.shape
    for n in sorted({1, min(2, N), N}):
        got = expect_tensor(impl.least_used_weights(usage, n), (B, N), f"least_used_weights(usage, {n})", dtype=F64)
        check(bool((got.sum(dim=1) == n).all()), f"least_used_weights(usage, {n}) should put exactly {n} ones in each row")
        check(torch.equal(got, lu_oracle(usage, n)), f"least_used_weights(usage, {n}) should mark the {n} least used "
              "slots of each row, ties going to the lowest index")
    got = expect_tensor(impl.least_used_weights(usage), (B, N), "least_used_weights(usage)", dtype=F64)
    check(torch.equal(got, lu_oracle(usage, 1)), "the default n_reads is 1")


@pytest.mark.task(1)
def test_bad_n_reads_raise(impl, rng):
    usage = torch.from_numpy(rng.uniform(0.0, 3.0, size=(2, 4)))
    got = expect_tensor(impl.least_used_weights(usage, 4), (2, 4), "least_used_weights(usage, N)", dtype=F64)
    check(torch.equal(got, torch.ones(2, 4, dtype=F64)), "with n_reads = N every slot is marked")   # positive control
    for bad in (0, 5, -1):
        with pytest.raises(ValueError):
            impl.least_used_weights(usage, bad)


# --- task 2 --------------------------------------------------------------------------------------

@pytest.mark.task(2)
@pytest.mark.parametrize("case", range(3))
def test_parameters_and_shapes(impl, ref, rng, case):
    B, D, H, N, W = sizes(rng) if case else (1, 1, 1, 1, 1)
    model = impl.MemoryGRU(D, H, N, W)
    want = shapes(D, H, N, W)
    sd = expect_dict(model.state_dict(), list(want), "MemoryGRU.state_dict()")
    for name, shape in want.items():
        expect_tensor(sd[name], shape, name, dtype=F64)
    reference_model(ref, dict(sd), D, H, N, W, 0.95)
    run_step(model, trandn(rng, B, D), random_state(rng, B, H, N, W), H, N, W)


# --- task 3 --------------------------------------------------------------------------------------

STEP_FIXED = [((1, 1, 1, 1, 1), 0.95, "random"), ((2, 3, 4, 5, 2), 0.95, "fresh"), ((3, 2, 3, 4, 3), 0.0, "random"),
              ((1, 4, 2, 6, 4), 0.9, "fresh")]


@pytest.mark.task(3)
@pytest.mark.parametrize("case", range(len(STEP_FIXED) + 3))
def test_step_matches_reference(impl, ref, rng, case):
    if case < len(STEP_FIXED):
        (B, D, H, N, W), gamma, kind = STEP_FIXED[case]
    else:
        (B, D, H, N, W), gamma, kind = sizes(rng), float(rng.uniform(0.5, 1.0)), "random"
    sd = random_sd(rng, D, H, N, W)
    state = fresh_state(B, H, N, W) if kind == "fresh" else random_state(rng, B, H, N, W)
    x = trandn(rng, B, D)
    got = run_step(submission(impl, sd, D, H, N, W, gamma), x, state, H, N, W)
    want = reference_step(ref, sd, (D, H, N, W), gamma, x, state)
    for name, g, w in zip(("out", "h'", "M'", "w_read'"), got[:4], want[:4], strict=True):
        assert_close(g, w, name, against="a reference step with the same weights")
    assert_close(got[3].sum(dim=1), torch.ones(B, dtype=F64), "the row sums of w_read'", rtol=0, atol=1e-12, against="1")


# --- task 4 --------------------------------------------------------------------------------------

@pytest.mark.task(4)
@pytest.mark.parametrize("case", range(3))
def test_write_gate_limits(impl, ref, rng, case):
    B, D, H, N, W = (3, 2, 3, 4, 2) if case == 0 else sizes(rng)
    sd = random_sd(rng, D, H, N, W)
    sd["alpha.weight"] = torch.zeros(1, H, dtype=F64)
    sd["alpha.bias"] = torch.tensor([-1000.0], dtype=F64)
    state = random_state(rng, B, H, N, W)
    x = trandn(rng, B, D)
    _, h, M, _, _ = run_step(submission(impl, sd, D, H, N, W, 0.95), x, state, H, N, W)
    lu = [int(i) for i in state[3].argmin(dim=1)]
    k = h @ sd["key.weight"].T + sd["key.bias"]
    for b, i in enumerate(lu):
        others = [j for j in range(N) if j != i]
        check(torch.equal(M[b, others], state[1][b, others]),
              "with sigmoid(alpha) = 0 the write must change only the least used slot")
        assert_close(M[b, i], k[b], "the least used slot after a write with sigmoid(alpha) = 0", rtol=1e-12,
                     atol=1e-14, against="the key key(h') (the slot is cleared, then the key written)")
    sd["alpha.bias"] = torch.tensor([1000.0], dtype=F64)
    got = run_step(submission(impl, sd, D, H, N, W, 0.95), x, state, H, N, W)
    want = reference_step(ref, sd, (D, H, N, W), 0.95, x, state)
    assert_close(got[2], want[2], "M' with sigmoid(alpha) = 1", against="a write that follows the previous read weighting")


# --- task 5 --------------------------------------------------------------------------------------

@pytest.mark.task(5)
@pytest.mark.parametrize("gamma", [0.0, 0.5, 0.95, 1.0])
def test_usage_update(impl, ref, rng, gamma):
    B, D, H, N, W = sizes(rng)
    sd = random_sd(rng, D, H, N, W)
    state = random_state(rng, B, H, N, W)
    x = trandn(rng, B, D)
    got = run_step(submission(impl, sd, D, H, N, W, gamma), x, state, H, N, W)
    want = reference_step(ref, sd, (D, H, N, W), gamma, x, state)
    assert_close(got[4], want[4], "usage'", rtol=1e-12, atol=1e-14, against="gamma * usage + w_read' + w_write")
    w_write = got[4] - gamma * state[3] - got[3]
    assert_close(w_write.sum(dim=1), torch.ones(B, dtype=F64), "the row sums of usage' - gamma * usage - w_read'",
                 rtol=0, atol=1e-12, against="1 (the write weighting)")


# --- task 6 --------------------------------------------------------------------------------------

@pytest.mark.task(6)
def test_fifty_steps(impl, rng):
    B, D, H, N, W = sizes(rng)
    sd = random_sd(rng, D, H, N, W)
    model = submission(impl, sd, D, H, N, W, 0.9)
    state = fresh_state(B, H, N, W)
    xs = trandn(rng, 50, B, D)
    for t in range(50):
        _, h, M, w, u = run_step(model, xs[t], state, H, N, W)
        assert_close(w.sum(dim=1), torch.ones(B, dtype=F64), f"the row sums of w_read' at step {t}", rtol=0,
                     atol=1e-12, against="1")
        check(bool((u >= 0).all()), f"usage' has a negative entry at step {t}")
        state = (h, M, w, u)


# --- task 7 --------------------------------------------------------------------------------------

@pytest.mark.task(7)
@pytest.mark.parametrize("case", range(2))
def test_state_unchanged(impl, rng, case):
    B, D, H, N, W = sizes(rng)
    sd = random_sd(rng, D, H, N, W)
    model = impl.checked.MemoryGRU(D, H, N, W)
    model.load_state_dict(sd)
    state = fresh_state(B, H, N, W) if case == 0 else random_state(rng, B, H, N, W)
    run_step(model, trandn(rng, B, D), state, H, N, W, checked=True)
    impl.checked.least_used_weights(state[3], 1)
