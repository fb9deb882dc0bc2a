"""Hidden grader for q019_bidirectional (never shipped to students).

The oracle is torch's own nn.LSTM(D, H, bidirectional=True, batch_first=True) in float64, loaded
with the submission's parameter layout and run on pack_padded_sequence(x, lengths,
enforce_sorted=False), padded back to length T (catalogue G1 + errata item 78: lengths >= 1).
Every pad step of x holds finite garbage (100 * N(0, 1), errata item 20), so code that reads a
pad fails by far more than the tolerance. Lengths are unsorted; the fixed cases include all rows
full, all rows of length 1, max(lengths) < T, B = 1, T = 1 and H = 1. torch's LSTM kernels and
packing (lstm, lstm_cell, _pack_padded_sequence) are forbidden in the submission (G5). Inputs
left unchanged is graded where the task says so (reverse_padded in task 1, forward in task 2);
tasks 3-5 call forward with the in-place check off (docs/authoring.md, "Fair tasks").

Task 1: reverse_padded equals a Python-loop oracle exactly (float and integer data, trailing
        dims (B, T), (B, T, D) and (B, T, 2, 3)); applying it twice gives x back; x and lengths
        left unchanged.
Task 2: a fresh BiLSTM's state_dict has exactly nn.LSTM(bidirectional=True)'s keys and shapes
        (float64; loads with strict=True); forward returns out (B, T, 2H) and h_n (2, B, H) and
        leaves x and lengths unchanged.
Task 3: all rows full (lengths == T): out and h_n equal nn.LSTM(bidirectional=True) on the
        unpadded batch (1e-10).
Task 4: variable lengths: out and h_n equal nn.LSTM on the packed batch (1e-10). A naive
        flip(x, 1) of the padded tensor fails here (regression).
Task 5: pads: out is exactly 0.0 at every pad step, and other garbage in the pads leaves out and
        h_n unchanged (rtol 1e-12, atol 1e-14).
Task 6: gradients (rnnkit.probes.output_grads, random upstream on out and h_n) of x and of every
        parameter equal those of the packed nn.LSTM (1e-10); in particular 0 at pad steps.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch
from torch import nn

from rnnkit.testing import assert_close, check, expect_dict, expect_tensor, expect_tuple, trandn

GARBAGE = 100.0
# (B, T, D, H, lengths or a pattern name)
FIXED = [(1, 1, 1, 1, [1]), (3, 5, 2, 3, [5, 2, 3]), (4, 6, 3, 2, [1, 6, 1, 4]),
         (2, 4, 2, 2, [3, 1]), (3, 3, 1, 2, [1, 1, 1]), (1, 5, 3, 1, [5])]
N_CASES = len(FIXED) + 3


def case_of(rng: np.random.Generator, case: int) -> tuple[int, int, int, int, torch.Tensor]:
    if case < len(FIXED):
        B, T, D, H, lengths = FIXED[case]
        return B, T, D, H, torch.tensor(lengths, dtype=torch.int64)
    B, T = int(rng.integers(2, 5)), int(rng.integers(2, 8))
    D, H = (int(v) for v in rng.integers(1, 6, size=2))
    values = rng.integers(1, T + 1, size=B)
    values[0] = 1
    return B, T, D, H, torch.as_tensor(rng.permutation(values), dtype=torch.int64)


def mask_of(lengths: torch.Tensor, T: int) -> torch.Tensor:
    return torch.tensor([[t < int(n) for t in range(T)] for n in lengths], dtype=torch.bool).reshape(-1, T)


def with_garbage(rng: np.random.Generator, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    out = x.clone()
    pads = ~mask_of(lengths, x.shape[1])
    out[pads] = trandn(rng, *x.shape, scale=GARBAGE).to(x.dtype)[pads]
    return out


def shapes(D: int, H: int) -> dict[str, tuple[int, ...]]:
    base = {"weight_ih_l0": (4 * H, D), "weight_hh_l0": (4 * H, H), "bias_ih_l0": (4 * H,), "bias_hh_l0": (4 * H,)}
    return {**base, **{k + "_reverse": v for k, v in base.items()}}


def random_state_dict(rng: np.random.Generator, D: int, H: int) -> dict[str, torch.Tensor]:
    return {name: trandn(rng, *shape, scale=0.7) for name, shape in shapes(D, H).items()}


def torch_bilstm(sd: dict[str, torch.Tensor], D: int, H: int) -> nn.LSTM:
    lstm = nn.LSTM(D, H, bidirectional=True, batch_first=True).double()
    lstm.load_state_dict(sd, strict=True)
    return lstm


def packed_reference(lstm: nn.LSTM, x: torch.Tensor, lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    packed = nn.utils.rnn.pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
    out, (h_n, _) = lstm(packed)
    out, _ = nn.utils.rnn.pad_packed_sequence(out, batch_first=True, total_length=x.shape[1])
    return out, h_n


def loaded(impl: Any, sd: dict[str, torch.Tensor], D: int, H: int) -> Any:
    model = impl.BiLSTM(D, H)
    model.load_state_dict(sd)
    return model


def run(model: Any, x: torch.Tensor, lengths: torch.Tensor, H: int,
        checked: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
    """model(x, lengths); the in-place check only where ``checked`` (task 2)."""
    B, T = x.shape[:2]
    result = model(x, lengths) if checked else model.forward.with_options(check_mutation=False)(x, lengths)
    out, h_n = expect_tuple(result, 2, "BiLSTM.forward")
    return (expect_tensor(out, (B, T, 2 * H), "out", dtype=torch.float64),
            expect_tensor(h_n, (2, B, H), "h_n", dtype=torch.float64))


# --- task 1 -------------------------------------------------------------------------------------

def reverse_oracle(x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    out = x.clone()
    for b in range(x.shape[0]):
        n = int(lengths[b])
        for t in range(n):
            out[b, t] = x[b, n - 1 - t]
    return out


@pytest.mark.task(1)
@pytest.mark.parametrize("case", range(N_CASES))
def test_reverse_padded_matches_loop(impl, rng, case):
    B, T, D, _, lengths = case_of(rng, case)
    trailing = [(), (D,), (2, 3)][case % 3]
    x = trandn(rng, B, T, *trailing)
    if case % 4 == 1:
        x = torch.as_tensor(rng.integers(-50, 50, size=(B, T, *trailing)), dtype=torch.int64)
    got = expect_tensor(impl.reverse_padded(x, lengths), tuple(x.shape), "reverse_padded(x, lengths)", dtype=x.dtype)
    want = reverse_oracle(x, lengths)
    check(torch.equal(got, want), "reverse_padded should reverse the first lengths[b] steps of each row "
          "and leave the pad steps where they are")
    again = expect_tensor(impl.reverse_padded(got, lengths), tuple(x.shape), "reverse_padded twice", dtype=x.dtype)
    check(torch.equal(again, x), "reverse_padded applied twice should give x back")


# --- task 2 -------------------------------------------------------------------------------------

@pytest.mark.task(2)
@pytest.mark.parametrize("case", range(N_CASES))
def test_parameters_and_shapes(impl, rng, case):
    B, T, D, H, lengths = case_of(rng, case)
    model = impl.BiLSTM(D, H)
    expected = shapes(D, H)
    sd = expect_dict(model.state_dict(), list(expected), "BiLSTM.state_dict()")
    for name, shape in expected.items():
        expect_tensor(sd[name], shape, name, dtype=torch.float64)
    torch_bilstm(dict(sd), D, H)
    run(model, with_garbage(rng, trandn(rng, B, T, D), lengths), lengths, H, checked=True)


# --- task 3 -------------------------------------------------------------------------------------

@pytest.mark.task(3)
@pytest.mark.parametrize("case", range(N_CASES))
def test_full_length_matches_nn_lstm(impl, rng, case):
    B, T, D, H, _ = case_of(rng, case)
    lengths = torch.full((B,), T, dtype=torch.int64)
    sd = random_state_dict(rng, D, H)
    x = trandn(rng, B, T, D)
    out, h_n = run(loaded(impl, sd, D, H), x, lengths, H)
    with torch.no_grad():
        want_out, (want_h, _) = torch_bilstm(sd, D, H)(x)
    assert_close(out, want_out, "out (all rows full)", against="nn.LSTM(bidirectional=True)")
    assert_close(h_n, want_h, "h_n (all rows full)", against="nn.LSTM(bidirectional=True)")


# --- task 4 -------------------------------------------------------------------------------------

@pytest.mark.task(4)
@pytest.mark.parametrize("case", range(1, N_CASES))
def test_variable_lengths_match_packed_nn_lstm(impl, rng, case):
    B, T, D, H, lengths = case_of(rng, case)
    sd = random_state_dict(rng, D, H)
    x = with_garbage(rng, trandn(rng, B, T, D), lengths)
    out, h_n = run(loaded(impl, sd, D, H), x, lengths, H)
    with torch.no_grad():
        want_out, want_h = packed_reference(torch_bilstm(sd, D, H), x, lengths)
    valid = mask_of(lengths, T)
    assert_close(out[..., :H][valid], want_out[..., :H][valid], "the forward half of out at valid steps",
                 against="nn.LSTM on the packed batch")
    assert_close(out[..., H:][valid], want_out[..., H:][valid], "the backward half of out at valid steps",
                 against="nn.LSTM on the packed batch (the backward direction starts at each last valid step)")
    assert_close(h_n[0], want_h[0], "h_n[0] (forward direction)", against="nn.LSTM on the packed batch")
    assert_close(h_n[1], want_h[1], "h_n[1] (backward direction)", against="nn.LSTM on the packed batch")


# --- task 5 -------------------------------------------------------------------------------------

@pytest.mark.task(5)
@pytest.mark.parametrize("case", range(1, N_CASES))
def test_pads_are_zero_and_do_not_matter(impl, rng, case):
    B, T, D, H, lengths = case_of(rng, case)
    sd = random_state_dict(rng, D, H)
    clean = trandn(rng, B, T, D)
    model = loaded(impl, sd, D, H)
    out1, h1 = run(model, with_garbage(rng, clean, lengths), lengths, H)
    out2, h2 = run(model, with_garbage(rng, clean, lengths), lengths, H)
    pads = ~mask_of(lengths, T)
    if bool(pads.any()):
        check(bool((out1[pads] == 0).all()) and bool((out2[pads] == 0).all()),
              "out should be exactly 0 at every pad step (both directions)")
    assert_close(out2, out1, "out after changing only the pads of x", rtol=1e-12, atol=1e-14,
                 against="out before (pads must not matter)")
    assert_close(h2, h1, "h_n after changing only the pads of x", rtol=1e-12, atol=1e-14,
                 against="h_n before (pads must not matter)")


# --- task 6 -------------------------------------------------------------------------------------

@pytest.mark.task(6)
@pytest.mark.parametrize("case", [1, 2, len(FIXED)])
def test_gradients_match_packed_nn_lstm(impl, rng, case):
    B, T, D, H, lengths = case_of(rng, case)
    sd = random_state_dict(rng, D, H)
    x = with_garbage(rng, trandn(rng, B, T, D), lengths)
    upstream = [trandn(rng, B, T, 2 * H), trandn(rng, 2, B, H)]
    got = expect_dict(impl.probe("output_grads", loaded(impl, sd, D, H), [x, lengths], upstream),
                      ["outputs", "inputs", "params"], "the gradient probe")
    lstm = torch_bilstm(sd, D, H)
    leaf = x.clone().requires_grad_(True)
    want_out, want_h = packed_reference(lstm, leaf, lengths)
    ((want_out * upstream[0]).sum() + (want_h * upstream[1]).sum()).backward()
    check(len(got["inputs"]) >= 1 and got["inputs"][0] is not None, "no gradient reaches x")
    assert_close(expect_tensor(got["inputs"][0], (B, T, D), "d/dx"), leaf.grad, "the gradient with respect to x",
                 against="nn.LSTM on the packed batch")
    params = got["params"]
    check(isinstance(params, dict) and set(params) == set(sd),
          "the model's parameters (named_parameters) should be exactly nn.LSTM(bidirectional=True)'s")
    for name, p in lstm.named_parameters():
        g = params[name]
        check(g is not None, f"no gradient reaches the parameter {name}")
        assert_close(expect_tensor(g, tuple(p.shape), f"d/d{name}"), p.grad,
                     f"the gradient with respect to {name}", against="nn.LSTM on the packed batch")
