"""Hidden grader for q002_vanilla_rnn_bptt (never shipped to students).

The student's backward always receives the cache returned by the student's own forward (errata
56: a tuple of numpy arrays, crossing the sandbox as a value). Expected gradients are computed
here, in the grader, on the reference forward (errata 62) and with torch autograd.

Task 1: rnn_forward returns (h, cache) with a tuple-of-arrays cache, and h matches torch.nn.RNN
        (tanh, batch_first, float64, copied weights), fixed edge shapes T = 1, N = 1, H = 1, D = 1.
Task 2: all five gradients match centred numerical gradients of the reference forward (G3:
        h = 1e-5, upstream ~ N(0, 1), rel_error_global < 1e-7, errata 1), edges included, and
        a cache that stays valid after another forward call.
Task 3: all five gradients match torch autograd through nn.RNN (rtol 1e-10, atol 1e-12), also
        with the upstream gradient on the last step only (it must flow back through every step;
        there dh0 is too small for numerical gradients, so autograd is the oracle).
Task 4: hidden_jacobian_norms: float64, shape (T,); 0.5 I -> 0.5^t and 1.5 I -> 1.5^t (rtol
        1e-12), orthogonal Wh -> ones (1e-12), a fixed non-normal Wh whose ||Wh^t|| is far from
        ||Wh||^t, H = 1, T = 1; random Wh against the spectral norm of the torch autograd Jacobian
        dh_t/dh_0 at h = 0, x = 0, b = 0 (rtol 1e-10).
Task 5: hygiene: neither function changes its inputs in place (x, h0, Wx, Wh, b, dh, the cache),
        on nonzero inputs. Every other task grades values only (rnnkit.fair.ValuesOnly).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from rnnkit.fair import ValuesOnly
from rnnkit.testing import (
    NUMGRAD_REL,
    assert_close,
    assert_rel_error,
    check,
    expect_array,
    expect_tuple,
)

FWD, BWD, NORMS = "rnn_forward", "rnn_backward", "hidden_jacobian_norms"
GRAD_NAMES = ("dx", "dh0", "dWx", "dWh", "db")
STEP = 1e-5


@pytest.fixture
def impl(impl):
    """Values only: writing into an input costs the hygiene task (task 5), not these."""
    return ValuesOnly(impl)

# (N, T, D, H): fixed edges first, then entries drawn from the test's rng.
EDGE_SHAPES = [(1, 1, 1, 1), (2, 1, 3, 2), (1, 4, 1, 3), (3, 3, 2, 1)]


def shape_for(rng: np.random.Generator, case: int) -> tuple[int, int, int, int]:
    if case < len(EDGE_SHAPES):
        return EDGE_SHAPES[case]
    return (int(rng.integers(1, 4)), int(rng.integers(2, 6)), int(rng.integers(1, 5)),
            int(rng.integers(1, 5)))


def random_args(rng: np.random.Generator, N: int, T: int, D: int, H: int) -> tuple[np.ndarray, ...]:
    return (rng.standard_normal((N, T, D)), rng.standard_normal((N, H)),
            rng.standard_normal((D, H)) / np.sqrt(D), rng.standard_normal((H, H)) / np.sqrt(H),
            rng.standard_normal(H) * 0.5)


def grad_shapes(N: int, T: int, D: int, H: int) -> tuple[tuple[int, ...], ...]:
    return (N, T, D), (N, H), (D, H), (H, H), (H,)


def student_forward(impl, args, N: int, T: int, H: int):
    h, cache = expect_tuple(getattr(impl, FWD)(*args), 2, FWD)
    expect_array(h, (N, T, H), "h")
    check(isinstance(cache, tuple),
          f"the cache returned by {FWD} should be a tuple of numpy arrays, got a {type(cache).__name__}")
    check(all(isinstance(item, np.ndarray) for item in cache),
          f"every item of the cache returned by {FWD} should be a numpy array")
    return h, cache


def student_backward(impl, dh, cache, N: int, T: int, D: int, H: int) -> tuple[np.ndarray, ...]:
    grads = expect_tuple(getattr(impl, BWD)(dh, cache), 5, BWD)
    return tuple(expect_array(g, shape, name)
                 for g, shape, name in zip(grads, grad_shapes(N, T, D, H), GRAD_NAMES, strict=True))


def torch_rnn(Wx: np.ndarray, Wh: np.ndarray, b: np.ndarray) -> torch.nn.RNN:
    D, H = Wx.shape
    rnn = torch.nn.RNN(D, H, nonlinearity="tanh", batch_first=True).double()
    with torch.no_grad():
        rnn.weight_ih_l0.copy_(torch.from_numpy(Wx.T.copy()))
        rnn.weight_hh_l0.copy_(torch.from_numpy(Wh.T.copy()))
        rnn.bias_ih_l0.copy_(torch.from_numpy(b))
        rnn.bias_hh_l0.zero_()
    return rnn


def torch_forward(args) -> np.ndarray:
    x, h0, Wx, Wh, b = args
    with torch.no_grad():
        out, _ = torch_rnn(Wx, Wh, b)(torch.from_numpy(x), torch.from_numpy(h0)[None])
    return out.numpy()


def torch_grads(args, dh) -> list[np.ndarray]:
    x, h0, Wx, Wh, b = args
    rnn = torch_rnn(Wx, Wh, b)
    xt = torch.tensor(x, requires_grad=True)
    ht = torch.tensor(h0[None], requires_grad=True)
    out, _ = rnn(xt, ht)
    out.backward(torch.from_numpy(dh))
    return [xt.grad.numpy(), ht.grad[0].numpy(), rnn.weight_ih_l0.grad.T.numpy(),
            rnn.weight_hh_l0.grad.T.numpy(), rnn.bias_ih_l0.grad.numpy()]


def numerical_grads(ref, args, dh) -> list[np.ndarray]:
    """Centred differences of the reference forward, contracted with dh."""
    args = [np.array(a, dtype=np.float64) for a in args]
    grads = []
    for arr in args:
        grad = np.zeros_like(arr)
        for idx in np.ndindex(arr.shape):
            old = arr[idx]
            arr[idx] = old + STEP
            pos, _ = ref.rnn_forward(*args)
            arr[idx] = old - STEP
            neg, _ = ref.rnn_forward(*args)
            arr[idx] = old
            grad[idx] = np.sum((pos - neg) * dh) / (2 * STEP)
        grads.append(grad)
    return grads


# --- task 1 -------------------------------------------------------------------------------------

@pytest.mark.task(1)
@pytest.mark.parametrize("case", range(7))
def test_forward_matches_torch_rnn(impl, rng, case):
    N, T, D, H = shape_for(rng, case)
    args = random_args(rng, N, T, D, H)
    h, _ = student_forward(impl, args, N, T, H)
    assert_rel_error(h, torch_forward(args), "h", against="torch.nn.RNN (tanh, batch_first)")


# --- task 2 -------------------------------------------------------------------------------------

@pytest.mark.task(2)
@pytest.mark.parametrize("case", range(7))
def test_gradients_match_numerical_gradients(impl, ref, rng, case):
    N, T, D, H = shape_for(rng, case)
    args = random_args(rng, N, T, D, H)
    dh = rng.standard_normal((N, T, H))
    _, cache = student_forward(impl, args, N, T, H)
    grads = student_backward(impl, dh, cache, N, T, D, H)
    for got, want, name in zip(grads, numerical_grads(ref, args, dh), GRAD_NAMES, strict=True):
        assert_rel_error(got, want, name, NUMGRAD_REL, kind="global", against="numerical gradients")


@pytest.mark.task(2)
def test_cache_stays_valid_after_another_forward(impl, ref, rng):
    N, T, D, H = 2, 3, 2, 3
    first, second = random_args(rng, N, T, D, H), random_args(rng, N, T, D, H)
    dh = rng.standard_normal((N, T, H))
    _, cache_first = student_forward(impl, first, N, T, H)
    student_forward(impl, second, N, T, H)
    grads = student_backward(impl, dh, cache_first, N, T, D, H)
    for got, want, name in zip(grads, numerical_grads(ref, first, dh), GRAD_NAMES, strict=True):
        assert_rel_error(got, want, name, NUMGRAD_REL, kind="global",
                         against="numerical gradients of the sequence the cache came from "
                                 "(backward must use only its cache, not a later forward call)")


# --- task 3 -------------------------------------------------------------------------------------

@pytest.mark.task(3)
@pytest.mark.parametrize("case", range(6))
def test_gradients_match_torch_autograd(impl, rng, case):
    N, T, D, H = shape_for(rng, case)
    args = random_args(rng, N, T, D, H)
    dh = rng.standard_normal((N, T, H))
    _, cache = student_forward(impl, args, N, T, H)
    grads = student_backward(impl, dh, cache, N, T, D, H)
    for got, want, name in zip(grads, torch_grads(args, dh), GRAD_NAMES, strict=True):
        assert_close(got, want, name, against="torch autograd through nn.RNN")


@pytest.mark.task(3)
@pytest.mark.parametrize("case", range(2))
def test_gradient_from_the_last_step_only(impl, rng, case):
    N, T, D, H = (2, 5, 3, 4) if case == 0 else (1, 6, 2, 2)
    args = random_args(rng, N, T, D, H)
    dh = np.zeros((N, T, H))
    dh[:, -1] = rng.standard_normal((N, H))
    _, cache = student_forward(impl, args, N, T, H)
    grads = student_backward(impl, dh, cache, N, T, D, H)
    for got, want, name in zip(grads, torch_grads(args, dh), GRAD_NAMES, strict=True):
        assert_close(got, want, name, against="torch autograd (loss on the last hidden state only: "
                                              "the gradient must travel back through every step)")


# --- task 4 -------------------------------------------------------------------------------------

def student_norms(impl, Wh: np.ndarray, T: int) -> np.ndarray:
    return expect_array(getattr(impl, NORMS)(Wh, T), (T,), f"{NORMS}(Wh, {T})", dtype=np.float64)


def autograd_norms(Wh: np.ndarray, T: int) -> np.ndarray:
    """||dh_t/dh_0||_2 from torch autograd through h_t = tanh(h_{t-1} @ Wh) at h_0 = 0."""
    W = torch.from_numpy(Wh)
    norms = []
    for t in range(1, T + 1):
        def unroll(h: torch.Tensor, steps: int = t) -> torch.Tensor:
            for _ in range(steps):
                h = torch.tanh(h @ W)
            return h
        J = torch.autograd.functional.jacobian(unroll, torch.zeros(Wh.shape[0], dtype=torch.float64))
        norms.append(float(torch.linalg.matrix_norm(J, ord=2)))
    return np.array(norms)


@pytest.mark.task(4)
@pytest.mark.parametrize("scale", [0.5, 1.5])
def test_scaled_identity_gives_powers(impl, rng, scale):
    H, T = int(rng.integers(1, 7)), int(rng.integers(8, 21))
    got = student_norms(impl, scale * np.eye(H), T)
    assert_close(got, scale ** np.arange(1, T + 1), f"norms for Wh = {scale} I", rtol=1e-12, atol=0.0,
                 against=f"{scale}^t for t = 1..T")


@pytest.mark.task(4)
def test_orthogonal_gives_ones(impl, rng):
    H, T = int(rng.integers(2, 7)), int(rng.integers(8, 16))
    Q, _ = np.linalg.qr(rng.standard_normal((H, H)))
    got = student_norms(impl, Q, T)
    assert_close(got, np.ones(T), "norms for an orthogonal Wh", rtol=0.0, atol=1e-12,
                 against="1 at every step (an orthogonal map keeps lengths)")


FIXED_WH = [
    np.array([[0.5, 2.0], [0.0, 0.5]]),           # non-normal: ||Wh^t|| differs from ||Wh||^t
    np.array([[-0.7]]),                          # H = 1
    np.array([[0.9, -1.5, 0.0], [0.0, 0.8, 1.2], [0.0, 0.0, -0.6]]),
]


@pytest.mark.task(4)
@pytest.mark.parametrize("case", range(len(FIXED_WH) + 3))
def test_norms_match_autograd_jacobian(impl, rng, case):
    if case < len(FIXED_WH):
        Wh, T = FIXED_WH[case], [7, 1, 9][case]
    else:
        H = int(rng.integers(2, 7))
        Wh, T = rng.standard_normal((H, H)) * float(rng.uniform(0.5, 1.5)) / np.sqrt(H), int(rng.integers(2, 11))
    got = student_norms(impl, Wh.copy(), T)
    assert_close(got, autograd_norms(Wh, T), "the norms", rtol=1e-10, atol=0.0,
                 against="the spectral norms of the torch autograd Jacobians dh_t/dh_0 at h = 0")


# --- task 5 -------------------------------------------------------------------------------------

@pytest.mark.task(5)
@pytest.mark.parametrize("case", range(3))
def test_inputs_left_unchanged(impl, rng, case):
    N, T, D, H = shape_for(rng, case + 1)
    args = random_args(rng, N, T, D, H)
    _, cache = student_forward(impl.checked, args, N, T, H)   # the in-place check on
    student_backward(impl.checked, rng.standard_normal((N, T, H)), cache, N, T, D, H)
    Wh = rng.standard_normal((H, H))
    student_norms(impl.checked, Wh, 3)
