"""Negative control: correct code."""
import numpy as np


def add(a, b):
    return a + b


def scale(a, k):
    return np.multiply(a, k)
