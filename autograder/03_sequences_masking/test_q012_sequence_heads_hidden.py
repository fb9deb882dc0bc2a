"""Hidden grader for q012_sequence_heads (never shipped to students).

Pads of every input hold finite garbage (100 * N(0, 1)), so code that reads a pad step changes
the answer by far more than the tolerance. Lengths are unsorted and always include the edge
values 1 and T (and 0 for masked_mean).

Task 1: last_valid equals a Python-loop oracle outputs[b, lengths[b] - 1] exactly (a gather), on
        fixed edge cases (T = 1, all lengths 1, all lengths T, B = 1) and rng draws; float32 in
        gives float32 out, equal to the same function's float64 result; its inputs left unchanged.
Task 2: masked_mean equals a loop oracle (mean over t < lengths[b], 0 for empty rows; 1e-10);
        float32 in gives float32 out, close to its own float64 result; inputs left unchanged.
Task 3: SeqModel: state_dict keys are exactly those of lstm (nn.LSTM(D, H, batch_first=True))
        and head (nn.Linear(H, C)) with their shapes; output shapes (B, C) and (B, T, C) for the
        three modes; an unknown mode raises ValueError; forward leaves x and lengths unchanged
        (the in-place check on here only: tasks 4 and 5 grade values, docs/authoring.md).
Task 4: SeqModel with a random state_dict equals the grader's own torch composition (nn.LSTM on a
        packed batch + loop-oracle heads + nn.Linear, 1e-10) in all three modes.
Task 5: padding: other garbage in the pads of x leaves every output unchanged (rtol 1e-12,
        atol 1e-14, errata item 20) and many_to_many is exactly 0.0 at every pad step.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch
from torch import nn

from rnnkit.testing import assert_close, check, expect_dict, expect_tensor, trandn

MODES = ("many_to_one", "mean", "many_to_many")
FIXED = [(1, 1, 1), (3, 4, 2), (4, 5, 3), (1, 6, 2)]  # (B, T, H) for the head functions
N_CASES = len(FIXED) + 3
GARBAGE = 100.0


def head_sizes(rng: np.random.Generator, case: int) -> tuple[int, int, int]:
    if case < len(FIXED):
        return FIXED[case]
    return int(rng.integers(2, 6)), int(rng.integers(2, 9)), int(rng.integers(1, 6))


def draw_lengths(rng: np.random.Generator, B: int, T: int, case: int, low: int = 1) -> torch.Tensor:
    """Unsorted lengths in [low, T]; the fixed cases pin all-1, all-T and mixed edge patterns."""
    if case == 0:
        values = np.full(B, T)
    elif case == 1:
        values = np.array([T, 1, T - 1, 2][:B]).clip(low, T)
    elif case == 2:
        values = np.array([1, T, low, T - 2][:B]).clip(low, T)
    elif case == 3:
        values = np.full(B, 1)
    else:
        values = rng.integers(low, T + 1, size=B)
        values[:2] = [T, low]  # the edges, at random places
        values = rng.permutation(values)
    return torch.as_tensor(values, dtype=torch.int64)


def mask_of(lengths: torch.Tensor, T: int) -> torch.Tensor:
    return torch.tensor([[t < int(n) for t in range(T)] for n in lengths], dtype=torch.bool).reshape(-1, T)


def with_garbage(rng: np.random.Generator, valid: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """A copy of ``valid`` whose pad steps hold 100 * N(0, 1) garbage."""
    garbage = trandn(rng, *valid.shape, scale=GARBAGE).to(valid.dtype)
    pads = ~mask_of(lengths, valid.shape[1])
    out = valid.clone()
    out[pads] = garbage[pads]
    return out


# --- loop oracles -------------------------------------------------------------------------------

def last_valid_oracle(outputs: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    return torch.stack([outputs[b, int(lengths[b]) - 1] for b in range(outputs.shape[0])])


def masked_mean_oracle(outputs: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    rows = []
    for b in range(outputs.shape[0]):
        n = int(lengths[b])
        rows.append(outputs[b, :n].sum(dim=0) / n if n else torch.zeros(outputs.shape[2], dtype=outputs.dtype))
    return torch.stack(rows)


# --- task 1 -------------------------------------------------------------------------------------

@pytest.mark.task(1)
@pytest.mark.parametrize("case", range(N_CASES))
def test_last_valid_matches_loop(impl, rng, case):
    B, T, H = head_sizes(rng, case)
    lengths = draw_lengths(rng, B, T, case)
    outputs = with_garbage(rng, trandn(rng, B, T, H), lengths)
    got = expect_tensor(impl.last_valid(outputs, lengths), (B, H), "last_valid(outputs, lengths)",
                        dtype=torch.float64)
    assert_close(got, last_valid_oracle(outputs, lengths), "last_valid", rtol=0.0, atol=0.0,
                 against="outputs[b, lengths[b] - 1]")


@pytest.mark.task(1)
def test_last_valid_keeps_float32(impl, rng):
    B, T, H = 3, 4, 2
    lengths = torch.tensor([2, 4, 1])
    outputs = with_garbage(rng, trandn(rng, B, T, H), lengths).float()
    got = expect_tensor(impl.last_valid(outputs, lengths), (B, H), "last_valid (float32 outputs)",
                        dtype=torch.float32)
    same64 = impl.last_valid(outputs.double(), lengths)
    assert_close(got, same64, "last_valid (float32)", rtol=0.0, atol=0.0, against="its float64 result")


# --- task 2 -------------------------------------------------------------------------------------

@pytest.mark.task(2)
@pytest.mark.parametrize("case", range(N_CASES))
def test_masked_mean_matches_loop(impl, rng, case):
    B, T, H = head_sizes(rng, case)
    lengths = draw_lengths(rng, B, T, case, low=0 if case >= 2 else 1)
    outputs = with_garbage(rng, trandn(rng, B, T, H), lengths)
    got = expect_tensor(impl.masked_mean(outputs, lengths), (B, H), "masked_mean(outputs, lengths)",
                        dtype=torch.float64)
    assert_close(got, masked_mean_oracle(outputs, lengths), "masked_mean",
                 against="the mean over the valid steps")


@pytest.mark.task(2)
def test_masked_mean_empty_rows_and_float32(impl, rng):
    B, T, H = 4, 3, 2
    lengths = torch.tensor([0, 3, 0, 1])
    outputs = with_garbage(rng, trandn(rng, B, T, H), lengths).float()
    got = expect_tensor(impl.masked_mean(outputs, lengths), (B, H), "masked_mean (float32, empty rows)",
                        dtype=torch.float32)
    check(bool((got[lengths == 0] == 0).all()), "masked_mean should give 0 for a row with length 0")
    same64 = impl.masked_mean(outputs.double(), lengths)
    assert_close(got, same64, "masked_mean (float32)", rtol=1e-6, atol=1e-6, against="its float64 result")


# --- SeqModel helpers ---------------------------------------------------------------------------

MODEL_FIXED = [(1, 1, 1, 1, 1), (3, 5, 2, 3, 2), (4, 6, 3, 1, 4), (2, 4, 1, 2, 1)]  # (B, T, D, H, C)
MODEL_CASES = len(MODEL_FIXED) + 2


def model_sizes(rng: np.random.Generator, case: int) -> tuple[int, int, int, int, int]:
    if case < len(MODEL_FIXED):
        return MODEL_FIXED[case]
    B, T = int(rng.integers(2, 5)), int(rng.integers(2, 8))
    D, H, C = (int(v) for v in rng.integers(1, 6, size=3))
    return B, T, D, H, C


def param_shapes(D: int, H: int, C: int) -> dict[str, tuple[int, ...]]:
    return {"lstm.weight_ih_l0": (4 * H, D), "lstm.weight_hh_l0": (4 * H, H), "lstm.bias_ih_l0": (4 * H,),
            "lstm.bias_hh_l0": (4 * H,), "head.weight": (C, H), "head.bias": (C,)}


def random_state(rng: np.random.Generator, D: int, H: int, C: int) -> dict[str, torch.Tensor]:
    return {name: trandn(rng, *shape, scale=0.8) for name, shape in param_shapes(D, H, C).items()}


def reference_forward(sd: dict[str, torch.Tensor], x: torch.Tensor, lengths: torch.Tensor,
                      mode: str) -> torch.Tensor:
    """torch's own LSTM on the packed batch, the loop-oracle heads, torch's Linear (float64)."""
    B, T, D = x.shape
    H, C = sd["lstm.weight_hh_l0"].shape[1], sd["head.weight"].shape[0]
    lstm = nn.LSTM(D, H, batch_first=True).double()
    lstm.load_state_dict({k[len("lstm."):]: v for k, v in sd.items() if k.startswith("lstm.")})
    head = nn.Linear(H, C).double()
    head.load_state_dict({"weight": sd["head.weight"], "bias": sd["head.bias"]})
    with torch.no_grad():
        packed = nn.utils.rnn.pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
        out, _ = nn.utils.rnn.pad_packed_sequence(lstm(packed)[0], batch_first=True, total_length=T)
        if mode == "many_to_one":
            return head(last_valid_oracle(out, lengths))
        if mode == "mean":
            return head(masked_mean_oracle(out, lengths))
        logits = head(out)
        logits[~mask_of(lengths, T)] = 0.0
        return logits


def run_model(impl: Any, sd: dict[str, torch.Tensor], x: torch.Tensor, lengths: torch.Tensor,
              mode: str, D: int, H: int, C: int, checked: bool = False) -> torch.Tensor:
    """SeqModel(...)(x, lengths); the in-place check only where ``checked`` (task 3)."""
    model = impl.SeqModel(D, H, C, mode)
    model.load_state_dict(sd)
    B, T = x.shape[:2]
    shape = (B, T, C) if mode == "many_to_many" else (B, C)
    out = model(x, lengths) if checked else model.forward.with_options(check_mutation=False)(x, lengths)
    return expect_tensor(out, shape, f"SeqModel(mode={mode!r})(x, lengths)", dtype=torch.float64)


# --- task 3 -------------------------------------------------------------------------------------

@pytest.mark.task(3)
@pytest.mark.parametrize("case", range(MODEL_CASES))
def test_model_parameters_and_shapes(impl, rng, case):
    B, T, D, H, C = model_sizes(rng, case)
    mode = MODES[case % 3]
    model = impl.SeqModel(D, H, C, mode)
    shapes = param_shapes(D, H, C)
    sd = expect_dict(model.state_dict(), list(shapes), "SeqModel.state_dict()")
    for name, shape in shapes.items():
        expect_tensor(sd[name], shape, name, dtype=torch.float64)
    lengths = draw_lengths(rng, B, T, case)
    x = with_garbage(rng, trandn(rng, B, T, D), lengths)
    run_model(impl, random_state(rng, D, H, C), x, lengths, mode, D, H, C, checked=True)


@pytest.mark.task(3)
def test_unknown_mode_raises(impl):
    impl.SeqModel(2, 3, 2, "many_to_one")  # a valid mode works (positive control)
    with pytest.raises(ValueError):
        impl.SeqModel(2, 3, 2, "one_to_many")


# --- task 4 -------------------------------------------------------------------------------------

@pytest.mark.task(4)
@pytest.mark.parametrize("case", range(MODEL_CASES))
@pytest.mark.parametrize("mode", MODES)
def test_model_matches_reference(impl, rng, case, mode):
    B, T, D, H, C = model_sizes(rng, case)
    lengths = draw_lengths(rng, B, T, case)
    sd = random_state(rng, D, H, C)
    x = with_garbage(rng, trandn(rng, B, T, D), lengths)
    got = run_model(impl, sd, x, lengths, mode, D, H, C)
    assert_close(got, reference_forward(sd, x, lengths, mode), f"SeqModel(mode={mode!r}) output",
                 against="nn.LSTM on the packed batch with the same head")


# --- task 5 -------------------------------------------------------------------------------------

@pytest.mark.task(5)
@pytest.mark.parametrize("case", range(1, MODEL_CASES))
@pytest.mark.parametrize("mode", MODES)
def test_model_ignores_pads(impl, rng, case, mode):
    B, T, D, H, C = model_sizes(rng, case)
    lengths = draw_lengths(rng, B, T, case)
    sd = random_state(rng, D, H, C)
    clean = trandn(rng, B, T, D)
    x1, x2 = with_garbage(rng, clean, lengths), with_garbage(rng, clean, lengths)
    y1 = run_model(impl, sd, x1, lengths, mode, D, H, C)
    y2 = run_model(impl, sd, x2, lengths, mode, D, H, C)
    assert_close(y2, y1, f"SeqModel(mode={mode!r}) output after changing only the pads of x",
                 rtol=1e-12, atol=1e-14, against="the output before (pads must not matter)")
    if mode == "many_to_many":
        pads = ~mask_of(lengths, T)
        check(bool((y1[pads] == 0).all()) and bool((y2[pads] == 0).all()),
              "SeqModel(mode='many_to_many') should be exactly 0 at pad steps")
