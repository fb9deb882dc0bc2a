"""Hidden grader for q020_residual_lstm (never shipped to students).

The model is used through a handle: ``m = impl.ResidualLSTM(D, H, L, residual_start)``,
``m.state_dict()``, ``m.load_state_dict(sd)``, ``m(x)``. The oracle is a composition of torch's
own single-layer nn.LSTM(batch_first=True) modules and an nn.Linear(bias=False) projection built
here in float64 with the same tensors (G1, rtol 1e-10, atol 1e-12). Parameter names follow
errata item 8 (layers.{l} nn.LSTM, proj only when residual_start == 0 and D != H; item 39).
x left unchanged is graded in task 1; tasks 2 and 3 call forward with the in-place check off
(docs/authoring.md, "Fair tasks").

Task 1: state_dict keys and shapes are exactly layers.{l}.{weight_ih_l0, weight_hh_l0,
        bias_ih_l0, bias_hh_l0} (+ proj.weight (H, D) only when residual_start == 0 and D != H),
        float64; output (B, T, H); x left unchanged. Cases cover residual_start 0, 1 (the
        default, not passed), 2 and L, with D == H and D != H.
Task 2: random weights: the output equals the oracle composition (1e-10) for the same cases.
Task 3: all LSTM parameters 0, so every LSTM outputs exactly 0 (prototype 0.0): with
        residual_start = 0 and D == H the stack is the identity (output == x to 1e-15); with
        D != H it is proj(x) (1e-12); with the default residual_start = 1 the output is 0.
Task 4: gradients (rnnkit.probes.output_grads, random upstream) of x and every parameter equal
        the oracle's (1e-10); and for L = 8 with shared fixed weights, the input gradient is
        larger with residuals (residual_start = 1) than without (residual_start = L).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch
from torch import nn

from rnnkit.testing import assert_close, check, expect_dict, expect_tensor, trandn

# (B, T, D, H, L, residual_start); residual_start None: the default (not passed)
FIXED = [(1, 1, 1, 1, 1, 0), (2, 3, 3, 3, 3, None), (3, 4, 2, 3, 3, 0), (2, 5, 4, 2, 4, 2),
         (1, 3, 3, 2, 2, 2), (2, 2, 2, 2, 3, 0), (3, 3, 4, 3, 2, None)]
N_CASES = len(FIXED) + 3


def case_of(rng: np.random.Generator, case: int) -> tuple[int, int, int, int, int, int | None]:
    if case < len(FIXED):
        return FIXED[case]
    B, T = int(rng.integers(1, 4)), int(rng.integers(1, 6))
    D, H = (int(v) for v in rng.integers(1, 6, size=2))
    L = int(rng.integers(1, 5))
    return B, T, D, H, L, int(rng.integers(0, L + 1))


def start_of(residual_start: int | None) -> int:
    return 1 if residual_start is None else residual_start


def shapes(D: int, H: int, L: int, residual_start: int | None) -> dict[str, tuple[int, ...]]:
    out: dict[str, tuple[int, ...]] = {}
    for layer in range(L):
        width = D if layer == 0 else H
        out[f"layers.{layer}.weight_ih_l0"] = (4 * H, width)
        out[f"layers.{layer}.weight_hh_l0"] = (4 * H, H)
        out[f"layers.{layer}.bias_ih_l0"] = (4 * H,)
        out[f"layers.{layer}.bias_hh_l0"] = (4 * H,)
    if start_of(residual_start) == 0 and D != H:
        out["proj.weight"] = (H, D)
    return out


def random_state_dict(rng: np.random.Generator, D: int, H: int, L: int, residual_start: int | None,
                      scale: float = 0.6) -> dict[str, torch.Tensor]:
    return {name: trandn(rng, *shape, scale=scale) for name, shape in shapes(D, H, L, residual_start).items()}


def oracle_modules(sd: dict[str, torch.Tensor], D: int, H: int, L: int) -> tuple[list[nn.LSTM], nn.Linear | None]:
    lstms = []
    for layer in range(L):
        lstm = nn.LSTM(D if layer == 0 else H, H, batch_first=True).double()
        lstm.load_state_dict({k.split(".", 2)[2]: v for k, v in sd.items() if k.startswith(f"layers.{layer}.")})
        lstms.append(lstm)
    proj = None
    if "proj.weight" in sd:
        proj = nn.Linear(D, H, bias=False).double()
        proj.load_state_dict({"weight": sd["proj.weight"]})
    return lstms, proj


def oracle(lstms: list[nn.LSTM], proj: nn.Linear | None, x: torch.Tensor, residual_start: int) -> torch.Tensor:
    y = x
    for layer, lstm in enumerate(lstms):
        z = lstm(y)[0]
        if layer < residual_start:
            y = z
        else:
            y = z + (proj(y) if layer == 0 and proj is not None else y)
    return y


def build(impl: Any, D: int, H: int, L: int, residual_start: int | None) -> Any:
    return impl.ResidualLSTM(D, H, L) if residual_start is None else impl.ResidualLSTM(D, H, L, residual_start)


def loaded(impl: Any, sd: dict[str, torch.Tensor], D: int, H: int, L: int, residual_start: int | None) -> Any:
    model = build(impl, D, H, L, residual_start)
    model.load_state_dict(sd)
    return model


def run(model: Any, x: torch.Tensor, H: int, checked: bool = False) -> torch.Tensor:
    """model(x); the in-place check only where ``checked`` (task 1)."""
    B, T = x.shape[:2]
    out = model(x) if checked else model.forward.with_options(check_mutation=False)(x)
    return expect_tensor(out, (B, T, H), "ResidualLSTM(...)(x)", dtype=torch.float64)


def label(L: int, residual_start: int | None) -> str:
    return f"num_layers={L}, residual_start={'default' if residual_start is None else residual_start}"


# --- task 1 -------------------------------------------------------------------------------------

@pytest.mark.task(1)
@pytest.mark.parametrize("case", range(N_CASES))
def test_parameters_and_shapes(impl, rng, case):
    B, T, D, H, L, start = case_of(rng, case)
    model = build(impl, D, H, L, start)
    expected = shapes(D, H, L, start)
    sd = expect_dict(model.state_dict(), list(expected), f"ResidualLSTM({D}, {H}, {label(L, start)}).state_dict()")
    for name, shape in expected.items():
        expect_tensor(sd[name], shape, name, dtype=torch.float64)
    run(model, trandn(rng, B, T, D), H, checked=True)


# --- task 2 -------------------------------------------------------------------------------------

@pytest.mark.task(2)
@pytest.mark.parametrize("case", range(N_CASES))
def test_matches_composed_nn_lstm_layers(impl, rng, case):
    B, T, D, H, L, start = case_of(rng, case)
    sd = random_state_dict(rng, D, H, L, start)
    x = trandn(rng, B, T, D)
    got = run(loaded(impl, sd, D, H, L, start), x, H)
    lstms, proj = oracle_modules(sd, D, H, L)
    with torch.no_grad():
        want = oracle(lstms, proj, x, start_of(start))
    assert_close(got, want, f"the output ({label(L, start)})", against="composed nn.LSTM layers with skips")


# --- task 3 -------------------------------------------------------------------------------------

def zero_lstm_state(rng: np.random.Generator, D: int, H: int, L: int, start: int | None) -> dict[str, torch.Tensor]:
    sd = {name: torch.zeros(shape, dtype=torch.float64) for name, shape in shapes(D, H, L, start).items()}
    if "proj.weight" in sd:
        sd["proj.weight"] = trandn(rng, H, D)
    return sd


@pytest.mark.task(3)
@pytest.mark.parametrize("L", [1, 3])
def test_zero_lstms_make_an_identity(impl, rng, L):
    B, T, D = 2, 4, 3
    x = trandn(rng, B, T, D, scale=3.0)
    got = run(loaded(impl, zero_lstm_state(rng, D, D, L, 0), D, D, L, 0), x, D)
    assert_close(got, x, f"the output with all LSTM parameters 0 ({label(L, 0)}, input_size == hidden_size)",
                 rtol=0.0, atol=1e-15, against="x (every LSTM outputs 0, so the skips carry x through)")


@pytest.mark.task(3)
def test_zero_lstms_with_projection(impl, rng):
    B, T, D, H, L = 2, 3, 4, 2, 3
    sd = zero_lstm_state(rng, D, H, L, 0)
    x = trandn(rng, B, T, D)
    got = run(loaded(impl, sd, D, H, L, 0), x, H)
    assert_close(got, x @ sd["proj.weight"].T, f"the output with all LSTM parameters 0 ({label(L, 0)}, "
                 "input_size != hidden_size)", rtol=1e-12, atol=1e-14, against="proj(x)")


@pytest.mark.task(3)
def test_zero_lstms_default_start_give_zero(impl, rng):
    B, T, D, H, L = 2, 3, 3, 3, 3
    got = run(loaded(impl, zero_lstm_state(rng, D, H, L, None), D, H, L, None), trandn(rng, B, T, D), H)
    check(bool((got == 0).all()), "with all LSTM parameters 0 and the default residual_start = 1, the output "
          "should be exactly 0 (layer 0 has no skip, and 0 + 0 stays 0)")


# --- task 4 -------------------------------------------------------------------------------------

def grads_of(impl: Any, sd: dict[str, torch.Tensor], D: int, H: int, L: int, start: int | None,
             x: torch.Tensor, upstream: torch.Tensor) -> dict[str, Any]:
    return expect_dict(impl.probe("output_grads", loaded(impl, sd, D, H, L, start), [x], [upstream]),
                       ["outputs", "inputs", "params"], "the gradient probe")


@pytest.mark.task(4)
@pytest.mark.parametrize("case", [1, 2, 3, 5, len(FIXED)])
def test_gradients_match_oracle(impl, rng, case):
    B, T, D, H, L, start = case_of(rng, case)
    sd = random_state_dict(rng, D, H, L, start)
    x, upstream = trandn(rng, B, T, D), trandn(rng, B, T, H)
    got = grads_of(impl, sd, D, H, L, start, x, upstream)
    lstms, proj = oracle_modules(sd, D, H, L)
    leaf = x.clone().requires_grad_(True)
    (oracle(lstms, proj, leaf, start_of(start)) * upstream).sum().backward()
    check(got["inputs"] and got["inputs"][0] is not None, "no gradient reaches x")
    assert_close(expect_tensor(got["inputs"][0], (B, T, D), "d/dx"), leaf.grad, "the gradient with respect to x",
                 against="composed nn.LSTM layers with skips")
    want = {f"layers.{layer}.{n}": p.grad for layer, lstm in enumerate(lstms) for n, p in lstm.named_parameters()}
    if proj is not None:
        want["proj.weight"] = proj.weight.grad
    params = got["params"]
    check(isinstance(params, dict) and set(params) == set(want),
          "the model's parameters (named_parameters) should be exactly the layers' (and proj's, when needed)")
    for name, g in want.items():
        check(params[name] is not None, f"no gradient reaches the parameter {name}")
        assert_close(expect_tensor(params[name], tuple(g.shape), f"d/d{name}"), g,
                     f"the gradient with respect to {name}")


@pytest.mark.task(4)
def test_residuals_carry_more_gradient_to_the_input(impl):
    B, T, D, H, L = 2, 6, 4, 4, 8
    fixed = np.random.default_rng(2020)  # fixed weights: the property is checked, not the seed's luck
    bound = 1.0 / H ** 0.5
    sd = {name: torch.from_numpy(fixed.uniform(-bound, bound, size=shape))
          for name, shape in shapes(D, H, L, 1).items()}
    x, upstream = torch.from_numpy(fixed.standard_normal((B, T, D))), torch.from_numpy(fixed.standard_normal((B, T, H)))
    norms = {}
    for start in (1, L):
        got = grads_of(impl, sd, D, H, L, start, x, upstream)
        lstms, proj = oracle_modules(sd, D, H, L)
        leaf = x.clone().requires_grad_(True)
        (oracle(lstms, proj, leaf, start) * upstream).sum().backward()
        dx = expect_tensor(got["inputs"][0], (B, T, D), "d/dx")
        assert_close(dx, leaf.grad, f"the gradient with respect to x ({label(L, start)})")
        norms[start] = float(dx.norm())
    check(norms[1] > norms[L], "with residual connections the gradient reaching x should be larger than "
          "without them (8 layers, same weights)")
