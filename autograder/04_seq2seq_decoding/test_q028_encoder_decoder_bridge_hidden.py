"""Hidden grader for q028_encoder_decoder_bridge (never shipped to students).

bridge_states and final_from_outputs are graded exactly (they only move numbers) against an
index oracle written here as Python loops, on random tensors and on the (h_n, c_n) and outputs
of real nn.LSTM(D, H, num_layers=L, bidirectional=True, batch_first=True) runs in float64 on
pack_padded_sequence(x, lengths, enforce_sorted=False) (unsorted lengths, 1 and T included).
Every call runs with the in-place check on: each function is called by its own task only.

Task 1: bridge_states: h and c (L, B, 2H) equal the oracle h[l, b] = concat(h_n[2l, b],
        h_n[2l + 1, b]) exactly, for L = 1, 2, 3 and B >= 2 (a naive view(L, B, 2H) fails
        whenever B > 1, and h_n[:L] / h_n[L:] as "forward" / "backward" fails for L = 2; both
        are regressions); on real nn.LSTM states the top layer's halves equal out[b, len-1, :H]
        and out[b, 0, H:] exactly.
Task 2: final_from_outputs on real packed nn.LSTM outputs equals concat(h_n[-2], h_n[-1])
        exactly (the outputs-at-lengths oracle); rows of length 1 and of length T.
Task 3: Bridge(enc_hidden, dec_hidden).state_dict() has exactly h_proj.weight (dec, enc),
        h_proj.bias (dec,), c_proj.weight, c_proj.bias, float64.
Task 4: with a random state_dict loaded, forward(h, c) equals (tanh(h_proj(h)), tanh(c_proj(c)))
        computed with torch.nn.Linear here (1e-10), on (L, B, enc_hidden) inputs.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from rnnkit.testing import assert_close, check, expect_dict, expect_tensor, expect_tuple, trandn

# (L, B, T, D, H, lengths)
FIXED = [(2, 3, 4, 2, 2, [4, 1, 2]), (1, 2, 3, 1, 1, [3, 3]), (3, 4, 5, 3, 2, [1, 5, 2, 3]),
         (2, 2, 1, 2, 3, [1, 1]), (1, 3, 6, 2, 4, [2, 6, 1])]
N_CASES = len(FIXED) + 2


def case_of(rng: np.random.Generator, case: int) -> tuple[int, int, int, int, int, torch.Tensor]:
    if case < len(FIXED):
        L, B, T, D, H, lengths = FIXED[case]
        return L, B, T, D, H, torch.tensor(lengths, dtype=torch.int64)
    L, B, T = int(rng.integers(1, 4)), int(rng.integers(2, 5)), int(rng.integers(2, 7))
    D, H = (int(v) for v in rng.integers(1, 5, size=2))
    values = rng.integers(1, T + 1, size=B)
    values[0], values[-1] = 1, T
    return L, B, T, D, H, torch.as_tensor(rng.permutation(values), dtype=torch.int64)


def join_oracle(s: torch.Tensor, L: int) -> torch.Tensor:
    _, B, H = s.shape
    out = torch.empty(L, B, 2 * H, dtype=s.dtype)
    for layer in range(L):
        for b in range(B):
            out[layer, b, :H] = s[2 * layer, b]
            out[layer, b, H:] = s[2 * layer + 1, b]
    return out


def lstm_run(rng: np.random.Generator, L: int, D: int, H: int, x: torch.Tensor,
             lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    lstm = nn.LSTM(D, H, num_layers=L, bidirectional=True, batch_first=True).double()
    with torch.no_grad():
        for p in lstm.parameters():
            p.copy_(trandn(rng, *p.shape, scale=0.7))
        packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
        out, (h_n, c_n) = lstm(packed)
        out, _ = pad_packed_sequence(out, batch_first=True, total_length=x.shape[1])
    return out, h_n, c_n


def call_bridge_states(impl: Any, h_n: torch.Tensor, c_n: torch.Tensor, L: int) -> tuple[torch.Tensor, torch.Tensor]:
    _, B, H = h_n.shape
    h, c = expect_tuple(impl.bridge_states(h_n, c_n, L), 2, "bridge_states(h_n, c_n, num_layers)")
    return (expect_tensor(h, (L, B, 2 * H), "h", dtype=h_n.dtype),
            expect_tensor(c, (L, B, 2 * H), "c", dtype=c_n.dtype))


# --- task 1 -------------------------------------------------------------------------------------

@pytest.mark.task(1)
@pytest.mark.parametrize("case", range(N_CASES))
def test_bridge_states_index_oracle(impl, rng, case):
    L, B, _, _, H, _ = case_of(rng, case)
    h_n, c_n = trandn(rng, 2 * L, B, H), trandn(rng, 2 * L, B, H)
    h, c = call_bridge_states(impl, h_n, c_n, L)
    check(torch.equal(h, join_oracle(h_n, L)),
          "bridge_states: h[l, b] should be concat(h_n[2l, b], h_n[2l + 1, b]) (forward, then backward)")
    check(torch.equal(c, join_oracle(c_n, L)),
          "bridge_states: c[l, b] should be concat(c_n[2l, b], c_n[2l + 1, b]) (forward, then backward)")


@pytest.mark.task(1)
@pytest.mark.parametrize("case", range(N_CASES))
def test_bridge_states_on_a_real_lstm(impl, rng, case):
    L, B, T, D, H, lengths = case_of(rng, case)
    out, h_n, c_n = lstm_run(rng, L, D, H, trandn(rng, B, T, D), lengths)
    h, c = call_bridge_states(impl, h_n, c_n, L)
    check(torch.equal(h, join_oracle(h_n, L)) and torch.equal(c, join_oracle(c_n, L)),
          "bridge_states on a real bidirectional nn.LSTM's (h_n, c_n) differs from the per-layer concatenation")
    rows = torch.arange(B)
    check(torch.equal(h[-1, :, :H], out[rows, lengths - 1, :H]),
          "the top layer's forward half should equal out[b, len - 1, :H]")
    check(torch.equal(h[-1, :, H:], out[:, 0, H:]), "the top layer's backward half should equal out[b, 0, H:]")


# --- task 2 -------------------------------------------------------------------------------------

@pytest.mark.task(2)
@pytest.mark.parametrize("case", range(N_CASES))
def test_final_from_outputs(impl, rng, case):
    L, B, T, D, H, lengths = case_of(rng, case)
    out, h_n, _ = lstm_run(rng, L, D, H, trandn(rng, B, T, D), lengths)
    got = expect_tensor(impl.final_from_outputs(out, lengths), (B, 2 * H), "final_from_outputs(out, lengths)",
                        dtype=torch.float64)
    want = torch.cat([h_n[-2], h_n[-1]], dim=1)
    check(torch.equal(got[:, :H], want[:, :H]),
          "the forward half should be out[b, lengths[b] - 1, :H] (the last valid step, not the padded end)")
    check(torch.equal(got[:, H:], want[:, H:]), "the backward half should be out[b, 0, H:] (after reading step 0)")


# --- tasks 3 and 4 ------------------------------------------------------------------------------

def bridge_shapes(enc: int, dec: int) -> dict[str, tuple[int, ...]]:
    return {"h_proj.weight": (dec, enc), "h_proj.bias": (dec,), "c_proj.weight": (dec, enc), "c_proj.bias": (dec,)}


@pytest.mark.task(3)
@pytest.mark.parametrize("case", range(3))
def test_bridge_parameters(impl, rng, case):
    enc, dec = 2 * int(rng.integers(1, 5)), int(rng.integers(1, 7))
    want = bridge_shapes(enc, dec)
    sd = expect_dict(impl.Bridge(enc, dec).state_dict(), list(want), "Bridge.state_dict()")
    for name, shape in want.items():
        expect_tensor(sd[name], shape, name, dtype=torch.float64)


@pytest.mark.task(4)
@pytest.mark.parametrize("case", range(4))
def test_bridge_forward(impl, rng, case):
    L, B = [(1, 1), (2, 3)][case] if case < 2 else (int(rng.integers(1, 4)), int(rng.integers(1, 5)))
    enc, dec = 2 * int(rng.integers(1, 5)), int(rng.integers(1, 7))
    sd = {name: trandn(rng, *shape, scale=0.8) for name, shape in bridge_shapes(enc, dec).items()}
    h, c = trandn(rng, L, B, enc, scale=1.5), trandn(rng, L, B, enc, scale=1.5)
    model = impl.Bridge(enc, dec)
    model.load_state_dict(sd)
    got_h, got_c = expect_tuple(model(h, c), 2, "Bridge.forward(h, c)")
    got_h = expect_tensor(got_h, (L, B, dec), "the decoder h", dtype=torch.float64)
    got_c = expect_tensor(got_c, (L, B, dec), "the decoder c", dtype=torch.float64)
    assert_close(got_h, torch.tanh(h @ sd["h_proj.weight"].T + sd["h_proj.bias"]), "the decoder h",
                 against="tanh(h_proj(h))")
    assert_close(got_c, torch.tanh(c @ sd["c_proj.weight"].T + sd["c_proj.bias"]), "the decoder c",
                 against="tanh(c_proj(c))")
