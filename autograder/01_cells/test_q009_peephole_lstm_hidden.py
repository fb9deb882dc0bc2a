"""Hidden grader for q009_peephole_lstm (never shipped to students).

The cell is used through a handle: ``cell = impl.PeepholeLSTMCell(D, H)``, ``cell.state_dict()``,
``cell.load_state_dict(sd)``, ``cell(x, (h, c))``; init values never matter (weights are loaded).
torch's LSTM kernels (lstm_cell, lstm) are forbidden in the submission (G5, exercise.toml).

Task 1: state_dict has exactly the keys weight_ih (4H, D), weight_hh (4H, H), bias (4H,), p_i,
        p_f, p_o (H,), float64 (the default dtype); forward returns a tuple (h, c) of (B, H)
        float64 tensors. Edge sizes B = 1, H = 1, D = 1.
Task 2: with p = 0, equals torch.nn.LSTMCell with copied weights and bias = bias_ih + bias_hh
        (G1, rtol 1e-10, atol 1e-12).
Task 3: with random peepholes, equals a gate-by-gate float64 oracle (rnnkit.oracles,
        1e-10); changing p_o changes h but leaves c bitwise unchanged (o peeks at the new c).
Task 4: gradients (rnnkit.probes.output_grads in the child, random upstream) of x, h, c and of
        every parameter equal those of the reference module run in the grader (1e-10), and the
        parameter set is exactly the six names (all nn.Parameters).
Task 5: built under float32 (with_options(dtype="float32")), its parameters are float32 and
        float32 inputs give float32 outputs within float32 rounding (rtol 1e-5, atol 1e-6) of the
        same cell in float64: the cell against itself (correctness is tasks 2 and 3's).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

from rnnkit.oracles import peephole_lstm_step_oracle
from rnnkit.probes import output_grads
from rnnkit.testing import assert_close, check, expect_dict, expect_tensor, expect_tuple, trandn

NAMES = ("weight_ih", "weight_hh", "bias", "p_i", "p_f", "p_o")
FIXED = [(1, 1, 1), (1, 3, 2), (4, 1, 3), (3, 2, 1)]  # (B, D, H)
N_CASES = len(FIXED) + 3


def sizes(rng: np.random.Generator, case: int) -> tuple[int, int, int]:
    if case < len(FIXED):
        return FIXED[case]
    B = int(rng.integers(1, 5))
    D, H = (int(v) for v in rng.integers(1, 9, size=2))
    return B, D, H


def shapes(D: int, H: int) -> dict[str, tuple[int, ...]]:
    return {"weight_ih": (4 * H, D), "weight_hh": (4 * H, H), "bias": (4 * H,),
            "p_i": (H,), "p_f": (H,), "p_o": (H,)}


def random_params(rng: np.random.Generator, D: int, H: int, peepholes: bool = True) -> dict[str, torch.Tensor]:
    sd = {name: trandn(rng, *shape) for name, shape in shapes(D, H).items()}
    if not peepholes:
        for name in ("p_i", "p_f", "p_o"):
            sd[name] = torch.zeros(H, dtype=torch.float64)
    return sd


def random_inputs(rng: np.random.Generator, B: int, D: int, H: int) -> tuple[torch.Tensor, ...]:
    # c spread wider than N(0, 1) so the peephole terms p * c carry weight
    return trandn(rng, B, D), trandn(rng, B, H), trandn(rng, B, H, scale=2.0)


def loaded_cell(impl: Any, sd: dict[str, torch.Tensor], D: int, H: int, dtype: str | None = None) -> Any:
    ctor = impl.PeepholeLSTMCell.with_options(dtype=dtype) if dtype else impl.PeepholeLSTMCell
    cell = ctor(D, H)
    cell.load_state_dict(sd)
    return cell


def step(cell: Any, x: torch.Tensor, h: torch.Tensor, c: torch.Tensor, B: int, H: int,
         dtype: torch.dtype = torch.float64) -> tuple[torch.Tensor, torch.Tensor]:
    out = expect_tuple(cell(x, (h, c)), 2, "PeepholeLSTMCell.forward")
    return (expect_tensor(out[0], (B, H), "h_next", dtype=dtype),
            expect_tensor(out[1], (B, H), "c_next", dtype=dtype))


def reference_cell(ref: Any, sd: dict[str, torch.Tensor], D: int, H: int) -> torch.nn.Module:
    cell = ref.PeepholeLSTMCell(D, H).double()
    cell.load_state_dict(sd)
    return cell


# --- task 1 -------------------------------------------------------------------------------------

@pytest.mark.task(1)
@pytest.mark.parametrize("case", range(N_CASES))
def test_parameters_and_shapes(impl, rng, case):
    B, D, H = sizes(rng, case)
    cell = impl.PeepholeLSTMCell(D, H)
    sd = expect_dict(cell.state_dict(), NAMES, "PeepholeLSTMCell.state_dict()")
    for name, shape in shapes(D, H).items():
        expect_tensor(sd[name], shape, name, dtype=torch.float64, finite=True)
    cell.load_state_dict(random_params(rng, D, H))
    step(cell, *random_inputs(rng, B, D, H), B, H)


# --- task 2 -------------------------------------------------------------------------------------

@pytest.mark.task(2)
@pytest.mark.parametrize("case", range(N_CASES))
def test_zero_peepholes_match_lstm_cell(impl, rng, case):
    B, D, H = sizes(rng, case)
    torch_cell = torch.nn.LSTMCell(D, H).double()
    with torch.no_grad():
        for p in torch_cell.parameters():
            p.copy_(trandn(rng, *p.shape))
    sd = {"weight_ih": torch_cell.weight_ih.detach().clone(), "weight_hh": torch_cell.weight_hh.detach().clone(),
          "bias": (torch_cell.bias_ih + torch_cell.bias_hh).detach(),
          **{name: torch.zeros(H, dtype=torch.float64) for name in ("p_i", "p_f", "p_o")}}
    x, h, c = random_inputs(rng, B, D, H)
    got_h, got_c = step(loaded_cell(impl, sd, D, H), x, h, c, B, H)
    with torch.no_grad():
        want_h, want_c = torch_cell(x, (h, c))
    assert_close(got_h, want_h, "h_next", against="torch.nn.LSTMCell (peepholes 0)")
    assert_close(got_c, want_c, "c_next", against="torch.nn.LSTMCell (peepholes 0)")


# --- task 3 -------------------------------------------------------------------------------------

@pytest.mark.task(3)
@pytest.mark.parametrize("case", range(N_CASES))
def test_random_peepholes_match_oracle(impl, rng, case):
    B, D, H = sizes(rng, case)
    sd = random_params(rng, D, H)
    x, h, c = random_inputs(rng, B, D, H)
    got_h, got_c = step(loaded_cell(impl, sd, D, H), x, h, c, B, H)
    want_h, want_c = peephole_lstm_step_oracle(x, h, c, sd)
    assert_close(got_h, want_h, "h_next", against="a peephole LSTM reference")
    assert_close(got_c, want_c, "c_next", against="a peephole LSTM reference")


@pytest.mark.task(3)
@pytest.mark.parametrize("case", range(3))
def test_output_peephole_changes_h_only(impl, rng, case):
    B, D, H = sizes(rng, len(FIXED) + case)
    sd = random_params(rng, D, H)
    x, h, c = random_inputs(rng, B, D, H)
    cell = loaded_cell(impl, sd, D, H)
    h1, c1 = step(cell, x, h, c, B, H)
    cell.load_state_dict({**sd, "p_o": sd["p_o"] + 1.0 + trandn(rng, H) ** 2})
    h2, c2 = step(cell, x, h, c, B, H)
    assert_close(c2, c1, "c_next after changing p_o", rtol=0.0, atol=1e-15,
                 against="c_next before (the output gate must not feed the cell)")
    moved = float((h2 - h1).abs().max())
    check(moved > 1e-9, "changing p_o should change h_next (the output gate peeks at the new cell)")


# --- task 4 -------------------------------------------------------------------------------------

@pytest.mark.task(4)
@pytest.mark.parametrize("case", range(N_CASES))
def test_gradients_match_reference(impl, ref, rng, case):
    B, D, H = sizes(rng, case)
    sd = random_params(rng, D, H)
    x, h, c = random_inputs(rng, B, D, H)
    upstream = [trandn(rng, B, H), trandn(rng, B, H)]
    got = expect_dict(impl.probe("output_grads", loaded_cell(impl, sd, D, H), [x, (h, c)], upstream),
                      ["outputs", "inputs", "params"], "the gradient probe")
    want = output_grads(reference_cell(ref, sd, D, H), [x.clone(), (h.clone(), c.clone())], upstream)
    params = got["params"]
    check(isinstance(params, dict) and set(params) == set(NAMES),
          f"the cell's parameters (named_parameters) should be exactly {', '.join(NAMES)}")
    for k, name in enumerate(("h_next", "c_next")):
        assert_close(expect_tensor(got["outputs"][k], (B, H), name), want["outputs"][k], name)
    for k, name in enumerate(("x", "h", "c")):
        g = got["inputs"][k]
        check(g is not None, f"no gradient reaches the input {name}")
        assert_close(expect_tensor(g, tuple(want["inputs"][k].shape), f"d/d{name}"), want["inputs"][k],
                     f"the gradient with respect to {name}")
    for name in NAMES:
        g = params[name]
        check(g is not None, f"no gradient reaches the parameter {name}")
        assert_close(expect_tensor(g, shapes(D, H)[name], f"d/d{name}"), want["params"][name],
                     f"the gradient with respect to {name}")


# --- task 5 -------------------------------------------------------------------------------------

@pytest.mark.task(5)
@pytest.mark.parametrize("case", range(3))
def test_float32_in_float32_out(impl, rng, case):
    B, D, H = sizes(rng, len(FIXED) - 1 + case)
    sd = random_params(rng, D, H)
    cell = impl.PeepholeLSTMCell.with_options(dtype="float32")(D, H)
    for name, value in expect_dict(cell.state_dict(), NAMES, "PeepholeLSTMCell.state_dict()").items():
        expect_tensor(value, shapes(D, H)[name], name, dtype=torch.float32)
    cell.load_state_dict({k: v.float() for k, v in sd.items()})
    x, h, c = (t.float() for t in random_inputs(rng, B, D, H))
    got_h, got_c = step(cell, x, h, c, B, H, dtype=torch.float32)
    same = loaded_cell(impl, {k: v.float().double() for k, v in sd.items()}, D, H)
    want_h, want_c = step(same, x.double(), h.double(), c.double(), B, H)
    assert_close(got_h, want_h, "h_next (float32)", rtol=1e-5, atol=1e-6, against="the same cell in float64")
    assert_close(got_c, want_c, "c_next (float32)", rtol=1e-5, atol=1e-6, against="the same cell in float64")
