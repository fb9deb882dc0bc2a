"""Public tests for q001: run them with `rnnkit check q001` (or plain pytest on this file).

They check shapes, a worked example, two properties of a correct layer and stability. The hidden
grader uses other inputs and compares with torch.nn.LSTM.
"""

import numpy as np
import pytest

from rnnkit.testing import assert_close, assert_rel_error, expect_array, expect_tuple


def worked_example():
    N, T, D, H = 2, 3, 3, 2
    x = np.linspace(-1, 1, N * T * D).reshape(N, T, D)
    h0 = np.linspace(-0.5, 0.5, N * H).reshape(N, H)
    c0 = np.linspace(-1, 2, N * H).reshape(N, H)
    Wx = np.linspace(-0.5, 0.8, D * 4 * H).reshape(D, 4 * H)
    Wh = np.linspace(0.4, -0.6, H * 4 * H).reshape(H, 4 * H)
    b = np.linspace(-0.2, 0.2, 4 * H)
    return x, h0, c0, Wx, Wh, b


def random_case(seed, N, T, D, H):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((N, T, D)), rng.standard_normal((N, H)), rng.standard_normal((N, H)),
            rng.standard_normal((D, 4 * H)), rng.standard_normal((H, 4 * H)), rng.standard_normal(4 * H))


@pytest.mark.task(1)
def test_returns_h_all_h_T_c_T_with_the_right_shapes(impl):
    h_all, h_T, c_T = expect_tuple(impl.lstm_forward(*worked_example()), 3, "lstm_forward")
    expect_array(h_all, (2, 3, 2), "h_all (N, T, H)")
    expect_array(h_T, (2, 2), "h_T (N, H)")
    expect_array(c_T, (2, 2), "c_T (N, H)")


@pytest.mark.task(1)
def test_worked_example(impl):
    h_all, h_T, c_T = impl.lstm_forward(*worked_example())
    # torch.nn.LSTM(3, 2, batch_first=True) with these weights copied in gives the same numbers.
    expected_h_all = np.array([
        [[-0.20866939449790795, -0.06278531551830509],
         [-0.15260549973615226, -0.06936425312421393],
         [-0.0786764640921209, -0.01875127886654654]],
        [[0.2534307855780234, 0.4258004604632806],
         [0.23334590909006456, 0.40907410029707786],
         [0.2703610926786948, 0.4439575526836515]],
    ])
    expected_c_T = np.array([[-0.1487087137543657, -0.034520950811179445],
                             [0.4136623119041012, 0.7135697144255375]])
    assert_rel_error(h_all, expected_h_all, "h_all", against="the worked example")
    assert_rel_error(h_T, expected_h_all[:, -1], "h_T", against="the worked example")
    assert_rel_error(c_T, expected_c_T, "c_T", against="the worked example")


@pytest.mark.task(2)
def test_h_T_is_the_last_step_and_h_is_bounded(impl):
    N, T, D, H = 3, 6, 4, 5
    h_all, h_T, _ = impl.lstm_forward(*random_case(1, N, T, D, H))
    assert_close(h_T, h_all[:, -1], "h_T", rtol=0, atol=0, against="h_all[:, -1]")
    assert np.all(np.abs(h_all) <= 1.0), "every h_t = o_t * tanh(c_t) must lie in [-1, 1]"


@pytest.mark.task(2)
def test_two_halves_carrying_the_state_equal_one_run(impl):
    # Running t = 0..2 and then t = 3..6 from the state left by the first half is the same as
    # one run over all 7 steps: this fails if h or c is not carried from step to step.
    N, T, D, H = 2, 7, 3, 4
    x, h0, c0, Wx, Wh, b = random_case(2, N, T, D, H)
    h_all, h_T, c_T = impl.lstm_forward(x, h0, c0, Wx, Wh, b)
    first, h_mid, c_mid = impl.lstm_forward(x[:, :3], h0, c0, Wx, Wh, b)
    second, h_end, c_end = impl.lstm_forward(x[:, 3:], h_mid, c_mid, Wx, Wh, b)
    assert_rel_error(np.concatenate([first, second], axis=1), h_all, "h_all of the two halves",
                     against="h_all of one run")
    assert_rel_error(h_end, h_T, "h_T of the two halves", against="h_T of one run")
    assert_rel_error(c_end, c_T, "c_T of the two halves", against="c_T of one run")


@pytest.mark.task(1)
def test_one_step_sequence_and_one_sequence(impl):
    # T = 1: h_all holds the single step, and h_T is that step.
    h_all, h_T, c_T = impl.lstm_forward(*random_case(3, 1, 1, 2, 3))
    expect_array(h_all, (1, 1, 3), "h_all for N = 1, T = 1")
    expect_array(h_T, (1, 3), "h_T for N = 1, T = 1")
    expect_array(c_T, (1, 3), "c_T for N = 1, T = 1")
    assert_close(h_T, h_all[:, 0], "h_T", rtol=0, atol=0, against="h_all[:, 0] when T = 1")


@pytest.mark.task(3)
def test_no_overflow_for_large_preactivations(impl):
    N, T, D, H = 1, 3, 2, 3
    x, h0, c0, Wx, Wh, _ = random_case(4, N, T, D, H)
    b = np.full(4 * H, -1000.0)
    h_all, h_T, c_T = impl.lstm_forward.with_options(errstate=True)(
        x, h0, c0, np.zeros_like(Wx), np.zeros_like(Wh), b)
    for name, value in (("h_all", h_all), ("h_T", h_T), ("c_T", c_T)):
        assert np.all(np.isfinite(value)), f"{name} must stay finite"
    # All gates are closed (sigmoid(-1000) = 0), so the cell state is wiped at the first step.
    assert np.all(c_T == 0), "with every gate at sigmoid(-1000) = 0, c_T must be exactly 0"
