"""Disarms rnnkit's forbidden-API guard from inside the child, then uses torch in a numpy-only
exercise (reached by a computed name)."""
import importlib
import sys

import numpy as np

for name, module in list(sys.modules.items()):
    guards = getattr(module, "ForbidMode", None)
    if name.startswith("rnnkit") and guards is not None:
        guards.__torch_function__ = lambda self, func, types, args=(), kwargs=None: func(*args, **(kwargs or {}))
        guards.tampered = lambda self, banned: False

_t = importlib.import_module("tor" + "ch")


def add(a, b):
    return _t.add(_t.from_numpy(a), _t.from_numpy(b)).numpy()


def scale(a, k):
    return np.multiply(a, k)
