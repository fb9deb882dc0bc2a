"""Hidden grader for q061_dilated_lstm (never shipped to students).

The model is used through a handle: ``model = impl.DilatedLSTM(D, H, dilations)``,
``model.state_dict()``, ``model.load_state_dict(sd)``, ``model(x)``; weights are drawn from rng
and loaded, so the student's init never matters. Value tasks call with check_mutation=False:
in-place changes to the inputs cost task 6 only.

Task 1: dilate equals an index loop (out[j*B + b, k] = x[b, k*d + j], 0 past T), exactly, with
        the exact shape (d*B, ceil(T/d), D). Fixed cases: d = 1, d = T, d > T, T % d != 0,
        B = 1, D = 1; then random sizes.
Task 2: undilate equals the inverse index loop on arbitrary y (exact); undilate(dilate(x)) == x
        for T not divisible by d (the reference's dilate, so a wrong dilate cannot cost task 2).
Task 3: state_dict keys exactly layers.{l}.{weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0}
        with nn.LSTM shapes (layer 0 reads D, the others H), float64; output (B, T, H).
Task 4: with random weights loaded, equals a loop oracle that runs an nn.LSTMCell per layer and
        reads (h, c) of step t - d explicitly (zero for t < d) (1e-10): single layers (d = 1,
        d = 2 with T odd, d = 3, d > T) and stacks ([1, 2, 4], [2, 2], [3, 1], [4, 2, 1]).
Task 5: G7 via rnnkit.probes.output_grads (child): for one layer with dilation d, the
        gradient of output t (random upstream at step t only) with respect to x is non-zero
        exactly at steps t, t - d, t - 2d, ... (checked for the last d + 1 steps, every phase).
Task 6: with the mutation check on, no input changes in place; float32 inputs give float32
        results from dilate and undilate (the child's default dtype is float64), and a model
        built under float32 returns float32. Values are compared with the submission's own
        float64 results on the same numbers (exact for dilate/undilate, rtol 1e-5 for the
        model), so this task costs dtype mistakes only.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch
from torch import nn

from rnnkit.testing import assert_close, check, expect_dict, expect_tensor, trandn

NAMES = ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0")
FOLD_FIXED = [(1, 1, 1, 1), (2, 5, 3, 2), (3, 7, 2, 3), (2, 3, 1, 5), (1, 6, 2, 6), (2, 4, 1, 1), (3, 9, 2, 4)]
N_FOLD = len(FOLD_FIXED) + 2  # (B, T, D, d)
MODEL_FIXED = [  # (B, T, D, H, dilations)
    (2, 5, 3, 2, [1]),
    (3, 7, 2, 3, [2]),
    (1, 6, 1, 2, [3]),
    (2, 3, 2, 2, [5]),
    (2, 9, 2, 3, [1, 2, 4]),
    (3, 6, 3, 1, [2, 2]),
    (1, 7, 2, 2, [3, 1]),
    (2, 8, 1, 2, [4, 2, 1]),
]
N_MODEL = len(MODEL_FIXED) + 2


def quiet(fn: Any) -> Any:
    return fn.with_options(check_mutation=False)


# --- trusted index loops and the loop oracle -----------------------------------------------------

def dilate_loop(x: torch.Tensor, d: int) -> torch.Tensor:
    B, T, D = x.shape
    K = -(-T // d)
    out = torch.zeros(d * B, K, D, dtype=x.dtype)
    for j in range(d):
        for b in range(B):
            for k in range(K):
                if k * d + j < T:
                    out[j * B + b, k] = x[b, k * d + j]
    return out


def undilate_loop(y: torch.Tensor, d: int, T: int) -> torch.Tensor:
    dB, K, H = y.shape
    B = dB // d
    out = torch.zeros(B, T, H, dtype=y.dtype)
    for b in range(B):
        for t in range(T):
            out[b, t] = y[(t % d) * B + b, t // d]
    return out


def random_state(rng: np.random.Generator, D: int, H: int, L: int) -> dict[str, torch.Tensor]:
    sd = {}
    for l in range(L):
        D_l = D if l == 0 else H
        for name, shape in zip(NAMES, [(4 * H, D_l), (4 * H, H), (4 * H,), (4 * H,)], strict=True):
            sd[f"layers.{l}.{name}"] = trandn(rng, *shape, scale=0.6)
    return sd


def loop_oracle(sd: dict[str, torch.Tensor], dilations: list[int], x: torch.Tensor) -> torch.Tensor:
    """Each layer an nn.LSTMCell stepping t = 0..T-1 from the state of step t - d (zero before)."""
    y = x
    for l, d in enumerate(dilations):
        w_ih = sd[f"layers.{l}.weight_ih_l0"]
        H = w_ih.shape[0] // 4
        cell = nn.LSTMCell(w_ih.shape[1], H).to(x.dtype)
        with torch.no_grad():
            cell.weight_ih.copy_(w_ih)
            cell.weight_hh.copy_(sd[f"layers.{l}.weight_hh_l0"])
            cell.bias_ih.copy_(sd[f"layers.{l}.bias_ih_l0"])
            cell.bias_hh.copy_(sd[f"layers.{l}.bias_hh_l0"])
            B, T, _ = y.shape
            zero = torch.zeros(B, H, dtype=x.dtype)
            hs: list[torch.Tensor] = []
            cs: list[torch.Tensor] = []
            for t in range(T):
                state = (hs[t - d], cs[t - d]) if t >= d else (zero, zero)
                h, c = cell(y[:, t], state)
                hs.append(h)
                cs.append(c)
            y = torch.stack(hs, dim=1)
    return y


def fold_case(rng: np.random.Generator, case: int) -> tuple[int, int, int, int]:
    if case < len(FOLD_FIXED):
        return FOLD_FIXED[case]
    B, T, D = int(rng.integers(1, 5)), int(rng.integers(1, 12)), int(rng.integers(1, 5))
    return B, T, D, int(rng.integers(1, T + 3))


def model_case(rng: np.random.Generator, case: int) -> tuple[int, int, int, int, list[int]]:
    if case < len(MODEL_FIXED):
        return MODEL_FIXED[case]
    B, T = int(rng.integers(1, 4)), int(rng.integers(2, 10))
    D, H = (int(v) for v in rng.integers(1, 5, size=2))
    return B, T, D, H, [int(v) for v in rng.integers(1, 5, size=int(rng.integers(1, 4)))]


def loaded_model(impl: Any, D: int, H: int, dilations: list[int], sd: dict[str, torch.Tensor],
                 dtype: str | None = None) -> Any:
    ctor = impl.DilatedLSTM.with_options(dtype=dtype) if dtype else impl.DilatedLSTM
    model = ctor(D, H, list(dilations))
    model.load_state_dict(sd)
    return model


# --- task 1 --------------------------------------------------------------------------------------

@pytest.mark.task(1)
@pytest.mark.parametrize("case", range(N_FOLD))
def test_dilate_layout(impl, rng, case):
    B, T, D, d = fold_case(rng, case)
    x = trandn(rng, B, T, D)
    K = -(-T // d)
    got = expect_tensor(quiet(impl.dilate)(x, d), (d * B, K, D), f"dilate(x of shape {(B, T, D)}, d={d})",
                        dtype=torch.float64)
    assert_close(got, dilate_loop(x, d), f"dilate(x, {d})", rtol=0, atol=0,
                 against="out[j*B + b, k] = x[b, k*d + j] (0 past the end)")


# --- task 2 --------------------------------------------------------------------------------------

@pytest.mark.task(2)
@pytest.mark.parametrize("case", range(N_FOLD))
def test_undilate_layout(impl, rng, case):
    B, T, H, d = fold_case(rng, case)
    K = -(-T // d)
    y = trandn(rng, d * B, K, H)
    got = expect_tensor(quiet(impl.undilate)(y, d, T), (B, T, H), f"undilate(y of shape {(d * B, K, H)}, d={d}, T={T})",
                        dtype=torch.float64)
    assert_close(got, undilate_loop(y, d, T), f"undilate(y, {d}, {T})", rtol=0, atol=0,
                 against="out[b, k*d + j] = y[j*B + b, k]")


@pytest.mark.task(2)
@pytest.mark.parametrize("case", range(4))
def test_undilate_inverts_dilate(impl, ref, rng, case):
    B, T, D, d = [(2, 7, 3, 2), (1, 5, 2, 3), (3, 10, 1, 4), (2, 2, 2, 3)][case]
    x = trandn(rng, B, T, D)
    got = expect_tensor(quiet(impl.undilate)(ref.dilate(x, d), d, T), (B, T, D),
                        f"undilate(dilate(x, {d}), {d}, {T})", dtype=torch.float64)
    assert_close(got, x, f"undilate(dilate(x, {d}), {d}, {T})", rtol=0, atol=0, against="x")


# --- task 3 --------------------------------------------------------------------------------------

@pytest.mark.task(3)
@pytest.mark.parametrize("case", [0, 4, 5, 7])
def test_parameters_and_output_shape(impl, rng, case):
    B, T, D, H, dilations = MODEL_FIXED[case]
    model = impl.DilatedLSTM(D, H, list(dilations))
    keys = [f"layers.{l}.{n}" for l in range(len(dilations)) for n in NAMES]
    sd = expect_dict(model.state_dict(), keys, f"DilatedLSTM({D}, {H}, {dilations}).state_dict()")
    for l in range(len(dilations)):
        D_l = D if l == 0 else H
        for name, shape in zip(NAMES, [(4 * H, D_l), (4 * H, H), (4 * H,), (4 * H,)], strict=True):
            expect_tensor(sd[f"layers.{l}.{name}"], shape, f"layers.{l}.{name}", dtype=torch.float64)
    out = quiet(model.forward)(trandn(rng, B, T, D))
    expect_tensor(out, (B, T, H), f"DilatedLSTM({D}, {H}, {dilations}) on x of shape {(B, T, D)}", dtype=torch.float64)


# --- task 4 --------------------------------------------------------------------------------------

@pytest.mark.task(4)
@pytest.mark.parametrize("case", range(N_MODEL))
def test_matches_loop_oracle(impl, rng, case):
    B, T, D, H, dilations = model_case(rng, case)
    sd = random_state(rng, D, H, len(dilations))
    x = trandn(rng, B, T, D)
    model = loaded_model(impl, D, H, dilations, sd)
    got = expect_tensor(quiet(model.forward)(x), (B, T, H), f"DilatedLSTM({D}, {H}, {dilations})(x)")
    assert_close(got, loop_oracle(sd, dilations, x), f"the outputs with dilations {dilations}",
                 against="a loop that reads h[t - d] and c[t - d]")


# --- task 5 --------------------------------------------------------------------------------------

@pytest.mark.task(5)
@pytest.mark.parametrize("d", [2, 3])
def test_dependency_pattern(impl, rng, d):
    B, T, D, H = 2, 7, 2, 3
    sd = random_state(rng, D, H, 1)
    model = loaded_model(impl, D, H, [d], sd)
    x = trandn(rng, B, T, D)
    for t in range(T - d - 1, T):
        upstream = torch.zeros(B, T, H, dtype=torch.float64)
        upstream[:, t] = trandn(rng, B, H)
        got = expect_dict(impl.probe("output_grads", model, [x], [upstream]), ["outputs", "inputs", "params"],
                          "the gradient probe")
        check(isinstance(got["inputs"], list) and len(got["inputs"]) == 1 and got["inputs"][0] is not None,
              "no gradient reaches the input x")
        dx = expect_tensor(got["inputs"][0], (B, T, D), f"d out[{t}] / d x")
        touched = (dx != 0).any(dim=2)                         # (B, T)
        want = torch.tensor([s <= t and (t - s) % d == 0 for s in range(T)])
        for b in range(B):
            extra = [s for s in range(T) if bool(touched[b, s]) and not bool(want[s])]
            missing = [s for s in range(T) if bool(want[s]) and not bool(touched[b, s])]
            check(not extra, f"with dilation {d}, output {t} must not depend on input step(s) {extra}")
            check(not missing, f"with dilation {d}, output {t} should depend on input step(s) {missing}")


# --- task 6 --------------------------------------------------------------------------------------

@pytest.mark.task(6)
@pytest.mark.parametrize("case", [1, 4])
def test_inputs_unchanged(impl, rng, case):
    B, T, D, H, dilations = MODEL_FIXED[case]
    x = trandn(rng, B, T, D)
    y = impl.dilate(x, 2)                      # the mutation check is on
    impl.undilate(trandn(rng, 2 * B, -(-T // 2), H), 2, T)
    loaded_model(impl, D, H, dilations, random_state(rng, D, H, len(dilations)))(x)
    check(isinstance(y, torch.Tensor), "dilate should return a tensor")


@pytest.mark.task(6)
@pytest.mark.parametrize("case", [1, 3])
def test_float32_in_float32_out(impl, rng, case):
    # float32 results are compared with the submission's own float64 results on the same values:
    # this task is about dtypes, the other tasks grade the values
    B, T, D, d = FOLD_FIXED[case]
    x = trandn(rng, B, T, D).float()
    K = -(-T // d)
    y = expect_tensor(quiet(impl.dilate)(x, d), (d * B, K, D), "dilate of a float32 x", dtype=torch.float32)
    y64 = expect_tensor(quiet(impl.dilate)(x.double(), d), (d * B, K, D), "dilate of the same x in float64")
    assert_close(y, y64, "dilate of a float32 x", rtol=0, atol=0, against="dilate of the same x in float64")
    back = expect_tensor(quiet(impl.undilate)(y, d, T), (B, T, D), "undilate of a float32 y", dtype=torch.float32)
    back64 = expect_tensor(quiet(impl.undilate)(y64, d, T), (B, T, D), "undilate of the same y in float64")
    assert_close(back, back64, "undilate of a float32 y", rtol=0, atol=0, against="undilate of the same y in float64")
    B, T, D, H, dilations = MODEL_FIXED[4]
    sd = {k: v.float() for k, v in random_state(rng, D, H, len(dilations)).items()}
    x = trandn(rng, B, T, D).float()
    model = loaded_model(impl, D, H, dilations, sd, dtype="float32")
    got = expect_tensor(quiet(model.forward)(x), (B, T, H), "a float32 DilatedLSTM on a float32 x", dtype=torch.float32)
    model64 = loaded_model(impl, D, H, dilations, {k: v.double() for k, v in sd.items()})
    want = expect_tensor(quiet(model64.forward)(x.double()), (B, T, H), "the same DilatedLSTM in float64")
    assert_close(got, want, "the float32 outputs", rtol=1e-5, atol=1e-6, against="the same model in float64")
