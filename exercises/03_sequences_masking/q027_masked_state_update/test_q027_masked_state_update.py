"""Public tests for q027: run them with `rnnkit check q027` (or plain pytest on this file).

`step` is a torch.nn.LSTMCell built here; it is handed to your function as it is (in the graded
run it is rebuilt next to your code). The hidden grader uses random sizes, weights, masks and
garbage at the padded positions.
"""

import pytest
import torch

from rnnkit.testing import assert_close, check, expect_tensor, expect_tuple

B, T, D, H = 2, 3, 2, 2


def lin(a: float, b: float, *shape: int) -> torch.Tensor:
    n = 1
    for s in shape:
        n *= s
    return torch.linspace(a, b, n, dtype=torch.float64).reshape(shape)


def worked_cell() -> torch.nn.LSTMCell:
    cell = torch.nn.LSTMCell(D, H).double()
    with torch.no_grad():
        cell.weight_ih.copy_(lin(-0.6, 0.8, 4 * H, D))
        cell.weight_hh.copy_(lin(0.5, -0.4, 4 * H, H))
        cell.bias_ih.copy_(lin(-0.3, 0.3, 4 * H))
        cell.bias_hh.zero_()
    return cell


def worked_inputs() -> tuple[torch.Tensor, ...]:
    x = lin(-1, 1, B, T, D)
    x[0, 2] = 50.0    # padding: garbage that must not matter
    x[1, 1] = -50.0   # a hole in row 1
    mask = torch.tensor([[True, True, False], [True, False, True]])
    return x, mask, lin(-0.5, 0.5, B, H), lin(-1, 1, B, H)


def run(impl, *args):
    out = expect_tuple(impl.masked_lstm(*args), 2, "masked_lstm")
    state = expect_tuple(out[1], 2, "the state (h_T, c_T) returned by masked_lstm")
    return (expect_tensor(out[0], (B, T, H), "outputs"), expect_tensor(state[0], (B, H), "h_T"),
            expect_tensor(state[1], (B, H), "c_T"))


@pytest.mark.task(1)
def test_worked_example(impl):
    outputs, h_T, c_T = run(impl, worked_cell(), *worked_inputs())
    want_out = torch.tensor([
        [[-0.20424869709960644, -0.11630534308627821], [-0.17015189369044076, -0.12244804401814884], [0.0, 0.0]],
        [[0.11673631001854926, 0.30817729944264155], [0.0, 0.0], [0.13485695273144543, 0.38412029640290224]],
    ], dtype=torch.float64)
    assert_close(outputs, want_out, "outputs", against="the worked example")
    check(bool((outputs[0, 2] == 0).all() and (outputs[1, 1] == 0).all()), "outputs at padded positions must be exactly 0")
    # row 0 ends at t = 1: its final state is its state at t = 1
    assert_close(h_T, torch.tensor([[-0.17015189369044076, -0.12244804401814884],
                                    [0.13485695273144543, 0.38412029640290224]], dtype=torch.float64), "h_T", against="the worked example")
    assert_close(c_T, torch.tensor([[-0.42840061815917724, -0.31462487799093436],
                                    [0.17985376839288453, 0.5081909302253854]], dtype=torch.float64), "c_T", against="the worked example")


@pytest.mark.task(1)
def test_garbage_in_the_padding_changes_nothing(impl):
    x, mask, h0, c0 = worked_inputs()
    first = run(impl, worked_cell(), x, mask, h0, c0)
    x2 = x.clone()
    x2[~mask] = torch.tensor([[123.0, -7.0], [0.5, 99.0]], dtype=torch.float64)
    second = run(impl, worked_cell(), x2, mask, h0, c0)
    for name, a, b in zip(("outputs", "h_T", "c_T"), first, second, strict=True):
        assert_close(b, a, f"{name} with other garbage in the padding", against=f"{name} before")


@pytest.mark.task(2)
def test_a_row_without_real_tokens_keeps_its_initial_state(impl):
    x, _, h0, c0 = worked_inputs()
    mask = torch.tensor([[True, True, True], [False, False, False]])
    outputs, h_T, c_T = run(impl, worked_cell(), x, mask, h0, c0)
    check(bool((outputs[1] == 0).all()), "a row with no real token must output 0 everywhere")
    assert_close(h_T[1], h0[1], "h_T of the empty row", against="h0")
    assert_close(c_T[1], c0[1], "c_T of the empty row", against="c0")


@pytest.mark.task(3)
def test_no_gradient_reaches_padded_inputs(impl):
    x, mask, h0, c0 = worked_inputs()
    upstream = [lin(1, -1, B, T, H), lin(-0.5, 1, B, H), lin(0.3, -0.7, B, H)]
    got = impl.probe("output_grads", impl.function("masked_lstm"), [worked_cell(), x, mask, h0, c0], upstream)
    dx = expect_tensor(got["inputs"][0], (B, T, D), "d/dx")
    check(bool((dx[~mask] == 0).all()), "the gradient with respect to x at a padded position must be exactly 0")
    check(bool((dx[mask] != 0).all()), "every real input should get a gradient")


def ce_inputs():
    logits = torch.tensor([[[2.0, 0.5, -1.0], [0.0, 1.0, 0.0], [-0.5, 0.25, 1.5]],
                           [[1.0, -2.0, 0.5], [40.0, -40.0, 7.0], [-30.0, 0.0, 30.0]]], dtype=torch.float64)
    targets = torch.tensor([[0, 2, 1], [1, -100, 7]])  # -100 and 7 sit at padded positions
    mask = torch.tensor([[True, True, True], [True, False, False]])
    return logits, targets, mask


@pytest.mark.task(4)
def test_token_mean_worked_example(impl):
    loss = expect_tensor(impl.masked_cross_entropy(*ce_inputs()), (), "masked_cross_entropy(...)")
    # (0.2413 + 1.5514 + 1.6020 + 3.5046) / 4 real tokens
    assert_close(loss, torch.tensor(1.7248261941835734, dtype=torch.float64), "token_mean loss", against="the worked example")


@pytest.mark.task(4)
def test_near_uniform_logits_give_log_v(impl):
    V = 7
    logits = 1e-3 * lin(-1, 1, 3, 4, V).sin()
    targets = torch.tensor([[0, 1, 2, 3], [4, 5, 6, 0], [1, 2, 3, 4]])
    mask = torch.ones(3, 4, dtype=torch.bool)
    loss = expect_tensor(impl.masked_cross_entropy(logits, targets, mask), (), "masked_cross_entropy(...)")
    assert_close(loss, torch.tensor(V, dtype=torch.float64).log(), "loss on near-uniform logits",
                 rtol=0, atol=1e-3, against="log V")


@pytest.mark.task(5)
def test_seq_mean_worked_example(impl):
    loss = expect_tensor(impl.masked_cross_entropy(*ce_inputs(), reduction="seq_mean"), (), "masked_cross_entropy(...)")
    # row 0: (0.2413 + 1.5514 + 1.6020) / 3; row 1: 3.5046 / 1; then the mean of the two rows
    assert_close(loss, torch.tensor(2.3180830969031434, dtype=torch.float64), "seq_mean loss", against="the worked example")


@pytest.mark.task(5)
def test_unknown_reduction_raises(impl):
    with pytest.raises(ValueError):
        impl.masked_cross_entropy(*ce_inputs(), reduction="mean")


@pytest.mark.task(6)
def test_loss_gradient_worked_example(impl):
    # one real token (target 1) with uniform logits, one padded position holding garbage
    logits = torch.tensor([[[0.0, 0.0], [50.0, -50.0]]], dtype=torch.float64)
    targets = torch.tensor([[1, -100]])
    mask = torch.tensor([[True, False]])
    got = impl.probe("output_grads", impl.function("masked_cross_entropy"), [logits, targets, mask],
                     [torch.tensor(1.0, dtype=torch.float64)])
    g = expect_tensor(got["inputs"][0], (1, 2, 2), "d loss / d logits")
    # softmax - onehot at the real token, divided by 1 real token; exactly 0 at the pad
    assert_close(g, torch.tensor([[[0.5, -0.5], [0.0, 0.0]]], dtype=torch.float64), "d loss / d logits",
                 against="softmax - onehot")
    check(bool((g[0, 1] == 0).all()), "the gradient at a padded position must be exactly 0")


@pytest.mark.task(7)
def test_float32_gives_float32(impl):
    logits, targets, mask = ce_inputs()
    loss = impl.masked_cross_entropy(logits.float(), targets, mask)
    expect_tensor(loss, (), "masked_cross_entropy of float32 logits", dtype=torch.float32)
