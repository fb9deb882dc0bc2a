"""Hidden grader for q008_forget_bias_init (never shipped to students).

Both functions are in-place APIs: they are called with ``impl.f.inplace(lstm, ...)``, and the
LSTM comes back as a rnnkit.wire.ModuleState (its tensors and its parameter flags).

Task 1: init_forget_bias_ on random nn.LSTMs (num_layers 1-3, uni- and bidirectional, H = 1
        included): bias_ih[H:2H] == value and bias_hh[H:2H] == 0 exactly for every layer and
        direction; every other entry (other bias blocks, all weights) bitwise unchanged; the
        default value is 1.0; returns None; parameters stay leaf nn.Parameters with requires_grad.
Task 2: behaviour of the real nn.LSTM rebuilt from what came back: with all weights zeroed, the
        i, g and o bias blocks zeroed (the forget blocks left as the submission set them), one
        step with random x and h0 and c0 = 1 gives c1 = sigmoid(value) for every layer and
        direction (i = 0.5, g = tanh(0) = 0, f = sigmoid(value); compared to 1e-15).
Task 3: chrono_init_: the grader replays the same torch.Generator with the documented recipe
        (one float64 uniform_(1, t_max - 1) of H values per layer/direction, in the order of
        _flat_weights_names) and gets the same b_f = log(u) (rtol 1e-14: a draw in another
        order, dtype or count differs by far more); b_f in [0, log(t_max - 1)];
        bias_ih[0:H] == -b_f exactly; bias_hh[0:2H] == 0; the g and o blocks and all weights
        bitwise unchanged; the generator's state afterwards equals the replay's (exactly one
        draw per layer/direction); returns None; flags as in task 1.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
import torch
from torch import nn

from rnnkit.testing import assert_close, check, torch_generator, trandn
from rnnkit.wire import ModuleState

# (input_size, hidden_size, num_layers, bidirectional); None: drawn from rng
FIXED = [(1, 1, 1, False), (3, 2, 2, True), (2, 3, 1, True), (4, 2, 3, False)]
N_CASES = len(FIXED) + 2


def config(rng: np.random.Generator, case: int) -> tuple[int, int, int, bool]:
    if case < len(FIXED):
        return FIXED[case]
    D, H = (int(v) for v in rng.integers(1, 9, size=2))
    return D, H, int(rng.integers(1, 4)), bool(case % 2)


def random_lstm(rng: np.random.Generator, D: int, H: int, L: int, bidir: bool) -> nn.LSTM:
    """A float64 batch_first nn.LSTM whose every parameter is drawn from the test's rng."""
    lstm = nn.LSTM(D, H, num_layers=L, bidirectional=bidir, batch_first=True).double()
    with torch.no_grad():
        for p in lstm.parameters():
            p.copy_(trandn(rng, *p.shape))
    return lstm


def snapshot(lstm: nn.LSTM) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in lstm.state_dict().items()}


def module_after(after: Any, n_args: int, fn: str, before: dict[str, torch.Tensor]) -> ModuleState:
    check(isinstance(after, list) and len(after) == n_args, f"{fn}: could not read its arguments back")
    ms = after[0]
    check(isinstance(ms, ModuleState) and ms.cls == "LSTM",
          f"{fn} must modify the nn.LSTM it is given in place (it came back as something else)")
    check(set(ms.state) == set(before),
          f"{fn} changed the set of parameters of the LSTM; modify the existing ones in place")
    for name, value in ms.state.items():
        check(value.shape == before[name].shape and value.dtype == before[name].dtype,
              f"{fn} changed the shape or dtype of {name}")
    return ms


def check_flags(ms: ModuleState, fn: str) -> None:
    for name, flags in ms.flags.items():
        check(flags.get("parameter", False), f"after {fn}, {name} is no longer an nn.Parameter")
        check(flags.get("leaf", False),
              f"after {fn}, {name} is no longer a leaf tensor (edit it under torch.no_grad())")
        check(flags.get("requires_grad", False), f"after {fn}, {name} no longer requires grad")


def check_unchanged(ms: ModuleState, before: dict[str, torch.Tensor], H: int, fn: str,
                    bias_blocks: slice) -> None:
    """Weights bitwise unchanged; biases unchanged outside ``bias_blocks``."""
    for name, old in before.items():
        new = ms.state[name]
        if name.startswith("weight"):
            check(torch.equal(new, old), f"{fn} changed {name}; only biases may change")
        else:
            keep = torch.ones(4 * H, dtype=torch.bool)
            keep[bias_blocks] = False
            check(torch.equal(new[keep], old[keep]),
                  f"{fn} changed entries of {name} outside the blocks it should write")


def bias_pairs(names: list[str]) -> list[tuple[str, str]]:
    """(bias_ih, bias_hh) names per layer/direction, in _flat_weights_names order."""
    return [(n, n.replace("bias_ih", "bias_hh")) for n in names if n.startswith("bias_ih")]


# --- task 1 -------------------------------------------------------------------------------------

@pytest.mark.task(1)
@pytest.mark.parametrize("case", range(N_CASES))
def test_init_forget_bias_slices(impl, rng, case):
    D, H, L, bidir = config(rng, case)
    lstm = random_lstm(rng, D, H, L, bidir)
    before = snapshot(lstm)
    use_default = case == 1
    value = 1.0 if use_default else float(rng.uniform(-3.0, 3.0))
    args = (lstm,) if use_default else (lstm, value)
    ret, after = impl.init_forget_bias_.inplace(*args)
    check(ret is None, f"init_forget_bias_ should return None, got a {type(ret).__name__}")
    ms = module_after(after, len(args), "init_forget_bias_", before)
    check_flags(ms, "init_forget_bias_")
    check_unchanged(ms, before, H, "init_forget_bias_", slice(H, 2 * H))
    which = "1.0 (the default value)" if use_default else "value"
    for ih, hh in bias_pairs(lstm._flat_weights_names):
        check(torch.equal(ms.state[ih][H:2 * H], torch.full((H,), value, dtype=torch.float64)),
              f"the forget block [H:2H] of {ih} should equal {which}")
        check(torch.equal(ms.state[hh][H:2 * H], torch.zeros(H, dtype=torch.float64)),
              f"the forget block [H:2H] of {hh} should be 0, so that bias_ih + bias_hh = value")


# --- task 2 -------------------------------------------------------------------------------------

@pytest.mark.task(2)
@pytest.mark.parametrize("case", range(N_CASES))
def test_real_lstm_forgets_at_sigmoid_value(impl, rng, case):
    D, H, L, bidir = config(rng, case)
    lstm = random_lstm(rng, D, H, L, bidir)
    before = snapshot(lstm)
    value = float(rng.uniform(-3.0, 3.0)) if case else 1.0
    _, after = impl.init_forget_bias_.inplace(lstm, value)
    ms = module_after(after, 2, "init_forget_bias_", before)
    net = ms.build()  # the real torch.nn.LSTM, float64, with the submission's tensors
    with torch.no_grad():
        for name, p in net.named_parameters():
            if name.startswith("weight"):
                p.zero_()
            else:
                p[0:H].zero_()
                p[2 * H:4 * H].zero_()
        B, dirs = int(rng.integers(1, 5)), 2 if bidir else 1
        x = trandn(rng, B, 1, D)
        h0 = trandn(rng, L * dirs, B, H)
        c0 = torch.ones(L * dirs, B, H, dtype=torch.float64)
        _, (_, c1) = net(x, (h0, c0))
    want = torch.sigmoid(torch.tensor(value, dtype=torch.float64)).expand(L * dirs, B, H)
    assert_close(c1, want, "c1 of the rebuilt nn.LSTM (zero weights, c0 = 1)", rtol=0.0, atol=1e-15,
                 against="sigmoid(value) for every layer and direction")


# --- task 3 -------------------------------------------------------------------------------------

def replay_chrono(names: list[str], H: int, t_max: int, state: torch.Tensor) -> tuple[list[torch.Tensor], torch.Generator]:
    gen = torch.Generator()
    gen.set_state(state.clone())
    draws = []
    for _ in bias_pairs(names):
        u = torch.empty(H, dtype=torch.float64).uniform_(1, t_max - 1, generator=gen)
        draws.append(torch.log(u))
    return draws, gen


@pytest.mark.task(3)
@pytest.mark.parametrize("case", range(N_CASES))
def test_chrono_init_replays(impl, rng, case):
    D, H, L, bidir = config(rng, case)
    lstm = random_lstm(rng, D, H, L, bidir)
    before = snapshot(lstm)
    t_max = [3, 1000][case] if case < 2 else int(rng.integers(3, 500))
    gen = torch_generator(rng)
    start = gen.get_state().clone()
    ret, after = impl.chrono_init_.inplace(lstm, t_max, gen)
    check(ret is None, f"chrono_init_ should return None, got a {type(ret).__name__}")
    ms = module_after(after, 3, "chrono_init_", before)
    check_flags(ms, "chrono_init_")
    check_unchanged(ms, before, H, "chrono_init_", slice(0, 2 * H))
    want, replay = replay_chrono(lstm._flat_weights_names, H, t_max, start)
    top = math.log(t_max - 1)
    for (ih, hh), b_f in zip(bias_pairs(lstm._flat_weights_names), want, strict=True):
        got_f = ms.state[ih][H:2 * H]
        check(bool(torch.all(got_f >= 0.0)) and bool(torch.all(got_f <= top * (1 + 1e-12))),
              f"b_f in {ih}[H:2H] should be log(u) with u in [1, t_max - 1], so in [0, log(t_max - 1)]")
        assert_close(got_f, b_f, f"b_f in {ih}[H:2H]", rtol=1e-14, atol=1e-300,
                     against="the replayed generator (one uniform_ draw per layer and direction, "
                             "in _flat_weights_names order)")
        check(torch.equal(ms.state[ih][0:H], -got_f), f"b_i in {ih}[0:H] should be exactly -b_f")
        check(torch.equal(ms.state[hh][0:2 * H], torch.zeros(2 * H, dtype=torch.float64)),
              f"the i and f blocks [0:2H] of {hh} should be 0")
    gen_after = after[2]
    check(isinstance(gen_after, torch.Generator), "chrono_init_: could not read the generator back")
    check(torch.equal(gen_after.get_state(), replay.get_state()),
          "chrono_init_ should draw from the generator exactly once per layer and direction "
          "(H values each, with the documented uniform_ call); its state afterwards differs")
