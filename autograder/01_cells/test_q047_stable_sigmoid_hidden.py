"""Hidden grader for q047_stable_sigmoid (never shipped to students).

Task 1: sigmoid at x in {+-1e4, +-710, 0} (and random extremes) under numpy's over/invalid/divide =
        "raise", underflow allowed (errata 2): finite, in [0, 1], exact 0, 1/2 and 1 where exact.
        Accuracy is task 2's: an accurate-enough but imprecise formula loses only task 2.
Task 2: sigmoid matches torch.sigmoid in float64 with rtol 1e-15, atol 1e-300 (errata 3), on a fixed
        grid over both far tails (where tanh or 1 - sigmoid(-x) forms lose digits) plus random
        draws, and sigmoid(-x) = 1 - sigmoid(x) to atol 2.3e-16, rtol 0 (errata 32).
Task 3: sigmoid_grad_from_output(s) = s (1 - s): against the reference and torch autograd of
        torch.sigmoid, exact 0.25 at s = 1/2 and maximal there, exact 0 at s = 0 and 1.
Task 4: hard_sigmoid = clip(0.2 x + 0.5, 0, 1): exact at 0 and in both saturated regions, within
        one rounding step elsewhere (so (x + 2.5) / 5 passes too).
Task 5: float32 in gives float32 out (and float64 gives float64) for all three functions, each
        float32 result within float32 rounding of the same function's float64 result (the
        function against itself: accuracy is tasks 2 to 4's), and no function changes its input.
Tasks 1 to 4 grade values only (impl with the in-place check off).
"""

import numpy as np
import pytest
import torch

from rnnkit.fair import ValuesOnly
from rnnkit.testing import assert_close, check, expect_array

TORCH_REL = 1e-15  # errata 3: rtol 1e-15, atol 1e-300 against torch.sigmoid in float64
TORCH_ABS = 1e-300
SYMMETRY_ABS = 2.3e-16  # errata 32
ONE_ROUNDING = 4.5e-16  # two ulps of numbers in [0.5, 1): an equivalent formula may round differently


@pytest.fixture
def impl(impl):
    """Values only; task 5 (named for it) checks that inputs are left unchanged."""
    return ValuesOnly(impl)


def random_shape(rng: np.random.Generator) -> tuple[int, ...]:
    ndim = int(rng.integers(1, 4))
    return tuple(int(n) for n in rng.integers(1, 6, size=ndim))


def mixed_inputs(rng: np.random.Generator, n: int) -> np.ndarray:
    """float64 draws over every regime: around 0, the float64 tail, and out to +-750."""
    parts = [rng.normal(0.0, 5.0, n), rng.uniform(-40.0, 40.0, n), rng.uniform(-750.0, 750.0, n)]
    return rng.permutation(np.concatenate(parts))


def torch_sigmoid(x: np.ndarray) -> np.ndarray:
    return torch.sigmoid(torch.from_numpy(x)).numpy()


# -- task 1: stable at the extremes ---------------------------------------------------------------
EXTREMES = np.array([1e4, -1e4, 710.0, -710.0, 0.0, 745.0, -745.0, 1e300, -1e300])


@pytest.mark.task(1)
@pytest.mark.parametrize("layout", ["fixed", "grid", "random"])
def test_sigmoid_stable_at_extremes(impl, rng, layout):
    if layout == "fixed":
        x = EXTREMES.copy()
    elif layout == "grid":
        x = rng.permutation(EXTREMES)[None, :].repeat(2, axis=0)  # 2-D, shuffled columns
        x[1] = -x[1]
    else:
        x = rng.uniform(-1e4, 1e4, size=(3, 4)) * rng.choice([1.0, 0.1], size=(3, 4))
    s = expect_array(impl.sigmoid.with_options(errstate=True)(x), x.shape, "sigmoid(x)", dtype=np.float64)
    check(np.all((s >= 0) & (s <= 1)), "sigmoid(x) must lie in [0, 1]")
    # Exact where the float64 answer is exact: 0 -> 1/2, x >= 710 -> 1, x <= -800 -> 0.
    check(np.all(s[x == 0] == 0.5), "sigmoid(0) must be exactly 0.5")
    check(np.all(s[x >= 710] == 1.0), "sigmoid(x) must be exactly 1.0 for x >= 710")
    check(np.all(s[x <= -800] == 0.0), "sigmoid(x) must underflow to exactly 0.0 for x <= -800")


@pytest.mark.task(1)
def test_sigmoid_stable_in_float32(impl, rng):
    x = np.concatenate([[1e4, -1e4, 710.0, -710.0, 0.0, 100.0, -100.0], rng.uniform(-1e4, 1e4, 5)])
    x = x.astype(np.float32)
    s = expect_array(impl.sigmoid.with_options(errstate=True)(x), x.shape, "sigmoid(x) for float32 x")
    check(np.all((s >= 0) & (s <= 1)), "sigmoid(x) must lie in [0, 1]")


# -- task 2: accurate -----------------------------------------------------------------------------
# Both far tails, fixed: where sigmoid is tiny (x << 0) or 1 - tiny (x >> 0) a formula that
# subtracts nearly equal numbers (tanh form, 1 - sigmoid(-x)) loses digits; random draws alone
# may miss the region under some seeds.
TAILS = np.array([5.0, 12.0, 20.0, 30.0, 36.0, 37.0, 40.0, 60.0, 100.0, 300.0, 700.0, 708.0, 709.5,
                  710.0, 740.0, 745.0, 750.0, 1e4])
TAIL_GRID = np.concatenate([-TAILS, TAILS, [0.0]])


@pytest.mark.task(2)
def test_sigmoid_matches_torch_in_both_tails(impl):
    x = TAIL_GRID.copy()
    s = expect_array(impl.sigmoid(x), x.shape, "sigmoid(x)", dtype=np.float64)
    assert_close(s, torch_sigmoid(x), "sigmoid(x) for x in both far tails", rtol=TORCH_REL, atol=TORCH_ABS,
                 against="torch.sigmoid")


@pytest.mark.task(2)
@pytest.mark.parametrize("case", range(3))
def test_sigmoid_matches_torch(impl, rng, case):
    x = mixed_inputs(rng, 400)
    if case == 1:
        x = x.reshape(20, 60)
    elif case == 2:
        x = x[:360].reshape(3, 8, 15)
    s = expect_array(impl.sigmoid(x), x.shape, "sigmoid(x)", dtype=np.float64)
    assert_close(s, torch_sigmoid(x), "sigmoid(x)", rtol=TORCH_REL, atol=TORCH_ABS, against="torch.sigmoid")


@pytest.mark.task(2)
def test_sigmoid_symmetry(impl, rng):
    x = rng.uniform(-50.0, 50.0, size=(40, 50))
    pos = expect_array(impl.sigmoid(x), x.shape, "sigmoid(x)", dtype=np.float64)
    neg = expect_array(impl.sigmoid(-x), x.shape, "sigmoid(-x)", dtype=np.float64)
    assert_close(neg, 1 - pos, "sigmoid(-x)", rtol=0, atol=SYMMETRY_ABS, against="1 - sigmoid(x)")


# -- task 3: derivative from the output -----------------------------------------------------------
@pytest.mark.task(3)
def test_grad_matches_reference_and_autograd(impl, ref, rng):
    x = rng.normal(0.0, 4.0, size=random_shape(rng))
    s = ref.sigmoid(x)
    ds = expect_array(impl.sigmoid_grad_from_output(s), s.shape, "sigmoid_grad_from_output(s)",
                      dtype=np.float64)
    assert_close(ds, ref.sigmoid_grad_from_output(s), "sigmoid_grad_from_output(s)",
                 rtol=1e-15, atol=ONE_ROUNDING)
    xt = torch.from_numpy(x).requires_grad_(True)
    (autograd,) = torch.autograd.grad(torch.sigmoid(xt).sum(), xt)
    assert_close(ds, autograd.numpy(), "sigmoid_grad_from_output(sigmoid(x))", rtol=1e-12, atol=1e-15,
                 against="torch autograd of torch.sigmoid at x")


@pytest.mark.task(3)
def test_grad_is_maximal_at_one_half(impl):
    s = np.linspace(0.0, 1.0, 10001)
    s[5000] = 0.5  # sigmoid(0)
    ds = expect_array(impl.sigmoid_grad_from_output(s), s.shape, "sigmoid_grad_from_output(s)",
                      dtype=np.float64)
    check(ds[5000] == 0.25, "the derivative at s = sigmoid(0) = 0.5 must be exactly 0.25")
    check(np.all(ds <= 0.25), "the sigmoid derivative can never exceed 0.25")
    check(int(np.argmax(ds)) == 5000, "the sigmoid derivative must be largest at s = 0.5 (x = 0)")
    check(ds[0] == 0.0 and ds[-1] == 0.0, "the derivative must be exactly 0 at s = 0 and s = 1")
    check(np.all(ds >= 0), "the sigmoid derivative is never negative for s in [0, 1]")


# -- task 4: hard sigmoid -------------------------------------------------------------------------
@pytest.mark.task(4)
@pytest.mark.parametrize("case", range(3))
def test_hard_sigmoid(impl, ref, rng, case):
    x = rng.uniform(-4.0, 4.0, size=random_shape(rng)) if case < 2 else rng.normal(0.0, 3.0, size=(7, 9))
    if case == 1:
        x.flat[0], x.flat[-1] = 0.0, rng.choice([-2.5, 2.5])
    y = expect_array(impl.hard_sigmoid(x), x.shape, "hard_sigmoid(x)", dtype=np.float64)
    want = ref.hard_sigmoid(x)
    check(np.all(y[x <= -2.5] == 0.0), "hard_sigmoid(x) must be exactly 0 for x <= -2.5")
    check(np.all(y[x >= 2.5] == 1.0), "hard_sigmoid(x) must be exactly 1 for x >= 2.5")
    check(np.all(y[x == 0] == 0.5), "hard_sigmoid(0) must be exactly 0.5")
    assert_close(y, want, "hard_sigmoid(x)", rtol=0, atol=ONE_ROUNDING)


@pytest.mark.task(4)
def test_hard_sigmoid_at_extremes(impl):
    x = np.array([-1e4, -710.0, -3.0, -2.5, 0.0, 2.5, 3.0, 710.0, 1e4])
    y = expect_array(impl.hard_sigmoid(x), x.shape, "hard_sigmoid(x)", dtype=np.float64)
    check(np.array_equal(y, np.array([0.0, 0.0, 0.0, 0.0, 0.5, 1.0, 1.0, 1.0, 1.0])),
          "hard_sigmoid must be exactly 0 for x <= -2.5, 0.5 at 0 and exactly 1 for x >= 2.5")


@pytest.mark.task(4)
def test_hard_sigmoid_on_the_slope(impl):
    x = np.array([-2.25, -2.0, -1.5, -1.0, -0.5, 0.5, 1.0, 1.5, 2.0, 2.25])
    y = expect_array(impl.hard_sigmoid(x), x.shape, "hard_sigmoid(x)", dtype=np.float64)
    assert_close(y, np.clip(0.2 * x + 0.5, 0, 1), "hard_sigmoid(x) for -2.5 < x < 2.5", rtol=0,
                 atol=ONE_ROUNDING, against="clip(0.2 x + 0.5, 0, 1)")


# -- task 5: dtype preserved, inputs unchanged ------------------------------------------------------
FUNCTIONS = ("sigmoid", "sigmoid_grad_from_output", "hard_sigmoid")


@pytest.mark.task(5)
@pytest.mark.parametrize("name", FUNCTIONS)
def test_dtype_preserved(impl, rng, name):
    shape = random_shape(rng)
    x64 = rng.uniform(0.0, 1.0, size=shape) if name == "sigmoid_grad_from_output" else \
        rng.uniform(-30.0, 30.0, size=shape)
    x64.flat[0] = 0.5 if name == "sigmoid_grad_from_output" else -20.0  # a fixed entry in every draw
    fn = getattr(impl, name)
    x32 = x64.astype(np.float32)
    y32 = expect_array(fn(x32), shape, f"{name}(x) for float32 x", dtype=np.float32, finite=False)
    # Against the same function in float64 (of the float32 input): only the precision may differ.
    same = expect_array(fn(x32.astype(np.float64)), shape, f"{name}(x) for float64 x", dtype=np.float64,
                        finite=False)
    with np.errstate(invalid="ignore"):
        close = np.isclose(y32.astype(np.float64), same, rtol=1e-5, atol=1e-6, equal_nan=True)
    check(np.all(close), f"{name}(x) for float32 x differs from {name} of the same x in float64 by more than "
                         "float32 rounding: compute in the input's dtype, do not round through another")


@pytest.mark.task(5)
@pytest.mark.parametrize("name", FUNCTIONS)
def test_input_left_unchanged(impl, rng, name):
    x = rng.uniform(0.0, 1.0, size=(3, 4)) if name == "sigmoid_grad_from_output" else \
        rng.uniform(-30.0, 30.0, size=(3, 4))
    getattr(impl.checked, name)(x)  # the in-place check on: fails if x was changed
