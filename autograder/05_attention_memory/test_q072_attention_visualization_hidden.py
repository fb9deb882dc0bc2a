"""Hidden grader for q072_attention_visualization (never shipped to students).

References are written here from the spec. Tasks 1 to 3 draw matrices whose rows sum to exactly
1 (integer counts over 64, or fixed dyadic rows), so that a too-strict sum check costs task 5
alone; task 5's positive controls are softmax rows (sums 1 +- ulp). Value tasks call with
check_mutation=False: in-place changes to the arguments cost task 5 only. torch is forbidden.

Task 1: alignment_pairs: [(src[argmax_j a_tj], tgt[t]) for t] exactly, ties to the lowest index
        (count rows tie often), as a list of tuples in (src, tgt) order.
Task 2: attention_entropy: one-hot rows give exactly 0; uniform rows over n words ln n
        (rtol 1e-12); random rows with zeros equal -sum a ln a over a > 0 (rtol 1e-12, atol 1e-15).
Task 3: ascii_heatmap: exact strings: golden strings for fixed matrices (weights on the bin
        boundaries 0.3, 0.6, 0.7, 1.0; level-0 cells at line ends; words of different widths;
        custom levels), then random count matrices against the spec's layout built here.
Task 4: alignment_error_rate: a textbook-style hand example, then random link sets against the
        formula with P = possible | sure (rtol 1e-12); repeated links count once; no links at all
        raise ValueError (with a positive control).
Task 5: ValueError for a row off 1 by 1e-3 or 1e-5, a negative weight, a 1-D or 3-D attn, and
        word lists that do not match the shape, for all three functions that take attn; rows off
        by up to 5e-7 (softmax rows, +5e-7 perturbations) are accepted (the positive controls check
        only that a result comes back: its values are tasks 1 to 3's); with the mutation check
        on, no argument is changed in place.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from rnnkit.fair import ValuesOnly
from rnnkit.testing import assert_close, check, expect_array

LEVELS = " .:-=+*#%@"


@pytest.fixture
def impl(impl):
    return ValuesOnly(impl)


def words(rng: np.random.Generator, n: int, prefix: str) -> list[str]:
    return [prefix + "x" * int(rng.integers(0, 5)) + str(i) for i in range(n)]


def count_matrix(rng: np.random.Generator, T: int, S: int, total: int = 64) -> np.ndarray:
    """Rows of integer counts / total: sums exactly 1, frequent ties and zeros."""
    p = rng.dirichlet(np.ones(S) * 0.7, size=T)
    return np.stack([rng.multinomial(total, row) for row in p]).astype(np.float64) / total


def heatmap_reference(attn: np.ndarray, src: list[str], tgt: list[str], levels: str = LEVELS) -> str:
    L = len(levels)
    W = max(len(w) for w in tgt)
    lines = [" " * W + " | " + " ".join(src)]
    for t in range(len(tgt)):
        cells = []
        for j in range(len(src)):
            level = int(attn[t, j] * L)
            cells.append(levels[min(level, L - 1)] * len(src[j]))
        lines.append(tgt[t].ljust(W) + " | " + " ".join(cells))
    return "\n".join(lines)


def entropy_reference(attn: np.ndarray) -> np.ndarray:
    return np.array([-sum(a * math.log(a) for a in row if a > 0) for row in attn])


# --- task 1 -----------------------------------------------------------------------------------------

@pytest.mark.task(1)
@pytest.mark.parametrize("case", range(6))
def test_alignment_pairs(impl, rng, case):
    if case == 0:
        attn, src, tgt = np.array([[0.5, 0.5], [0.0, 1.0], [1.0, 0.0]]), ["a", "b"], ["x", "y", "z"]
    elif case == 1:
        attn, src, tgt = np.array([[0.25, 0.25, 0.5, 0.0]]), ["p", "q", "r", "s"], ["t"]
    else:
        T, S = int(rng.integers(1, 6)), int(rng.integers(1, 7))
        attn, src, tgt = count_matrix(rng, T, S, total=8), words(rng, S, "s"), words(rng, T, "t")
    got = impl.alignment_pairs(attn, src, tgt)
    want = [(src[int(np.argmax(attn[t]))], tgt[t]) for t in range(len(tgt))]
    check(isinstance(got, list) and all(isinstance(p, tuple) for p in got),
          "alignment_pairs should return a list of tuples (src_word, tgt_word)")
    check(got == want, "alignment_pairs differs from the argmax alignment (one (src, tgt) tuple per target word, "
                       "ties to the lowest source index)")


# --- task 2 -----------------------------------------------------------------------------------------

@pytest.mark.task(2)
def test_entropy_exact_cases(impl):
    attn = np.array([[0.0, 1.0, 0.0, 0.0], [0.25, 0.25, 0.25, 0.25], [0.5, 0.5, 0.0, 0.0], [0.0, 0.0, 0.0, 1.0]])
    got = expect_array(impl.attention_entropy(attn), (4,), "attention_entropy(...)")
    check(got[0] == 0.0 and got[3] == 0.0, "a one-hot row must have entropy exactly 0 (0 * ln 0 = 0)")
    assert_close(got, np.array([0.0, math.log(4), math.log(2), 0.0]), "the entropies", rtol=1e-12, atol=1e-15,
                 against="ln n for uniform rows over n words")


@pytest.mark.task(2)
@pytest.mark.parametrize("case", range(4))
def test_entropy_random(impl, rng, case):
    T, S = int(rng.integers(1, 6)), int(rng.integers(1, 8))
    attn = count_matrix(rng, T, S)
    got = expect_array(impl.attention_entropy(attn), (T,), "attention_entropy(...)")
    assert_close(got, entropy_reference(attn), "the entropies", rtol=1e-12, atol=1e-15, against="-sum a ln a (nats)")


# --- task 3 -----------------------------------------------------------------------------------------

GOLDEN = [
    (np.array([[0.3, 0.7, 0.0], [0.6, 0.0, 0.4], [0.0, 0.0, 1.0]]), ["I", "saw", "it"], ["je", "l'ai", "vu"], LEVELS,
     "     | I saw it\nje   | - ###   \nl'ai | *     ==\nvu   |       @@"),
    (np.array([[0.5, 0.5], [0.05, 0.95]]), ["ab", "c"], ["long", "x"], "01",
     "     | ab c\nlong | 11 1\nx    | 00 1"),
    (np.array([[1.0]]), ["w"], ["v"], LEVELS, "  | w\nv | @"),
    (np.array([[0.125, 0.875], [0.75, 0.25]]), ["aa", "b"], ["y", "zz"], "-=#",
     "   | aa b\ny  | -- #\nzz | ## -"),
]


@pytest.mark.task(3)
@pytest.mark.parametrize("case", range(len(GOLDEN)))
def test_heatmap_golden(impl, case):
    attn, src, tgt, levels, want = GOLDEN[case]
    got = impl.ascii_heatmap(attn, src, tgt, levels=levels) if levels != LEVELS else impl.ascii_heatmap(attn, src, tgt)
    check(isinstance(got, str), "ascii_heatmap should return a str")
    check(got == want, "ascii_heatmap differs from the documented layout (levels, widths, separators or newlines)")


@pytest.mark.task(3)
@pytest.mark.parametrize("case", range(4))
def test_heatmap_random(impl, rng, case):
    T, S = int(rng.integers(1, 5)), int(rng.integers(1, 6))
    attn, src, tgt = count_matrix(rng, T, S, total=32), words(rng, S, "s"), words(rng, T, "t")
    levels = LEVELS if case % 2 == 0 else "abcdef"[: int(rng.integers(2, 7))]
    got = impl.ascii_heatmap(attn, src, tgt, levels=levels)
    check(got == heatmap_reference(attn, src, tgt, levels), "ascii_heatmap differs from the documented layout")


# --- task 4 -----------------------------------------------------------------------------------------

@pytest.mark.task(4)
def test_aer_textbook(impl):
    # a 4-word pair: sure links on the diagonal but one, two possible links around a phrase
    sure = [(0, 0), (1, 1), (3, 3)]
    possible = [(2, 2), (2, 3), (3, 2)]
    cases = [([(0, 0), (1, 1), (2, 2), (3, 3)], 0.0),            # every link right: A & S = 3, A & P = 4
             ([(0, 0), (1, 2), (2, 3)], 1 - (1 + 2) / (3 + 3)),
             ([(0, 1), (1, 0)], 1.0),
             ([(0, 0), (0, 0), (1, 1)], 1 - (2 + 2) / (2 + 3))]  # repeated links count once
    for pred, want in cases:
        got = impl.alignment_error_rate(pred, sure, possible)
        check(isinstance(got, float), "alignment_error_rate should return a float")
        assert_close(np.array(got), np.array(want), "alignment_error_rate", rtol=1e-12, atol=1e-15,
                     against="1 - (|A & S| + |A & P|) / (|A| + |S|)")


def links(rng: np.random.Generator, n: int, size: int) -> list[tuple[int, int]]:
    return [(int(i), int(j)) for i, j in rng.integers(0, size, size=(n, 2))]


@pytest.mark.task(4)
@pytest.mark.parametrize("case", range(4))
def test_aer_random(impl, rng, case):
    sure = links(rng, int(rng.integers(1, 6)), 4)
    possible = links(rng, int(rng.integers(0, 6)), 4) + (sure[:1] if case % 2 else [])
    pred = links(rng, int(rng.integers(0, 7)), 4) + sure[: int(rng.integers(0, len(sure) + 1))]
    A, S = set(pred), set(sure)
    P = set(possible) | S
    want = 1 - (len(A & S) + len(A & P)) / (len(A) + len(S))
    got = impl.alignment_error_rate(pred, sure, possible)
    assert_close(np.array(got), np.array(want), "alignment_error_rate", rtol=1e-12, atol=1e-15,
                 against="1 - (|A & S| + |A & P|) / (|A| + |S|) with P = possible | sure")


@pytest.mark.task(4)
def test_aer_without_links_raises(impl):
    check(impl.alignment_error_rate([], [(0, 0)], []) == 1.0, "no predicted link against one sure link gives AER 1")
    with pytest.raises(ValueError):
        impl.alignment_error_rate([], [], [(0, 1)])


# --- task 5 -----------------------------------------------------------------------------------------

def calls(impl: Any, attn: Any, src: list[str], tgt: list[str]) -> list[Any]:
    return [lambda: impl.alignment_pairs(attn, src, tgt), lambda: impl.attention_entropy(attn),
            lambda: impl.ascii_heatmap(attn, src, tgt)]


@pytest.mark.task(5)
@pytest.mark.parametrize("case", range(3))
def test_near_one_rows_are_valid(impl, rng, case):
    T, S = int(rng.integers(1, 5)), int(rng.integers(2, 6))
    logits = rng.standard_normal((T, S)) * 2
    attn = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)       # sums 1 +- ulp
    if case == 2:
        attn[:, 0] += 5e-7                                                   # still within 1e-6
    src, tgt = words(rng, S, "s"), words(rng, T, "t")
    got = impl.alignment_pairs(attn, src, tgt)
    check(isinstance(got, list) and len(got) == T, "rows within 1e-6 of 1 are valid input: alignment_pairs should "
                                                   "return one pair per target word")
    expect_array(impl.attention_entropy(attn), (T,), "attention_entropy(...)")
    check(isinstance(impl.ascii_heatmap(attn, src, tgt), str), "rows within 1e-6 of 1 are valid input")


@pytest.mark.task(5)
@pytest.mark.parametrize("bad", ["off_1e-3", "off_1e-5", "negative", "one_d", "three_d"])
def test_invalid_attention_raises(impl, bad):
    src, tgt = ["a", "b", "c"], ["x", "y"]
    attn = np.array([[0.25, 0.25, 0.5], [0.5, 0.0, 0.5]])
    if bad == "off_1e-3":
        attn[1, 0] += 1e-3
    elif bad == "off_1e-5":
        attn[0, 2] -= 1e-5
    elif bad == "negative":
        attn = np.array([[0.75, -0.25, 0.5], [0.5, 0.0, 0.5]])
    elif bad == "one_d":
        attn = np.array([0.25, 0.25, 0.5])
    else:
        attn = attn[None]
    for call in calls(impl, attn, src, tgt):
        with pytest.raises(ValueError):
            call()


@pytest.mark.task(5)
def test_mismatched_words_raise(impl):
    attn = np.array([[0.25, 0.25, 0.5], [0.5, 0.0, 0.5]])
    got = impl.alignment_pairs(attn, ["a", "b", "c"], ["x", "y"])
    check(isinstance(got, list) and len(got) == 2, "alignment_pairs of a valid (2, 3) matrix should return 2 pairs")
    for src, tgt in ((["a", "b"], ["x", "y"]), (["a", "b", "c"], ["x"]), (["a", "b", "c", "d"], ["x", "y", "z"])):
        for fn in (impl.alignment_pairs, impl.ascii_heatmap):
            with pytest.raises(ValueError):
                fn(attn, src, tgt)


@pytest.mark.task(5)
def test_arguments_unchanged(impl, rng):
    attn, src, tgt = count_matrix(rng, 3, 4), words(rng, 4, "s"), words(rng, 3, "t")
    impl.checked.alignment_pairs(attn, src, tgt)
    impl.checked.attention_entropy(attn)
    impl.checked.ascii_heatmap(attn, src, tgt)
    impl.checked.alignment_error_rate([(0, 0), (1, 1)], [(0, 0)], [(1, 1)])
