"""Sleeps forever in one function, reads stdin in the other."""
import time


def add(a, b):
    time.sleep(1e6)


def scale(a, k):
    return float(input())
