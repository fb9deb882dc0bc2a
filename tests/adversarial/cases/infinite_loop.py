"""while True: pass."""


def add(a, b):
    while True:
        pass


def scale(a, k):
    while True:
        pass
