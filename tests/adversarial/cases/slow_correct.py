"""Correct but much slower than needed (well under the call limit): passes, on every rerun."""
import time

import numpy as np


def add(a, b):
    time.sleep(0.05)
    return a + b


def scale(a, k):
    time.sleep(0.05)
    return np.multiply(a, k)
