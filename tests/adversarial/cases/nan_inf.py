"""Returns NaN and inf."""
import numpy as np


def add(a, b):
    return np.full_like(a, np.nan)


def scale(a, k):
    return np.full_like(a, np.inf)
