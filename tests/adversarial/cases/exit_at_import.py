"""os._exit(0) at import."""
import os

os._exit(0)


def add(a, b):
    return a + b


def scale(a, k):
    return a * k
