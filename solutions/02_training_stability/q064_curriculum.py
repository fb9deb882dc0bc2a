"""q064 · Curriculum learning: competence-based length curriculum (numpy).

An LSTM learns long-range structure more easily once it handles short sequences, so a
curriculum shows it the easy (short) examples first and admits harder ones as training goes on.
Competence-based curriculum learning (Platanios et al. 2019, "Competence-based Curriculum
Learning for Neural Machine Translation") makes this precise with two ingredients:

1. A difficulty in [0, 1] per example: the empirical CDF of its length,
       cdf[i] = (number of j with lengths[j] <= lengths[i]) / N           N = len(lengths)
   Equal lengths share one value (the largest: all of them count). Compute it as the integer
   count divided by N (float64), so that it is exact: with lengths [3, 1, 3, 2] it is
   [1.0, 0.25, 1.0, 0.5]. The longest examples have cdf 1.0.

2. A competence c(t) in (0, 1] at training step t, growing from c0 at t = 0 to 1 at t = T:
       linear:  c(t) = min(1, t * (1 - c0) / T + c0)
       sqrt:    c(t) = min(1, sqrt(t * (1 - c0**2) / T + c0**2))          (the default)
   and c(t) = 1.0 exactly for every t >= T. (The formulas alone can give 0.9999999999999999
   at t = T, e.g. linear with T = 333, c0 = 0.1, which would shut out the longest examples.)
   Any other kind raises ValueError. T >= 1, 0 < c0 <= 1, t >= 0 are integers / floats as typed.

At step t the model may see example i only if it is eligible: cdf[i] <= c(t) (equality counts).
sample_curriculum_batch draws batch_size of the eligible examples uniformly, with replacement,
with exactly ONE draw from the generator:
       eligible = np.flatnonzero(cdf <= c)               ascending example indices
       batch    = rng.choice(eligible, size=batch_size, replace=True)
and returns those example indices (an int64 array of shape (batch_size,)). If no example is
eligible (c0 below the smallest cdf), it raises ValueError before drawing. The inputs are not
modified. numpy only: importing torch is not allowed.
"""

import math

import numpy as np


def difficulty_cdf(lengths: np.ndarray) -> np.ndarray:
    """Empirical CDF of the lengths (N,) -> float64 (N,): the share of examples at most as long."""
    ### BEGIN SOLUTION
    lengths = np.asarray(lengths)
    n = lengths.shape[0]
    ordered = np.sort(lengths)
    at_most = np.searchsorted(ordered, lengths, side="right")   # (N,) counts, ties share the largest
    return at_most / n
    ### END SOLUTION


def competence(t: int, T: int, c0: float, kind: str = "sqrt") -> float:
    """Competence c(t) of the "linear" or "sqrt" schedule (Platanios et al. 2019), 1.0 for t >= T."""
    ### BEGIN SOLUTION
    if kind not in ("linear", "sqrt"):
        raise ValueError(f"unknown competence kind {kind!r}: use 'linear' or 'sqrt'")
    if t >= T:
        return 1.0
    if kind == "linear":
        c = t * (1 - c0) / T + c0
    else:
        c = math.sqrt(t * (1 - c0 ** 2) / T + c0 ** 2)
    return min(1.0, float(c))
    ### END SOLUTION


def sample_curriculum_batch(lengths: np.ndarray, t: int, T: int, c0: float, batch_size: int,
                            rng: np.random.Generator, kind: str = "sqrt") -> np.ndarray:
    """batch_size indices of examples with cdf <= c(t), drawn by one rng.choice with replacement."""
    ### BEGIN SOLUTION
    cdf = difficulty_cdf(lengths)
    c = competence(t, T, c0, kind)
    eligible = np.flatnonzero(cdf <= c)
    if eligible.size == 0:
        raise ValueError(f"no example is eligible at competence {c}")
    return rng.choice(eligible, size=batch_size, replace=True)
    ### END SOLUTION
