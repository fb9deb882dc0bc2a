"""Public tests for q022: run them with `rnnkit check q022` (or plain pytest on this file).

They check a worked example of each convention, the ValueError, a tiny conversion and that a
Chung-convention cell with converted weights reproduces torch.nn.GRUCell. The hidden grader uses
other values, shapes and edge cases.
"""

import pytest
import torch

from rnnkit.testing import assert_close, check, expect_tensor, expect_tuple

F64 = torch.float64


def worked_example():
    h_prev = torch.tensor([[1.0, -1.0]], dtype=F64)
    n = torch.tensor([[0.5, 0.25]], dtype=F64)
    z = torch.tensor([[0.25, 0.75]], dtype=F64)
    return h_prev, n, z


@pytest.mark.task(1)
def test_torch_convention_worked_example(impl):
    got = expect_tensor(impl.gru_interpolate(*worked_example(), "torch"), (1, 2), "gru_interpolate(..., 'torch')")
    # (1 - z) * n + z * h_prev = [0.75*0.5 + 0.25*1, 0.25*0.25 + 0.75*(-1)]
    check(torch.equal(got, torch.tensor([[0.625, -0.6875]], dtype=F64)),
          "the 'torch' convention is h = (1 - z) * n + z * h_prev")


@pytest.mark.task(1)
def test_chung_convention_worked_example(impl):
    got = expect_tensor(impl.gru_interpolate(*worked_example(), "chung"), (1, 2), "gru_interpolate(..., 'chung')")
    # z * n + (1 - z) * h_prev = [0.25*0.5 + 0.75*1, 0.75*0.25 + 0.25*(-1)]
    check(torch.equal(got, torch.tensor([[0.875, -0.0625]], dtype=F64)),
          "the 'chung' convention is h = z * n + (1 - z) * h_prev")


@pytest.mark.task(2)
def test_unknown_convention_raises(impl):
    with pytest.raises(ValueError):
        impl.gru_interpolate(*worked_example(), "keras")


@pytest.mark.task(2)
def test_z_equal_one_keeps_the_old_state_in_torch_convention(impl):
    h_prev = torch.tensor([[0.3, -0.7, 0.9]], dtype=F64)
    n = torch.tensor([[0.1, 0.2, -0.4]], dtype=F64)
    got = impl.gru_interpolate(h_prev, n, torch.ones(1, 3, dtype=F64), "torch")
    assert_close(got, h_prev, "gru_interpolate with z = 1", rtol=0, atol=1e-15, against="h_prev")


@pytest.mark.task(4)
def test_tiny_conversion(impl):
    # H = 1, D = 1: rows are r, z, n
    params = (torch.tensor([[1.0], [2.0], [3.0]], dtype=F64), torch.tensor([[4.0], [5.0], [6.0]], dtype=F64),
              torch.tensor([7.0, 8.0, 9.0], dtype=F64), torch.tensor([10.0, 11.0, 12.0], dtype=F64))
    got = expect_tuple(impl.convert_update_gate_convention(*params), 4, "convert_update_gate_convention")
    expected = ([[1.0], [-2.0], [3.0]], [[4.0], [-5.0], [6.0]], [7.0, -8.0, 9.0], [10.0, -11.0, 12.0])
    for name, g, e in zip(["weight_ih", "weight_hh", "bias_ih", "bias_hh"], got, expected, strict=True):
        check(torch.equal(expect_tensor(g, tuple(torch.tensor(e).shape), name), torch.tensor(e, dtype=F64)),
              f"{name}: only the middle block (the update gate z) should be negated")


def chung_cell(x, h, weight_ih, weight_hh, bias_ih, bias_hh):
    H = h.shape[1]
    gi, gh = x @ weight_ih.T + bias_ih, h @ weight_hh.T + bias_hh
    r = torch.sigmoid(gi[:, :H] + gh[:, :H])
    z = torch.sigmoid(gi[:, H:2 * H] + gh[:, H:2 * H])
    n = torch.tanh(gi[:, 2 * H:] + r * gh[:, 2 * H:])
    return z * n + (1 - z) * h


@pytest.mark.task(3)
def test_chung_cell_with_converted_weights_equals_gru_cell(impl):
    torch.manual_seed(22)
    cell = torch.nn.GRUCell(3, 4).double()
    x, h = torch.randn(2, 3, dtype=F64), torch.randn(2, 4, dtype=F64)
    params = [p.detach().clone() for p in (cell.weight_ih, cell.weight_hh, cell.bias_ih, cell.bias_hh)]
    converted = expect_tuple(impl.convert_update_gate_convention(*params), 4, "convert_update_gate_convention")
    with torch.no_grad():
        want = cell(x, h)
    assert_close(chung_cell(x, h, *converted), want, "the Chung cell with converted weights",
                 rtol=0, atol=1e-12, against="torch.nn.GRUCell")
