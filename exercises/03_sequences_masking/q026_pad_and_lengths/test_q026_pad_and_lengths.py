"""Public tests for q026: run them with `rnnkit check q026` (or plain pytest on this file).

The hidden grader compares pad_batch with torch.nn.utils.rnn.pad_sequence on other sequences
(float and integer, empty ones too), the mask with a loop spec, and the sort with Python's
stable sorted().
"""

import pytest
import torch

from rnnkit.testing import check, expect_tensor, expect_tuple


def tokens():
    return [torch.tensor([5, 6]), torch.tensor([7, 8, 9]), torch.tensor([], dtype=torch.int64)]


@pytest.mark.task(1)
def test_pad_batch_batch_first(impl):
    padded, lengths = expect_tuple(impl.pad_batch(tokens(), -1.0), 2, "pad_batch")
    want = torch.tensor([[5, 6, -1], [7, 8, 9], [-1, -1, -1]])
    expect_tensor(padded, (3, 3), "padded (B, T)", dtype=torch.int64)
    check(torch.equal(padded, want), f"pad_batch gave {padded.tolist()}, expected {want.tolist()}")
    expect_tensor(lengths, (3,), "lengths", dtype=torch.int64)
    check(lengths.tolist() == [2, 3, 0], f"lengths should be [2, 3, 0], got {lengths.tolist()}")


@pytest.mark.task(1)
def test_pad_batch_time_major_with_features(impl):
    seqs = [torch.tensor([[1.0, 2.0]], dtype=torch.float64), torch.tensor([[3.0, 4.0], [5.0, 6.0]], dtype=torch.float64)]
    padded, lengths = expect_tuple(impl.pad_batch(seqs, 0.5, batch_first=False), 2, "pad_batch")
    want = torch.tensor([[[1.0, 2.0], [3.0, 4.0]], [[0.5, 0.5], [5.0, 6.0]]], dtype=torch.float64)
    expect_tensor(padded, (2, 2, 2), "padded (T, B, D)", dtype=torch.float64)
    check(torch.equal(padded, want), f"pad_batch(batch_first=False) gave {padded.tolist()}, expected {want.tolist()}")


@pytest.mark.task(2)
def test_mask_worked_example(impl):
    got = expect_tensor(impl.lengths_to_mask(torch.tensor([2, 0, 3])), (3, 3), "lengths_to_mask", dtype=torch.bool)
    want = torch.tensor([[True, True, False], [False, False, False], [True, True, True]])
    check(torch.equal(got, want), f"lengths_to_mask gave {got.tolist()}, expected {want.tolist()}")
    wide = expect_tensor(impl.lengths_to_mask(torch.tensor([2, 0, 3]), 5), (3, 5), "lengths_to_mask(lengths, 5)",
                         dtype=torch.bool)
    check(torch.equal(wide[:, :3], want) and not bool(wide[:, 3:].any()), "with max_len=5 the extra steps are False")


@pytest.mark.task(2)
def test_mask_too_short_raises(impl):
    with pytest.raises(ValueError):
        impl.lengths_to_mask(torch.tensor([2, 4]), 3)


@pytest.mark.task(3)
def test_sort_worked_example(impl):
    lengths = torch.tensor([1, 7, 5, 2, 5])
    perm, inv = expect_tuple(impl.sort_by_length(lengths), 2, "sort_by_length")
    expect_tensor(perm, (5,), "perm", dtype=torch.int64)
    expect_tensor(inv, (5,), "inv", dtype=torch.int64)
    # longest first; the two 5s (rows 2 and 4) keep their original order
    check(perm.tolist() == [1, 2, 4, 3, 0], f"perm should be [1, 2, 4, 3, 0], got {perm.tolist()}")
    check(inv.tolist() == [4, 0, 1, 3, 2], f"inv should be [4, 0, 1, 3, 2] (perm[inv] == arange), got {inv.tolist()}")


@pytest.mark.task(3)
def test_sorted_batch_goes_back_with_inv(impl):
    lengths = torch.tensor([3, 3, 1, 4, 3, 0])
    perm, inv = impl.sort_by_length(lengths)
    check(torch.equal(lengths[perm][inv], lengths), "lengths[perm][inv] should give lengths back")
    check(lengths[perm].tolist() == [4, 3, 3, 3, 1, 0], "lengths[perm] should be sorted longest first")
    check(perm.tolist()[1:4] == [0, 1, 4], "equal lengths should keep their original order (stable sort)")
