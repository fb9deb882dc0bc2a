"""Public tests for q064: run them with `rnnkit check q064` (or plain pytest on this file).

A numpy Generator crosses to your code with its state; `impl.f.inplace(...)` also returns the
arguments after the call, so the tests can see how far your code advanced the generator. The
hidden grader uses other lengths, schedules and seeds.
"""

import numpy as np
import pytest

from rnnkit.testing import assert_close, check, expect_array

LENGTHS = np.array([4, 1, 3, 2, 5, 1, 2, 6])  # cdf [0.75, 0.25, 0.625, 0.5, 0.875, 0.25, 0.5, 1.0]


@pytest.mark.task(1)
def test_cdf_worked_example(impl):
    cdf = expect_array(impl.difficulty_cdf(np.array([3, 1, 3, 2])), (4,), "difficulty_cdf([3, 1, 3, 2])",
                       dtype=np.float64)
    check(cdf.tolist() == [1.0, 0.25, 1.0, 0.5],
          "difficulty_cdf([3, 1, 3, 2]) should be [1.0, 0.25, 1.0, 0.5] (both 3s count: they share 1.0)")
    cdf = expect_array(impl.difficulty_cdf(LENGTHS), (8,), "difficulty_cdf(lengths)", dtype=np.float64)
    check(cdf.tolist() == [0.75, 0.25, 0.625, 0.5, 0.875, 0.25, 0.5, 1.0],
          "difficulty_cdf([4, 1, 3, 2, 5, 1, 2, 6]) should be [0.75, 0.25, 0.625, 0.5, 0.875, 0.25, 0.5, 1.0]")


@pytest.mark.task(2)
@pytest.mark.parametrize("kind, expected", [
    ("linear", [0.2, 0.6000000000000001, 1.0, 1.0]),
    ("sqrt", [0.2, 0.7211102550927979, 1.0, 1.0]),
])
def test_competence_worked_values(impl, kind, expected):
    got = [impl.competence(t, 100, 0.2, kind) for t in (0, 50, 100, 150)]
    check(all(isinstance(c, float) for c in got), "competence should return a Python float")
    assert_close(np.array(got), np.array(expected), f"competence(t, 100, 0.2, {kind!r}) at t = 0, 50, 100, 150",
                 rtol=1e-12, atol=0.0, against=str(expected))
    check(got[2] == 1.0 and got[3] == 1.0, "competence must be exactly 1.0 for t >= T")


@pytest.mark.task(2)
def test_competence_default_and_bad_kind(impl):
    check(impl.competence(50, 100, 0.2) == impl.competence(50, 100, 0.2, "sqrt"), "the default kind is 'sqrt'")
    check(impl.competence(333, 333, 0.1, "linear") == 1.0,
          "competence(333, 333, 0.1, 'linear') must be exactly 1.0 (the formula alone gives 0.9999999999999999)")
    with pytest.raises(ValueError):
        impl.competence(5, 10, 0.1, "cubic")


@pytest.mark.task(3)
def test_sample_worked_example(impl):
    rng = np.random.default_rng(0)
    # c(3) = 0.65 (linear): eligible are the examples with cdf <= 0.65, i.e. [1, 2, 3, 5, 6]
    batch, after = impl.sample_curriculum_batch.inplace(LENGTHS, 3, 10, 0.5, 6, rng, "linear")
    batch = expect_array(batch, (6,), "sample_curriculum_batch(...)")
    check(batch.dtype.kind == "i", f"the batch should hold integer indices, got dtype {batch.dtype}")
    check(batch.tolist() == [6, 5, 3, 2, 2, 1],
          "with np.random.default_rng(0), the batch should be [6, 5, 3, 2, 2, 1] "
          "(rng.choice(np.flatnonzero(cdf <= c), size=6, replace=True))")
    replay = np.random.default_rng(0)
    replay.choice(np.array([1, 2, 3, 5, 6]), size=6, replace=True)
    check(after[5].bit_generator.state == replay.bit_generator.state,
          "sample_curriculum_batch should draw from rng exactly once (one rng.choice call)")
    check(after[0].tolist() == LENGTHS.tolist(), "the lengths must not be modified")


@pytest.mark.task(4)
def test_sample_edges(impl):
    # t = 0, c0 = 0.5: c = 0.5 exactly, so the two examples of length 2 (cdf 0.5) are eligible
    batch = impl.sample_curriculum_batch(LENGTHS, 0, 10, 0.5, 6, np.random.default_rng(0))
    check(batch.tolist() == [6, 5, 5, 3, 3, 1], "at c = 0.5 the examples with cdf exactly 0.5 are eligible: "
                                               "the batch should be [6, 5, 5, 3, 3, 1]")
    batch = impl.sample_curriculum_batch(LENGTHS, 10, 10, 0.5, 6, np.random.default_rng(0))
    check(batch.tolist() == [6, 5, 4, 2, 2, 0], "at t = T every example is eligible: the batch should be "
                                               "[6, 5, 4, 2, 2, 0]")
    with pytest.raises(ValueError):  # c = 0.1 < 0.25, the smallest cdf
        impl.sample_curriculum_batch(LENGTHS, 0, 10, 0.1, 6, np.random.default_rng(0))
