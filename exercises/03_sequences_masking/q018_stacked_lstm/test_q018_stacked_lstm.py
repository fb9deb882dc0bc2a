"""Public tests for q018: run them with `rnnkit check q018` (or plain pytest on this file).

Your class is used through a handle: `m = impl.StackedLSTM(D, H, L)` builds it in the submission
process (float64 by default), `m.load_state_dict(sd)` and `m(x)` / `m(x, (h0, c0))` call it there.
The hidden grader uses other sizes and random weights, and compares with torch.nn.LSTM.
"""

import pytest
import torch

from rnnkit.testing import assert_close, check, expect_tensor, expect_tuple

B, T, D, H, L = 2, 3, 3, 2, 2


def lin(a: float, b: float, *shape: int) -> torch.Tensor:
    n = 1
    for s in shape:
        n *= s
    return torch.linspace(a, b, n, dtype=torch.float64).reshape(shape)


def worked_state() -> dict:
    sd = {}
    for k in range(L):
        sd[f"weight_ih_l{k}"] = lin(-0.6 + 0.1 * k, 0.8, 4 * H, D if k == 0 else H)
        sd[f"weight_hh_l{k}"] = lin(0.5, -0.4 - 0.1 * k, 4 * H, H)
        sd[f"bias_ih_l{k}"] = lin(-0.3, 0.3, 4 * H)
        sd[f"bias_hh_l{k}"] = lin(0.2 * k, -0.1, 4 * H)
    return sd


def model(impl):
    m = impl.StackedLSTM(D, H, L)
    m.load_state_dict(worked_state())
    return m


def run(m, *args):
    out, state = expect_tuple(m(*args), 2, "StackedLSTM.forward")
    h_n, c_n = expect_tuple(state, 2, "the returned state (h_n, c_n)")
    return (expect_tensor(out, (B, T, H), "out (B, T, H)"), expect_tensor(h_n, (L, B, H), "h_n (L, B, H)"),
            expect_tensor(c_n, (L, B, H), "c_n (L, B, H)"))


@pytest.mark.task(1)
def test_parameter_names_and_shapes(impl):
    sd = impl.StackedLSTM(D, H, L).state_dict()
    want = worked_state()
    check(sorted(map(str, sd)) == sorted(want), f"the state_dict keys should be {sorted(want)}, got {sorted(map(str, sd))}")
    for name, value in want.items():
        expect_tensor(sd[name], tuple(value.shape), name, dtype=torch.float64)


@pytest.mark.task(1)
def test_output_shapes(impl):
    run(model(impl), lin(-1, 1, B, T, D))


@pytest.mark.task(2)
def test_worked_example_from_zero_state(impl):
    out, h_n, c_n = run(model(impl), lin(-1, 1, B, T, D))
    # torch.nn.LSTM(3, 2, num_layers=2, batch_first=True) with these weights gives the same numbers.
    want_out = torch.tensor([[[0.009869234996592358, 0.01492419091541994], [0.007297396238757504, 0.008722553593607903],
                              [0.007111791459007933, 0.007835477005710424]],
                             [[0.02427264335710637, 0.04129357835448686], [0.04596658158032105, 0.07878430365880917],
                              [0.06325606917433749, 0.10875109820096482]]], dtype=torch.float64)
    want_h = torch.tensor([[[-0.10379006121492407, -0.13126889817662074], [0.09019125515752095, 0.2690754141710676]],
                           [[0.007111791459007933, 0.007835477005710424], [0.06325606917433749, 0.10875109820096482]]],
                          dtype=torch.float64)
    want_c = torch.tensor([[[-0.22074335688825072, -0.2812546948171839], [0.10976216231981097, 0.312640639651513]],
                           [[0.014129531737643234, 0.01556772714056199], [0.10908166426549432, 0.18217414389875297]]],
                          dtype=torch.float64)
    assert_close(out, want_out, "out", against="the worked example")
    assert_close(h_n, want_h, "h_n", against="the worked example (layer 0, then layer 1)")
    assert_close(c_n, want_c, "c_n", against="the worked example (layer 0, then layer 1)")
    assert_close(h_n[-1], out[:, -1], "h_n[-1]", rtol=0.0, atol=0.0, against="out[:, -1]")


@pytest.mark.task(3)
def test_worked_example_from_a_given_state(impl):
    h0, c0 = lin(-0.5, 0.5, L, B, H), lin(1, -1, L, B, H)
    out, h_n, c_n = run(model(impl), lin(-1, 1, B, T, D), (h0, c0))
    want_out = torch.tensor([[[-0.023753599058773247, -0.09609893569999274], [0.0013677363155334434, -0.026559892438982213],
                              [0.010742591252750575, 0.003226829986245381]],
                             [[-0.16572730389434656, -0.23016836703865184], [-0.055386208840531935, -0.07547272948441544],
                              [0.019781718302024368, 0.049000692452031355]]], dtype=torch.float64)
    want_c = torch.tensor([[[-0.08295407404328424, -0.2083375538515027], [0.1415818241239667, 0.336012130997635]],
                           [[0.020608121285525176, 0.006122401792949445], [0.03248710789470551, 0.07675990191448506]]],
                          dtype=torch.float64)
    assert_close(out, want_out, "out", against="the worked example with (h0, c0)")
    assert_close(c_n, want_c, "c_n", against="the worked example with (h0, c0)")


@pytest.mark.task(4)
def test_gradients_reach_the_input_the_state_and_every_parameter(impl):
    h0, c0 = lin(-0.5, 0.5, L, B, H), lin(1, -1, L, B, H)
    upstream = [lin(1, -1, B, T, H), lin(0.5, 0.2, L, B, H), lin(-0.3, 0.4, L, B, H)]
    got = impl.probe("output_grads", model(impl), [lin(-1, 1, B, T, D), (h0, c0)], upstream)
    for name, g in zip(("x", "h0", "c0"), got["inputs"], strict=True):
        check(g is not None and bool(g.abs().sum() > 0), f"no gradient reaches {name}")
    for name in worked_state():
        g = got["params"].get(name)
        check(g is not None and bool(g.abs().sum() > 0), f"no gradient reaches the parameter {name}")


@pytest.mark.task(5)
def test_float32_model_gives_float32(impl):
    m = impl.StackedLSTM.with_options(dtype="float32")(D, H, L)
    m.load_state_dict({k: v.float() for k, v in worked_state().items()})
    out, state = m(lin(-1, 1, B, T, D).float())
    expect_tensor(out, (B, T, H), "out", dtype=torch.float32)
    expect_tensor(state[0], (L, B, H), "h_n", dtype=torch.float32)
