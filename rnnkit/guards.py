"""Forbidden-API tripwires: a runtime torch-function mode and a static scan of the source.

The runtime guard is the enforcement (it sees ``nn.LSTM`` however it was reached: attribute,
``getattr``, ``__import__``); the AST scan gives a reviewer the line where a banned name appears.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

try:
    import torch
    from torch.overrides import TorchFunctionMode
except ImportError:  # a numpy-only sandbox child: no torch, so nothing of it to forbid
    torch = None  # type: ignore[assignment]
    TorchFunctionMode = object  # type: ignore[assignment,misc]

ANY_TORCH = "*"  # ban every torch function (numpy-only exercises)

# Names no exercise needs that reach around the guards or into the grader's frames and modules:
# flagged for a reviewer in every exercise (the runtime guard and the sandbox are the defence).
INTROSPECTION_NAMES = frozenset({
    "DisableTorchFunction", "_get_current_function_mode", "_get_current_function_mode_stack", "_pop_mode",
    "_pop_mode_temporarily", "_pop_torch_function_stack", "_set_torch_function_state", "import_module",
    "__import__", "get_objects", "get_referrers", "_getframe", "f_back", "f_globals", "__subclasses__",
    "settrace", "setprofile", "ctypes",
    "grade_task", "run_public_tests",  # rnnkit's own notebook grading functions
})


class ForbiddenCall(BaseException):
    """Raised inside the submission when it dispatches a banned torch op.

    A BaseException, so a student's ``except Exception`` does not swallow it; the violation is
    also recorded on the guard, so catching it anyway does not help.
    """


class ForbidMode(TorchFunctionMode):
    """Raise on (and record) any dispatched torch function whose name is banned."""

    def __init__(self, banned: frozenset[str]) -> None:
        super().__init__()
        self.banned = banned
        self.violations: list[str] = []

    def __torch_function__(self, func: Any, types: Any, args: Any = (), kwargs: Any = None) -> Any:
        name = getattr(func, "__name__", repr(func))
        if ANY_TORCH in self.banned or name in self.banned:
            shown = f"torch.{name}" if ANY_TORCH not in self.banned else f"torch ({name})"
            self.violations.append(shown)
            raise ForbiddenCall(f"{shown} is not allowed in this exercise")
        return func(*args, **(kwargs or {}))

    def tampered(self, banned: frozenset[str]) -> bool:
        """Whether the submission disarmed this guard during the block (changed its bans or its
        class, or left another mode on top of it)."""
        on_top = torch.overrides._get_current_function_mode()  # type: ignore[no-untyped-call]
        return self.banned != banned or type(self).__torch_function__ is not _GUARD_METHOD or on_top is not self


_GUARD_METHOD = ForbidMode.__torch_function__


def _disabling_is_banned(mode: ForbidMode) -> Any:
    """Stands in for torch._C.DisableTorchFunction during a guarded block (it would switch every
    mode off; nothing in torch's own ops needs it there)."""
    def refuse(*_args: Any, **_kwargs: Any) -> Any:
        mode.violations.append("torch._C.DisableTorchFunction")
        raise ForbiddenCall("switching torch function modes off is not allowed in this exercise")
    return refuse


@contextmanager
def forbid(banned: frozenset[str]) -> Iterator[ForbidMode | None]:
    """Run a block with the banned torch ops made to raise; yields the mode (or None if no bans).

    A submission that disarms the guard (see ForbidMode.tampered) is recorded as a violation.
    """
    if not banned or torch is None:
        yield None
        return
    original_disable = torch._C.DisableTorchFunction
    with ForbidMode(banned) as mode:
        torch._C.DisableTorchFunction = _disabling_is_banned(mode)
        try:
            yield mode
        finally:
            torch._C.DisableTorchFunction = original_disable  # before the mode leaves the stack
            if mode.tampered(banned):
                mode.violations.append("changes to rnnkit's guard")


@dataclass(frozen=True)
class SourceFinding:
    line: int
    text: str
    banned_import: bool  # True: imports a banned module; False: a name worth a reviewer's look


# Libraries whose star import can bring a flagged class (nn.LSTM, keras' LSTM) in under its bare name.
_STAR_FLAGGED = frozenset({"torch", "tensorflow", "keras"})


def _imported_names(tree: ast.AST) -> frozenset[str]:
    """Names this file binds by importing (``torch``, ``nn`` of ``import torch.nn as nn``, ...)."""
    bound: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            bound.update(a.asname or a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            bound.update(a.asname or a.name for a in node.names if a.name != "*")
    return frozenset(bound)


def _dotted(node: ast.AST) -> tuple[str, str] | None:
    """(root name, dotted text) of an attribute chain ``a.b.c`` on a plain name; None otherwise."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    return node.id, ".".join([node.id, *reversed(parts)])


def _api_findings(tree: ast.AST, api_names: frozenset[str]) -> list[SourceFinding]:
    """Uses of a library's class or function (``nn.GRUCell``): an attribute reached from an imported
    module, an import of the name, a star import from a deep-learning library, or the name as a
    string argument (``getattr(nn, "GRUCell")``). A name the file defines itself is not flagged."""
    imported = _imported_names(tree)
    found = []
    for node in ast.walk(tree):
        line = getattr(node, "lineno", 0)
        if isinstance(node, ast.ImportFrom):
            found += [SourceFinding(line, f"import of {a.name}", False) for a in node.names if a.name in api_names]
            if any(a.name == "*" for a in node.names) and (node.module or "").split(".")[0] in _STAR_FLAGGED:
                found.append(SourceFinding(line, f"from {node.module} import * (may bring in "
                                                 f"{', '.join(sorted(api_names))})", False))
        elif isinstance(node, ast.Attribute) and node.attr in api_names:
            chain = _dotted(node)
            if chain is not None and chain[0] in imported:
                found.append(SourceFinding(line, f"use of {chain[1]}", False))
        elif isinstance(node, ast.Call):
            found += [SourceFinding(line, f"string {arg.value!r}", False) for arg in node.args
                      if isinstance(arg, ast.Constant) and isinstance(arg.value, str) and arg.value in api_names]
    return found


def scan_source(source: str, banned_imports: frozenset[str], banned_names: frozenset[str]) -> list[SourceFinding]:
    """Find imports of banned modules and uses of banned names, without running code.

    ``banned_imports`` are top-level module names (``torch``). ``banned_names`` mix two kinds:
    the introspection names of INTROSPECTION_NAMES, flagged wherever they appear (as a bare name,
    an attribute or a string: defining your own ``grade_task`` is the tampering), and an
    exercise's API names (``LSTM``, ``GRUCell``, from exercise.toml), flagged only where they mean
    the library's (see _api_findings): a class the student wrote and named ``GRUCell`` is not.
    """
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return []
    introspection = banned_names & INTROSPECTION_NAMES
    found: list[SourceFinding] = _api_findings(tree, banned_names - INTROSPECTION_NAMES)
    for node in ast.walk(tree):
        line = getattr(node, "lineno", 0)
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] in banned_imports:
                    found.append(SourceFinding(line, f"import {alias.name}", True))
        elif isinstance(node, ast.ImportFrom):
            if node.module and node.module.split(".")[0] in banned_imports and node.level == 0:
                found.append(SourceFinding(line, f"from {node.module} import ...", True))
            for alias in node.names:
                if alias.name in introspection:
                    found.append(SourceFinding(line, f"import of {alias.name}", False))
        elif isinstance(node, ast.Attribute) and node.attr in introspection:
            found.append(SourceFinding(line, f"use of .{node.attr}", False))
        elif isinstance(node, ast.Name) and node.id in introspection:
            found.append(SourceFinding(line, f"use of {node.id}", False))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            if node.value.split(".")[0] in banned_imports:
                found.append(SourceFinding(line, f"dynamic import of {node.value!r}", True))
            elif node.value in introspection:
                found.append(SourceFinding(line, f"string {node.value!r}", False))
    return sorted(set(found), key=lambda f: (f.line, f.text))
