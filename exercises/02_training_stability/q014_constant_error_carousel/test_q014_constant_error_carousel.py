"""Public tests for q014: run them with `rnnkit check q014` (or plain pytest on this file).

The hidden grader compares your Jacobians with autograd through an LSTM, and your profiles with
the documented recipe for other seeds, sizes and forget biases.
"""

import pytest
import torch

from rnnkit.testing import assert_close, check, expect_tensor


@pytest.mark.task(1)
def test_cell_path_jacobian_worked_example(impl):
    # T = 2 steps, B = 2 rows, H = 2 units
    f = torch.tensor([[[0.5, 0.9], [0.2, 0.99]],
                      [[0.8, 0.5], [0.75, 0.1]]], dtype=torch.float64)
    got = expect_tensor(impl.cell_path_jacobian(f), (2, 2, 2), "cell_path_jacobian", dtype=torch.float64)
    expected = torch.tensor([[[0.4, 0.0], [0.0, 0.45]],
                             [[0.15, 0.0], [0.0, 0.099]]], dtype=torch.float64)
    assert_close(got, expected, "cell_path_jacobian", rtol=1e-13, atol=0.0,
                 against="diag(0.5 * 0.8, 0.9 * 0.5) and diag(0.2 * 0.75, 0.99 * 0.1)")


@pytest.mark.task(2)
@pytest.mark.parametrize("cell", ["rnn", "lstm"])
def test_profile_worked_example(impl, cell):
    got = expect_tensor(impl.gradient_norm_profile(cell, 5, 3, 0, 1.0), (5,), "gradient_norm_profile",
                        dtype=torch.float64)
    # From the recipe of the module docstring: seed 0, T = 5, H = 3, forget_bias = 1.0.
    expected = {
        "rnn": [0.12638727559044785, 0.17389040632390312, 0.24596429968944145, 0.8834182682640581,
                2.183142415031239],
        "lstm": [0.028641657535249342, 0.13429404447773882, 0.17241723624059874, 0.23341862108250439,
                 0.13939365907660584],
    }[cell]
    assert_close(got, torch.tensor(expected, dtype=torch.float64), f"the {cell} profile", rtol=1e-8, atol=0.0,
                 against="the documented recipe (check the draw order, the scaling and the forget block)")


@pytest.mark.task(3)
def test_lstm_keeps_what_the_rnn_loses(impl):
    lstm = impl.gradient_norm_profile("lstm", 30, 8, 0, 5.0)
    rnn = impl.gradient_norm_profile("rnn", 30, 8, 0)
    check(float(lstm[0] / lstm[-1]) > 1e-2, "LSTM, forget_bias = 5: the first/last ratio should stay above 1e-2")
    check(float(rnn[0] / rnn[-1]) < 1e-6, "RNN: the first/last ratio should fall below 1e-6")


@pytest.mark.task(4)
def test_float32_in_float32_out(impl):
    f = torch.tensor([[[0.5, 0.9]], [[0.8, 0.5]]], dtype=torch.float32)
    got = expect_tensor(impl.cell_path_jacobian(f), (1, 2, 2), "cell_path_jacobian (float32)", dtype=torch.float32)
    assert_close(got, torch.tensor([[[0.4, 0.0], [0.0, 0.45]]]), "cell_path_jacobian (float32)", rtol=1e-6, atol=0.0)
