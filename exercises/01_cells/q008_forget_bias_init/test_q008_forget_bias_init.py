"""Public tests for q008: run them with `rnnkit check q008` (or plain pytest on this file).

Both functions work in place, so the tests call them with `impl.<name>.inplace(lstm, ...)`: that
returns (the return value, [the arguments after the call]); the LSTM comes back as a ModuleState
whose `.state` holds its tensors and `.flags` says whether each one is still a leaf Parameter.
The hidden grader uses other sizes, values and seeds.
"""

import pytest
import torch
from torch import nn

from rnnkit.testing import assert_close, check

H = 2
BIAS_IH = ["bias_ih_l0", "bias_ih_l0_reverse", "bias_ih_l1", "bias_ih_l1_reverse"]


def linspace_lstm() -> nn.LSTM:
    """2 layers, bidirectional, H = 2; every parameter filled with linspace(-1, 1)."""
    lstm = nn.LSTM(2, H, num_layers=2, bidirectional=True, batch_first=True).double()
    with torch.no_grad():
        for p in lstm.parameters():
            p.copy_(torch.linspace(-1, 1, p.numel(), dtype=torch.float64).reshape(p.shape))
    return lstm


def check_still_parameters(ms, fn):
    for name, flags in ms.flags.items():
        check(flags["parameter"] and flags["leaf"] and flags["requires_grad"],
              f"after {fn}, {name} should still be a leaf nn.Parameter with requires_grad=True "
              f"(edit it in place under torch.no_grad())")


@pytest.mark.task(1)
def test_init_forget_bias_worked_example(impl):
    lstm = linspace_lstm()
    before = {k: v.clone() for k, v in lstm.state_dict().items()}
    ret, (ms, _value) = impl.init_forget_bias_.inplace(lstm, 2.0)
    check(ret is None, "init_forget_bias_ should return None")
    check_still_parameters(ms, "init_forget_bias_")
    for ih in BIAS_IH:
        hh = ih.replace("bias_ih", "bias_hh")
        check(ms.state[ih][H:2 * H].tolist() == [2.0, 2.0], f"{ih}[H:2H] (forget block) should be [2.0, 2.0]")
        check(ms.state[hh][H:2 * H].tolist() == [0.0, 0.0], f"{hh}[H:2H] (forget block) should be [0.0, 0.0]")
        for name in (ih, hh):
            for block in (slice(0, H), slice(2 * H, 4 * H)):
                check(torch.equal(ms.state[name][block], before[name][block]),
                      f"{name}: the i, g and o blocks must stay as they were")
    for name, old in before.items():
        if name.startswith("weight"):
            check(torch.equal(ms.state[name], old), f"{name}: weights must stay as they were")


@pytest.mark.task(1)
def test_init_forget_bias_default_is_one(impl):
    _, (ms,) = impl.init_forget_bias_.inplace(linspace_lstm())
    check(ms.state["bias_ih_l1_reverse"][H:2 * H].tolist() == [1.0, 1.0],
          "with no value given, the forget bias should be 1.0")


@pytest.mark.task(2)
def test_cell_state_keeps_sigmoid_of_one(impl):
    _, (ms,) = impl.init_forget_bias_.inplace(linspace_lstm())
    net = ms.build()  # a real nn.LSTM with your biases
    with torch.no_grad():
        for name, p in net.named_parameters():
            if name.startswith("weight"):
                p.zero_()
            else:  # keep only the forget blocks
                p[0:H].zero_()
                p[2 * H:].zero_()
        x = torch.ones(3, 1, 2, dtype=torch.float64)
        h0 = torch.zeros(4, 3, H, dtype=torch.float64)
        c0 = torch.ones(4, 3, H, dtype=torch.float64)
        _, (_, c1) = net(x, (h0, c0))
    # i = sigmoid(0) = 0.5, g = tanh(0) = 0, f = sigmoid(1): c1 = f * 1 + 0.5 * 0 = sigmoid(1)
    assert_close(c1, torch.full((4, 3, H), 0.7310585786300049, dtype=torch.float64), "c1",
                 rtol=0.0, atol=1e-15, against="sigmoid(1) = 0.7310585786300049")


@pytest.mark.task(3)
def test_chrono_worked_example(impl):
    lstm = linspace_lstm()
    gen = torch.Generator().manual_seed(0)
    ret, (ms, _t_max, gen_after) = impl.chrono_init_.inplace(lstm, 10, gen)
    check(ret is None, "chrono_init_ should return None")
    check_still_parameters(ms, "chrono_init_")
    expected_b_f = {  # log(u), one draw of H = 2 values per layer/direction, seed 0, t_max = 10
        "bias_ih_l0": [2.170244307253194, 1.8965036322593651],
        "bias_ih_l0_reverse": [1.542242755165836, 2.1241736584557187],
        "bias_ih_l1": [1.8181081018895755, 1.9918640686847888],
        "bias_ih_l1_reverse": [0.8874176479357424, 1.3373301930399057],
    }
    g_and_o = torch.linspace(-1, 1, 4 * H, dtype=torch.float64)[2 * H:]
    for ih, b_f in expected_b_f.items():
        hh = ih.replace("bias_ih", "bias_hh")
        assert_close(ms.state[ih][H:2 * H], torch.tensor(b_f, dtype=torch.float64), f"{ih}[H:2H] (b_f)",
                     rtol=1e-14, atol=0.0, against="the worked example")
        check(torch.equal(ms.state[ih][0:H], -ms.state[ih][H:2 * H]), f"{ih}[0:H] (b_i) should be -b_f")
        check(ms.state[hh][0:2 * H].tolist() == [0.0] * (2 * H), f"{hh}[0:2H] should be 0")
        for name in (ih, hh):
            check(torch.equal(ms.state[name][2 * H:], g_and_o), f"{name}: the g and o blocks must stay as they were")
    # Exactly four draws of H float64 values: the generator ends where this replay ends.
    replay = torch.Generator().manual_seed(0)
    for _ in range(4):
        torch.empty(H, dtype=torch.float64).uniform_(1, 9, generator=replay)
    check(torch.equal(gen_after.get_state(), replay.get_state()),
          "chrono_init_ should draw from the generator exactly once per layer and direction")
