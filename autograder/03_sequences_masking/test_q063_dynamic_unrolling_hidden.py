"""Hidden grader for q063_dynamic_unrolling (never shipped to students).

The cell is a float64 torch.nn.LSTMCell with weights drawn from rng; it crosses as an
allow-listed module and is rebuilt in the child. Padded inputs hold finite garbage
(100 * N(0, 1)). torch.lstm and the packing ops are forbidden in the submission (exercise.toml);
the cell's own lstm_cell is not. Value tasks call with check_mutation=False.

Task 1: outputs equal torch.nn.LSTM(batch_first=True) with the cell's weights on
        pack_padded_sequence(x, lengths, enforce_sorted=False), unpacked to length T (1e-10),
        and are exactly 0 past each length. Fixed cases: lengths whose sorting permutation is
        not its own inverse ([1, 3, 2], [2, 4, 1, 3]), ties, all equal, B = 1, T > max(lengths),
        lengths all 1, H = 1; then random sizes and lengths.
Task 2: (h_n, c_n) equal that nn.LSTM's h_n[0], c_n[0] (1e-10), same cases.
Task 3: rnnkit.probes.module_rows (forward pre-hook on the cell, in the child): the cell is
        called exactly max(lengths) times, at step t on b_t = #(lengths > t) rows (so
        sum(lengths) rows in all); the values returned alongside are right too (so the counts
        belong to a correct run).
Task 4: with the mutation check on, x and lengths are unchanged; under a float32 default dtype
        (float32 cell, float32 x) the results are float32 and close to the submission's own
        float64 run on the same numbers (so this task costs dtype mistakes only).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from rnnkit.testing import assert_close, check, expect_dict, expect_tensor, expect_tuple, trandn

PAD_SCALE = 100.0
FIXED = [  # (D, H, T, lengths)
    (2, 3, 4, [1, 3, 2]),
    (1, 2, 6, [2, 4, 1, 3]),
    (3, 2, 5, [3, 5, 3, 1]),
    (2, 1, 3, [3, 3]),
    (2, 2, 7, [4]),
    (1, 3, 5, [1, 1, 1]),
    (3, 2, 8, [2, 6, 6, 1]),
]
N_CASES = len(FIXED) + 2


def case_inputs(rng: np.random.Generator, case: int) -> tuple[torch.nn.LSTMCell, torch.Tensor, torch.Tensor]:
    if case < len(FIXED):
        D, H, T, lengths = FIXED[case]
    else:
        B, T = int(rng.integers(1, 5)), int(rng.integers(1, 9))
        D, H = (int(v) for v in rng.integers(1, 6, size=2))
        lengths = [int(v) for v in rng.integers(1, T + 1, size=B)]
    cell = torch.nn.LSTMCell(D, H).double()
    with torch.no_grad():
        for p in cell.parameters():
            p.copy_(trandn(rng, *p.shape, scale=0.7))
    lens = torch.tensor(lengths, dtype=torch.int64)
    x = trandn(rng, len(lengths), T, D)
    pad = torch.arange(T)[None, :] >= lens[:, None]
    x[pad] = trandn(rng, int(pad.sum()), D, scale=PAD_SCALE)
    return cell, x, lens


def packed_reference(cell: torch.nn.LSTMCell, x: torch.Tensor,
                     lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """nn.LSTM with the cell's weights on the packed batch: (outputs (B, T, H), h_n (B, H), c_n (B, H))."""
    D, H = cell.input_size, cell.hidden_size
    lstm = torch.nn.LSTM(D, H, batch_first=True).to(x.dtype)
    with torch.no_grad():
        for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            getattr(lstm, f"{name}_l0").copy_(getattr(cell, name))
        packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
        out, (h_n, c_n) = lstm(packed)
        out, _ = pad_packed_sequence(out, batch_first=True, total_length=x.shape[1])
    return out, h_n[0], c_n[0]


def unpack(value: Any, B: int, T: int, H: int,
           dtype: torch.dtype = torch.float64) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    out = expect_tuple(value, 2, "dynamic_lstm")
    state = expect_tuple(out[1], 2, "the state (h_n, c_n) returned by dynamic_lstm")
    return (expect_tensor(out[0], (B, T, H), "outputs", dtype=dtype),
            expect_tensor(state[0], (B, H), "h_n", dtype=dtype),
            expect_tensor(state[1], (B, H), "c_n", dtype=dtype))


def run(impl: Any, cell: torch.nn.LSTMCell, x: torch.Tensor, lengths: torch.Tensor,
        **options: Any) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    B, T, _ = x.shape
    dtype = torch.float32 if options.get("dtype") == "float32" else torch.float64
    return unpack(impl.dynamic_lstm.with_options(**options)(cell, x, lengths), B, T, cell.hidden_size, dtype)


def check_outputs(outputs: torch.Tensor, want: torch.Tensor, lengths: torch.Tensor, **tol: float) -> None:
    past = torch.arange(outputs.shape[1])[None, :] >= lengths[:, None]
    check(bool((outputs[past] == 0).all()), "outputs past each sequence's length must be exactly 0")
    assert_close(outputs, want, "outputs", against="torch.nn.LSTM on the packed batch", **tol)


def check_states(h_n: torch.Tensor, c_n: torch.Tensor, want_h: torch.Tensor, want_c: torch.Tensor,
                 **tol: float) -> None:
    assert_close(h_n, want_h, "h_n", against="the packed nn.LSTM's h_n", **tol)
    assert_close(c_n, want_c, "c_n", against="the packed nn.LSTM's c_n", **tol)


# --- tasks 1 and 2 -------------------------------------------------------------------------------

@pytest.mark.task(1)
@pytest.mark.parametrize("case", range(N_CASES))
def test_outputs_match_packed_lstm(impl, rng, case):
    cell, x, lengths = case_inputs(rng, case)
    outputs, _, _ = run(impl, cell, x, lengths, check_mutation=False)
    check_outputs(outputs, packed_reference(cell, x, lengths)[0], lengths)


@pytest.mark.task(2)
@pytest.mark.parametrize("case", range(N_CASES))
def test_final_states_match_packed_lstm(impl, rng, case):
    cell, x, lengths = case_inputs(rng, case)
    _, h_n, c_n = run(impl, cell, x, lengths, check_mutation=False)
    _, want_h, want_c = packed_reference(cell, x, lengths)
    check_states(h_n, c_n, want_h, want_c)


# --- task 3 --------------------------------------------------------------------------------------

@pytest.mark.task(3)
@pytest.mark.parametrize("case", [0, 1, 2, 4, 6, len(FIXED)])
def test_cell_sees_the_shrinking_batch(impl, rng, case):
    cell, x, lengths = case_inputs(rng, case)
    B, T, _ = x.shape
    got = expect_dict(impl.probe("module_rows", impl.function("dynamic_lstm"), cell, x, lengths), ["value", "rows"],
                      "the counting probe")
    rows = got["rows"]
    check(isinstance(rows, list) and all(type(r) is int for r in rows), "the counting probe could not read the calls")
    steps = int(lengths.max())
    want = [int((lengths > t).sum()) for t in range(steps)]
    check(len(rows) == steps,
          f"the cell should be called once per step for max(lengths) = {steps} steps, it was called {len(rows)} times"
          + (" (call the cell itself: cell(x_t, (h, c)))" if not rows else ""))
    check(sum(rows) == int(lengths.sum()),
          f"the cell should see sum(lengths) = {int(lengths.sum())} rows in all, it saw {sum(rows)}")
    check(rows == want, "at step t the cell should see exactly the sequences still running (lengths > t), "
                        f"{want}; it saw {rows}")
    outputs, h_n, c_n = unpack(got["value"], B, T, cell.hidden_size)
    want_out, want_h, want_c = packed_reference(cell, x, lengths)
    check_outputs(outputs, want_out, lengths)
    check_states(h_n, c_n, want_h, want_c)


# --- task 4 --------------------------------------------------------------------------------------

@pytest.mark.task(4)
@pytest.mark.parametrize("case", [0, 2])
def test_inputs_unchanged(impl, rng, case):
    cell, x, lengths = case_inputs(rng, case)
    run(impl, cell, x, lengths)            # the mutation check is on


@pytest.mark.task(4)
def test_float32_in_float32_out(impl, rng):
    # compared with the submission's own float64 run on the same numbers: this task is about
    # dtypes, tasks 1 and 2 grade the values
    cell, x, lengths = case_inputs(rng, 1)
    got = run(impl, cell, x.float(), lengths, dtype="float32", check_mutation=False)
    cell64 = torch.nn.LSTMCell(cell.input_size, cell.hidden_size).double()
    with torch.no_grad():
        for p, q in zip(cell64.parameters(), cell.parameters(), strict=True):
            p.copy_(q.float().double())
    want = run(impl, cell64, x.float().double(), lengths, check_mutation=False)
    for name, g, w in zip(("outputs", "h_n", "c_n"), got, want, strict=True):
        assert_close(g, w, f"{name} of a float32 run", rtol=1e-5, atol=1e-6, against="the same run in float64")
