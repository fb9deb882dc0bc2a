"""Hidden grader for q018_stacked_lstm (never shipped to students).

The model is used through a handle: ``m = impl.StackedLSTM(D, H, L)``, ``m.state_dict()``,
``m.load_state_dict(sd)``, ``m(x)`` / ``m(x, (h0, c0))``. torch's LSTM kernels (lstm,
lstm_cell) are forbidden in the submission (G5, exercise.toml). The oracle is torch's own
``nn.LSTM(D, H, num_layers=L, batch_first=True)`` in float64 with the same state_dict, as in
PyTorch's custom_lstms.py tests (G1, rtol 1e-10, atol 1e-12). Tasks 1-4 grade values only
(forward is called with the sandbox's in-place check off, docs/authoring.md "Fair tasks"); task 5
is the hygiene task.

Task 1: a fresh model's state_dict loads into nn.LSTM(D, H, num_layers=L) with strict=True (same
        keys and shapes, float64); forward returns (out (B, T, H), (h_n, c_n) (L, B, H)).
Task 2: with random weights and state=None, out, h_n and c_n equal nn.LSTM's; fixed edge cases
        T = 1, B = 1, H = 1, L = 1, D == H and D != H, L = 3.
Task 3: with a random initial state (h0, c0) per layer, the same (layer k must start from
        h0[k], c0[k]).
Task 4: gradients (rnnkit.probes.output_grads, random upstream on out, h_n and c_n) of x, h0, c0
        and of every parameter equal those of nn.LSTM (1e-10) for L = 2 and 3 (G4).
Task 5: hygiene: built under float32 (with_options(dtype="float32")), float32 parameters and
        outputs, close to the same model's float64 outputs (rtol 1e-5, atol 1e-6: the function
        against itself); x, h0 and c0 left unchanged by forward (the in-place check on).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch
from torch import nn

from rnnkit.probes import output_grads
from rnnkit.testing import assert_close, check, expect_dict, expect_tensor, expect_tuple, trandn

FIXED = [(1, 1, 1, 1, 1), (2, 3, 4, 2, 2), (3, 4, 2, 3, 3), (1, 5, 3, 3, 2)]  # (B, T, D, H, L)
N_CASES = len(FIXED) + 3


def sizes(rng: np.random.Generator, case: int) -> tuple[int, int, int, int, int]:
    if case < len(FIXED):
        return FIXED[case]
    B, T = int(rng.integers(1, 5)), int(rng.integers(1, 7))
    D, H = (int(v) for v in rng.integers(1, 7, size=2))
    return B, T, D, H, int(rng.integers(2, 4))


def shapes(D: int, H: int, L: int) -> dict[str, tuple[int, ...]]:
    out: dict[str, tuple[int, ...]] = {}
    for k in range(L):
        out[f"weight_ih_l{k}"] = (4 * H, D if k == 0 else H)
        out[f"weight_hh_l{k}"] = (4 * H, H)
        out[f"bias_ih_l{k}"] = (4 * H,)
        out[f"bias_hh_l{k}"] = (4 * H,)
    return out


def random_state_dict(rng: np.random.Generator, D: int, H: int, L: int) -> dict[str, torch.Tensor]:
    return {name: trandn(rng, *shape, scale=0.7) for name, shape in shapes(D, H, L).items()}


def torch_lstm(sd: dict[str, torch.Tensor], D: int, H: int, L: int) -> nn.LSTM:
    lstm = nn.LSTM(D, H, num_layers=L, batch_first=True).double()
    lstm.load_state_dict(sd, strict=True)
    return lstm


def loaded(impl: Any, sd: dict[str, torch.Tensor], D: int, H: int, L: int) -> Any:
    model = impl.StackedLSTM(D, H, L)
    model.load_state_dict(sd)
    return model


def forward(model: Any, *args: Any) -> Any:
    """model(*args) with the in-place check off: tasks 1-4 grade values only."""
    return model.forward.with_options(check_mutation=False)(*args)


def unpack(result: Any, B: int, T: int, H: int, L: int,
           dtype: torch.dtype = torch.float64) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    out, state = expect_tuple(result, 2, "StackedLSTM.forward")
    h_n, c_n = expect_tuple(state, 2, "the state (h_n, c_n) returned by StackedLSTM.forward")
    return (expect_tensor(out, (B, T, H), "out", dtype=dtype),
            expect_tensor(h_n, (L, B, H), "h_n", dtype=dtype),
            expect_tensor(c_n, (L, B, H), "c_n", dtype=dtype))


def compare(got: tuple[torch.Tensor, ...], want: Any, what: str) -> None:
    w_out, (w_h, w_c) = want
    for name, g, w in zip(("out", "h_n", "c_n"), got, (w_out, w_h, w_c), strict=True):
        assert_close(g, w, f"{name} {what}", against="torch.nn.LSTM(num_layers=L)")


# --- task 1 -------------------------------------------------------------------------------------

@pytest.mark.task(1)
@pytest.mark.parametrize("case", range(N_CASES))
def test_state_dict_loads_into_nn_lstm(impl, rng, case):
    B, T, D, H, L = sizes(rng, case)
    model = impl.StackedLSTM(D, H, L)
    expected = shapes(D, H, L)
    sd = expect_dict(model.state_dict(), list(expected), "StackedLSTM.state_dict()")
    for name, shape in expected.items():
        expect_tensor(sd[name], shape, name, dtype=torch.float64)
    try:
        torch_lstm(dict(sd), D, H, L)
    except RuntimeError as exc:  # pragma: no cover - keys and shapes were checked above
        raise AssertionError("the state_dict does not load into nn.LSTM with strict=True") from exc
    unpack(forward(model, trandn(rng, B, T, D)), B, T, H, L)


# --- task 2 -------------------------------------------------------------------------------------

@pytest.mark.task(2)
@pytest.mark.parametrize("case", range(N_CASES))
def test_matches_nn_lstm_from_zero_state(impl, rng, case):
    B, T, D, H, L = sizes(rng, case)
    sd = random_state_dict(rng, D, H, L)
    x = trandn(rng, B, T, D)
    got = unpack(forward(loaded(impl, sd, D, H, L), x), B, T, H, L)
    with torch.no_grad():
        want = torch_lstm(sd, D, H, L)(x)
    compare(got, want, "(state=None)")


# --- task 3 -------------------------------------------------------------------------------------

@pytest.mark.task(3)
@pytest.mark.parametrize("case", range(1, N_CASES))
def test_matches_nn_lstm_from_given_state(impl, rng, case):
    B, T, D, H, L = sizes(rng, case)
    sd = random_state_dict(rng, D, H, L)
    x, h0, c0 = trandn(rng, B, T, D), trandn(rng, L, B, H), trandn(rng, L, B, H, scale=2.0)
    got = unpack(forward(loaded(impl, sd, D, H, L), x, (h0, c0)), B, T, H, L)
    with torch.no_grad():
        want = torch_lstm(sd, D, H, L)(x, (h0, c0))
    compare(got, want, "(with an initial state)")


# --- task 4 -------------------------------------------------------------------------------------

@pytest.mark.task(4)
@pytest.mark.parametrize("case", [1, 2, 3, len(FIXED)])
def test_gradients_match_nn_lstm(impl, rng, case):
    B, T, D, H, L = sizes(rng, case)
    sd = random_state_dict(rng, D, H, L)
    x, h0, c0 = trandn(rng, B, T, D), trandn(rng, L, B, H), trandn(rng, L, B, H)
    upstream = [trandn(rng, B, T, H), trandn(rng, L, B, H), trandn(rng, L, B, H)]
    got = expect_dict(impl.probe("output_grads", loaded(impl, sd, D, H, L), [x, (h0, c0)], upstream),
                      ["outputs", "inputs", "params"], "the gradient probe")
    want = output_grads(torch_lstm(sd, D, H, L), [x.clone(), (h0.clone(), c0.clone())], upstream)
    params = got["params"]
    check(isinstance(params, dict) and set(params) == set(sd),
          "the model's parameters (named_parameters) should be exactly nn.LSTM's")
    for k, name in enumerate(("x", "h0", "c0")):
        g = got["inputs"][k]
        check(g is not None, f"no gradient reaches {name}")
        assert_close(expect_tensor(g, tuple(want["inputs"][k].shape), f"d/d{name}"), want["inputs"][k],
                     f"the gradient with respect to {name}", against="torch.nn.LSTM")
    for name, shape in shapes(D, H, L).items():
        g = params[name]
        check(g is not None, f"no gradient reaches the parameter {name}")
        assert_close(expect_tensor(g, shape, f"d/d{name}"), want["params"][name],
                     f"the gradient with respect to {name}", against="torch.nn.LSTM")


# --- task 5 -------------------------------------------------------------------------------------

@pytest.mark.task(5)
@pytest.mark.parametrize("case", [1, 2])
def test_float32_in_float32_out(impl, rng, case):
    B, T, D, H, L = sizes(rng, case)
    sd = random_state_dict(rng, D, H, L)
    model = impl.StackedLSTM.with_options(dtype="float32")(D, H, L)
    for name, value in expect_dict(model.state_dict(), list(sd), "StackedLSTM.state_dict()").items():
        expect_tensor(value, tuple(sd[name].shape), name, dtype=torch.float32)
    model.load_state_dict({k: v.float() for k, v in sd.items()})
    x = trandn(rng, B, T, D)
    got = unpack(forward(model, x.float()), B, T, H, L, dtype=torch.float32)
    same64 = unpack(forward(loaded(impl, sd, D, H, L), x), B, T, H, L)
    for name, g, w in zip(("out", "h_n", "c_n"), got, same64, strict=True):
        assert_close(g, w, f"{name} (float32)", rtol=1e-5, atol=1e-6, against="the same model in float64")


@pytest.mark.task(5)
@pytest.mark.parametrize("case", [1, 2, 3])
def test_inputs_left_unchanged(impl, rng, case):
    B, T, D, H, L = sizes(rng, case)
    model = loaded(impl, random_state_dict(rng, D, H, L), D, H, L)
    x, h0, c0 = trandn(rng, B, T, D), trandn(rng, L, B, H), trandn(rng, L, B, H)
    model(x)  # the in-place check on: raises if x is changed
    model(x, (h0, c0))  # ... or h0, c0
