"""Public tests for q065: run them with `rnnkit check q065` (or plain pytest on this file).

Your class is used through a handle: `model = impl.ResidualGRU(D, H, L)` builds it in the
submission process (float64 by default); `model.load_state_dict(sd)` and `model(x, h0)` call it
there. The hidden grader uses other sizes, random weights and compares with torch.nn.GRU.
"""

import pytest
import torch

from rnnkit.testing import assert_close, check, expect_tensor, expect_tuple

NAMES_1_2_2 = ["gates.0.bias", "gates.0.weight", "gates.1.bias", "gates.1.weight",
               "layers.0.bias_hh_l0", "layers.0.bias_ih_l0", "layers.0.weight_hh_l0", "layers.0.weight_ih_l0",
               "layers.1.bias_hh_l0", "layers.1.bias_ih_l0", "layers.1.weight_hh_l0", "layers.1.weight_ih_l0",
               "proj.weight"]


def lin(a: float, b: float, *shape: int) -> torch.Tensor:
    n = 1
    for s in shape:
        n *= s
    return torch.linspace(a, b, n, dtype=torch.float64).reshape(shape)


def worked_model(impl):
    """ResidualGRU(1, 2, 2): every weight linspace(-0.7, 0.9), every bias linspace(-0.2, 0.3), proj [[1], [-0.5]]."""
    model = impl.ResidualGRU(1, 2, 2)
    sd = {k: (lin(-0.7, 0.9, *v.shape) if "weight" in k else lin(-0.2, 0.3, *v.shape))
          for k, v in model.state_dict().items()}
    sd["proj.weight"] = torch.tensor([[1.0], [-0.5]], dtype=torch.float64)
    model.load_state_dict(sd)
    return model


def run(model, x, h0=None):
    out = expect_tuple(model(x, h0) if h0 is not None else model(x), 2, "ResidualGRU.forward")
    B, T, _ = x.shape
    return expect_tensor(out[0], (B, T, 2), "outputs"), expect_tensor(out[1], (2, B, 2), "h_n")


X = torch.tensor([[[0.5], [-1.0], [1.5]]], dtype=torch.float64)


@pytest.mark.task(1)
def test_parameter_names_and_shapes(impl):
    sd = impl.ResidualGRU(1, 2, 2).state_dict()
    check(sorted(sd) == NAMES_1_2_2, f"the state_dict keys should be {NAMES_1_2_2}, got {sorted(map(str, sd))}")
    expect_tensor(sd["gates.0.weight"], (2, 1), "gates.0.weight")
    expect_tensor(sd["gates.1.weight"], (2, 2), "gates.1.weight")
    expect_tensor(sd["proj.weight"], (2, 1), "proj.weight")
    same = impl.ResidualGRU(3, 3, 1).state_dict()
    check("proj.weight" not in same, "with input_size == hidden_size there must be no proj (the skip is the identity)")


@pytest.mark.task(3)
def test_worked_example(impl):
    y, h_n = run(worked_model(impl), X, lin(-0.4, 0.4, 2, 1, 2))
    want_y = torch.tensor([[[0.31688067976723644, 0.3394656021199155], [-0.036519921847415454, 0.444509122311651],
                            [1.0753753654737448, 0.5111924562608038]]], dtype=torch.float64)
    want_h = torch.tensor([[[0.37222595702157285, 0.29904880178875237]], [[0.5563959654966318, 0.6700903860792711]]],
                          dtype=torch.float64)
    assert_close(y, want_y, "outputs", against="the worked example")
    assert_close(h_n, want_h, "h_n (the GRUs' own final states)", against="the worked example")


@pytest.mark.task(3)
def test_worked_example_without_h0(impl):
    y, h_n = run(worked_model(impl), X)
    want_y = torch.tensor([[[0.3491002569420626, 0.22769461169768535], [-0.012888625619616317, 0.38167877422695956],
                            [1.091208172541117, 0.4715497706672384]]], dtype=torch.float64)
    want_h = torch.tensor([[[0.45282590727048067, 0.36179940327649784]], [[0.5545660817189482, 0.585650198402752]]],
                          dtype=torch.float64)
    assert_close(y, want_y, "outputs with h0 = None", against="the worked example")
    assert_close(h_n, want_h, "h_n with h0 = None", against="the worked example")


@pytest.mark.task(2)
def test_open_gates_give_a_plain_stacked_gru(impl):
    torch.manual_seed(0)
    gru = torch.nn.GRU(2, 3, num_layers=2, batch_first=True).double()
    model = impl.ResidualGRU(2, 3, 2)
    sd = {k: torch.zeros_like(v) for k, v in model.state_dict().items()}
    for l in range(2):
        for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            sd[f"layers.{l}.{name}_l0"] = getattr(gru, f"{name}_l{l}").detach().clone()
        sd[f"gates.{l}.bias"] = torch.full((3,), 50.0, dtype=torch.float64)    # tau = sigmoid(50) = 1
    model.load_state_dict(sd)
    x, h0 = lin(-1, 1, 2, 4, 2), lin(0.5, -0.5, 2, 2, 3)
    y, h_n = expect_tuple(model(x, h0), 2, "ResidualGRU.forward")
    with torch.no_grad():
        want_y, want_h = gru(x, h0)
    assert_close(y, want_y, "outputs with open gates", against="torch.nn.GRU(num_layers=2)")
    assert_close(h_n, want_h, "h_n with open gates", against="torch.nn.GRU(num_layers=2)")


@pytest.mark.task(4)
def test_zero_parameters_halve_the_input_per_layer(impl):
    model = impl.ResidualGRU(3, 3, 3)
    model.load_state_dict({k: torch.zeros_like(v) for k, v in model.state_dict().items()})
    x = lin(-2, 2, 2, 4, 3)
    y, h_n = expect_tuple(model(x), 2, "ResidualGRU.forward")
    check(bool((y == x / 8).all()), "with every parameter 0 (and h0 = 0), y must be exactly x / 2**3")
    check(bool((h_n == 0).all()), "with every parameter 0 (and h0 = 0), every GRU state stays exactly 0")


@pytest.mark.task(5)
def test_gradients_reach_the_input_and_every_parameter(impl):
    model = worked_model(impl)
    got = impl.probe("output_grads", model, [X, lin(-0.4, 0.4, 2, 1, 2)],
                     [torch.ones(1, 3, 2, dtype=torch.float64), torch.ones(2, 1, 2, dtype=torch.float64)])
    check(all(g is not None for g in got["inputs"]), "no gradient reaches x or h0")
    missing = sorted(n for n, g in got["params"].items() if g is None)
    check(not missing, f"no gradient reaches {missing}")
    check(sorted(got["params"]) == NAMES_1_2_2, "the parameters should be exactly the names of the state_dict")


@pytest.mark.task(6)
def test_float32_model_gives_float32(impl):
    model = impl.ResidualGRU.with_options(dtype="float32")(1, 2, 2)
    y, h_n = expect_tuple(model(X.float()), 2, "ResidualGRU.forward")
    expect_tensor(y, (1, 3, 2), "outputs of a float32 model", dtype=torch.float32)
    expect_tensor(h_n, (2, 1, 2), "h_n of a float32 model", dtype=torch.float32)
