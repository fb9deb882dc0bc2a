"""Hidden grader for q055_pointer_network (never shipped to students).

pointer_scores is given in the stub (errata 88: it is q025's additive score), so the grade is on
the masked log-softmax and the decoder (errata 50: the decoder returns its log-probs, so "chosen
positions get probability exactly 0" is observable; errata 79: prev_idx starts at -1). The
score functions are rnnkit.callables.SortScoreFn and TableScoreFn, built in the child by the
probe callable_call from tensors sent here; the probe records every call (prev_idx,
chosen_mask), and every expected value is recomputed here with Python loops. Tables of tasks 2
and 3 are random permutations of well-spaced values (gaps >= 0.3), so no argmax is near a tie;
task 4 uses tied integer tables on purpose (the tie rule). Sizes B <= 4, n <= 8, with n = 1 and
B = 1 among the fixed cases. Tasks 1-4 call with the in-place check off (ValuesOnly).

Task 1: pointer_log_probs equals a loop oracle (s_j - log sum_{l free} exp s_l) at free
        positions (1e-12), is exactly -inf at chosen ones, exp sums to 1 per row; a row with one
        free position gives exactly 0 there; scores of +-1e4 and +-1e5 stay finite.
Task 2: SortScoreFn(values) decodes to exactly argsort(values, dim=1) (distinct values).
Task 3: TableScoreFn(table): exactly n calls; call t gets prev_idx = -1 (t = 0) or the index of
        step t - 1, and the mask of the positions chosen before step t (int64 / bool, exact);
        indices equal the greedy loop oracle exactly; log_probs equal it (1e-12), -inf exactly
        where the oracle has -inf.
Task 4: tied tables that do not depend on prev_idx: every row of indices is a permutation of 0..n-1, ties go to the
        lowest free index, exp(log_probs[b, t, j]) == 0 exactly for every j chosen before t,
        and each row of exp(log_probs) sums to 1 (1e-12).
Task 5: pointer_log_probs, called with the in-place check on, leaves scores and the mask unchanged.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
import torch

from rnnkit.fair import ValuesOnly
from rnnkit.testing import assert_close, check, expect_dict, expect_tensor, expect_tuple, trandn

F64 = torch.float64
NEG = float("-inf")


@pytest.fixture
def impl(impl):
    return ValuesOnly(impl)


def lp_oracle(scores: torch.Tensor, chosen: torch.Tensor) -> torch.Tensor:
    out = torch.full_like(scores, NEG)
    for b in range(scores.shape[0]):
        free = [j for j in range(scores.shape[1]) if not bool(chosen[b, j])]
        top = max(float(scores[b, j]) for j in free)
        lse = top + math.log(sum(math.exp(float(scores[b, j]) - top) for j in free))
        for j in free:
            out[b, j] = float(scores[b, j]) - lse
    return out


def decode_oracle(table: torch.Tensor) -> tuple[list[list[int]], torch.Tensor, list[tuple[list[int], list[list[bool]]]]]:
    B, _, n = table.shape
    chosen = torch.zeros(B, n, dtype=torch.bool)
    prev = [-1] * B
    rows: list[list[int]] = [[] for _ in range(B)]
    lps, calls = [], []
    for _ in range(n):
        calls.append((list(prev), chosen.tolist()))
        scores = torch.stack([table[b, prev[b] + 1] for b in range(B)])
        lp = lp_oracle(scores, chosen)
        idx = [max(range(n), key=lambda j, b=b: (float(lp[b, j]), -j)) for b in range(B)]
        for b in range(B):
            rows[b].append(idx[b])
            chosen[b, idx[b]] = True
        lps.append(lp)
        prev = idx
    return rows, torch.stack(lps, dim=1), calls


def spaced_table(rng: np.random.Generator, B: int, n: int) -> torch.Tensor:
    """(B, n + 1, n): each row a random permutation of 0, 0.5, 1.0, ... plus noise below 0.1."""
    base = np.stack([[rng.permutation(n) * 0.5 for _ in range(n + 1)] for _ in range(B)])
    return torch.from_numpy(base + rng.uniform(-0.1, 0.1, size=base.shape) - 0.25 * n)


def decode(impl: Any, name: str, spec: dict[str, Any], n: int, B: int) -> tuple[torch.Tensor, torch.Tensor, list[Any]]:
    out = expect_dict(impl.probe("callable_call", impl.function("pointer_greedy_decode"), name, spec, [n, B]),
                      ["value", "calls", "inputs_changed"], "the score_fn probe")
    indices, log_probs = expect_tuple(out["value"], 2, "pointer_greedy_decode")
    return (expect_tensor(indices, (B, n), "indices", dtype=torch.int64),
            expect_tensor(log_probs, (B, n, n), "log_probs", dtype=F64, finite=False), out["calls"])


def call_lp(impl: Any, scores: torch.Tensor, chosen: torch.Tensor) -> torch.Tensor:
    got = expect_tensor(impl.pointer_log_probs(scores, chosen), tuple(scores.shape), "pointer_log_probs", dtype=F64,
                        finite=False)
    check(bool(torch.isfinite(got[~chosen]).all()), "pointer_log_probs must be finite at positions not chosen")
    return got


# --- task 1 --------------------------------------------------------------------------------------

LP_FIXED = [(["0"], 1.0), (["0100", "1110"], 1.0), (["000"], 1e4), (["0011", "1000"], 1e5), (["01111"], 3.0)]


@pytest.mark.task(1)
@pytest.mark.parametrize("case", range(len(LP_FIXED) + 3))
def test_log_probs_match_oracle(impl, rng, case):
    if case < len(LP_FIXED):
        rows, scale = LP_FIXED[case]
        chosen = torch.tensor([[c == "1" for c in r] for r in rows])
    else:
        B, n = int(rng.integers(1, 5)), int(rng.integers(2, 9))
        chosen = torch.from_numpy(rng.random((B, n)) < 0.5)
        chosen[:, int(rng.integers(0, n))] = False          # at least one free position per row
        scale = 2.0
    scores = trandn(rng, *chosen.shape, scale=scale)
    got = call_lp(impl, scores, chosen)
    check(bool((got[chosen] == NEG).all()), "a chosen position must get exactly -inf")
    assert_close(got[~chosen], lp_oracle(scores, chosen)[~chosen], "log_probs at free positions", rtol=1e-12,
                 atol=1e-12, against="the log-softmax over the free positions")
    assert_close(got.exp().sum(dim=1), torch.ones(chosen.shape[0], dtype=F64), "the row sums of exp(log_probs)",
                 rtol=0, atol=1e-12, against="1")
    single = chosen.sum(dim=1) == chosen.shape[1] - 1
    if bool(single.any()):
        check(bool((got[single][~chosen[single]] == 0).all()), "a row with one free position gives it exactly log 1 = 0")


# --- task 2 --------------------------------------------------------------------------------------

@pytest.mark.task(2)
@pytest.mark.parametrize("case", range(5))
def test_sort_scores_give_argsort(impl, rng, case):
    B, n = [(1, 1), (1, 6), (3, 2)][case] if case < 3 else (int(rng.integers(1, 5)), int(rng.integers(2, 9)))
    values = torch.from_numpy(np.stack([rng.permutation(n) * 0.7 for _ in range(B)]) + rng.uniform(-0.2, 0.2, (B, n)))
    indices, _, _ = decode(impl, "sort_scores", {"values": values}, n, B)
    check(torch.equal(indices, torch.argsort(values, dim=1)),
          "a score function of -values should make greedy decoding sort each row ascending (argsort)")


# --- task 3 --------------------------------------------------------------------------------------

@pytest.mark.task(3)
@pytest.mark.parametrize("case", range(5))
def test_table_decoding_matches_loop(impl, rng, case):
    B, n = [(1, 1), (2, 3), (1, 7)][case] if case < 3 else (int(rng.integers(1, 5)), int(rng.integers(2, 9)))
    table = spaced_table(rng, B, n)
    indices, log_probs, calls = decode(impl, "table_scores", {"table": table}, n, B)
    rows, want_lp, want_calls = decode_oracle(table)
    check(isinstance(calls, list) and len(calls) == n,
          f"score_fn should be called exactly once per step ({n} times), it was called {len(calls)} times")
    for t, (call, (prev, mask)) in enumerate(zip(calls, want_calls, strict=True)):
        check(isinstance(call, list) and len(call) == 2, f"score_fn call {t} should get (prev_idx, chosen_mask)")
        p = expect_tensor(call[0], (B,), f"prev_idx at call {t}", dtype=torch.int64)
        m = expect_tensor(call[1], (B, n), f"chosen_mask at call {t}", dtype=torch.bool)
        check(p.tolist() == prev, f"prev_idx at call {t} should be " + ("-1 (nothing chosen yet)" if t == 0 else
                                                                         "the index chosen at the previous step"))
        check(m.tolist() == mask, f"chosen_mask at call {t} should mark exactly the positions chosen before step {t}")
    check(indices.tolist() == rows, "the decoded indices differ from greedy decoding of the table")
    inf = want_lp.isinf()
    check(torch.equal(log_probs.isinf(), inf) and bool((log_probs[inf] == NEG).all()),
          "log_probs should be -inf exactly at the positions chosen earlier, finite elsewhere")
    assert_close(log_probs[~inf], want_lp[~inf], "log_probs", rtol=1e-12, atol=1e-12, against="greedy decoding of the table")


# --- task 4 --------------------------------------------------------------------------------------

@pytest.mark.task(4)
@pytest.mark.parametrize("case", range(5))
def test_permutations_and_zero_probability(impl, rng, case):
    B, n = (2, 5) if case < 2 else (int(rng.integers(1, 5)), int(rng.integers(1, 9)))
    if case == 0:
        table = torch.zeros(B, n + 1, n, dtype=F64)                        # every score ties
    else:
        row = torch.from_numpy(rng.integers(0, 3, size=(B, 1, n)).astype(np.float64))   # many ties
        table = row.expand(B, n + 1, n).clone()          # the same scores whatever prev_idx is
    indices, log_probs, _ = decode(impl, "table_scores", {"table": table}, n, B)
    for b in range(B):
        check(sorted(indices[b].tolist()) == list(range(n)), "each row of indices must be a permutation of 0..n-1")
        for t in range(n):
            earlier = indices[b, :t]
            check(bool((log_probs[b, t, earlier].exp() == 0).all()),
                  "a position chosen at an earlier step must get probability exactly 0")
    if case == 0:
        check(indices.tolist() == [list(range(n))] * B, "with all scores tied the lowest free index wins each step")
    else:
        check(indices.tolist() == decode_oracle(table)[0], "ties between scores go to the lowest free index")
    assert_close(log_probs.exp().sum(dim=2), torch.ones(B, n, dtype=F64), "the sums of exp(log_probs) per step",
                 rtol=0, atol=1e-12, against="1")


# --- task 5 --------------------------------------------------------------------------------------

@pytest.mark.task(5)
@pytest.mark.parametrize("case", range(2))
def test_arguments_unchanged(impl, rng, case):
    B, n = int(rng.integers(1, 5)), int(rng.integers(2, 9))
    chosen = torch.from_numpy(rng.random((B, n)) < 0.5)
    chosen[:, 0] = False
    impl.checked.pointer_log_probs(trandn(rng, B, n), chosen)
