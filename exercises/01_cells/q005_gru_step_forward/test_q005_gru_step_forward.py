"""Public tests for q005: run them with `rnnkit check q005` (or plain pytest on this file).

They check shapes, worked examples and the place of the hidden bias b_hn. The hidden grader
compares with torch.nn.GRUCell and torch.nn.GRU on other inputs.
"""

import numpy as np
import pytest

from rnnkit.testing import assert_rel_error, expect_array


def step_example():
    N, D, H = 2, 3, 2
    x = np.linspace(-0.5, 1.0, N * D).reshape(N, D)
    prev_h = np.linspace(0.4, -0.6, N * H).reshape(N, H)
    W_ih = np.linspace(-0.8, 0.7, 3 * H * D).reshape(3 * H, D)
    W_hh = np.linspace(0.6, -0.5, 3 * H * H).reshape(3 * H, H)
    b_ih = np.linspace(-0.2, 0.3, 3 * H)
    b_hh = np.linspace(0.5, -0.4, 3 * H)
    return x, prev_h, W_ih, W_hh, b_ih, b_hh


def layer_example():
    N, T, D, H = 2, 3, 2, 2
    x = np.linspace(-1.0, 1.0, N * T * D).reshape(N, T, D)
    h0 = np.array([[0.5, -0.5], [0.0, 0.25]])
    W_ih = np.linspace(-0.6, 0.9, 3 * H * D).reshape(3 * H, D)
    W_hh = np.linspace(0.7, -0.4, 3 * H * H).reshape(3 * H, H)
    b_ih = np.linspace(0.1, -0.3, 3 * H)
    b_hh = np.linspace(-0.2, 0.4, 3 * H)
    return x, h0, W_ih, W_hh, b_ih, b_hh


@pytest.mark.task(1)
def test_step_worked_example(impl):
    next_h = expect_array(impl.gru_step_forward(*step_example()), (2, 2), "gru_step_forward(...)")
    # Computed with torch.nn.GRUCell (weight_ih = W_ih, weight_hh = W_hh, bias_ih = b_ih, bias_hh = b_hh).
    expected = np.array([[0.1615859324436235, -0.15581524340895708],
                         [0.32093520180972, 0.03292724904985711]])
    assert_rel_error(next_h, expected, "next_h", against="the worked example")


@pytest.mark.task(2)
def test_reset_gate_scales_the_hidden_bias(impl):
    N, D, H = 1, 2, 2
    x, prev_h = np.array([[1.0, -1.0]]), np.array([[0.2, -0.4]])
    W_ih, W_hh, b_ih = np.zeros((3 * H, D)), np.zeros((3 * H, H)), np.zeros(3 * H)
    b_hh = np.array([0.0, 0.0, 0.0, 0.0, 2.0, 2.0])   # only b_hn is non-zero
    next_h = expect_array(impl.gru_step_forward(x, prev_h, W_ih, W_hh, b_ih, b_hh), (N, H), "gru_step_forward(...)")
    # All gate pre-activations but n's are 0, so r = z = 0.5 and n = tanh(r * b_hn) = tanh(1.0):
    # next_h = 0.5 * tanh(1.0) + 0.5 * prev_h. With b_hn outside r you would get tanh(2.0) instead.
    expected = np.array([[0.4807970779778824, 0.1807970779778824]])
    assert_rel_error(next_h, expected, "next_h", against="0.5 * tanh(0.5 * b_hn) + 0.5 * prev_h")


@pytest.mark.task(3)
def test_layer_worked_example(impl):
    h_all = expect_array(impl.gru_forward(*layer_example()), (2, 3, 2), "gru_forward(...)")
    # Computed with torch.nn.GRU(batch_first=True): its `output`, one row per time step.
    expected = np.array([[[-0.1226273952629815, -0.7487111190536505],
                          [-0.3518912350931247, -0.7157150805649937],
                          [-0.2889792250586, -0.48017539646789065]],
                         [[0.0501912932898225, 0.208227583812723],
                          [0.24573871234238903, 0.3857122675710061],
                          [0.4544656671732448, 0.5568696846544249]]])
    assert_rel_error(h_all, expected, "h_all", against="the worked example")


@pytest.mark.task(3)
def test_layer_first_step_is_one_cell_step(impl):
    x, h0, W_ih, W_hh, b_ih, b_hh = layer_example()
    h_all = expect_array(impl.gru_forward(x, h0, W_ih, W_hh, b_ih, b_hh), (2, 3, 2), "gru_forward(...)")
    first = expect_array(impl.gru_step_forward(x[:, 0, :], h0, W_ih, W_hh, b_ih, b_hh), (2, 2), "gru_step_forward(...)")
    assert_rel_error(h_all[:, 0, :], first, "h_all[:, 0]",
                     against="gru_step_forward(x[:, 0], h0, ...) (h_all[:, t] is the state AFTER step t)")


@pytest.mark.task(4)
def test_inputs_are_left_unchanged(impl):
    """Every call checks this: writing into an input (x, prev_h, a weight) fails with a clear message."""
    impl.gru_step_forward(*step_example())
    impl.gru_forward(*layer_example())
