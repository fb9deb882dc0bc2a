"""Public tests for q009: run them with `rnnkit check q009` (or plain pytest on this file).

Your class is used through a handle: `cell = impl.PeepholeLSTMCell(D, H)` builds it in the
submission process (float64 by default), `cell.load_state_dict(sd)` and `cell(x, (h, c))` call it
there. The hidden grader uses other sizes and random weights.
"""

import pytest
import torch

from rnnkit.testing import assert_close, check, expect_tensor, expect_tuple

D, H, B = 3, 2, 2
NAMES = ["bias", "p_f", "p_i", "p_o", "weight_hh", "weight_ih"]


def lin(a: float, b: float, *shape: int) -> torch.Tensor:
    n = 1
    for s in shape:
        n *= s
    return torch.linspace(a, b, n, dtype=torch.float64).reshape(shape)


def worked_params() -> dict:
    return {"weight_ih": lin(-0.6, 0.8, 4 * H, D), "weight_hh": lin(0.5, -0.4, 4 * H, H),
            "bias": lin(-0.3, 0.3, 4 * H),
            "p_i": torch.tensor([0.5, -0.25], dtype=torch.float64),
            "p_f": torch.tensor([1.0, 0.75], dtype=torch.float64),
            "p_o": torch.tensor([-0.5, 2.0], dtype=torch.float64)}


def worked_inputs() -> tuple:
    return lin(-1, 1, B, D), lin(-0.5, 0.5, B, H), lin(-2, 1.5, B, H)


def loaded_cell(impl, sd):
    cell = impl.PeepholeLSTMCell(D, H)
    cell.load_state_dict(sd)
    return cell


@pytest.mark.task(1)
def test_parameter_names_and_shapes(impl):
    sd = impl.PeepholeLSTMCell(D, H).state_dict()
    check(sorted(sd) == NAMES, f"the state_dict keys should be {NAMES}, got {sorted(map(str, sd))}")
    expected = {"weight_ih": (4 * H, D), "weight_hh": (4 * H, H), "bias": (4 * H,),
                "p_i": (H,), "p_f": (H,), "p_o": (H,)}
    for name, shape in expected.items():
        expect_tensor(sd[name], shape, name, dtype=torch.float64)


@pytest.mark.task(1)
def test_forward_returns_h_and_c(impl):
    x, h, c = worked_inputs()
    out = expect_tuple(loaded_cell(impl, worked_params())(x, (h, c)), 2, "forward")
    expect_tensor(out[0], (B, H), "h_next")
    expect_tensor(out[1], (B, H), "c_next")


@pytest.mark.task(2)
def test_zero_peepholes_equal_lstm_cell(impl):
    torch.manual_seed(0)
    ref = torch.nn.LSTMCell(D, H).double()
    sd = {"weight_ih": ref.weight_ih.detach(), "weight_hh": ref.weight_hh.detach(),
          "bias": (ref.bias_ih + ref.bias_hh).detach(),
          "p_i": torch.zeros(H, dtype=torch.float64), "p_f": torch.zeros(H, dtype=torch.float64),
          "p_o": torch.zeros(H, dtype=torch.float64)}
    x, h, c = worked_inputs()
    got_h, got_c = loaded_cell(impl, sd)(x, (h, c))
    with torch.no_grad():
        want_h, want_c = ref(x, (h, c))
    assert_close(got_h, want_h, "h_next", against="torch.nn.LSTMCell")
    assert_close(got_c, want_c, "c_next", against="torch.nn.LSTMCell")


@pytest.mark.task(3)
def test_worked_example(impl):
    x, h, c = worked_inputs()
    got_h, got_c = loaded_cell(impl, worked_params())(x, (h, c))
    # From the equations of the docstring (i, f peek at the old c; o at the new c).
    want_h = torch.tensor([[-0.1312790035028076, -0.06866788810197726],
                           [0.20976270054532314, 0.8553654915201283]], dtype=torch.float64)
    want_c = torch.tensor([[-0.3420471958073751, -0.5142562535559535],
                           [0.3006280489445514, 1.3319892796014468]], dtype=torch.float64)
    assert_close(got_h, want_h, "h_next", against="the worked example")
    assert_close(got_c, want_c, "c_next", against="the worked example")


@pytest.mark.task(3)
def test_output_peephole_does_not_touch_the_cell(impl):
    x, h, c = worked_inputs()
    sd = worked_params()
    sd["p_o"] = torch.zeros(H, dtype=torch.float64)
    got_h, got_c = loaded_cell(impl, sd)(x, (h, c))
    # Same cell state as the worked example: p_o only acts on the output gate.
    want_c = torch.tensor([[-0.3420471958073751, -0.5142562535559535],
                           [0.3006280489445514, 1.3319892796014468]], dtype=torch.float64)
    want_h = torch.tensor([[-0.11803947246875376, -0.15233880353503468],
                           [0.2183360671810617, 0.7007664279633863]], dtype=torch.float64)
    assert_close(got_c, want_c, "c_next with p_o = 0", against="c_next of the worked example")
    assert_close(got_h, want_h, "h_next with p_o = 0")


@pytest.mark.task(4)
def test_gradients_with_zero_peepholes_match_lstm_cell(impl):
    torch.manual_seed(1)
    ref = torch.nn.LSTMCell(D, H).double()
    zeros = torch.zeros(H, dtype=torch.float64)
    sd = {"weight_ih": ref.weight_ih.detach(), "weight_hh": ref.weight_hh.detach(),
          "bias": (ref.bias_ih + ref.bias_hh).detach(), "p_i": zeros, "p_f": zeros, "p_o": zeros}
    x, h, c = worked_inputs()
    upstream = [lin(1, -1, B, H), lin(-0.5, 1, B, H)]
    got = impl.probe("output_grads", loaded_cell(impl, sd), [x, (h, c)], upstream)
    xs = [t.clone().requires_grad_(True) for t in (x, h, c)]
    out_h, out_c = ref(xs[0], (xs[1], xs[2]))
    ((out_h * upstream[0]).sum() + (out_c * upstream[1]).sum()).backward()
    for name, leaf, g in zip(("x", "h", "c"), xs, got["inputs"], strict=True):
        check(g is not None, f"no gradient reaches {name}")
        assert_close(g, leaf.grad, f"d/d{name}", against="torch.nn.LSTMCell")
    assert_close(got["params"]["weight_ih"], ref.weight_ih.grad, "d/dweight_ih", against="torch.nn.LSTMCell")
    assert_close(got["params"]["weight_hh"], ref.weight_hh.grad, "d/dweight_hh", against="torch.nn.LSTMCell")
    assert_close(got["params"]["bias"], ref.bias_ih.grad, "d/dbias", against="torch.nn.LSTMCell")
    for name in ("p_i", "p_f", "p_o"):
        check(got["params"].get(name) is not None, f"{name} should be an nn.Parameter that gets a gradient")


@pytest.mark.task(5)
def test_float32_cell_gives_float32(impl):
    cell = impl.PeepholeLSTMCell.with_options(dtype="float32")(D, H)
    cell.load_state_dict({k: v.float() for k, v in worked_params().items()})
    x, h, c = (t.float() for t in worked_inputs())
    out = expect_tuple(cell(x, (h, c)), 2, "forward")
    expect_tensor(out[0], (B, H), "h_next", dtype=torch.float32)
    expect_tensor(out[1], (B, H), "c_next", dtype=torch.float32)
    assert_close(out[1], torch.tensor([[-0.3420471958073751, -0.5142562535559535],
                                       [0.3006280489445514, 1.3319892796014468]]),
                 "c_next (float32)", rtol=1e-5, atol=1e-6, against="the worked example")
