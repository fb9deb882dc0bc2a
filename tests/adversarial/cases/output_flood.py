"""Prints a flood (one 100 MB line in add, many lines in scale), then returns the right values."""
import sys

import numpy as np


def add(a, b):
    sys.stdout.write("x" * (100 << 20) + "\n")
    return a + b


def scale(a, k):
    for _ in range(200_000):
        print("spam " * 20)
    return np.multiply(a, k)
