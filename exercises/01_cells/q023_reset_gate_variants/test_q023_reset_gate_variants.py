"""Public tests for q023: run them with `rnnkit check q023` (or plain pytest on this file).

They check a worked example, the +50 equivalence with torch.nn.GRUCell, gradients against finite
differences and the gap bound. The hidden grader uses random shapes, a per-unit loop oracle and
more limits.
"""

import pytest
import torch

from rnnkit.testing import assert_close, assert_rel_error, check, expect_tensor

F64 = torch.float64


def worked_example():
    B, D, H = 2, 3, 2
    x = torch.linspace(-1, 1, B * D, dtype=F64).reshape(B, D)
    h = torch.linspace(-0.5, 0.8, B * H, dtype=F64).reshape(B, H)
    weight_ih = torch.linspace(-0.6, 0.7, 3 * H * D, dtype=F64).reshape(3 * H, D)
    weight_hh = torch.linspace(0.9, -0.8, 3 * H * H, dtype=F64).reshape(3 * H, H)
    bias_ih = torch.linspace(-0.3, 0.2, 3 * H, dtype=F64)
    bias_hh = torch.linspace(0.5, -0.4, 3 * H, dtype=F64)
    return [x, h, weight_ih, weight_hh, bias_ih, bias_hh]


def gru_cell(args):
    x, h, weight_ih, weight_hh, bias_ih, bias_hh = args
    cell = torch.nn.GRUCell(x.shape[1], h.shape[1]).double()
    with torch.no_grad():
        for p, v in zip((cell.weight_ih, cell.weight_hh, cell.bias_ih, cell.bias_hh),
                        (weight_ih, weight_hh, bias_ih, bias_hh), strict=True):
            p.copy_(v)
        return cell(x, h)


@pytest.mark.task(1)
def test_worked_example(impl):
    got = expect_tensor(impl.gru_cell_reset_before(*worked_example()), (2, 2), "gru_cell_reset_before")
    # From the reset-before equations (reset-after gives [[-0.5042, -0.4250], [0.3945, 0.7030]]).
    expected = torch.tensor([[-0.5301011129780833, -0.4604154771138819],
                             [0.3584538978849808, 0.6433151046789727]], dtype=F64)
    assert_rel_error(got, expected, "gru_cell_reset_before", against="the worked example")


@pytest.mark.task(2)
def test_reset_bias_plus_50_gives_gru_cell(impl):
    torch.manual_seed(23)
    B, D, H = 3, 4, 5
    args = [torch.randn(B, D, dtype=F64), torch.randn(B, H, dtype=F64), 0.5 * torch.randn(3 * H, D, dtype=F64),
            0.5 * torch.randn(3 * H, H, dtype=F64), 0.5 * torch.randn(3 * H, dtype=F64),
            0.5 * torch.randn(3 * H, dtype=F64)]
    args[4][:H] = 50.0  # b_ir: the reset gate is 1 everywhere
    got = expect_tensor(impl.gru_cell_reset_before(*args), (B, H), "gru_cell_reset_before")
    assert_close(got, gru_cell(args), "gru_cell_reset_before with reset bias +50", rtol=0, atol=1e-12,
                 against="torch.nn.GRUCell")


@pytest.mark.task(3)
def test_gradients_match_finite_differences(impl):
    args = worked_example()
    upstream = torch.linspace(-1, 1, 4, dtype=F64).reshape(2, 2)
    probe = impl.probe("output_grads", impl.function("gru_cell_reset_before"), args, [upstream])
    eps = 1e-6
    for index, name in [(0, "x"), (5, "bias_hh")]:
        grad = probe["inputs"][index]
        check(grad is not None, f"no autograd gradient reaches {name}: keep the computation in torch")
        numeric = torch.zeros_like(args[index])
        for k in range(args[index].numel()):
            plus, minus = [a.clone() for a in args], [a.clone() for a in args]
            plus[index].view(-1)[k] += eps
            minus[index].view(-1)[k] -= eps
            diff = impl.gru_cell_reset_before(*plus) - impl.gru_cell_reset_before(*minus)
            numeric.view(-1)[k] = (diff * upstream).sum() / (2 * eps)
        assert_rel_error(grad, numeric, f"the gradient with respect to {name}", 1e-7, kind="global",
                         against="centred finite differences")


@pytest.mark.task(4)
def test_gap_bound_worked_example(impl):
    got = expect_tensor(impl.reset_gap_bound(*worked_example()), (2, 2), "reset_gap_bound")
    expected = torch.tensor([[0.036328984120939434, 0.0776100218272293],
                             [0.042507223311015425, 0.08269351020074044]], dtype=F64)
    assert_rel_error(got, expected, "reset_gap_bound", against="the worked example")
    gap = (impl.gru_cell_reset_after(*worked_example()) - impl.gru_cell_reset_before(*worked_example())).abs()
    check(bool((gap <= got).all()), "the bound must be at least the real gap |h'_after - h'_before|")


@pytest.mark.task(5)
def test_inputs_are_left_unchanged(impl):
    """Every call checks this: writing into an input tensor fails with a clear message."""
    impl.gru_cell_reset_before(*worked_example())
    impl.reset_gap_bound(*worked_example())
