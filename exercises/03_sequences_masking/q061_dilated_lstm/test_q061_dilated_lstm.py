"""Public tests for q061: run them with `rnnkit check q061` (or plain pytest on this file).

Your class is used through a handle: `model = impl.DilatedLSTM(D, H, dilations)` builds it in the
submission process (float64 by default); `model.load_state_dict(sd)` and `model(x)` call it
there. The hidden grader uses other sizes, dilations and random weights.
"""

import pytest
import torch

from rnnkit.testing import assert_close, check, expect_tensor


def lin(a: float, b: float, *shape: int) -> torch.Tensor:
    n = 1
    for s in shape:
        n *= s
    return torch.linspace(a, b, n, dtype=torch.float64).reshape(shape)


def numbers() -> torch.Tensor:
    return torch.arange(1.0, 11.0, dtype=torch.float64).reshape(2, 5, 1)   # x[b, t, 0] = 5b + t + 1


@pytest.mark.task(1)
def test_dilate_worked_example(impl):
    y = expect_tensor(impl.dilate(numbers(), 2), (4, 3, 1), "dilate(x (2, 5, 1), d=2)")
    # rows 0, 1: phase 0 (t = 0, 2, 4) of sequences 0, 1; rows 2, 3: phase 1 (t = 1, 3, then padding)
    want = torch.tensor([[1.0, 3.0, 5.0], [6.0, 8.0, 10.0], [2.0, 4.0, 0.0], [7.0, 9.0, 0.0]],
                        dtype=torch.float64)
    assert_close(y[..., 0], want, "dilate(x, 2)", rtol=0, atol=0, against="the worked example")


@pytest.mark.task(1)
def test_dilate_by_3(impl):
    y = expect_tensor(impl.dilate(numbers(), 3), (6, 2, 1), "dilate(x (2, 5, 1), d=3)")
    want = torch.tensor([[1.0, 4.0], [6.0, 9.0], [2.0, 5.0], [7.0, 10.0], [3.0, 0.0], [8.0, 0.0]],
                        dtype=torch.float64)
    assert_close(y[..., 0], want, "dilate(x, 3)", rtol=0, atol=0, against="the worked example")


@pytest.mark.task(2)
def test_undilate_worked_example(impl):
    y = torch.tensor([[1.0, 3.0, 5.0], [6.0, 8.0, 10.0], [2.0, 4.0, -1.0], [7.0, 9.0, -1.0]],
                     dtype=torch.float64)[..., None]
    out = expect_tensor(impl.undilate(y, 2, 5), (2, 5, 1), "undilate(y (4, 3, 1), d=2, T=5)")
    assert_close(out, numbers(), "undilate(y, 2, 5)", rtol=0, atol=0, against="the worked example")


@pytest.mark.task(2)
@pytest.mark.parametrize("d", [1, 2, 3, 4, 7])
def test_undilate_inverts_dilate(impl, d):
    x = lin(-1, 1, 3, 5, 2)
    back = expect_tensor(impl.undilate(impl.dilate(x, d), d, 5), (3, 5, 2), f"undilate(dilate(x, {d}), {d}, 5)")
    assert_close(back, x, f"undilate(dilate(x, {d}), {d}, 5)", rtol=0, atol=0, against="x")


def worked_model(impl):
    model = impl.DilatedLSTM(1, 2, [2])
    model.load_state_dict({"layers.0.weight_ih_l0": lin(-0.6, 0.8, 8, 1), "layers.0.weight_hh_l0": lin(0.5, -0.4, 8, 2),
                           "layers.0.bias_ih_l0": lin(-0.3, 0.3, 8), "layers.0.bias_hh_l0": torch.zeros(8, dtype=torch.float64)})
    return model


@pytest.mark.task(3)
def test_parameter_names_and_output_shape(impl):
    sd = impl.DilatedLSTM(3, 2, [1, 2, 4]).state_dict()
    want = sorted(f"layers.{l}.{n}" for l in range(3) for n in ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"))
    check(sorted(sd) == want, f"the state_dict keys should be {want}, got {sorted(map(str, sd))}")
    expect_tensor(sd["layers.0.weight_ih_l0"], (8, 3), "layers.0.weight_ih_l0")
    expect_tensor(sd["layers.1.weight_ih_l0"], (8, 2), "layers.1.weight_ih_l0")
    out = impl.DilatedLSTM(3, 2, [1, 2, 4])(lin(-1, 1, 2, 6, 3))
    expect_tensor(out, (2, 6, 2), "DilatedLSTM(3, 2, [1, 2, 4])(x (2, 6, 3))", dtype=torch.float64)


@pytest.mark.task(4)
def test_worked_example(impl):
    x = torch.tensor([[[0.5], [-1.0], [1.5], [2.0], [-0.5]]], dtype=torch.float64)
    out = expect_tensor(worked_model(impl)(x), (1, 5, 2), "DilatedLSTM(1, 2, [2])(x (1, 5, 1))")
    # t = 0 and t = 1 both start from the zero state; t = 2 reads the state of t = 0, t = 3 that of t = 1
    want = torch.tensor([[[0.03143861795603435, 0.08389601484345764], [-0.03614221783698515, -0.0542679147635981],
                          [0.07378968538848153, 0.20244288964074206], [0.03291157808593568, 0.10508579755679898],
                          [0.007580406664412652, 0.03088124052789468]]], dtype=torch.float64)
    assert_close(out, want, "outputs", against="the worked example")


@pytest.mark.task(4)
def test_dilation_1_is_a_plain_lstm(impl):
    torch.manual_seed(0)
    lstm = torch.nn.LSTM(2, 3, batch_first=True).double()
    model = impl.DilatedLSTM(2, 3, [1])
    model.load_state_dict({f"layers.0.{k}": v.detach() for k, v in lstm.state_dict().items()})
    x = lin(-1, 1, 2, 4, 2)
    with torch.no_grad():
        want, _ = lstm(x)
    assert_close(model(x), want, "DilatedLSTM with dilations [1]", against="torch.nn.LSTM")


@pytest.mark.task(5)
def test_output_depends_on_every_second_input(impl):
    T = 5
    upstream = torch.zeros(1, T, 2, dtype=torch.float64)
    upstream[0, 4] = 1.0           # d out[4] / d x
    got = impl.probe("output_grads", worked_model(impl), [lin(-1, 1, 1, T, 1)], [upstream])
    dx = expect_tensor(got["inputs"][0], (1, T, 1), "d out[4] / d x")
    check(bool((dx[0, [1, 3], 0] == 0).all()), "with d = 2, output 4 must not depend on inputs 3 and 1")
    check(bool((dx[0, [0, 2, 4], 0] != 0).all()), "with d = 2, output 4 depends on inputs 4, 2 and 0")


@pytest.mark.task(6)
def test_float32_stays_float32(impl):
    y = impl.dilate(numbers().float(), 2)
    expect_tensor(y, (4, 3, 1), "dilate of a float32 x", dtype=torch.float32)
    expect_tensor(impl.undilate(y, 2, 5), (2, 5, 1), "undilate of a float32 y", dtype=torch.float32)
