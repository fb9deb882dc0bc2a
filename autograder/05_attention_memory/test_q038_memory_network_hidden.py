"""Hidden grader for q038_memory_network (never shipped to students).

The reference is a slot-by-slot loop oracle written here (G8): per row and hop, a max-shifted
math.exp softmax over the real slots, then o = sum p_i c_i and u = u + o. Empty slots hold finite
garbage (100 * N(0, 1)). Value tasks call with check_mutation=False: in-place changes to the
arguments cost task 5 only. Tasks 1 and 4 use masks where every row has a real slot; empty
memories are task 2's.

Task 1: u_final and every hop's attention equal the loop oracle (rtol 1e-12, atol 1e-12), hops
        in 1..4. Fixed cases: N = 1, d = 1; holes in the mask; hops = 4; then random sizes.
Task 2: attention is exactly 0 at empty slots and each row sums to 1 (atol 1e-12); other garbage
        in the empty slots (two draws, and slots of +-1e3) changes nothing (rtol 1e-12, atol
        1e-14); a row with no real slot gets attention 0 and keeps u (exactly), with no NaN.
Task 3: hops = 0 returns u's values and an empty list; hops < 0 raises ValueError (with a
        positive control: a one-hop call returns u_final (B, d) and one attention (B, N)).
Task 4: permuting the slots (mem_in, mem_out and mem_mask together) permutes each hop's attention
        the same way and leaves u_final unchanged (G6: rtol 1e-12, atol 1e-14).
Task 5: with the mutation check on, no argument is changed in place; float32 inputs give float32
        results within float32 rounding of the same function's float64 results.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
import torch

from rnnkit.fair import ValuesOnly
from rnnkit.testing import assert_close, check, expect_tensor, expect_tuple, trandn

PAD_SCALE = 100.0
TIGHT = {"rtol": 1e-12, "atol": 1e-12}
ORACLE = "a slot-by-slot loop oracle"


@pytest.fixture
def impl(impl):
    return ValuesOnly(impl)


def oracle(u: torch.Tensor, mem_in: torch.Tensor, mem_out: torch.Tensor, mask: torch.Tensor,
           hops: int) -> tuple[torch.Tensor, list[torch.Tensor]]:
    B, N, d = mem_in.shape
    u = u.clone()
    attention = []
    for _ in range(hops):
        p = torch.zeros(B, N, dtype=torch.float64)
        for b in range(B):
            real = [i for i in range(N) if bool(mask[b, i])]
            if not real:
                continue
            scores = [float(u[b] @ mem_in[b, i]) for i in real]
            top = max(scores)
            e = [math.exp(s - top) for s in scores]
            for i, ei in zip(real, e, strict=True):
                p[b, i] = ei / sum(e)
        o = torch.zeros(B, d, dtype=torch.float64)
        for b in range(B):
            for i in range(N):
                o[b] += p[b, i] * mem_out[b, i]
        u = u + o
        attention.append(p)
    return u, attention


def string_mask(rows: list[str]) -> torch.Tensor:
    return torch.tensor([[ch == "1" for ch in row] for row in rows])


def random_mask(rng: np.random.Generator, B: int, N: int) -> torch.Tensor:
    mask = torch.from_numpy(rng.random((B, N)) < 0.6)
    for b in range(B):
        mask[b, int(rng.integers(0, N))] = True
    return mask


def garbage(rng: np.random.Generator, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    x = x.clone()
    x[~mask] = trandn(rng, int((~mask).sum()), x.shape[-1], scale=PAD_SCALE)
    return x


def memory(rng: np.random.Generator, mask: torch.Tensor, d: int) -> tuple[torch.Tensor, ...]:
    B, N = mask.shape
    u = trandn(rng, B, d, scale=0.8)
    return u, garbage(rng, trandn(rng, B, N, d, scale=0.8), mask), garbage(rng, trandn(rng, B, N, d, scale=0.8), mask)


def call(impl: Any, u: torch.Tensor, mem_in: torch.Tensor, mem_out: torch.Tensor, mask: torch.Tensor, hops: int,
         dtype: torch.dtype = torch.float64, fn: Any = None) -> tuple[torch.Tensor, list[torch.Tensor]]:
    fn = fn or impl.memn2n_hops
    got = expect_tuple(fn(u, mem_in, mem_out, mask, hops), 2, "memn2n_hops")
    u_final = expect_tensor(got[0], tuple(u.shape), "u_final", dtype=dtype)
    check(isinstance(got[1], (list, tuple)) and len(got[1]) == hops,
          f"memn2n_hops(..., hops={hops}) should return a list of {hops} attention tensors")
    return u_final, [expect_tensor(p, tuple(mask.shape), f"the attention of hop {i + 1}", dtype=dtype)
                     for i, p in enumerate(got[1])]


FIXED = [  # (d, hops, mask rows)
    (1, 1, ["1"]),
    (3, 3, ["1011", "0100"]),
    (2, 2, ["111", "010", "110"]),
    (4, 4, ["11111"]),
    (2, 2, ["10", "01"]),
]
N_CASES = len(FIXED) + 3


def case_inputs(rng: np.random.Generator, case: int) -> tuple[Any, ...]:
    if case < len(FIXED):
        d, hops, rows = FIXED[case]
        mask = string_mask(rows)
    else:
        B, N = int(rng.integers(1, 5)), int(rng.integers(1, 7))
        d, hops = int(rng.integers(1, 6)), int(rng.integers(1, 5))
        mask = random_mask(rng, B, N)
    return (*memory(rng, mask, d), mask, hops)


def compare(got: tuple[torch.Tensor, list[torch.Tensor]], want: tuple[torch.Tensor, list[torch.Tensor]],
            against: str, **tol: float) -> None:
    for i, (p, q) in enumerate(zip(got[1], want[1], strict=True)):
        assert_close(p, q, f"the attention of hop {i + 1}", against=against, **tol)
    assert_close(got[0], want[0], "u_final", against=against, **tol)


# --- task 1 -----------------------------------------------------------------------------------------

@pytest.mark.task(1)
@pytest.mark.parametrize("case", range(N_CASES))
def test_hops_match_loop_oracle(impl, rng, case):
    u, mem_in, mem_out, mask, hops = case_inputs(rng, case)
    compare(call(impl, u, mem_in, mem_out, mask, hops), oracle(u, mem_in, mem_out, mask, hops), ORACLE, **TIGHT)


# --- task 2 -----------------------------------------------------------------------------------------

EMPTY_CASES = [["1100", "0000"], ["0000"], ["101", "000", "011"]]


@pytest.mark.task(2)
@pytest.mark.parametrize("case", range(len(EMPTY_CASES) + 2))
def test_empty_slots_and_memories(impl, rng, case):
    if case < len(EMPTY_CASES):
        mask = string_mask(EMPTY_CASES[case])
    else:
        mask = random_mask(rng, int(rng.integers(1, 4)), int(rng.integers(2, 6)))
    d, hops = int(rng.integers(1, 5)), 2
    u, mem_in, mem_out = memory(rng, mask, d)
    first = call(impl, u, mem_in, mem_out, mask, hops)
    has_slot = mask.any(dim=1)
    for i, p in enumerate(first[1]):
        check(bool((p[~mask] == 0).all()), f"the attention of hop {i + 1} must be exactly 0 at every empty slot")
        assert_close(p.sum(dim=1)[has_slot], torch.ones(int(has_slot.sum()), dtype=torch.float64),
                     f"the row sums of the attention of hop {i + 1}", rtol=0, atol=1e-12, against="1")
    check(bool((first[0][~has_slot] == u[~has_slot]).all()), "a row without a real slot must keep its u exactly")
    second = call(impl, u, garbage(rng, mem_in, mask), garbage(rng, mem_out, mask), mask, hops)
    compare(second, first, "the same call with other garbage in the empty slots", rtol=1e-12, atol=1e-14)
    big_in, big_out = mem_in.clone(), mem_out.clone()
    big_in[~mask], big_out[~mask] = 1e3, -1e3
    compare(call(impl, u, big_in, big_out, mask, hops), first, "the same call with other garbage in the empty slots",
            rtol=1e-12, atol=1e-14)


# --- task 3 -----------------------------------------------------------------------------------------

@pytest.mark.task(3)
@pytest.mark.parametrize("case", range(3))
def test_zero_hops_and_negative_hops(impl, rng, case):
    u, mem_in, mem_out, mask, _ = case_inputs(rng, 1 + case)
    u_final, ps = call(impl, u, mem_in, mem_out, mask, 0)
    check(bool((u_final == u).all()), "hops = 0 must return u unchanged")
    call(impl, u, mem_in, mem_out, mask, 1)          # positive control: a valid call returns (values are task 1's)
    for bad in (-1, -3):
        with pytest.raises(ValueError):
            impl.memn2n_hops(u, mem_in, mem_out, mask, bad)


# --- task 4 -----------------------------------------------------------------------------------------

@pytest.mark.task(4)
@pytest.mark.parametrize("case", range(N_CASES))
def test_slot_permutation(impl, rng, case):
    u, mem_in, mem_out, mask, hops = case_inputs(rng, case)
    N = mask.shape[1]
    order = torch.from_numpy(rng.permutation(N)) if case >= len(FIXED) else torch.arange(N).roll(1)
    first = call(impl, u, mem_in, mem_out, mask, hops)
    moved = call(impl, u, mem_in[:, order], mem_out[:, order], mask[:, order], hops)
    for i, (p, q) in enumerate(zip(moved[1], first[1], strict=True)):
        assert_close(p, q[:, order], f"the attention of hop {i + 1} over permuted slots", rtol=1e-12, atol=1e-14,
                     against="the unpermuted attention, permuted the same way")
    assert_close(moved[0], first[0], "u_final over permuted slots", rtol=1e-12, atol=1e-14,
                 against="u_final over the slots in their first order")


# --- task 5 -----------------------------------------------------------------------------------------

@pytest.mark.task(5)
@pytest.mark.parametrize("case", range(2))
def test_arguments_unchanged(impl, rng, case):
    u, mem_in, mem_out, mask, hops = case_inputs(rng, 1 + case)
    call(impl, u, mem_in, mem_out, mask, hops, fn=impl.checked.memn2n_hops)


@pytest.mark.task(5)
def test_float32_in_float32_out(impl, rng):
    mask = string_mask(["1101", "0111"])
    u, mem_in, mem_out = memory(rng, mask, 3)
    mem_in, mem_out = mem_in.clamp(-3, 3), mem_out.clamp(-3, 3)
    got = call(impl, u.float(), mem_in.float(), mem_out.float(), mask, 2, dtype=torch.float32)
    want = call(impl, u.float().double(), mem_in.float().double(), mem_out.float().double(), mask, 2)
    compare(got, want, "the same call in float64", rtol=1e-4, atol=1e-5)
