"""Returns a broadcastable shape and a transposed one."""
import numpy as np


def add(a, b):
    return (a + b)[:1]


def scale(a, k):
    return np.multiply(a, k).T
