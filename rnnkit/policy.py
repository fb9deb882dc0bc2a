"""The static policy for exercise files: what solving an exercise needs, and what it never does.

An exercise is solved with numpy or torch and a few standard modules. Code that reaches beyond
that (into rnnkit's own modules, ``sys.modules``, ``ctypes``, threads or processes, numpy's error
mode, frames and globals) is how a submission would switch the child's tripwires off; the policy
flags each such use with its line, for a reviewer. A flag never costs points by itself: the
sandbox and the value-only verdicts are the defence, this is the evidence.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

# Top-level modules an exercise file may import without a flag.
ALLOWED_IMPORTS = frozenset({
    "__future__", "numpy", "torch", "math", "cmath", "typing", "typing_extensions", "collections",
    "dataclasses", "itertools", "functools", "operator", "abc", "enum", "numbers", "heapq", "bisect",
    "string", "random", "statistics", "copy", "warnings", "fractions", "decimal", "time",
})
# Attribute names no exercise needs (sys.modules, np.seterr, frames, globals, the class graph).
FLAGGED_ATTRIBUTES = frozenset({
    "modules", "seterr", "seterrcall", "errstate", "geterr", "_getframe", "f_back", "f_globals",
    "f_locals", "f_code", "__globals__", "__code__", "__closure__", "__builtins__", "__subclasses__",
    "__bases__", "__mro__", "__dict__", "__class__", "__loader__", "__spec__", "settrace", "setprofile",
    "DisableTorchFunction", "_get_current_function_mode", "_get_current_function_mode_stack", "_pop_mode",
    "_pop_mode_temporarily", "_set_torch_function_state", "_disabled_torch_function_impl",
})
# Built-in functions that run or reach code by name.
FLAGGED_CALLS = frozenset({"__import__", "eval", "exec", "compile", "globals", "breakpoint"})


@dataclass(frozen=True)
class PolicyFinding:
    line: int
    text: str

    def flag(self) -> str:
        return f"line {self.line}: {self.text}"


def check_policy(source: str) -> list[PolicyFinding]:
    """Every place where ``source`` goes beyond what solving an exercise needs ([] if it does not parse)."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return []
    found: set[PolicyFinding] = set()
    for node in ast.walk(tree):
        line = getattr(node, "lineno", 0)
        if isinstance(node, ast.Import):
            for alias in node.names:
                top = alias.name.split(".")[0]
                if top not in ALLOWED_IMPORTS:
                    found.add(PolicyFinding(line, f"import of {alias.name} (not needed to solve an exercise)"))
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module.split(".")[0] not in ALLOWED_IMPORTS:
                found.add(PolicyFinding(line, f"import from {node.module} (not needed to solve an exercise)"))
        elif isinstance(node, ast.ImportFrom) and node.level > 0:
            found.add(PolicyFinding(line, "a relative import (an exercise file stands alone)"))
        elif isinstance(node, ast.Attribute) and node.attr in FLAGGED_ATTRIBUTES:
            found.add(PolicyFinding(line, f"use of .{node.attr}"))
        elif isinstance(node, ast.Name) and (node.id in FLAGGED_CALLS or node.id == "rnnkit"):
            found.add(PolicyFinding(line, f"use of {node.id}"))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.startswith("rnnkit"):
            found.add(PolicyFinding(line, f"the name {node.value[:40]!r} (rnnkit's own modules)"))
    return sorted(found, key=lambda f: (f.line, f.text))
