"""Public tests for q072: run them with `rnnkit check q072` (or plain pytest on this file).

The hidden grader uses more matrices (random ones, ties, weights on the bin boundaries), more
alignments, and more kinds of invalid input.
"""

import math

import numpy as np
import pytest

from rnnkit.testing import assert_close, check, expect_array

ATTN = np.array([[0.9, 0.1], [0.25, 0.75]])
SRC, TGT = ["le", "chat"], ["the", "cat"]


@pytest.mark.task(1)
def test_alignment_pairs(impl):
    got = impl.alignment_pairs(ATTN, SRC, TGT)
    check(got == [("le", "the"), ("chat", "cat")], f"alignment_pairs should give [('le', 'the'), ('chat', 'cat')], got {got!r}")


@pytest.mark.task(1)
def test_ties_go_to_the_lowest_index(impl):
    got = impl.alignment_pairs(np.array([[0.25, 0.5, 0.25], [0.4, 0.2, 0.4]]), ["a", "b", "c"], ["x", "y"])
    check(got == [("b", "x"), ("a", "y")], f"a tie should go to the lowest source index: expected [('b', 'x'), ('a', 'y')], got {got!r}")


@pytest.mark.task(2)
def test_entropy(impl):
    got = expect_array(impl.attention_entropy(np.array([[1.0, 0.0, 0.0], [0.5, 0.5, 0.0], [0.25, 0.25, 0.5]])), (3,),
                       "attention_entropy(...)")
    check(got[0] == 0.0, "a one-hot row has entropy exactly 0 (0 * ln 0 = 0)")
    assert_close(got, np.array([0.0, math.log(2), 1.5 * math.log(2)]), "the entropies",
                 against="[0, ln 2, 1.5 ln 2] (in nats)")


@pytest.mark.task(3)
def test_heatmap_example(impl):
    got = impl.ascii_heatmap(ATTN, SRC, TGT)
    want = "    | le chat\nthe | @@ ....\ncat | :: ####"
    check(got == want, f"ascii_heatmap should give\n{want!r}\ngot\n{got!r}")


@pytest.mark.task(3)
def test_heatmap_bins_and_custom_levels(impl):
    # 0.3 * 4 = 1.2 -> level 1; 0.7 * 4 = 2.8 -> level 2; 1.0 -> the last level
    got = impl.ascii_heatmap(np.array([[0.3, 0.7], [0.0, 1.0]]), ["a", "bb"], ["xyz", "w"], levels="0123")
    want = "    | a bb\nxyz | 1 22\nw   | 0 33"
    check(got == want, f"ascii_heatmap(levels='0123') should give\n{want!r}\ngot\n{got!r}")


@pytest.mark.task(4)
def test_aer(impl):
    sure = [(0, 0), (1, 1)]
    possible = [(2, 1)]           # the sure links are possible too
    pred = [(0, 0), (2, 1), (2, 2)]
    # |A & S| = 1, |A & P| = 2, |A| + |S| = 5: AER = 1 - 3/5
    got = impl.alignment_error_rate(pred, sure, possible)
    assert_close(np.array(got), np.array(0.4), "alignment_error_rate", against="1 - (1 + 2) / (3 + 2)")
    check(impl.alignment_error_rate(sure, sure, []) == 0.0, "predicting exactly the sure links gives AER 0")


@pytest.mark.task(5)
def test_rows_must_sum_to_one(impl):
    bad = np.array([[0.5, 0.4], [0.2, 0.8]])
    for call in (lambda: impl.alignment_pairs(bad, SRC, TGT), lambda: impl.attention_entropy(bad),
                 lambda: impl.ascii_heatmap(bad, SRC, TGT)):
        with pytest.raises(ValueError):
            call()
    close = np.array([[0.1 + 0.2, 0.7], [0.5, 0.5]])   # 0.1 + 0.2 + 0.7 is not exactly 1 in floating point
    check(impl.alignment_pairs(close, SRC, TGT) == [("chat", "the"), ("le", "cat")], "rows within 1e-6 of 1 are valid")
