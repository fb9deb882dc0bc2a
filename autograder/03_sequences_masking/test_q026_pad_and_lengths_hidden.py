"""Hidden grader for q026_pad_and_lengths (never shipped to students).

pad_sequence is forbidden in the submission (G5, exercise.toml); the grader itself uses it as the
reference. Each function is called by one task only, which also grades that it leaves its
inputs unchanged (the sandbox's in-place check, on for every call here).

Task 1: pad_batch equals torch.nn.utils.rnn.pad_sequence exactly (torch.equal, same dtype and
        shape) in both layouts, with pad values 0, -1 and a random float, float64 and int64
        sequences, trailing dims () / (D,) / (2, 3), length-0 sequences among others, all
        sequences empty, B = 1; lengths equal the L_b as int64.
Task 2: lengths_to_mask equals the Tensor-Puzzles loop spec [[t < n for t in range(T)] ...]
        exactly (bool, (B, T)) with and without max_len (larger than, equal to max(lengths)),
        zeros among the lengths, all zero; ValueError when max_len < max(lengths).
Task 3: sort_by_length: perm equals Python's stable sorted(range(B), key=-length) exactly, on
        fixed cases full of ties (all equal, already sorted, ascending, B = 1) and rng draws from
        few distinct values; inv is its inverse (perm[inv] == inv[perm] == arange); int64.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch.nn.utils.rnn import pad_sequence

from rnnkit.testing import check, expect_tensor, expect_tuple, trandn

# lengths of the sequences per fixed case
PAD_FIXED = [[3], [2, 0, 4], [0, 0], [1, 1, 1], [0, 5, 2, 5], [4, 2]]
N_PAD = len(PAD_FIXED) + 3


def pad_case(rng: np.random.Generator, case: int) -> tuple[list[int], tuple[int, ...], bool, float, bool]:
    """(lengths, rest shape, integer data?, pad value, batch_first)."""
    if case < len(PAD_FIXED):
        lengths = PAD_FIXED[case]
    else:
        lengths = [int(v) for v in rng.integers(0, 6, size=int(rng.integers(1, 5)))]
    rest = [(), (3,), (2, 3)][case % 3]
    integer = case % 4 == 1
    pad_value = [0.0, -1.0, float(np.round(rng.normal(), 3)) if not integer else 7.0][case % 3]
    return lengths, rest, integer, pad_value, case % 2 == 0


def make_seqs(rng: np.random.Generator, lengths: list[int], rest: tuple[int, ...], integer: bool) -> list[torch.Tensor]:
    if integer:
        return [torch.as_tensor(rng.integers(-20, 20, size=(n, *rest)), dtype=torch.int64) for n in lengths]
    return [trandn(rng, n, *rest) for n in lengths]


@pytest.mark.task(1)
@pytest.mark.parametrize("case", range(N_PAD))
def test_pad_batch_matches_pad_sequence(impl, rng, case):
    lengths, rest, integer, pad_value, batch_first = pad_case(rng, case)
    seqs = make_seqs(rng, lengths, rest, integer)
    padded, got_lengths = expect_tuple(impl.pad_batch(seqs, pad_value, batch_first), 2, "pad_batch")
    want = pad_sequence([s.clone() for s in seqs], batch_first=batch_first, padding_value=pad_value)
    layout = "batch_first" if batch_first else "time-major (batch_first=False)"
    expect_tensor(padded, tuple(want.shape), f"the padded batch ({layout})", dtype=want.dtype)
    check(torch.equal(padded, want), f"the padded batch ({layout}, pad_value={pad_value}) differs from "
          "torch.nn.utils.rnn.pad_sequence")
    expect_tensor(got_lengths, (len(seqs),), "lengths", dtype=torch.int64)
    check(got_lengths.tolist() == lengths, "lengths should hold the length of every sequence, in order")


@pytest.mark.task(1)
def test_pad_batch_defaults(impl, rng):
    seqs = make_seqs(rng, [2, 3, 0], (2,), False)
    padded, lengths = expect_tuple(impl.pad_batch(seqs), 2, "pad_batch(seqs)")
    want = pad_sequence([s.clone() for s in seqs], batch_first=True, padding_value=0.0)
    expect_tensor(padded, tuple(want.shape), "pad_batch(seqs) with the defaults (batch_first=True)", dtype=want.dtype)
    check(torch.equal(padded, want), "pad_batch(seqs) should pad with 0.0, batch first, by default")


# --- task 2 -------------------------------------------------------------------------------------

MASK_FIXED = [([3], None), ([2, 0, 4], None), ([2, 0, 4], 6), ([1, 1, 1], 1), ([0, 0], None),
              ([0, 0], 3), ([5, 2, 5, 1], 5)]
N_MASK = len(MASK_FIXED) + 3


def mask_spec(lengths: list[int], T: int) -> torch.Tensor:
    return torch.tensor([[t < n for t in range(T)] for n in lengths], dtype=torch.bool).reshape(len(lengths), T)


@pytest.mark.task(2)
@pytest.mark.parametrize("case", range(N_MASK))
def test_mask_matches_loop_spec(impl, rng, case):
    if case < len(MASK_FIXED):
        lengths, max_len = MASK_FIXED[case]
    else:
        lengths = [int(v) for v in rng.integers(0, 8, size=int(rng.integers(1, 6)))]
        max_len = None if case % 2 else max(lengths) + int(rng.integers(0, 3))
    T = max(lengths) if max_len is None else max_len
    args = (torch.tensor(lengths),) if max_len is None else (torch.tensor(lengths), max_len)
    got = expect_tensor(impl.lengths_to_mask(*args), (len(lengths), T),
                        f"lengths_to_mask(lengths{', max_len' if max_len is not None else ''})", dtype=torch.bool)
    check(torch.equal(got, mask_spec(lengths, T)), "mask[b, t] should be True exactly when t < lengths[b]")


@pytest.mark.task(2)
@pytest.mark.parametrize("lengths, max_len", [([3, 5, 1], 4), ([1], 0), ([2, 2], 1)])
def test_mask_too_short_raises(impl, lengths, max_len):
    ok = expect_tensor(impl.lengths_to_mask(torch.tensor(lengths), max(lengths)), (len(lengths), max(lengths)),
                       "lengths_to_mask with max_len == max(lengths)", dtype=torch.bool)  # positive control
    check(torch.equal(ok, mask_spec(lengths, max(lengths))), "mask[b, t] should be True exactly when t < lengths[b]")
    with pytest.raises(ValueError):
        impl.lengths_to_mask(torch.tensor(lengths), max_len)


# --- task 3 -------------------------------------------------------------------------------------

SORT_FIXED = [[4], [3, 3, 3], [5, 4, 2, 1], [1, 2, 3, 4], [2, 3, 2, 1, 3, 3, 0, 2], [0, 1, 0, 1, 0], [2, 2, 7, 2]]
N_SORT = len(SORT_FIXED) + 4


@pytest.mark.task(3)
@pytest.mark.parametrize("case", range(N_SORT))
def test_sort_is_stable_descending_with_inverse(impl, rng, case):
    if case < len(SORT_FIXED):
        lengths = SORT_FIXED[case]
    else:
        B = int(rng.integers(2, 12))
        lengths = [int(v) for v in rng.integers(0, 4, size=B)]  # few distinct values: many ties
    B = len(lengths)
    perm, inv = expect_tuple(impl.sort_by_length(torch.tensor(lengths)), 2, "sort_by_length")
    expect_tensor(perm, (B,), "perm", dtype=torch.int64)
    expect_tensor(inv, (B,), "inv", dtype=torch.int64)
    want = sorted(range(B), key=lambda i: -lengths[i])
    ordered = [lengths[i] for i in perm.tolist()] if sorted(perm.tolist()) == list(range(B)) else None
    check(ordered is not None, "perm should be a permutation of 0 .. B-1")
    check(all(a >= b for a, b in zip(ordered, ordered[1:], strict=False)), "lengths[perm] should be non-increasing (longest first)")
    check(perm.tolist() == want, "perm should be stable: rows of equal length keep their original order")
    arange = list(range(B))
    check(perm[inv].tolist() == arange and inv[perm].tolist() == arange, "inv should be the inverse of perm "
          "(perm[inv] == arange(B))")
