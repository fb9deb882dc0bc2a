"""Switches numpy's floating-point warnings off inside a call the grader makes with errstate on
(task 2 here), and overflows there; add is right."""
import numpy as np


def add(a, b):
    return a + b


def scale(a, k):
    np.seterr(all="ignore")
    np.exp(np.full(2, 1000.0))  # overflows: with the error mode kept, this raises
    return np.multiply(a, k)
