"""Negative control: add right, scale wrong (exactly 1 of 3 points)."""


def add(a, b):
    return a + b


def scale(a, k):
    return a * (k + 1)
