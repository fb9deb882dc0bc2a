"""Public tests for q047: run them with `rnnkit check q047` (or plain pytest on this file).

They check a few worked values, stability, the derivative and the dtype. The hidden grader uses
other inputs and compares with torch.sigmoid.
"""

import numpy as np
import pytest

from rnnkit.testing import assert_close, expect_array


@pytest.mark.task(1)
def test_sigmoid_no_overflow_at_plus_minus_1000(impl):
    x = np.array([-1000.0, -1.0, 0.0, 1.0, 1000.0])
    # Runs under np.errstate(over="raise", invalid="raise", divide="raise"): an overflow in
    # np.exp raises FloatingPointError. Underflow (exp(-1000) -> 0) is allowed.
    s = expect_array(impl.sigmoid.with_options(errstate=True)(x), (5,), "sigmoid(x)")
    assert np.all((s >= 0) & (s <= 1)), "sigmoid(x) must lie in [0, 1]"
    assert s[0] == 0.0 and s[2] == 0.5 and s[4] == 1.0, "sigmoid(-1000), sigmoid(0), sigmoid(1000) are 0, 0.5, 1"


@pytest.mark.task(2)
def test_sigmoid_worked_values(impl):
    x = np.array([[-30.0, -2.0, 0.0], [1.5, 40.0, -2.0]])
    s = expect_array(impl.sigmoid(x), (2, 3), "sigmoid(x)", dtype=np.float64)
    expected = np.array([[9.3576229688393e-14, 0.11920292202211755, 0.5],
                         [0.8175744761936437, 1.0, 0.11920292202211755]])
    # Relative accuracy: sigmoid(-30) is tiny, but it must be right to about 15 digits.
    assert_close(s, expected, "sigmoid(x)", rtol=1e-15, atol=1e-300, against="the worked values")


@pytest.mark.task(2)
def test_sigmoid_is_symmetric(impl):
    x = np.linspace(-20.0, 20.0, 81)
    assert_close(impl.sigmoid(-x), 1 - impl.sigmoid(x), "sigmoid(-x)", rtol=0, atol=2.3e-16,
                 against="1 - sigmoid(x)")


@pytest.mark.task(3)
def test_grad_from_output(impl):
    s = np.array([0.0, 0.25, 0.5, 0.9, 1.0])
    ds = expect_array(impl.sigmoid_grad_from_output(s), (5,), "sigmoid_grad_from_output(s)")
    expected = np.array([0.0, 0.1875, 0.25, 0.09, 0.0])
    assert_close(ds, expected, "sigmoid_grad_from_output(s)", rtol=0, atol=1e-15, against="s * (1 - s)")
    assert ds[2] == 0.25, "the derivative at x = 0 (s = 0.5) is exactly 0.25, its maximum"


@pytest.mark.task(4)
def test_hard_sigmoid(impl):
    x = np.array([-3.0, -2.5, -1.0, 0.0, 1.0, 2.5, 3.0])
    y = expect_array(impl.hard_sigmoid(x), (7,), "hard_sigmoid(x)")
    expected = np.array([0.0, 0.0, 0.3, 0.5, 0.7, 1.0, 1.0])
    assert_close(y, expected, "hard_sigmoid(x)", rtol=0, atol=1e-15, against="clip(0.2 x + 0.5, 0, 1)")


@pytest.mark.task(5)
def test_float32_stays_float32(impl):
    x = np.linspace(-4.0, 4.0, 9, dtype=np.float32)
    expect_array(impl.sigmoid(x), (9,), "sigmoid(x) for float32 x", dtype=np.float32)
    s = np.full(3, 0.5, dtype=np.float32)
    expect_array(impl.sigmoid_grad_from_output(s), (3,), "sigmoid_grad_from_output(s) for float32 s",
                 dtype=np.float32)
    expect_array(impl.hard_sigmoid(x), (9,), "hard_sigmoid(x) for float32 x", dtype=np.float32)
