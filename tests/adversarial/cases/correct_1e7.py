"""Negative control: correct, through an equivalent formulation that differs by about 1e-16."""
import numpy as np


def add(a, b):
    return (2 * a + 2 * b) / 2


def scale(a, k):
    return np.exp(np.log(abs(k))) * np.sign(k) * a if k else a * 0.0
