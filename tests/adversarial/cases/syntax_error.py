"""A file that does not parse."""


def add(a, b)
    return a + b
