"""Public tests for q002: run them with `rnnkit check q002` (or plain pytest on this file).

Like the grader, every test passes the cache returned by YOUR rnn_forward back into YOUR
rnn_backward. The hidden grader uses other inputs and compares your gradients with numerical
gradients and with torch autograd, and your norms with autograd Jacobians.
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

N, T, D, H = 2, 3, 2, 2
GRAD_NAMES = ("dx", "dh0", "dWx", "dWh", "db")
GRAD_SHAPES = ((N, T, D), (N, H), (D, H), (H, H), (H,))


def worked_example():
    x = np.linspace(-0.8, 0.9, N * T * D).reshape(N, T, D)
    h0 = np.linspace(0.3, -0.5, N * H).reshape(N, H)
    Wx = np.linspace(-0.6, 0.7, D * H).reshape(D, H)
    Wh = np.linspace(0.4, -0.5, H * H).reshape(H, H)
    b = np.linspace(-0.1, 0.2, H)
    return x, h0, Wx, Wh, b


def upstream():
    return np.linspace(-1.0, 0.6, N * T * H).reshape(N, T, H)


def forward(impl, args):
    h, cache = expect_tuple(impl.rnn_forward(*args), 2, "rnn_forward")
    return expect_array(h, (N, T, H), "h"), cache


def backward(impl, dh, cache):
    grads = expect_tuple(impl.rnn_backward(dh, cache), 5, "rnn_backward")
    return [expect_array(g, shape, name) for g, shape, name in zip(grads, GRAD_SHAPES, GRAD_NAMES, strict=True)]


@pytest.mark.task(1)
def test_forward_worked_example_and_cache(impl):
    h, cache = forward(impl, worked_example())
    check(isinstance(cache, tuple) and all(isinstance(a, np.ndarray) for a in cache),
          "the cache should be a tuple whose items are all numpy arrays")
    # From the equations of the module docstring (they match torch.nn.RNN, tanh, batch_first).
    expected = np.array([[[0.3106025162778521, -0.10476567367072048],
                          [0.2449587311464604, 0.12908253358567082],
                          [0.07385046901686777, 0.16951447095855607]],
                         [[-0.09426474918447322, 0.5389873905261543],
                          [-0.3361500892065823, 0.2561548945047636],
                          [-0.45656554813528266, 0.49605893992589384]]])
    assert_rel_error(h, expected, "h", against="the worked example")


@pytest.mark.task(2)
def test_backward_matches_numerical_gradients_of_your_forward(impl):
    """Centred differences (step 1e-5) of your own forward pass, as the grader does on its own."""
    args = [a.copy() for a in worked_example()]
    dh = upstream()
    _, cache = forward(impl, args)
    grads = backward(impl, dh, cache)
    step = 1e-5
    for arr, got, name in zip(args, grads, GRAD_NAMES, strict=True):
        numerical = np.zeros_like(arr)
        for idx in np.ndindex(arr.shape):
            old = arr[idx]
            arr[idx] = old + step
            pos, _ = impl.rnn_forward(*args)
            arr[idx] = old - step
            neg, _ = impl.rnn_forward(*args)
            arr[idx] = old
            numerical[idx] = np.sum((pos - neg) * dh) / (2 * step)
        assert_rel_error(got, numerical, name, NUMGRAD_REL, kind="global",
                         against="numerical gradients of your forward pass")


@pytest.mark.task(3)
def test_backward_worked_example(impl):
    _, cache = forward(impl, worked_example())
    got = dict(zip(GRAD_NAMES, backward(impl, upstream(), cache), strict=True))
    # Computed with torch autograd through nn.RNN (weight_ih = Wx.T, weight_hh = Wh.T, bias_ih = b).
    expected = {
        "dx": np.array([[[0.8292198905807482, -0.6866597421581436], [0.565727172476591, -0.46563383387384516],
                         [0.29368906188832256, -0.2963302483735203]],
                        [[0.0064974218685868446, -0.02487955103059859], [-0.18946126532472687, 0.09061172001010231],
                         [-0.29126925288175876, 0.41259392184125304]]]),
        "dh0": np.array([[-0.5471662029569875, 0.502288927400707], [-0.0039412274551899685, 0.017781292244246103]]),
        "dWx": np.array([[1.8891298108152648, 0.9599501986108168], [1.6058593101227414, 0.8536411927585209]]),
        "dWh": np.array([[-0.8876638243740038, -0.46847576815343617], [0.2551356713822416, 0.1236754978593283]]),
        "db": np.array([-1.8329267691869167, -0.687881802573678]),
    }
    for name in GRAD_NAMES:
        assert_close(got[name], expected[name], name, against="torch autograd on the worked example")


@pytest.mark.task(4)
def test_norms_of_a_scaled_identity(impl):
    got = expect_array(impl.hidden_jacobian_norms(0.5 * np.eye(3), 4), (4,), "hidden_jacobian_norms", dtype=np.float64)
    assert_close(got, np.array([0.5, 0.25, 0.125, 0.0625]), "norms for Wh = 0.5 I", rtol=1e-12, atol=0.0,
                 against="0.5^t (the gradient vanishes geometrically)")


@pytest.mark.task(4)
def test_norms_of_a_non_normal_matrix(impl):
    Wh = np.array([[0.5, 1.0], [0.0, 0.5]])
    got = expect_array(impl.hidden_jacobian_norms(Wh, 4), (4,), "hidden_jacobian_norms", dtype=np.float64)
    # ||Wh||_2 = 1.207..., but the powers first grow and then shrink: ||Wh^t|| is not ||Wh||^t.
    expected = np.array([1.2071067811865477, 1.0590169943749472, 0.7702847075210473, 0.5076941016011036])
    assert_close(got, expected, "norms for Wh = [[0.5, 1], [0, 0.5]]", rtol=1e-12, atol=0.0,
                 against="||(Wh.T)^t||_2 for t = 1..4")


@pytest.mark.task(5)
def test_inputs_are_left_unchanged(impl):
    """Every call checks this; a write into dh or the cache (dh[:, t] += ...) fails with a clear message."""
    _, cache = forward(impl, worked_example())
    backward(impl, upstream(), cache)  # raises if dh or the cache was changed in place
    impl.hidden_jacobian_norms(np.array([[0.5, 1.0], [0.0, 0.5]]), 2)
