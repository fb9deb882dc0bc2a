"""Correct code shipped beside numpy.py, conftest.py, sitecustomize.py and a .pth file (the test
writes those next to it); they must be ignored."""
import numpy as np


def add(a, b):
    return a + b


def scale(a, k):
    return np.multiply(a, k)
