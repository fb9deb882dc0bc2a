"""Public tests for q017: run them with `rnnkit check q017` (or plain pytest on this file).

Your class is used through a handle: `net = impl.LSTMWithLearnedInit(D, H)` builds it in your
process (float64 by default), `net.load_state_dict(sd)` and `net(x)` call it there. Gradients come
from rnnkit's probe "output_grads" (it backpropagates sum(out) + sum(h_n) + sum(c_n) here). The
hidden grader uses several layers, both directions, random weights and compares with nn.LSTM.
"""

import pytest
import torch
from torch import nn

from rnnkit.testing import assert_close, check, expect_tensor, expect_tuple

F64 = torch.float64
D, H, B, T = 1, 2, 2, 3


def worked_state_dict():
    lstm = nn.LSTM(D, H, batch_first=True).double()
    sd = {}
    for i, (name, p) in enumerate(lstm.named_parameters()):
        sd[f"lstm.{name}"] = torch.linspace(-0.5 + 0.1 * i, 0.6 - 0.1 * i, p.numel(), dtype=F64).reshape(p.shape)
    sd["h0"] = torch.tensor([[[0.5, -1.0]]], dtype=F64)
    sd["c0"] = torch.tensor([[[1.5, 0.25]]], dtype=F64)
    return sd


def worked_x():
    return torch.linspace(-1, 1, B * T * D, dtype=F64).reshape(B, T, D)


@pytest.mark.task(1)
def test_parameter_names_and_shapes(impl):
    sd = impl.LSTMWithLearnedInit(3, 4, 2, True).state_dict()
    check("h0" in sd and "c0" in sd and "lstm.weight_ih_l1_reverse" in sd,
          "the state_dict should hold h0, c0 and the nn.LSTM's parameters behind 'lstm.'")
    expect_tensor(sd["h0"], (4, 1, 4), "h0 (2 layers x 2 directions, 1, H)", dtype=F64)
    expect_tensor(sd["c0"], (4, 1, 4), "c0", dtype=F64)


@pytest.mark.task(1)
def test_forward_shapes(impl):
    out, (h_n, c_n) = impl.LSTMWithLearnedInit(3, 4, 2, True)(torch.zeros(5, 6, 3, dtype=F64))
    expect_tensor(out, (5, 6, 8), "out (B, T, 2H)")
    expect_tensor(h_n, (4, 5, 4), "h_n (L * dirs, B, H)")
    expect_tensor(c_n, (4, 5, 4), "c_n (L * dirs, B, H)")


@pytest.mark.task(2)
def test_fresh_module_is_a_zero_state_lstm(impl):
    sd = impl.LSTMWithLearnedInit(D, H).state_dict()
    check(bool((sd["h0"] == 0).all()) and bool((sd["c0"] == 0).all()), "h0 and c0 should start at zero")
    net = impl.LSTMWithLearnedInit(D, H)
    weights = {**worked_state_dict(), "h0": sd["h0"], "c0": sd["c0"]}
    net.load_state_dict(weights)
    lstm = nn.LSTM(D, H, batch_first=True).double()
    lstm.load_state_dict({k[len("lstm."):]: v for k, v in weights.items() if k.startswith("lstm.")})
    with torch.no_grad():
        want, _ = lstm(worked_x())
    got, _ = expect_tuple(net(worked_x()), 2, "forward")
    assert_close(got, want, "out", against="nn.LSTM with hx=None")


@pytest.mark.task(3)
def test_worked_example_with_learned_state(impl):
    net = impl.LSTMWithLearnedInit(D, H)
    net.load_state_dict(worked_state_dict())
    out, (h_n, c_n) = net(worked_x())
    expected_out = torch.tensor([[[0.2949713210152945, 0.035847177944270905], [0.2306999384935786, 0.09285127030228632],
                                  [0.1606935869005457, 0.1478342977514223]],
                                 [[0.3717699330126149, 0.14156804133284295], [0.26517690181989967, 0.23175519677681633],
                                  [0.1755474647171779, 0.27599132337335974]]], dtype=F64)
    expected_c = torch.tensor([[[0.2591373684224103, 0.2228411460938398], [0.2357178999658493, 0.3491266282619996]]],
                              dtype=F64)
    assert_close(out, expected_out, "out", against="the worked example (both rows start from h0, c0)")
    assert_close(h_n, expected_out[:, -1][None], "h_n", against="the last step of out")
    assert_close(c_n, expected_c, "c_n", against="the worked example")


@pytest.mark.task(4)
def test_gradient_of_the_learned_state(impl):
    net = impl.LSTMWithLearnedInit(D, H)
    net.load_state_dict(worked_state_dict())
    ones = [torch.ones(B, T, H, dtype=F64), torch.ones(1, B, H, dtype=F64), torch.ones(1, B, H, dtype=F64)]
    grads = impl.probe("output_grads", net, [worked_x()], ones)["params"]
    check(grads.get("h0") is not None and grads.get("c0") is not None, "h0 and c0 should receive gradients")
    # Both sequences start from the same h0 and c0: their gradients are added.
    assert_close(grads["h0"], torch.tensor([[[0.3576894334374474, 0.5946779612083434]]], dtype=F64), "h0.grad")
    assert_close(grads["c0"], torch.tensor([[[1.0287880449883386, 1.6104934417321548]]], dtype=F64), "c0.grad")
