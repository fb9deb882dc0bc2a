"""Hidden grader for q064_curriculum (never shipped to students).

The numpy Generator crosses the sandbox with its state (rnnkit.wire); sample_curriculum_batch is
called with ``.inplace`` so the generator's state after the call comes back too.

Task 1: difficulty_cdf on fixed arrays (one example, all equal, distinct, heavy ties, unsorted)
        and random ones with many ties: float64 (N,), exactly equal to count(lengths <= l) / N.
Task 2: competence for both kinds: exactly c0 at t = 0 and exactly 1.0 at t = T and t > T,
        including the (T, c0) pairs where the bare formula gives 0.9999999999999999 (errata
        12); rtol 1e-12 against the reference at t = T // 2 and random t < T; "sqrt" is the
        default; a float in [c0, 1]; ValueError for an unknown kind (beside valid calls).
Task 3: sample_curriculum_batch on fixed cases (fixed generator seeds, so the verdict never
        depends on the run's seed) and random ones whose t keeps c(t) more than 1e-9 away from
        every cdf value (algebraically equal competence formulas agree there): an int array of
        shape (batch_size,), every index eligible under the grader's cdf and competence, equal
        to the replayed rng.choice(np.flatnonzero(cdf <= c), size, replace=True), the
        generator's state afterwards equal to the replay's (one draw).
Task 4: fixed edges: c(t) exactly equal to a cdf value (t = 0, c0 = 0.5, both kinds) must admit
        those examples; t = T and t > T (with the 0.9999999999999999 pairs) must admit every
        example; ValueError when c0 is below the smallest cdf (beside valid calls). Hygiene,
        here only: difficulty_cdf and sample_curriculum_batch leave lengths unchanged (every
        other test grades values only, rnnkit.fair.ValuesOnly).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from rnnkit.fair import ValuesOnly
from rnnkit.testing import assert_close, check, expect_array

KINDS = ("linear", "sqrt")


@pytest.fixture
def impl(impl):
    """Values only (docs/authoring.md): the in-place check runs in task 4's hygiene test alone."""
    return ValuesOnly(impl)


def cdf_oracle(lengths: np.ndarray) -> np.ndarray:
    """count(lengths <= l) / N by brute force (a loop oracle, independent of the reference)."""
    n = len(lengths)
    return np.array([np.count_nonzero(lengths <= v) for v in lengths], dtype=np.int64) / n


# --- task 1 -------------------------------------------------------------------------------------

CDF_FIXED = [[7], [2, 2, 2], [3, 1, 3, 2], [1, 2, 3, 4, 5], [5, 4, 4, 1, 1, 1, 9], [9, 8, 7, 6, 5, 4, 3, 2, 1, 1]]


@pytest.mark.task(1)
@pytest.mark.parametrize("case", range(len(CDF_FIXED) + 3))
def test_difficulty_cdf(impl, ref, rng, case):
    if case < len(CDF_FIXED):
        lengths = np.array(CDF_FIXED[case], dtype=np.int64)
    else:
        n = int(rng.integers(5, 60))
        lengths = rng.integers(1, [4, 12, 200][case - len(CDF_FIXED)], size=n).astype(np.int64)
    cdf = expect_array(impl.difficulty_cdf(lengths.copy()), lengths.shape, "difficulty_cdf(lengths)",
                       dtype=np.float64)
    want = cdf_oracle(lengths)
    check(np.array_equal(want, ref.difficulty_cdf(lengths)), "grader self-check: reference and oracle disagree")
    check(np.array_equal(cdf, want),
          "difficulty_cdf(lengths) differs from count(lengths <= lengths[i]) / N: equal lengths must share "
          "the same (largest) value and the longest examples must get exactly 1.0")


# --- task 2 -------------------------------------------------------------------------------------

# (T, c0, kind): the bare formula gives 0.9999999999999999 at t = T for the first two
EXACT_FIXED = [(333, 0.1, "linear"), (100, 0.01, "sqrt"), (10, 0.5, "linear"), (1, 0.3, "sqrt"), (7, 1.0, "sqrt")]


def expect_competence(value: Any, what: str) -> float:
    check(isinstance(value, (float, np.floating)) and not isinstance(value, bool),
          f"{what} should return a float, got a {type(value).__name__}")
    check(math.isfinite(float(value)), f"{what} returned NaN or inf")
    return float(value)


@pytest.mark.task(2)
@pytest.mark.parametrize("case", range(len(EXACT_FIXED) + 4))
def test_competence_exact_points(impl, rng, case):
    if case < len(EXACT_FIXED):
        T, c0, kind = EXACT_FIXED[case]
    else:
        T, c0, kind = int(rng.integers(1, 1000)), float(rng.uniform(0.01, 1.0)), KINDS[case % 2]
    for t, want, what in ((0, c0, "c0 at t = 0"), (T, 1.0, "1.0 at t = T"), (T + 1 + int(rng.integers(0, 50)), 1.0,
                                                                                "1.0 for t > T")):
        got = expect_competence(impl.competence(t, T, c0, kind), f"competence(t, T, c0, {kind!r})")
        check(got == want, f"competence(t, T, c0, {kind!r}) should be exactly {what}")


@pytest.mark.task(2)
@pytest.mark.parametrize("case", range(6))
def test_competence_schedules(impl, ref, rng, case):
    kind = KINDS[case % 2]
    T = [4, 2][case] if case < 2 else int(rng.integers(2, 5000))
    c0 = [0.01, 0.5][case] if case < 2 else float(rng.uniform(0.01, 0.99))
    ts = [T // 2, 1, T - 1] + [int(v) for v in rng.integers(0, T, size=5)]
    got = [expect_competence(impl.competence(t, T, c0, kind), f"competence(t, T, c0, {kind!r})") for t in ts]
    want = [ref.competence(t, T, c0, kind) for t in ts]
    assert_close(np.array(got), np.array(want), f"competence(t, T, c0, {kind!r}) for t < T", rtol=1e-12, atol=0.0,
                 against=f"the {kind} schedule of Platanios et al.")
    check(all(c0 <= c <= 1.0 for c in got), "competence must lie between c0 and 1")
    default = expect_competence(impl.competence(ts[0], T, c0), "competence(t, T, c0)")
    assert_close(np.array([default]), np.array([ref.competence(ts[0], T, c0, "sqrt")]),
                 "competence(t, T, c0) without kind", rtol=1e-12, atol=0.0, against="the sqrt schedule (the default)")


@pytest.mark.task(2)
@pytest.mark.parametrize("kind", ["cubic", "exp", ""])
def test_competence_unknown_kind(impl, ref, kind):
    got = expect_competence(impl.competence(3, 10, 0.2, "linear"), "competence(3, 10, 0.2, 'linear')")
    assert_close(np.array([got]), np.array([ref.competence(3, 10, 0.2, "linear")]), "competence(3, 10, 0.2, 'linear')",
                 rtol=1e-12, atol=0.0)
    with pytest.raises(ValueError):
        impl.competence(3, 10, 0.2, kind)


# --- tasks 3 and 4: sampling --------------------------------------------------------------------

def replay(ref: Any, lengths: np.ndarray, t: int, T: int, c0: float, batch: int, seed_state: dict[str, Any],
           kind: str) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    """(eligible indices, expected batch, generator state after) from the documented recipe."""
    gen = np.random.default_rng()
    gen.bit_generator.state = seed_state
    c = ref.competence(t, T, c0, kind)
    eligible = np.flatnonzero(cdf_oracle(lengths) <= c)
    want = gen.choice(eligible, size=batch, replace=True)
    return eligible, want, gen.bit_generator.state


def check_sample(impl: Any, ref: Any, lengths: np.ndarray, t: int, T: int, c0: float, batch: int,
                 gen: np.random.Generator, kind: str, pass_kind: bool = True) -> np.ndarray:
    start = gen.bit_generator.state
    args = (lengths.copy(), t, T, c0, batch, gen) + ((kind,) if pass_kind else ())
    got, after = impl.sample_curriculum_batch.inplace(*args)
    got = expect_array(got, (batch,), "sample_curriculum_batch(...)")
    check(got.dtype.kind in "iu", f"sample_curriculum_batch should return integer indices, got dtype {got.dtype}")
    check(isinstance(after, list) and len(after) == len(args), "sample_curriculum_batch: could not read its arguments back")
    eligible, want, state_after = replay(ref, lengths, t, T, c0, batch, start, kind)
    check(np.isin(got, eligible).all(), "sample_curriculum_batch returned an example that is not eligible "
                                        "(its cdf is above the competence c(t)), or not an index at all")
    check(np.array_equal(got, want), "sample_curriculum_batch differs from the replayed generator: draw the batch "
                                     "with one rng.choice(np.flatnonzero(cdf <= c), size=batch_size, replace=True)")
    gen_after = after[5]
    check(isinstance(gen_after, np.random.Generator) and gen_after.bit_generator.state == state_after,
          "sample_curriculum_batch should draw from rng exactly once (one rng.choice call)")
    return got


def far_t(ref: Any, rng: np.random.Generator, lengths: np.ndarray, T: int, c0: float, kind: str) -> int:
    """A step t < T whose competence is > 1e-9 away from every cdf value (and admits someone)."""
    levels = np.unique(cdf_oracle(lengths))
    for _ in range(200):
        t = int(rng.integers(1, T))
        c = ref.competence(t, T, c0, kind)
        if np.min(np.abs(levels - c)) > 1e-9 and c >= levels[0]:
            return t
    return T  # c = 1.0: always admissible


# (lengths, t, T, c0, kind, batch size, generator seed, pass kind explicitly)
SAMPLE_FIXED = [
    ([4, 1, 3, 2, 5, 1, 2, 6], 3, 10, 0.5, "linear", 40, 11, True),
    ([4, 1, 3, 2, 5, 1, 2, 6], 4, 10, 0.2, "sqrt", 40, 12, False),  # default kind: linear would give 0.52
    ([2, 2, 2, 2, 3], 4, 5, 0.3, "sqrt", 25, 13, True),
    ([9, 1, 8, 2, 7, 3, 6, 4, 5, 5, 1, 9], 40, 100, 0.2, "linear", 64, 14, True),
    ([3], 0, 4, 1.0, "sqrt", 5, 15, True),
    ([4, 1, 3, 2, 5, 1, 2, 6], 1, 10, 0.2, "sqrt", 40, 16, True),     # c = 0.369: c0 ** 2 matters
    ([1, 2, 3, 4, 100], 5, 10, 0.3, "linear", 30, 17, True),         # cdf, not length / max length
]


@pytest.mark.task(3)
@pytest.mark.parametrize("case", range(len(SAMPLE_FIXED) + 4))
def test_sample_draws_eligible_examples(impl, ref, rng, case):
    if case < len(SAMPLE_FIXED):
        raw, t, T, c0, kind, batch, seed, pass_kind = SAMPLE_FIXED[case]
        lengths, gen = np.array(raw, dtype=np.int64), np.random.default_rng(seed)
    else:
        n = int(rng.integers(3, 40))
        lengths = rng.integers(1, int(rng.integers(3, 30)), size=n).astype(np.int64)
        T, pass_kind = int(rng.integers(5, 500)), bool(case % 3)
        kind = KINDS[case % 2] if pass_kind else "sqrt"  # not passed: the default
        c0 = float(rng.uniform(0.3, 0.9))
        t = far_t(ref, rng, lengths, T, c0, kind)
        batch, gen = int(rng.integers(1, 50)), np.random.default_rng(int(rng.integers(0, 2**62)))
    check_sample(impl, ref, lengths, t, T, c0, batch, gen, kind, pass_kind)


# (lengths, t, T, c0, kind, batch, seed): c(t) == a cdf value exactly, or t >= T
EDGE_FIXED = [
    ([4, 1, 3, 2, 5, 1, 2, 6], 0, 10, 0.5, "linear", 40, 21),      # c = 0.5 = cdf of the two 2s
    ([4, 1, 3, 2, 5, 1, 2, 6], 0, 10, 0.5, "sqrt", 40, 22),        # sqrt(0.5 ** 2) = 0.5 exactly
    ([5, 3, 3, 8], 0, 3, 0.75, "linear", 30, 23),                  # c = 0.75 = cdf of 5
    ([6, 1, 2, 3, 4, 5, 6, 7, 8, 9], 333, 333, 0.1, "linear", 60, 24),  # bare formula: 0.9999999999999999
    ([6, 1, 2, 3, 4, 5, 6, 7, 8, 9], 100, 100, 0.01, "sqrt", 60, 25),
    ([2, 9, 9, 1], 50, 20, 0.4, "sqrt", 30, 26),                   # t > T
]


@pytest.mark.task(4)
@pytest.mark.parametrize("case", range(len(EDGE_FIXED)))
def test_sample_edges(impl, ref, case):
    raw, t, T, c0, kind, batch, seed = EDGE_FIXED[case]
    lengths = np.array(raw, dtype=np.int64)
    check_sample(impl, ref, lengths, t, T, c0, batch, np.random.default_rng(seed), kind)


@pytest.mark.task(4)
@pytest.mark.parametrize("kind", KINDS)
def test_sample_nothing_eligible_raises(impl, ref, kind):
    lengths = np.array([7, 3, 5, 1, 9, 2, 8, 4, 6, 10], dtype=np.int64)  # smallest cdf 0.1
    check_sample(impl, ref, lengths, 0, 10, 0.1, 8, np.random.default_rng(31), kind)  # c = 0.1: one example
    with pytest.raises(ValueError):
        impl.sample_curriculum_batch(lengths, 0, 10, 0.05, 8, np.random.default_rng(32), kind)


@pytest.mark.task(4)
def test_inputs_left_unchanged(impl):
    lengths = np.array([9, 1, 8, 2, 7, 3, 6, 4, 5, 5, 1, 9], dtype=np.int64)   # unsorted, with ties
    impl.checked.difficulty_cdf(lengths.copy())                             # raises InputMutated
    impl.checked.sample_curriculum_batch(lengths.copy(), 40, 100, 0.2, 16, np.random.default_rng(41), "linear")
