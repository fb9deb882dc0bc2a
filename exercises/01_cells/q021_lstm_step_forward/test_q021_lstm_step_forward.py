"""Public tests for q021: run them with `rnnkit check q021` (or plain pytest on this file).

They check shapes, a worked example and stability. The hidden grader uses other inputs.
"""

import numpy as np
import pytest

from rnnkit.testing import assert_rel_error, expect_array, expect_tuple


def worked_example():
    N, D, H = 2, 3, 2
    x = np.linspace(-1, 1, N * D).reshape(N, D)
    prev_h = np.linspace(-0.5, 0.5, N * H).reshape(N, H)
    prev_c = np.linspace(-1, 2, N * H).reshape(N, H)
    Wx = np.linspace(-0.5, 0.8, D * 4 * H).reshape(D, 4 * H)
    Wh = np.linspace(0.4, -0.6, H * 4 * H).reshape(H, 4 * H)
    b = np.linspace(-0.2, 0.2, 4 * H)
    return x, prev_h, prev_c, Wx, Wh, b


@pytest.mark.task(1)
def test_returns_two_arrays_of_shape_N_H(impl):
    next_h, next_c = expect_tuple(impl.lstm_step_forward(*worked_example()), 2, "lstm_step_forward")
    expect_array(next_h, (2, 2), "next_h")
    expect_array(next_c, (2, 2), "next_c")


@pytest.mark.task(1)
def test_worked_example(impl):
    next_h, next_c = impl.lstm_step_forward(*worked_example())
    # Computed by hand from the equations in the docstring (gate order i, f, g, o).
    expected_h = np.array([[-0.23147371914926543, 0.0185080225011613],
                           [0.4635276988443899, 0.6414955341359891]])
    expected_c = np.array([[-0.48155069308617193, 0.03579758735850155],
                           [0.8287623921086835, 1.5185946703398305]])
    assert_rel_error(next_h, expected_h, "next_h", against="the worked example")
    assert_rel_error(next_c, expected_c, "next_c", against="the worked example")


@pytest.mark.task(2)
def test_hidden_state_is_bounded(impl):
    rng = np.random.default_rng(0)
    N, D, H = 4, 3, 5
    args = (rng.standard_normal((N, D)), rng.standard_normal((N, H)), rng.standard_normal((N, H)),
            rng.standard_normal((D, 4 * H)), rng.standard_normal((H, 4 * H)), rng.standard_normal(4 * H))
    next_h, _ = impl.lstm_step_forward(*args)
    assert np.all(np.abs(next_h) <= 1.0), "next_h = o * tanh(next_c) must lie in [-1, 1]"


@pytest.mark.task(3)
def test_no_overflow_for_large_preactivations(impl):
    N, D, H = 1, 2, 3
    zeros_x, zeros_h = np.zeros((D, 4 * H)), np.zeros((H, 4 * H))
    b = np.full(4 * H, -1000.0)
    next_h, next_c = impl.lstm_step_forward.with_options(errstate=True)(
        np.ones((N, D)), np.ones((N, H)), np.ones((N, H)), zeros_x, zeros_h, b)
    assert np.all(np.isfinite(next_h)) and np.all(np.isfinite(next_c)), "outputs must stay finite"
