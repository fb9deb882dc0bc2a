"""Hidden grader for q065_residual_gru (never shipped to students).

The model is used through a handle: ``model = impl.ResidualGRU(D, H, L)``, ``model.state_dict()``,
``model.load_state_dict(sd)``, ``model(x, h0)``; weights are drawn from rng and loaded, so the
student's init never matters. Value tasks call forward with check_mutation=False.

This is the gated (highway) variant of errata item 85 (q020 already grades the plain residual
stack): y_l = tau_l * GRU_l(y_{l-1}) + (1 - tau_l) * P_l(y_{l-1}), tau_l = sigmoid(gates[l](y_{l-1})).

Task 1: state_dict keys exactly layers.{l}.{weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0},
        gates.{l}.{weight, bias} and proj.weight only when D != H, with their shapes, float64;
        forward returns (B, T, H) and (L, B, H) float64 tensors, with and without h0.
Task 2: gate weights 0, gate biases +50 (tau = 1 exactly): equals nn.GRU(D, H, num_layers=L,
        batch_first=True) with the GRU weights copied (1e-10), random h0 and random proj.
Task 3: random weights everywhere: equals a composition of single-layer nn.GRUs with the gate
        and skip formula (1e-10), with random h0 and with h0 = None; h_n holds the GRUs' own
        final states. Fixed cases: L = 1, D != H (proj), D == H, B = T = 1, L = 4.
Task 4: G9 exact limits. Every GRU and gate parameter 0, h0 = 0: y == x / 2**L exactly (D == H)
        or proj(x) / 2**L (rtol 1e-12), h_n exactly 0. Gate weights 0 and biases -50 with
        random GRUs and h0: y equals the skip path P(x) (atol 1e-15).
Task 5: rnnkit.probes.output_grads (child, random upstream on y and h_n): gradients of x, h0
        and every named parameter equal the reference module's run in the grader (1e-10); the
        parameter names are exactly the state_dict's.
Task 6: with the mutation check on, x and h0 are unchanged; a model built under float32, called
        (with h0 = None) while the child's default dtype is float64, returns float32 results
        close to the submission's own float64 model on the same numbers (rtol 1e-5, atol 1e-6),
        so this task costs dtype mistakes only.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from rnnkit.probes import output_grads
from rnnkit.testing import assert_close, check, expect_dict, expect_tensor, expect_tuple, trandn

GRU_NAMES = ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0")
FIXED = [(1, 1, 1, 1, 1), (2, 3, 2, 2, 4), (3, 3, 3, 1, 5), (4, 2, 1, 3, 3), (2, 2, 4, 2, 6)]  # (D, H, L, B, T)
N_CASES = len(FIXED) + 2


def config(rng: np.random.Generator, case: int) -> tuple[int, int, int, int, int]:
    if case < len(FIXED):
        return FIXED[case]
    D, H = (int(v) for v in rng.integers(1, 6, size=2))
    return D, H, int(rng.integers(1, 4)), int(rng.integers(1, 4)), int(rng.integers(1, 7))


def shapes(D: int, H: int, L: int) -> dict[str, tuple[int, ...]]:
    out: dict[str, tuple[int, ...]] = {}
    for l in range(L):
        D_l = D if l == 0 else H
        out.update({f"layers.{l}.weight_ih_l0": (3 * H, D_l), f"layers.{l}.weight_hh_l0": (3 * H, H),
                    f"layers.{l}.bias_ih_l0": (3 * H,), f"layers.{l}.bias_hh_l0": (3 * H,),
                    f"gates.{l}.weight": (H, D_l), f"gates.{l}.bias": (H,)})
    if D != H:
        out["proj.weight"] = (H, D)
    return out


def random_state(rng: np.random.Generator, D: int, H: int, L: int) -> dict[str, torch.Tensor]:
    return {name: trandn(rng, *shape, scale=0.7) for name, shape in shapes(D, H, L).items()}


def single_gru(sd: dict[str, torch.Tensor], l: int, dtype: torch.dtype) -> nn.GRU:
    w_ih = sd[f"layers.{l}.weight_ih_l0"]
    gru = nn.GRU(w_ih.shape[1], w_ih.shape[0] // 3, batch_first=True).to(dtype)
    with torch.no_grad():
        for name in GRU_NAMES:
            getattr(gru, name).copy_(sd[f"layers.{l}.{name}"])
    return gru


def oracle(sd: dict[str, torch.Tensor], L: int, x: torch.Tensor,
           h0: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor]:
    """Single-layer nn.GRUs composed with the highway formula (float64, in the grader)."""
    y, finals = x, []
    with torch.no_grad():
        for l in range(L):
            g, h_l = single_gru(sd, l, x.dtype)(y, None if h0 is None else h0[l:l + 1])
            skip = F.linear(y, sd["proj.weight"]) if l == 0 and "proj.weight" in sd else y
            tau = torch.sigmoid(F.linear(y, sd[f"gates.{l}.weight"], sd[f"gates.{l}.bias"]))
            y = tau * g + (1 - tau) * skip
            finals.append(h_l[0])
    return y, torch.stack(finals)


def loaded(impl: Any, D: int, H: int, L: int, sd: dict[str, torch.Tensor], dtype: str | None = None) -> Any:
    ctor = impl.ResidualGRU.with_options(dtype=dtype) if dtype else impl.ResidualGRU
    model = ctor(D, H, L)
    model.load_state_dict(sd)
    return model


def forward(model: Any, x: torch.Tensor, h0: torch.Tensor | None, H: int, L: int,
            dtype: torch.dtype = torch.float64, **options: Any) -> tuple[torch.Tensor, torch.Tensor]:
    fn = model.forward.with_options(**options) if options else model
    out = expect_tuple(fn(x) if h0 is None else fn(x, h0), 2, "ResidualGRU.forward")
    B, T, _ = x.shape
    return (expect_tensor(out[0], (B, T, H), "outputs", dtype=dtype),
            expect_tensor(out[1], (L, B, H), "h_n", dtype=dtype))


# --- task 1 --------------------------------------------------------------------------------------

@pytest.mark.task(1)
@pytest.mark.parametrize("case", range(len(FIXED)))
def test_parameters_and_shapes(impl, rng, case):
    D, H, L, B, T = config(rng, case)
    model = impl.ResidualGRU(D, H, L)
    want = shapes(D, H, L)
    sd = expect_dict(model.state_dict(), list(want), f"ResidualGRU({D}, {H}, {L}).state_dict()")
    for name, shape in want.items():
        expect_tensor(sd[name], shape, name, dtype=torch.float64)
    x, h0 = trandn(rng, B, T, D), trandn(rng, L, B, H)
    forward(model, x, h0, H, L, check_mutation=False)
    forward(model, x, None, H, L, check_mutation=False)


# --- task 2 --------------------------------------------------------------------------------------

@pytest.mark.task(2)
@pytest.mark.parametrize("case", range(N_CASES))
def test_open_gates_equal_stacked_gru(impl, rng, case):
    D, H, L, B, T = config(rng, case)
    sd = random_state(rng, D, H, L)
    for l in range(L):
        sd[f"gates.{l}.weight"] = torch.zeros_like(sd[f"gates.{l}.weight"])
        sd[f"gates.{l}.bias"] = torch.full((H,), 50.0, dtype=torch.float64)
    x, h0 = trandn(rng, B, T, D), trandn(rng, L, B, H)
    y, h_n = forward(loaded(impl, D, H, L, sd), x, h0, H, L, check_mutation=False)
    stack = nn.GRU(D, H, num_layers=L, batch_first=True).double()
    with torch.no_grad():
        for l in range(L):
            for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
                getattr(stack, f"{name}_l{l}").copy_(sd[f"layers.{l}.{name}_l0"])
        want_y, want_h = stack(x, h0)
    assert_close(y, want_y, "outputs with fully open gates", against=f"nn.GRU(num_layers={L})")
    assert_close(h_n, want_h, "h_n with fully open gates", against=f"nn.GRU(num_layers={L})")


# --- task 3 --------------------------------------------------------------------------------------

@pytest.mark.task(3)
@pytest.mark.parametrize("case", range(N_CASES))
def test_random_gates_match_composed_grus(impl, rng, case):
    D, H, L, B, T = config(rng, case)
    sd = random_state(rng, D, H, L)
    model = loaded(impl, D, H, L, sd)
    x, h0 = trandn(rng, B, T, D), trandn(rng, L, B, H)
    for state in (h0, None):
        y, h_n = forward(model, x, state, H, L, check_mutation=False)
        want_y, want_h = oracle(sd, L, x, state)
        label = "" if state is not None else " (h0 = None)"
        assert_close(y, want_y, f"outputs{label}", against="composed nn.GRU layers with highway skips")
        assert_close(h_n, want_h, f"h_n{label}", against="the final states of the composed nn.GRU layers")


# --- task 4 --------------------------------------------------------------------------------------

@pytest.mark.task(4)
@pytest.mark.parametrize("case", [1, 2, 4, 3])
def test_zero_parameters_halve_each_layer(impl, rng, case):
    D, H, L, B, T = FIXED[case]
    sd = {name: torch.zeros(shape, dtype=torch.float64) for name, shape in shapes(D, H, L).items()}
    if "proj.weight" in sd:
        sd["proj.weight"] = trandn(rng, H, D)
    x = trandn(rng, B, T, D)
    y, h_n = forward(loaded(impl, D, H, L, sd), x, torch.zeros(L, B, H, dtype=torch.float64), H, L,
                     check_mutation=False)
    check(bool((h_n == 0).all()), "with every GRU parameter 0 and h0 = 0, every GRU state must stay exactly 0")
    if D == H:
        check(bool((y == x / 2 ** L).all()),
              f"with every parameter 0, each layer must halve its input: y must be exactly x / 2**{L}")
    else:
        assert_close(y, F.linear(x, sd["proj.weight"]) / 2 ** L, "outputs with every parameter 0", rtol=1e-12,
                     atol=1e-15, against=f"proj(x) / 2**{L}")


@pytest.mark.task(4)
@pytest.mark.parametrize("case", [1, 2, 4])
def test_shut_gates_leave_the_skip_path(impl, rng, case):
    D, H, L, B, T = FIXED[case]
    sd = random_state(rng, D, H, L)
    for l in range(L):
        sd[f"gates.{l}.weight"] = torch.zeros_like(sd[f"gates.{l}.weight"])
        sd[f"gates.{l}.bias"] = torch.full((H,), -50.0, dtype=torch.float64)
    x = trandn(rng, B, T, D)
    y, _ = forward(loaded(impl, D, H, L, sd), x, trandn(rng, L, B, H), H, L, check_mutation=False)
    skip = F.linear(x, sd["proj.weight"]) if D != H else x
    assert_close(y, skip, "outputs with shut gates", rtol=1e-12, atol=1e-15,
                 against="the skip path alone (x, or proj(x) when the sizes differ)")


# --- task 5 --------------------------------------------------------------------------------------

@pytest.mark.task(5)
@pytest.mark.parametrize("case", [1, 2, 3])
def test_gradients_match_reference(impl, ref, rng, case):
    D, H, L, B, T = FIXED[case]
    sd = random_state(rng, D, H, L)
    x, h0 = trandn(rng, B, T, D), trandn(rng, L, B, H)
    upstream = [trandn(rng, B, T, H), trandn(rng, L, B, H)]
    got = expect_dict(impl.probe("output_grads", loaded(impl, D, H, L, sd), [x, h0], upstream),
                      ["outputs", "inputs", "params"], "the gradient probe")
    reference = ref.ResidualGRU(D, H, L).double()
    reference.load_state_dict(sd)
    want = output_grads(reference, [x.clone(), h0.clone()], upstream)
    params = got["params"]
    check(isinstance(params, dict) and set(params) == set(shapes(D, H, L)),
          f"the model's parameters (named_parameters) should be exactly {', '.join(sorted(shapes(D, H, L)))}")
    grads = got["inputs"]
    check(isinstance(grads, list) and len(grads) == 2, "the gradient probe could not read the input gradients")
    for k, name in enumerate(("x", "h0")):
        check(grads[k] is not None, f"no gradient reaches {name}")
        assert_close(expect_tensor(grads[k], tuple(want["inputs"][k].shape), f"d/d{name}"), want["inputs"][k],
                     f"the gradient with respect to {name}")
    for name, shape in shapes(D, H, L).items():
        check(params[name] is not None, f"no gradient reaches the parameter {name}")
        assert_close(expect_tensor(params[name], shape, f"d/d{name}"), want["params"][name],
                     f"the gradient with respect to {name}")


# --- task 6 --------------------------------------------------------------------------------------

@pytest.mark.task(6)
@pytest.mark.parametrize("case", [1, 3])
def test_inputs_unchanged(impl, rng, case):
    D, H, L, B, T = FIXED[case]
    model = loaded(impl, D, H, L, random_state(rng, D, H, L))
    forward(model, trandn(rng, B, T, D), trandn(rng, L, B, H), H, L)       # the mutation check is on


@pytest.mark.task(6)
@pytest.mark.parametrize("case", [1, 4])
def test_float32_in_float32_out(impl, rng, case):
    # compared with the submission's own float64 model on the same numbers: this task is about
    # dtypes, the other tasks grade the values
    D, H, L, B, T = FIXED[case]
    sd = {k: v.float() for k, v in random_state(rng, D, H, L).items()}
    model = loaded(impl, D, H, L, sd, dtype="float32")
    x = trandn(rng, B, T, D).float()
    y, h_n = forward(model, x, None, H, L, dtype=torch.float32)
    want_y, want_h = forward(loaded(impl, D, H, L, {k: v.double() for k, v in sd.items()}), x.double(), None, H, L,
                             check_mutation=False)
    assert_close(y, want_y, "outputs of a float32 model", rtol=1e-5, atol=1e-6, against="the same model in float64")
    assert_close(h_n, want_h, "h_n of a float32 model", rtol=1e-5, atol=1e-6, against="the same model in float64")
