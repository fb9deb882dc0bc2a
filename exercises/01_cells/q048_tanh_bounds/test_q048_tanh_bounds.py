"""Public tests for q048: run them with `rnnkit check q048` (or plain pytest on this file).

They check worked values, stability, the trace of the q001 worked example, the bounds with large
weights and a hand-made saturation example. The hidden grader uses other inputs.
"""

import numpy as np
import pytest

from rnnkit.testing import assert_close, assert_rel_error, expect_array, expect_dict

KEYS = ("i", "f", "g", "o", "c", "h")


def worked_example():
    N, T, D, H = 2, 3, 3, 2
    x = np.linspace(-1, 1, N * T * D).reshape(N, T, D)
    h0 = np.linspace(-0.5, 0.5, N * H).reshape(N, H)
    c0 = np.linspace(-1, 2, N * H).reshape(N, H)
    Wx = np.linspace(-0.5, 0.8, D * 4 * H).reshape(D, 4 * H)
    Wh = np.linspace(0.4, -0.6, H * 4 * H).reshape(H, 4 * H)
    b = np.linspace(-0.2, 0.2, 4 * H)
    return x, h0, c0, Wx, Wh, b


@pytest.mark.task(1)
def test_tanh_worked_values(impl):
    x = np.array([-2.0, -0.5, 0.0, 1e-12, 3.0])
    y = expect_array(impl.tanh_via_sigmoid(x), (5,), "tanh_via_sigmoid(x)", dtype=np.float64)
    expected = np.array([-0.9640275800758169, -0.46211715726000974, 0.0, 1e-12, 0.9950547536867305])
    assert_close(y, expected, "tanh_via_sigmoid(x)", rtol=0, atol=1e-15, against="np.tanh")


@pytest.mark.task(2)
def test_tanh_no_overflow_and_float32(impl):
    x = np.array([-1e4, -1000.0, 0.0, 1000.0, 1e4])
    # Runs under np.errstate(over="raise", invalid="raise", divide="raise"); underflow is fine.
    y = expect_array(impl.tanh_via_sigmoid.with_options(errstate=True)(x), (5,), "tanh_via_sigmoid(x)")
    assert np.array_equal(y, [-1.0, -1.0, 0.0, 1.0, 1.0]), "tanh_via_sigmoid must give exactly -1, 0, 1 here"
    expect_array(impl.tanh_via_sigmoid(x.astype(np.float32)), (5,), "tanh_via_sigmoid(x) for float32 x",
                 dtype=np.float32)


@pytest.mark.task(3)
def test_trace_of_the_worked_example(impl):
    x, h0, c0, Wx, Wh, b = worked_example()
    trace = expect_dict(impl.lstm_forward_trace(x, h0, c0, Wx, Wh, b), KEYS, "lstm_forward_trace")
    for k in KEYS:
        expect_array(trace[k], (2, 3, 2), f'trace["{k}"] (N, T, H)')
    # The same layer as q001's worked example: trace["h"] is q001's h_all.
    expected_h = np.array([
        [[-0.20866939449790795, -0.06278531551830509],
         [-0.15260549973615226, -0.06936425312421393],
         [-0.0786764640921209, -0.01875127886654654]],
        [[0.2534307855780234, 0.4258004604632806],
         [0.23334590909006456, 0.40907410029707786],
         [0.2703610926786948, 0.4439575526836515]],
    ])
    expected_c = np.array([
        [[-0.5906999807095441, -0.16585569042902093],
         [-0.3487803453330669, -0.15484309151037956],
         [-0.1487087137543657, -0.034520950811179445]],
        [[0.5158079952941607, 1.0496316691798397],
         [0.39660763256579135, 0.7525065638524937],
         [0.4136623119041012, 0.7135697144255375]],
    ])
    assert_rel_error(trace["h"], expected_h, 'trace["h"]', against="the worked example")
    assert_rel_error(trace["c"], expected_c, 'trace["c"]', against="the worked example")
    # The recorded gates must explain the recorded states: c_t = f_t * c_{t-1} + i_t * g_t.
    c_prev = np.concatenate([c0[:, None, :], trace["c"][:, :-1]], axis=1)
    assert_close(trace["c"], trace["f"] * c_prev + trace["i"] * trace["g"], 'trace["c"]',
                 against="f * c_prev + i * g from the trace's own gates")


@pytest.mark.task(4)
def test_bounds_with_large_weights(impl):
    rng = np.random.default_rng(0)
    N, T, D, H = 3, 8, 4, 5
    c0 = rng.standard_normal((N, H))
    args = (rng.standard_normal((N, T, D)), rng.standard_normal((N, H)), c0,
            100 * rng.standard_normal((D, 4 * H)), 100 * rng.standard_normal((H, 4 * H)),
            100 * rng.standard_normal(4 * H))
    trace = impl.lstm_forward_trace(*args)
    for k in ("i", "f", "o"):
        assert np.all((trace[k] >= 0) & (trace[k] <= 1)), f'trace["{k}"] is a sigmoid gate: it must lie in [0, 1]'
    assert np.all(np.abs(trace["g"]) <= 1), 'trace["g"] = tanh(...) must lie in [-1, 1]'
    assert np.all(np.abs(trace["h"]) <= trace["o"]), "|h_t| <= o_t must hold"
    bound = np.abs(c0)[:, None, :] + np.arange(1, T + 1)[None, :, None]
    assert np.all(np.abs(trace["c"]) <= bound * (1 + 1e-12)), "|c_t| <= |c0| + (t + 1) must hold"


@pytest.mark.task(5)
def test_saturation_fractions_hand_made(impl):
    trace = {
        "i": np.array([[[0.995, 0.5], [0.001, 0.99]]]),   # 0.995 and 0.001 are saturated; 0.99 is not (strict)
        "f": np.array([[[1.0, 0.0], [0.3, 0.0001]]]),
        "o": np.array([[[0.2, 0.4], [0.6, 0.999]]]),
        "g": np.array([[[-0.995, 0.2], [0.99, -0.5]]]),   # |g| > 0.99: only -0.995
    }
    got = expect_dict(impl.saturation_fractions(trace), ("i", "f", "g", "o"), "saturation_fractions")
    expected = {"i": 0.5, "f": 0.75, "o": 0.25, "g": 0.25}
    for k, want in expected.items():
        assert float(got[k]) == want, f'saturation_fractions(trace)["{k}"] should be {want}, got {got[k]}'
    got = impl.saturation_fractions(trace, 0.9)
    expected = {"i": 0.75, "f": 0.75, "o": 0.25, "g": 0.5}
    for k, want in expected.items():
        assert float(got[k]) == want, f'saturation_fractions(trace, 0.9)["{k}"] should be {want}, got {got[k]}'
