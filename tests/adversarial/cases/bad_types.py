"""Returns float16, a list, a 0-d array, a tensor-like list of lists."""
import numpy as np


def add(a, b):
    return (a + b).astype(np.float16)


def scale(a, k):
    return (a * k).tolist()
