"""Public tests for q020: run them with `rnnkit check q020` (or plain pytest on this file).

Your class is used through a handle: `m = impl.ResidualLSTM(D, H, L, residual_start)` builds it
in the submission process (float64 by default), `m.load_state_dict(sd)` and `m(x)` call it there.
The hidden grader uses other sizes and random weights, and compares with a composition of
torch.nn.LSTM layers.
"""

import pytest
import torch

from rnnkit.testing import assert_close, check, expect_tensor

B, T, H, L = 1, 3, 2, 2


def lin(a: float, b: float, *shape: int) -> torch.Tensor:
    n = 1
    for s in shape:
        n *= s
    return torch.linspace(a, b, n, dtype=torch.float64).reshape(shape)


def worked_state(D: int, proj: bool = False) -> dict:
    sd = {}
    for layer in range(L):
        sd[f"layers.{layer}.weight_ih_l0"] = lin(-0.6 + 0.2 * layer, 0.8, 4 * H, D if layer == 0 else H)
        sd[f"layers.{layer}.weight_hh_l0"] = lin(0.5, -0.4, 4 * H, H)
        sd[f"layers.{layer}.bias_ih_l0"] = lin(-0.3, 0.3, 4 * H)
        sd[f"layers.{layer}.bias_hh_l0"] = lin(0.1, -0.1 * layer, 4 * H)
    if proj:
        sd["proj.weight"] = lin(1, -1, H, D)
    return sd


def model(impl, D: int, residual_start: int):
    m = impl.ResidualLSTM(D, H, L, residual_start)
    m.load_state_dict(worked_state(D, proj=residual_start == 0 and D != H))
    return m


@pytest.mark.task(1)
@pytest.mark.parametrize("D, residual_start, with_proj", [(2, 1, False), (2, 0, False), (3, 0, True), (3, 1, False)])
def test_parameter_names(impl, D, residual_start, with_proj):
    sd = impl.ResidualLSTM(D, H, L, residual_start).state_dict()
    want = worked_state(D, proj=with_proj)
    check(sorted(map(str, sd)) == sorted(want),
          f"ResidualLSTM({D}, {H}, {L}, residual_start={residual_start}): the state_dict keys should be "
          f"{sorted(want)}, got {sorted(map(str, sd))}")
    for name, value in want.items():
        expect_tensor(sd[name], tuple(value.shape), name, dtype=torch.float64)


@pytest.mark.task(1)
def test_default_residual_start_is_1(impl):
    sd = impl.ResidualLSTM(3, H, L).state_dict()
    check("proj.weight" not in sd, "with the default residual_start = 1 no projection is needed")


# Two nn.LSTM(2, 2, batch_first=True) layers with these weights (and the skips) give the same numbers.
WANT = {
    0: [[[-1.1178916379950967, -0.7492902471386447], [-0.26614156337061773, 0.11634055485836861],
         [0.7483526255498623, 1.3341941355690956]]],
    1: [[[-0.04710744161001995, -0.06364126366127965], [-0.006864577031833664, -0.0015288016839845597],
         [0.0949361943111087, 0.22134290999511322]]],
    2: [[[-0.001287465525254631, 0.008155928831131868], [0.003761503391734588, 0.02160018832319583],
         [0.025440906908617642, 0.06126034887195062]]],
}


@pytest.mark.task(2)
@pytest.mark.parametrize("residual_start", [0, 1, 2])
def test_worked_example(impl, residual_start):
    got = expect_tensor(model(impl, 2, residual_start)(lin(-1, 1, B, T, 2)), (B, T, H), "ResidualLSTM(...)(x)")
    assert_close(got, torch.tensor(WANT[residual_start], dtype=torch.float64),
                 f"the output with residual_start={residual_start}", against="the worked example")


@pytest.mark.task(2)
def test_worked_example_with_projection(impl):
    got = expect_tensor(model(impl, 3, 0)(lin(-1, 1, B, T, 3)), (B, T, H), "ResidualLSTM(3, 2, 2, 0)(x)")
    want = torch.tensor([[[-1.6134318908174794, 1.0629890089380494], [-0.25944622529082106, -0.29337943738672734],
                          [1.1715088522874553, -1.4401060303301545]]], dtype=torch.float64)
    assert_close(got, want, "the output with a projection on layer 0", against="the worked example")


@pytest.mark.task(3)
def test_zero_lstms_give_the_identity(impl):
    m = impl.ResidualLSTM(2, H, L, 0)
    m.load_state_dict({k: torch.zeros_like(v) for k, v in worked_state(2).items()})
    x = lin(-3, 3, B, T, 2)
    assert_close(m(x), x, "the output with all LSTM parameters 0 and residual_start=0", rtol=0.0, atol=1e-15,
                 against="x")


@pytest.mark.task(4)
def test_gradient_reaches_x_and_every_parameter(impl):
    got = impl.probe("output_grads", model(impl, 2, 1), [lin(-1, 1, B, T, 2)], [lin(1, -1, B, T, H)])
    check(got["inputs"][0] is not None and bool(got["inputs"][0].abs().sum() > 0), "no gradient reaches x")
    for name in worked_state(2):
        g = got["params"].get(name)
        check(g is not None and bool(g.abs().sum() > 0), f"no gradient reaches {name}")
