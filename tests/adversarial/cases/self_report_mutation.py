"""Changes its input in place, after switching off rnnkit's mutation check in the child (as the
old, child-side check could be): the grader reads the arena, so it still fails."""
import sys

for name, module in list(sys.modules.items()):
    if name.startswith("rnnkit") and hasattr(module, "_same"):
        module._same = lambda *a, **k: True


def add(a, b):
    a += b
    return a


def scale(a, k):
    a *= k
    return a
