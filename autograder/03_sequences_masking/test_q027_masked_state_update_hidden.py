"""Hidden grader for q027_masked_state_update (never shipped to students).

``step`` is a float64 torch.nn.LSTMCell with weights drawn from rng; it crosses as an allow-listed
module and is rebuilt in the child. Padded inputs hold finite garbage (100 * N(0, 1)); padded
targets hold out-of-range ids (-100, V, V + 3, ...). F.cross_entropy and F.nll_loss are forbidden
in the submission (exercise.toml). Value tasks call with check_mutation=False: in-place changes
to the arguments cost task 7 only.

Task 1: right-padded (prefix) masks: outputs at real steps and (h_T, c_T) equal the LSTMCell run
        on each sequence alone, without its padding (1e-10); outputs at pads exactly 0. Fixed
        cases: B = T = D = H = 1; length 1 rows; full rows; then random sizes and lengths.
Task 2: arbitrary masks (left padding, holes, a first step masked, rows without real tokens,
        random masks): equal the run over each row's real steps only, in order (1e-10); an
        empty row outputs 0 and keeps (h0, c0).
Task 3: rnnkit.probes.output_grads (child, random upstream on outputs, h_T, c_T): the gradient
        with respect to x is exactly 0 at every padded position; gradients of x, h0, c0 equal
        those of the reference run in the grader (1e-10).
Task 4: token_mean equals F.cross_entropy(ignore_index=-100) on the flattened batch (1e-10);
        near-uniform logits (1e-3 * N(0, 1)) give log V within 1e-2 (CS231n sanity); the default
        reduction is token_mean.
Task 5: seq_mean equals the mean over non-empty rows of each row's F.cross_entropy (1e-10),
        fixed cases with empty rows; no real token at all gives 0 (both reductions);
        unknown reductions raise ValueError (a positive control sits in the same task).
Task 6: output_grads on masked_cross_entropy: d loss / d logits is exactly 0 at padded
        positions and equals the reference's (torch's cross_entropy) elsewhere, both reductions.
Task 7: called with the mutation check on, no argument is changed in place; masked_lstm under a
        float32 default dtype (float32 cell and inputs) returns float32; masked_cross_entropy
        of float32 logits returns a float32 0-d tensor (the child's default dtype is float64).
        Values are compared with the submission's own float64 results on the same numbers, so
        this task costs dtype (and in-place) mistakes only.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from rnnkit.probes import output_grads
from rnnkit.testing import assert_close, check, expect_dict, expect_tensor, expect_tuple, trandn

PAD_SCALE = 100.0
LSTM_FIXED = [  # (D, H, lengths, T)
    (1, 1, [1], 1),
    (2, 3, [5, 1, 3], 5),
    (3, 1, [4, 4], 4),
    (2, 2, [2, 6, 1, 4], 7),
]
N_LSTM = len(LSTM_FIXED) + 2
MASKS = [  # arbitrary masks (rows as strings of 0/1)
    ["0011", "1111", "0001"],       # left padding
    ["10101", "01110"],             # holes, a first step masked
    ["000", "101", "111"],          # a row with no real token
    ["0", "1"],                     # T = 1
    ["1001001", "0110110", "0000000", "1111110"],
]
N_MASKS = len(MASKS) + 2


# --- inputs and trusted oracles ------------------------------------------------------------------

def random_cell(rng: np.random.Generator, D: int, H: int) -> torch.nn.LSTMCell:
    cell = torch.nn.LSTMCell(D, H).double()
    with torch.no_grad():
        for p in cell.parameters():
            p.copy_(trandn(rng, *p.shape, scale=0.7))
    return cell


def prefix_mask(lengths: list[int], T: int) -> torch.Tensor:
    return torch.arange(T)[None, :] < torch.tensor(lengths)[:, None]


def string_mask(rows: list[str]) -> torch.Tensor:
    return torch.tensor([[ch == "1" for ch in row] for row in rows])


def lstm_inputs(rng: np.random.Generator, mask: torch.Tensor, D: int, H: int) -> tuple[torch.Tensor, ...]:
    B, T = mask.shape
    x = trandn(rng, B, T, D)
    x[~mask] = trandn(rng, int((~mask).sum()), D, scale=PAD_SCALE)   # garbage at the pads
    return x, trandn(rng, B, H), trandn(rng, B, H)


def real_steps_run(cell: torch.nn.LSTMCell, x: torch.Tensor, mask: torch.Tensor, h0: torch.Tensor,
                   c0: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Each row on its own, over its real steps only, in order: outputs scattered back, 0 elsewhere."""
    B, T, _ = x.shape
    H = h0.shape[1]
    outputs = torch.zeros(B, T, H, dtype=torch.float64)
    h_T, c_T = h0.clone(), c0.clone()
    with torch.no_grad():
        for b in range(B):
            h, c = h0[b:b + 1], c0[b:b + 1]
            for t in range(T):
                if mask[b, t]:
                    h, c = cell(x[b:b + 1, t], (h, c))
                    outputs[b, t] = h[0]
            h_T[b], c_T[b] = h[0], c[0]
    return outputs, h_T, c_T


def call_lstm(impl: Any, cell: torch.nn.LSTMCell, x: torch.Tensor, mask: torch.Tensor, h0: torch.Tensor,
              c0: torch.Tensor, out_dtype: torch.dtype = torch.float64, **options: Any) -> tuple[torch.Tensor, ...]:
    B, T, _ = x.shape
    H = h0.shape[1]
    out = expect_tuple(impl.masked_lstm.with_options(**options)(cell, x, mask, h0, c0), 2, "masked_lstm")
    state = expect_tuple(out[1], 2, "the state (h_T, c_T) returned by masked_lstm")
    return (expect_tensor(out[0], (B, T, H), "outputs", dtype=out_dtype),
            expect_tensor(state[0], (B, H), "h_T", dtype=out_dtype),
            expect_tensor(state[1], (B, H), "c_T", dtype=out_dtype))


def check_lstm(got: tuple[torch.Tensor, ...], want: tuple[torch.Tensor, ...], mask: torch.Tensor,
               against: str, **tol: float) -> None:
    outputs, h_T, c_T = got
    check(bool((outputs[~mask] == 0).all()), "outputs at padded positions must be exactly 0")
    assert_close(outputs, want[0], "outputs", against=against, **tol)
    assert_close(h_T, want[1], "h_T", against=against, **tol)
    assert_close(c_T, want[2], "c_T", against=against, **tol)


def lstm_case(rng: np.random.Generator, case: int) -> tuple[int, int, torch.Tensor]:
    if case < len(LSTM_FIXED):
        D, H, lengths, T = LSTM_FIXED[case]
        return D, H, prefix_mask(lengths, T)
    B, T = int(rng.integers(1, 5)), int(rng.integers(1, 9))
    D, H = (int(v) for v in rng.integers(1, 7, size=2))
    lengths = [int(v) for v in rng.integers(1, T + 1, size=B)]
    return D, H, prefix_mask(lengths, T)


def mask_case(rng: np.random.Generator, case: int) -> tuple[int, int, torch.Tensor]:
    D, H = (int(v) for v in rng.integers(1, 7, size=2))
    if case < len(MASKS):
        return D, H, string_mask(MASKS[case])
    B, T = int(rng.integers(1, 5)), int(rng.integers(2, 9))
    return D, H, torch.from_numpy(rng.random((B, T)) < 0.6)


# --- task 1 --------------------------------------------------------------------------------------

@pytest.mark.task(1)
@pytest.mark.parametrize("case", range(N_LSTM))
def test_prefix_masks_match_unpadded_runs(impl, rng, case):
    D, H, mask = lstm_case(rng, case)
    cell = random_cell(rng, D, H)
    x, h0, c0 = lstm_inputs(rng, mask, D, H)
    got = call_lstm(impl, cell, x, mask, h0, c0, check_mutation=False)
    check_lstm(got, real_steps_run(cell, x, mask, h0, c0), mask, "each sequence run alone without its padding")


# --- task 2 --------------------------------------------------------------------------------------

@pytest.mark.task(2)
@pytest.mark.parametrize("case", range(N_MASKS))
def test_state_frozen_through_masked_steps(impl, rng, case):
    D, H, mask = mask_case(rng, case)
    cell = random_cell(rng, D, H)
    x, h0, c0 = lstm_inputs(rng, mask, D, H)
    got = call_lstm(impl, cell, x, mask, h0, c0, check_mutation=False)
    check_lstm(got, real_steps_run(cell, x, mask, h0, c0), mask, "a run over each row's real steps only")
    empty = ~mask.any(dim=1)
    if bool(empty.any()):
        assert_close(got[1][empty], h0[empty], "h_T of a row without real tokens", rtol=0, atol=0, against="h0")
        assert_close(got[2][empty], c0[empty], "c_T of a row without real tokens", rtol=0, atol=0, against="c0")


# --- task 3 --------------------------------------------------------------------------------------

@pytest.mark.task(3)
@pytest.mark.parametrize("case", range(4))
def test_gradients_zero_at_padded_inputs(impl, ref, rng, case):
    D, H, mask = lstm_case(rng, 1 + case) if case < 2 else mask_case(rng, case - 2)
    cell = random_cell(rng, D, H)
    x, h0, c0 = lstm_inputs(rng, mask, D, H)
    B, T = mask.shape
    upstream = [trandn(rng, B, T, H), trandn(rng, B, H), trandn(rng, B, H)]
    got = expect_dict(impl.probe("output_grads", impl.function("masked_lstm"), [cell, x, mask, h0, c0], upstream),
                      ["outputs", "inputs", "params"], "the gradient probe")
    want = output_grads(ref.masked_lstm, [cell, x.clone(), mask, h0.clone(), c0.clone()], upstream)
    grads = got["inputs"]
    check(isinstance(grads, list) and len(grads) == 3, "the gradient probe could not read the input gradients")
    for k, name, shape in ((0, "x", (B, T, D)), (1, "h0", (B, H)), (2, "c0", (B, H))):
        check(grads[k] is not None, f"no gradient reaches {name}")
        expect_tensor(grads[k], shape, f"d/d{name}")
    check(bool((grads[0][~mask] == 0).all()),
          "the gradient with respect to x at a padded position must be exactly 0 (padding must not influence learning)")
    for k, name in enumerate(("x", "h0", "c0")):
        assert_close(grads[k], want["inputs"][k], f"the gradient with respect to {name}")


# --- tasks 4 to 6: the loss ----------------------------------------------------------------------

def ce_inputs(rng: np.random.Generator, mask: torch.Tensor, V: int, scale: float = 2.0) -> tuple[torch.Tensor, ...]:
    B, T = mask.shape
    logits = trandn(rng, B, T, V, scale=scale)
    logits[~mask] = trandn(rng, int((~mask).sum()), V, scale=PAD_SCALE)
    targets = torch.from_numpy(rng.integers(0, V, size=(B, T)))
    bad = torch.tensor([-100, V, V + 3, -1])
    pads = (~mask).nonzero()
    for k, (b, t) in enumerate(pads.tolist()):
        targets[b, t] = bad[k % len(bad)]
    return logits, targets


def ce_reference(logits: torch.Tensor, targets: torch.Tensor, mask: torch.Tensor, reduction: str) -> torch.Tensor:
    """torch's cross_entropy with ignore_index at the pads (0 where there is nothing to average)."""
    V = logits.shape[-1]
    ignored = torch.where(mask, targets, torch.full_like(targets, -100))
    if not bool(mask.any()):
        return (logits * 0).sum()
    if reduction == "token_mean":
        return F.cross_entropy(logits.reshape(-1, V), ignored.reshape(-1), ignore_index=-100)
    rows = [F.cross_entropy(logits[b], ignored[b], ignore_index=-100) for b in range(mask.shape[0]) if mask[b].any()]
    return torch.stack(rows).mean()


def ce_mask(rng: np.random.Generator, B: int, T: int) -> torch.Tensor:
    mask = torch.from_numpy(rng.random((B, T)) < 0.7)
    mask[0, 0] = True   # at least one real token
    return mask


def call_ce(impl: Any, logits: torch.Tensor, targets: torch.Tensor, mask: torch.Tensor,
            reduction: str | None = None, out_dtype: torch.dtype = torch.float64, **options: Any) -> torch.Tensor:
    fn = impl.masked_cross_entropy.with_options(**options)
    value = fn(logits, targets, mask) if reduction is None else fn(logits, targets, mask, reduction=reduction)
    return expect_tensor(value, (), "masked_cross_entropy(...)", dtype=out_dtype)


CE_FIXED = [(["1"], 2), (["11000", "10111"], 3), (["111", "101", "100", "011"], 8), (["110100", "011111", "111111"], 1)]
# (mask rows, V); V = 1 is legal: the loss is 0. Every fixed case but the first has padding.
FIXED_MASK = ["1110", "1011", "0111"]   # the hygiene tasks' loss inputs


def ce_case(rng: np.random.Generator, case: int) -> tuple[torch.Tensor, int]:
    if case < len(CE_FIXED):
        rows, V = CE_FIXED[case]
        return string_mask(rows), V
    return ce_mask(rng, int(rng.integers(1, 5)), int(rng.integers(1, 9))), int(rng.integers(2, 9))


@pytest.mark.task(4)
@pytest.mark.parametrize("case", range(len(CE_FIXED) + 2))
def test_token_mean_matches_cross_entropy(impl, rng, case):
    mask, V = ce_case(rng, case)
    logits, targets = ce_inputs(rng, mask, V)
    want = ce_reference(logits, targets, mask, "token_mean")
    explicit = call_ce(impl, logits, targets, mask, "token_mean", check_mutation=False)
    assert_close(explicit, want, "the token_mean loss", against="F.cross_entropy(ignore_index=-100)")
    default = call_ce(impl, logits, targets, mask, check_mutation=False)
    assert_close(default, want, "the loss with the default reduction", against="token_mean")


@pytest.mark.task(4)
@pytest.mark.parametrize("V", [2, 5, 12])
def test_near_uniform_logits_give_log_v(impl, rng, V):
    mask = string_mask(["111100", "111111", "100000"])
    logits, targets = ce_inputs(rng, mask, V, scale=1e-3)
    loss = call_ce(impl, logits, targets, mask, "token_mean", check_mutation=False)
    assert_close(loss, torch.tensor(math.log(V)), "the loss on near-uniform logits", rtol=0, atol=1e-2,
                 against="log V")


SEQ_FIXED = [["1110", "0000", "1000"], ["1", "1"], ["01", "00"], ["111", "100", "010", "001"]]


@pytest.mark.task(5)
@pytest.mark.parametrize("case", range(len(SEQ_FIXED) + 2))
def test_seq_mean_matches_per_row_means(impl, rng, case):
    V = int(rng.integers(2, 9))
    if case < len(SEQ_FIXED):
        mask = string_mask(SEQ_FIXED[case])
    else:
        mask = ce_mask(rng, int(rng.integers(2, 5)), int(rng.integers(2, 9)))
    logits, targets = ce_inputs(rng, mask, V)
    got = call_ce(impl, logits, targets, mask, "seq_mean", check_mutation=False)
    assert_close(got, ce_reference(logits, targets, mask, "seq_mean"), "the seq_mean loss",
                 against="the mean over non-empty rows of each row's F.cross_entropy")


@pytest.mark.task(5)
def test_no_real_token_gives_zero(impl, rng):
    mask = torch.zeros(2, 3, dtype=torch.bool)
    logits, targets = ce_inputs(rng, mask, 4)
    for reduction in ("token_mean", "seq_mean"):
        got = call_ce(impl, logits, targets, mask, reduction, check_mutation=False)
        check(float(got) == 0.0, f"with no real token at all, the {reduction} loss must be 0")


@pytest.mark.task(5)
def test_unknown_reductions_raise(impl, rng):
    mask = string_mask(["110", "100"])
    logits, targets = ce_inputs(rng, mask, 4)
    got = call_ce(impl, logits, targets, mask, "seq_mean", check_mutation=False)   # positive control
    assert_close(got, ce_reference(logits, targets, mask, "seq_mean"), "the seq_mean loss")
    for bad in ("mean", "sum", "token-mean", "none"):
        with pytest.raises(ValueError):
            impl.masked_cross_entropy.with_options(check_mutation=False)(logits, targets, mask, reduction=bad)


GRAD_CASES = [(["11100", "00000", "11111"], "token_mean"), (["1101", "1000"], "seq_mean"),
              (["111", "010", "110", "001"], "seq_mean"), (["10"], "token_mean")]


@pytest.mark.task(6)
@pytest.mark.parametrize("case", range(len(GRAD_CASES)))
def test_loss_gradients_zero_at_pads(impl, rng, case):
    rows, reduction = GRAD_CASES[case]
    mask = string_mask(rows)
    B, T = mask.shape
    V = int(rng.integers(2, 7))
    logits, targets = ce_inputs(rng, mask, V)
    upstream = [torch.tensor(1.0 + float(rng.random()), dtype=torch.float64)]
    got = expect_dict(impl.probe("output_grads", impl.function("masked_cross_entropy"), [logits, targets, mask],
                                 upstream, {"reduction": reduction}),
                      ["outputs", "inputs", "params"], "the gradient probe")
    leaf = logits.clone().requires_grad_(True)
    (ce_reference(leaf, targets, mask, reduction) * upstream[0]).backward()
    grads = got["inputs"]
    check(isinstance(grads, list) and len(grads) == 1 and grads[0] is not None, "no gradient reaches the logits")
    g = expect_tensor(grads[0], (B, T, V), "d loss / d logits")
    check(bool((g[~mask] == 0).all()), "the gradient with respect to the logits at a padded position must be exactly 0")
    assert_close(g, leaf.grad, f"d loss / d logits ({reduction})", against="torch's cross_entropy")


# --- task 7 --------------------------------------------------------------------------------------

@pytest.mark.task(7)
@pytest.mark.parametrize("case", range(2))
def test_arguments_unchanged(impl, rng, case):
    D, H, mask = mask_case(rng, case)
    cell = random_cell(rng, D, H)
    x, h0, c0 = lstm_inputs(rng, mask, D, H)
    call_lstm(impl, cell, x, mask, h0, c0)      # the mutation check is on
    mask = string_mask(FIXED_MASK)
    logits, targets = ce_inputs(rng, mask, 5)
    for reduction in ("token_mean", "seq_mean"):
        call_ce(impl, logits, targets, mask, reduction)


@pytest.mark.task(7)
def test_float32_in_float32_out(impl, rng):
    # compared with the submission's own float64 results on the same numbers: this task is about
    # dtypes, tasks 1 to 6 grade the values
    D, H, mask = mask_case(rng, 0)
    cell = random_cell(rng, D, H)
    x, h0, c0 = (t.float() for t in lstm_inputs(rng, mask, D, H))
    got = call_lstm(impl, cell, x, mask, h0, c0, torch.float32, dtype="float32", check_mutation=False)
    cell64 = torch.nn.LSTMCell(D, H).double()
    with torch.no_grad():
        for p, q in zip(cell64.parameters(), cell.parameters(), strict=True):
            p.copy_(q.float().double())
    want = call_lstm(impl, cell64, x.double(), mask, h0.double(), c0.double(), check_mutation=False)
    for name, g, w in zip(("outputs", "h_T", "c_T"), got, want, strict=True):
        assert_close(g, w, f"{name} of a float32 run", rtol=1e-5, atol=1e-6, against="the same run in float64")
    mask = string_mask(FIXED_MASK)
    logits, targets = ce_inputs(rng, mask, 5)
    logits = logits.float()
    for reduction in ("token_mean", "seq_mean"):
        got_ce = call_ce(impl, logits, targets, mask, reduction, out_dtype=torch.float32, check_mutation=False)
        want_ce = call_ce(impl, logits.double(), targets, mask, reduction, check_mutation=False)
        assert_close(got_ce, want_ce, f"the {reduction} loss of float32 logits", rtol=1e-5, atol=1e-6,
                     against="the same loss in float64")
