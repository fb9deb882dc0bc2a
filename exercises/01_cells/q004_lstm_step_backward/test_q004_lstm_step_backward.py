"""Public tests for q004: run them with `rnnkit check q004` (or plain pytest on this file).

Like the grader, every test passes the cache returned by YOUR lstm_step_forward_cache back into
YOUR lstm_step_backward. The hidden grader uses other inputs and compares your gradients with
numerical gradients and with torch autograd.
"""

import numpy as np
import pytest

from rnnkit.testing import (
    NUMGRAD_REL,
    assert_close,
    assert_rel_error,
    check,
    expect_array,
    expect_tuple,
)

N, D, H = 2, 3, 2
GRAD_NAMES = ("dx", "dprev_h", "dprev_c", "dWx", "dWh", "db")
GRAD_SHAPES = ((N, D), (N, H), (N, H), (D, 4 * H), (H, 4 * H), (4 * H,))


def worked_example():
    x = np.linspace(-0.6, 0.9, N * D).reshape(N, D)
    prev_h = np.linspace(0.3, -0.4, N * H).reshape(N, H)
    prev_c = np.linspace(-0.8, 1.1, N * H).reshape(N, H)
    Wx = np.linspace(-0.7, 0.6, D * 4 * H).reshape(D, 4 * H)
    Wh = np.linspace(0.5, -0.3, H * 4 * H).reshape(H, 4 * H)
    b = np.linspace(-0.1, 0.3, 4 * H)
    return x, prev_h, prev_c, Wx, Wh, b


def upstream():
    dnext_h = np.linspace(-1.0, 0.5, N * H).reshape(N, H)
    dnext_c = np.linspace(0.8, -0.6, N * H).reshape(N, H)
    return dnext_h, dnext_c


def forward(impl, args):
    next_h, next_c, cache = expect_tuple(impl.lstm_step_forward_cache(*args), 3, "lstm_step_forward_cache")
    return expect_array(next_h, (N, H), "next_h"), expect_array(next_c, (N, H), "next_c"), cache


def backward(impl, dnext_h, dnext_c, cache):
    grads = expect_tuple(impl.lstm_step_backward(dnext_h, dnext_c, cache), 6, "lstm_step_backward")
    return [expect_array(g, shape, name) for g, shape, name in zip(grads, GRAD_SHAPES, GRAD_NAMES, strict=False)]


@pytest.mark.task(1)
def test_forward_worked_example_and_cache(impl):
    next_h, next_c, cache = forward(impl, worked_example())
    check(isinstance(cache, tuple) and all(isinstance(a, np.ndarray) for a in cache),
          "the cache should be a tuple whose items are all numpy arrays")
    # From the equations of the module docstring (they match torch.nn.LSTMCell).
    expected_h = np.array([[-0.12804734442201546, 0.1083187222636735],
                           [0.2431798975984129, 0.4878781544543031]])
    expected_c = np.array([[-0.21119893869044903, 0.17883720908983497],
                           [0.3750199668424252, 0.8275665196744926]])
    assert_rel_error(next_h, expected_h, "next_h", against="the worked example")
    assert_rel_error(next_c, expected_c, "next_c", against="the worked example")


@pytest.mark.task(2)
def test_backward_matches_numerical_gradients_of_your_forward(impl):
    """Centred differences (h = 1e-5) of your own forward pass, as the grader does on its own."""
    args = [a.copy() for a in worked_example()]
    dnext_h, dnext_c = upstream()
    _, _, cache = forward(impl, args)
    grads = backward(impl, dnext_h, dnext_c, cache)
    step = 1e-5
    for arr, got, name in zip(args, grads, GRAD_NAMES, strict=False):
        numerical = np.zeros_like(arr)
        for idx in np.ndindex(arr.shape):
            old = arr[idx]
            arr[idx] = old + step
            h_pos, c_pos, _ = impl.lstm_step_forward_cache(*args)
            arr[idx] = old - step
            h_neg, c_neg, _ = impl.lstm_step_forward_cache(*args)
            arr[idx] = old
            numerical[idx] = (np.sum((h_pos - h_neg) * dnext_h) + np.sum((c_pos - c_neg) * dnext_c)) / (2 * step)
        assert_rel_error(got, numerical, name, NUMGRAD_REL, kind="global",
                         against="numerical gradients of your forward pass")


@pytest.mark.task(3)
def test_backward_worked_example(impl):
    dnext_h, dnext_c = upstream()
    _, _, cache = forward(impl, worked_example())
    dx, dprev_h, dprev_c, _, _, db = backward(impl, dnext_h, dnext_c, cache)
    # Computed with torch autograd through nn.LSTMCell (weight_ih = Wx.T, weight_hh = Wh.T, bias_ih = b).
    expected = {
        "dx": np.array([[-0.06354071221572449, -0.0011386942823412454, 0.06126332365104202],
                        [0.16697438106519244, 0.029782863370549202, -0.10740865432409402]]),
        "dprev_h": np.array([[0.03780487878982632, -0.021077025311417377],
                             [-0.1088550305808573, 0.020597478423318914]]),
        "dprev_c": np.array([[0.13269401166062192, 0.02302115908234531],
                             [-0.06635864033319536, -0.22148035785703166]]),
        "db": np.array([0.01117776699154969, -0.04712572178995515, -0.055069122209612936,
                        -0.11232879381931082, 0.05857405372181693, -0.11759001928674598,
                        0.049262935648365716, 0.047699045502644505]),
    }
    for got, name in ((dx, "dx"), (dprev_h, "dprev_h"), (dprev_c, "dprev_c"), (db, "db")):
        assert_close(got, expected[name], name, against="torch autograd on the worked example")


@pytest.mark.task(4)
def test_constant_error_carousel(impl):
    x, prev_h, prev_c, Wx, Wh, b = worked_example()
    _, dnext_c = upstream()
    _, _, cache = forward(impl, (x, prev_h, prev_c, Wx, Wh, b))
    _, _, dprev_c, _, _, _ = backward(impl, np.zeros((N, H)), dnext_c, cache)
    f = 1 / (1 + np.exp(-(x @ Wx + prev_h @ Wh + b)[:, H:2 * H]))    # the forget gate
    assert_close(dprev_c, dnext_c * f, "dprev_c", rtol=1e-14, atol=1e-15,
                 against="dnext_c * f (with dnext_h = 0, the cell gradient only passes the forget gate)")


@pytest.mark.task(5)
def test_inputs_are_left_unchanged(impl):
    """Every call checks this; a write into dnext_c (dnext_c += ...) fails here with a clear message."""
    dnext_h, dnext_c = upstream()
    _, _, cache = forward(impl, worked_example())
    backward(impl, dnext_h, dnext_c, cache)  # raises if dnext_h, dnext_c or the cache was changed in place
