"""Public tests for q019: run them with `rnnkit check q019` (or plain pytest on this file).

BiLSTM is used through a handle: `m = impl.BiLSTM(D, H)` builds it in the submission process
(float64 by default), `m.load_state_dict(sd)` and `m(x, lengths)` call it there. The hidden
grader uses other sizes, random weights, garbage in every pad, and compares with torch.nn.LSTM
(bidirectional=True) run on pack_padded_sequence.
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


@pytest.mark.task(1)
def test_reverse_padded_worked_example(impl):
    x = torch.tensor([[1, 2, 3, 4], [5, 6, 0, 0], [7, 0, 0, 0]])
    got = expect_tensor(impl.reverse_padded(x, torch.tensor([4, 2, 1])), (3, 4), "reverse_padded(x, lengths)")
    want = torch.tensor([[4, 3, 2, 1], [6, 5, 0, 0], [7, 0, 0, 0]])
    check(torch.equal(got, want), f"reverse_padded gave {got.tolist()}, expected {want.tolist()}")


@pytest.mark.task(1)
def test_reverse_padded_keeps_trailing_dims_and_pads(impl):
    x = torch.arange(12.0, dtype=torch.float64).reshape(2, 3, 2)
    got = expect_tensor(impl.reverse_padded(x, torch.tensor([2, 3])), (2, 3, 2), "reverse_padded(x, lengths)")
    want = torch.tensor([[[2.0, 3.0], [0.0, 1.0], [4.0, 5.0]], [[10.0, 11.0], [8.0, 9.0], [6.0, 7.0]]],
                        dtype=torch.float64)
    check(torch.equal(got, want), f"reverse_padded gave {got.tolist()}, expected {want.tolist()}")


def worked_state() -> dict:
    return {"weight_ih_l0": lin(-0.6, 0.8, 4 * H, D), "weight_hh_l0": lin(0.5, -0.4, 4 * H, H),
            "bias_ih_l0": lin(-0.3, 0.3, 4 * H), "bias_hh_l0": lin(0.1, -0.1, 4 * H),
            "weight_ih_l0_reverse": lin(0.7, -0.5, 4 * H, D), "weight_hh_l0_reverse": lin(-0.3, 0.6, 4 * H, H),
            "bias_ih_l0_reverse": lin(0.2, -0.2, 4 * H), "bias_hh_l0_reverse": lin(-0.1, 0.0, 4 * H)}


def worked_batch():
    x = lin(-1, 1, B, T, D)
    x[1, 2] = torch.tensor([40.0, -60.0])  # row 1 has length 2: its step 2 is padding
    return x, torch.tensor([3, 2])


def model(impl):
    m = impl.BiLSTM(D, H)
    m.load_state_dict(worked_state())
    return m


def run(m, x, lengths):
    out, h_n = expect_tuple(m(x, lengths), 2, "BiLSTM.forward")
    return expect_tensor(out, (B, T, 2 * H), "out (B, T, 2H)"), expect_tensor(h_n, (2, B, H), "h_n (2, B, H)")


@pytest.mark.task(2)
def test_parameter_names_and_shapes(impl):
    sd = impl.BiLSTM(D, H).state_dict()
    want = worked_state()
    check(sorted(map(str, sd)) == sorted(want), f"the state_dict keys should be {sorted(want)}, got {sorted(map(str, sd))}")
    for name, value in want.items():
        expect_tensor(sd[name], tuple(value.shape), name, dtype=torch.float64)
    run(model(impl), *worked_batch())


# nn.LSTM(2, 2, bidirectional=True, batch_first=True) on pack_padded_sequence gives the same numbers.
WANT_OUT = [[[-0.06101278757220755, -0.07741977615211526, -0.02903016629687094, 0.021770525580089305],
             [-0.08146448000408019, -0.11478967257216358, -0.028922666400874934, -0.004039869142651338],
             [-0.057882251611813866, -0.0838256819337269, -0.019305216544566954, -0.016136153979003056]],
            [[0.025348870469750658, 0.060987199739102875, -0.030579425585156784, -0.0769915957980804],
             [0.06487145769505984, 0.15971585142083045, -0.014929229670936326, -0.05633167954669711],
             [0.0, 0.0, 0.0, 0.0]]]
WANT_H = [[[-0.057882251611813866, -0.0838256819337269], [0.06487145769505984, 0.15971585142083045]],
          [[-0.02903016629687094, 0.021770525580089305], [-0.030579425585156784, -0.0769915957980804]]]


@pytest.mark.task(3)
def test_full_row_of_the_worked_example(impl):
    out, h_n = run(model(impl), *worked_batch())
    want_out, want_h = torch.tensor(WANT_OUT, dtype=torch.float64), torch.tensor(WANT_H, dtype=torch.float64)
    assert_close(out[0], want_out[0], "out[0] (a row of full length)", against="the worked example")
    assert_close(h_n[:, 0], want_h[:, 0], "h_n[:, 0] (a row of full length)", against="the worked example")


@pytest.mark.task(4)
def test_short_row_of_the_worked_example(impl):
    out, h_n = run(model(impl), *worked_batch())
    want_out, want_h = torch.tensor(WANT_OUT, dtype=torch.float64), torch.tensor(WANT_H, dtype=torch.float64)
    assert_close(out[1, :2], want_out[1, :2], "out[1, :2] (the valid steps of a row of length 2)",
                 against="the worked example (the backward direction starts at step 1, not at the pad)")
    assert_close(h_n[:, 1], want_h[:, 1], "h_n[:, 1] (a row of length 2)", against="the worked example")
    assert_close(h_n[1], out[:, 0, H:], "h_n[1]", rtol=0.0, atol=0.0, against="out[:, 0, H:]")


@pytest.mark.task(5)
def test_pads_are_zero_and_do_not_matter(impl):
    m = model(impl)
    x, lengths = worked_batch()
    out, h_n = run(m, x, lengths)
    check(bool((out[1, 2] == 0).all()), "out should be exactly 0 at the pad step of row 1")
    other = x.clone()
    other[1, 2] = torch.tensor([-7.0, 3.0])
    out2, h2 = run(m, other, lengths)
    assert_close(out2, out, "out after changing only the pad", rtol=1e-12, atol=1e-14, against="out before")
    assert_close(h2, h_n, "h_n after changing only the pad", rtol=1e-12, atol=1e-14, against="h_n before")


@pytest.mark.task(6)
def test_no_gradient_reaches_the_pads(impl):
    x, lengths = worked_batch()
    upstream = [lin(1, -1, B, T, 2 * H), lin(0.5, -0.2, 2, B, H)]
    got = impl.probe("output_grads", model(impl), [x, lengths], upstream)
    dx = expect_tensor(got["inputs"][0], (B, T, D), "d/dx")
    check(bool((dx[1, 2] == 0).all()), "the gradient with respect to a pad step of x should be 0")
    check(bool((dx[0] != 0).any()) and bool((dx[1, :2] != 0).any()), "the gradient should reach the valid steps of x")
