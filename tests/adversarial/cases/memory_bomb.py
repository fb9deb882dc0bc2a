"""Allocates tens of gigabytes."""
import numpy as np


def add(a, b):
    return bytearray(64 * 2**30)


def scale(a, k):
    big = np.ones((2**31,), dtype=np.float64)  # 16 GiB, touched
    return big[:12].reshape(3, 4) * k
