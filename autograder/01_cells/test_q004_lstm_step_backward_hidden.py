"""Hidden grader for q004_lstm_step_backward (never shipped to students).

The student's backward always receives the cache returned by the student's own forward (the
normal use; errata 56: the cache is a tuple of numpy arrays and crosses the sandbox as a value).
Expected gradients never come from the student's forward: they are computed here, in the grader,
on the reference forward (errata 62).

Task 1: lstm_step_forward_cache returns (next_h, next_c, cache) with a tuple-of-arrays cache, and
        next_h, next_c match torch.nn.LSTMCell with copied float64 weights (G1), edges included.
Task 2: all six gradients match centred numerical gradients of the reference forward (G3: h=1e-5,
        upstream ~ N(0, 1), rel_error_global < 1e-7, errata 1), over several draws and edge shapes;
        a cache stays valid after another forward call (no hidden global state).
Task 3: all six gradients match torch autograd through nn.LSTMCell with copied float64 weights.
Task 4: constant error carousel: with dnext_h = 0, dprev_c == dnext_c * f up to rtol 1e-14, with
        f computed here by the reference (errata 16); the output gate then gets no gradient.
Task 5: hygiene: neither function changes its inputs in place (dnext_h, dnext_c and the cache
        included; checked with nonzero upstream gradients on both paths).
Tasks 1 to 4 grade values only (impl with the in-place check off): a backward pass with exact
gradients that writes into dnext_c loses task 5, not the gradient tasks.
"""

import numpy as np
import pytest
import torch

from rnnkit.fair import ValuesOnly
from rnnkit.oracles import lstm_cell_from_cs231n, lstm_step_oracle
from rnnkit.testing import (
    NUMGRAD_REL,
    assert_close,
    assert_rel_error,
    check,
    expect_array,
    expect_tuple,
)

FWD, BWD = "lstm_step_forward_cache", "lstm_step_backward"
GRAD_NAMES = ("dx", "dprev_h", "dprev_c", "dWx", "dWh", "db")
NUMGRAD_STEP = 1e-5

# (N, D, H): fixed edges first, then "random" entries drawn from the test's rng.
EDGE_SHAPES = [(1, 1, 1), (1, 3, 2), (4, 2, 1), (3, 1, 4)]


@pytest.fixture
def impl(impl):
    """Values only; task 5 (named for it) checks that inputs are left unchanged."""
    return ValuesOnly(impl)


def shape_for(rng: np.random.Generator, case: int) -> tuple[int, int, int]:
    if case < len(EDGE_SHAPES):
        return EDGE_SHAPES[case]
    return int(rng.integers(1, 5)), int(rng.integers(1, 9)), int(rng.integers(1, 9))


def random_args(rng: np.random.Generator, N: int, D: int, H: int) -> tuple[np.ndarray, ...]:
    return (rng.standard_normal((N, D)), rng.standard_normal((N, H)), rng.standard_normal((N, H)),
            rng.standard_normal((D, 4 * H)), rng.standard_normal((H, 4 * H)), rng.standard_normal(4 * H))


def grad_shapes(N: int, D: int, H: int) -> tuple[tuple[int, ...], ...]:
    return (N, D), (N, H), (N, H), (D, 4 * H), (H, 4 * H), (4 * H,)


def student_forward(impl, args, N: int, H: int):
    next_h, next_c, cache = expect_tuple(getattr(impl, FWD)(*args), 3, FWD)
    expect_array(next_h, (N, H), "next_h")
    expect_array(next_c, (N, H), "next_c")
    check(isinstance(cache, tuple),
          f"the cache returned by {FWD} should be a tuple of numpy arrays, got a {type(cache).__name__}")
    check(all(isinstance(item, np.ndarray) for item in cache),
          f"every item of the cache returned by {FWD} should be a numpy array")
    return next_h, next_c, cache


def student_backward(impl, dnext_h, dnext_c, cache, N: int, D: int, H: int) -> tuple[np.ndarray, ...]:
    grads = expect_tuple(getattr(impl, BWD)(dnext_h, dnext_c, cache), 6, BWD)
    return tuple(expect_array(g, shape, name)
                 for g, shape, name in zip(grads, grad_shapes(N, D, H), GRAD_NAMES, strict=False))


def numerical_grads(ref, args, dnext_h, dnext_c) -> list[np.ndarray]:
    """Centred differences of the reference forward, contracted with the upstream gradients."""
    args = [np.array(a, dtype=np.float64) for a in args]
    grads = []
    for arr in args:
        grad = np.zeros_like(arr)
        for idx in np.ndindex(arr.shape):
            old = arr[idx]
            arr[idx] = old + NUMGRAD_STEP
            h_pos, c_pos, _ = ref.lstm_step_forward_cache(*args)
            arr[idx] = old - NUMGRAD_STEP
            h_neg, c_neg, _ = ref.lstm_step_forward_cache(*args)
            arr[idx] = old
            grad[idx] = (np.sum((h_pos - h_neg) * dnext_h)
                         + np.sum((c_pos - c_neg) * dnext_c)) / (2 * NUMGRAD_STEP)
        grads.append(grad)
    return grads


def torch_grads(args, dnext_h, dnext_c) -> list[np.ndarray]:
    """Autograd gradients of nn.LSTMCell (float64, weights copied from the CS231n layout)."""
    x, prev_h, prev_c, Wx, Wh, b = args
    cell = lstm_cell_from_cs231n(Wx, Wh, b)
    xt, ht, ct = (torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in (x, prev_h, prev_c))
    next_h, next_c = cell(xt, (ht, ct))
    torch.autograd.backward([next_h, next_c], [torch.from_numpy(dnext_h), torch.from_numpy(dnext_c)])
    return [t.detach().numpy() for t in (xt.grad, ht.grad, ct.grad, cell.weight_ih.grad.T,
                                         cell.weight_hh.grad.T, cell.bias_ih.grad)]


@pytest.mark.task(1)
@pytest.mark.parametrize("case", range(7))
def test_forward_matches_torch_lstm_cell(impl, rng, case):
    N, D, H = shape_for(rng, case)
    args = random_args(rng, N, D, H)
    next_h, next_c, _ = student_forward(impl, args, N, H)
    want_h, want_c = lstm_step_oracle(*args)
    assert_rel_error(next_h, want_h, "next_h", against="torch.nn.LSTMCell")
    assert_rel_error(next_c, want_c, "next_c", against="torch.nn.LSTMCell")


@pytest.mark.task(2)
@pytest.mark.parametrize("case", range(7))
def test_gradients_match_numerical_gradients(impl, ref, rng, case):
    N, D, H = shape_for(rng, case)
    args = random_args(rng, N, D, H)
    dnext_h, dnext_c = rng.standard_normal((N, H)), rng.standard_normal((N, H))
    _, _, cache = student_forward(impl, args, N, H)
    grads = student_backward(impl, dnext_h, dnext_c, cache, N, D, H)
    for got, want, name in zip(grads, numerical_grads(ref, args, dnext_h, dnext_c), GRAD_NAMES, strict=False):
        assert_rel_error(got, want, name, NUMGRAD_REL, kind="global", against="numerical gradients")


@pytest.mark.task(2)
@pytest.mark.parametrize("which", ["dnext_h only", "dnext_c only"])
def test_each_upstream_path_alone(impl, ref, rng, which):
    N, D, H = 3, 4, 5
    args = random_args(rng, N, D, H)
    dnext_h, dnext_c = rng.standard_normal((N, H)), rng.standard_normal((N, H))
    if which == "dnext_h only":
        dnext_c = np.zeros((N, H))
    else:
        dnext_h = np.zeros((N, H))
    _, _, cache = student_forward(impl, args, N, H)
    grads = student_backward(impl, dnext_h, dnext_c, cache, N, D, H)
    for got, want, name in zip(grads, numerical_grads(ref, args, dnext_h, dnext_c), GRAD_NAMES, strict=False):
        assert_rel_error(got, want, name, NUMGRAD_REL, kind="global",
                         against=f"numerical gradients (upstream gradient on {which.split()[0]} only)")


@pytest.mark.task(2)
def test_cache_stays_valid_after_another_forward(impl, ref, rng):
    N, D, H = 2, 3, 4
    first, second = random_args(rng, N, D, H), random_args(rng, N, D, H)
    dnext_h, dnext_c = rng.standard_normal((N, H)), rng.standard_normal((N, H))
    _, _, cache_first = student_forward(impl, first, N, H)
    student_forward(impl, second, N, H)
    grads = student_backward(impl, dnext_h, dnext_c, cache_first, N, D, H)
    for got, want, name in zip(grads, numerical_grads(ref, first, dnext_h, dnext_c), GRAD_NAMES, strict=False):
        assert_rel_error(got, want, name, NUMGRAD_REL, kind="global",
                         against="numerical gradients of the step the cache came from "
                                 "(backward must use only its cache, not a later forward call)")


@pytest.mark.task(3)
@pytest.mark.parametrize("case", range(6))
def test_gradients_match_torch_autograd(impl, rng, case):
    N, D, H = shape_for(rng, case)
    args = random_args(rng, N, D, H)
    dnext_h, dnext_c = rng.standard_normal((N, H)), rng.standard_normal((N, H))
    _, _, cache = student_forward(impl, args, N, H)
    grads = student_backward(impl, dnext_h, dnext_c, cache, N, D, H)
    for got, want, name in zip(grads, torch_grads(args, dnext_h, dnext_c), GRAD_NAMES, strict=False):
        assert_close(got, want, name, against="torch autograd through nn.LSTMCell")


@pytest.mark.task(4)
@pytest.mark.parametrize("case", range(5))
def test_constant_error_carousel(impl, ref, rng, case):
    N, D, H = shape_for(rng, case)
    args = random_args(rng, N, D, H)
    x, prev_h, _, Wx, Wh, b = args
    f = ref.sigmoid((x @ Wx + prev_h @ Wh + b)[:, H:2 * H])   # the grader's own forget gate
    dnext_h, dnext_c = np.zeros((N, H)), rng.standard_normal((N, H))
    _, _, cache = student_forward(impl, args, N, H)
    _, _, dprev_c, _, _, db = student_backward(impl, dnext_h, dnext_c, cache, N, D, H)
    # rtol 1e-14 (errata 16) absorbs a sigmoid written another way; atol 1e-15 a tanh-form one.
    assert_close(dprev_c, dnext_c * f, "dprev_c", rtol=1e-14, atol=1e-15,
                 against="dnext_c * f (with dnext_h = 0 the cell gradient only passes the forget gate)")
    assert_close(db[3 * H:], np.zeros(H), "db[3H:4H] (output gate)", rtol=0.0, atol=1e-15,
                 against="0 (with dnext_h = 0 the output gate cannot affect the loss)")


@pytest.mark.task(5)
@pytest.mark.parametrize("case", range(3))
def test_inputs_left_unchanged(impl, rng, case):
    N, D, H = shape_for(rng, case + 1)
    args = random_args(rng, N, D, H)
    next_h, next_c, cache = student_forward(impl.checked, args, N, H)  # the in-place check on
    dnext_h, dnext_c = rng.standard_normal((N, H)), rng.standard_normal((N, H))
    student_backward(impl.checked, dnext_h, dnext_c, cache, N, D, H)
