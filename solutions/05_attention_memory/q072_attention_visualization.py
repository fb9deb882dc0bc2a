"""q072 · Attention inspection: alignments, entropy, ASCII heatmap, AER (numpy).

Attention weights are one of the few parts of a seq2seq LSTM that can be read directly: row t
of the matrix says where the decoder looked while producing target word t. This exercise turns
such a matrix into things a person can inspect: hard word alignments, how peaked each row is,
a text heatmap, and the alignment error rate (AER, Och & Ney 2003) against gold alignments.

Shapes and conventions (T = target length, S = source length):
    attn   (T, S) float array; row t is target word t's distribution over the source words
    src    list of S source words (non-empty strings); tgt: list of T target words

Validation (alignment_pairs, attention_entropy and ascii_heatmap): raise ValueError when attn is
not 2-D, has a negative entry, has a row whose sum differs from 1 by more than 1e-6
(|row.sum() - 1| > 1e-6: a softmax row sums to 1 only up to rounding, so do not test == 1), or,
where words are given, when attn.shape != (len(tgt), len(src)).

alignment_pairs(attn, src, tgt) -> list of T tuples (src_word, tgt_word), in target order: the
    source word with the largest weight in row t, paired with tgt[t]. Ties go to the lowest
    source index (np.argmax does this).

attention_entropy(attn) -> (T,) float64 array: H_t = -sum_j a_tj * ln(a_tj), in nats, with
    0 * ln 0 = 0 (a one-hot row has entropy exactly 0; a uniform row over n words has ln n).

ascii_heatmap(attn, src, tgt, levels=" .:-=+*#%@") -> str. With L = len(levels) and w = a weight,
    the level of w is  min(int(w * L), L - 1)  (so [0, 1/L) -> levels[0], ..., 1.0 -> levels[L-1]).
    Let W = max(len(word) for word in tgt). The string has T + 1 lines joined by "\\n", with no
    newline after the last one:
        line 0:      " " * W + " | " + " ".join(src)
        line t + 1:  tgt[t].ljust(W) + " | " + " ".join(levels[level(attn[t, j])] * len(src[j]) for j)
    Each cell is its level character repeated to the width of its source word, so the cells sit
    under the words. Nothing is stripped: a cell of level 0 is made of spaces, even at the end.
    Example: attn = [[0.9, 0.1], [0.25, 0.75]], src = ["le", "chat"], tgt = ["the", "cat"] gives
    the levels [[9, 1], [2, 7]] and the three lines
            | le chat
        the | @@ ....
        cat | :: ####
    that is the string "    | le chat\\nthe | @@ ....\\ncat | :: ####".

alignment_error_rate(pred, sure, possible) -> float. Each argument is a list (any iterable) of
    alignment links (i, j) = (source index, target index) as tuples; repeated links count once.
    With A = set(pred), S = set(sure) and P = set(possible) | S (sure links are possible by
    definition, whether or not the list repeats them):
        AER = 1 - (|A & S| + |A & P|) / (|A| + |S|)
    0 is perfect. Raise ValueError when |A| + |S| == 0 (nothing to score).

Do not modify any argument in place. numpy only: importing torch is forbidden.
"""

from collections.abc import Iterable

import numpy as np

Array = np.ndarray


def _validate(attn: Array, src: list[str] | None = None, tgt: list[str] | None = None) -> Array:
    """Return attn as a float64 array, or raise ValueError (rules in the module docstring)."""
    ### BEGIN SOLUTION
    attn = np.asarray(attn, dtype=np.float64)
    if attn.ndim != 2:
        raise ValueError(f"attn must be 2-D (T, S), got shape {attn.shape}")
    if src is not None and tgt is not None and attn.shape != (len(tgt), len(src)):
        raise ValueError(f"attn has shape {attn.shape}, expected (len(tgt), len(src)) = {(len(tgt), len(src))}")
    if (attn < 0).any():
        raise ValueError("attention weights must be non-negative")
    if (np.abs(attn.sum(axis=1) - 1.0) > 1e-6).any():
        raise ValueError("every row of attn must sum to 1 (within 1e-6)")
    return attn
    ### END SOLUTION


def alignment_pairs(attn: Array, src: list[str], tgt: list[str]) -> list[tuple[str, str]]:
    """(source word, target word) of the largest weight of each target row, ties to the lowest index."""
    ### BEGIN SOLUTION
    attn = _validate(attn, src, tgt)
    return [(src[int(np.argmax(row))], tgt[t]) for t, row in enumerate(attn)]
    ### END SOLUTION


def attention_entropy(attn: Array) -> Array:
    """Entropy in nats of each row of attn, with 0 * ln 0 = 0; returns (T,)."""
    ### BEGIN SOLUTION
    attn = _validate(attn)
    logs = np.log(np.where(attn > 0, attn, 1.0))            # ln 1 = 0 where a = 0
    return -(attn * logs).sum(axis=1)
    ### END SOLUTION


def ascii_heatmap(attn: Array, src: list[str], tgt: list[str], levels: str = " .:-=+*#%@") -> str:
    """A text heatmap of attn in the exact layout of the module docstring."""
    ### BEGIN SOLUTION
    attn = _validate(attn, src, tgt)
    L = len(levels)
    width = max(len(word) for word in tgt)
    lines = [" " * width + " | " + " ".join(src)]
    for t, word in enumerate(tgt):
        cells = [levels[min(int(w * L), L - 1)] * len(src[j]) for j, w in enumerate(attn[t])]
        lines.append(word.ljust(width) + " | " + " ".join(cells))
    return "\n".join(lines)
    ### END SOLUTION


def alignment_error_rate(pred: Iterable[tuple[int, int]], sure: Iterable[tuple[int, int]],
                         possible: Iterable[tuple[int, int]]) -> float:
    """AER = 1 - (|A & S| + |A & P|) / (|A| + |S|) with P = possible | sure (module docstring)."""
    ### BEGIN SOLUTION
    A = {tuple(link) for link in pred}
    S = {tuple(link) for link in sure}
    P = {tuple(link) for link in possible} | S
    if len(A) + len(S) == 0:
        raise ValueError("AER is undefined when there are neither predicted nor sure links")
    return 1.0 - (len(A & S) + len(A & P)) / (len(A) + len(S))
    ### END SOLUTION
