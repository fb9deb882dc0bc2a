"""Tripwires in the child: signs that the submission switched rnnkit's own checks off.

Everything in the child's process is the submission's to change once it is imported, so these
never prove anything; they only catch the usual ways round the checks that cannot be made from
values (numpy's floating-point error mode, the forbidden-API guard) and turn them into a
``forbidden`` verdict. A tripped wire can only cost the submission points.

- numpy's error mode during an ``errstate`` call must still be the one rnnkit set (``np.seterr``
  or ``np.errstate`` inside the call switch the warnings back off);
- rnnkit's functions that run next to the submission (the executor, the guard, the probes, the
  wire, the arena) must still be the same objects with the same code as before it was imported.
The other halves of the defence are outside the child's reach: threads are refused by the seccomp
filter (the error mode and the guard are per thread), and the static policy (``rnnkit.policy``)
flags code that reaches into rnnkit, ``sys.modules``, ``ctypes`` or ``np.seterr``.
"""

from __future__ import annotations

import types
from dataclasses import dataclass, field
from typing import Any

import numpy as np

ERRSTATE_FOR_CALLS = {"over": "raise", "invalid": "raise", "divide": "raise", "under": "ignore"}


def _watched() -> list[tuple[Any, str]]:
    """(owner, attribute) of every rnnkit function whose replacement would disarm a check."""
    from rnnkit import guards
    from rnnkit.sandbox import arena, executor
    from rnnkit.wire import decoding, encoding, modules
    from rnnkit.wire import types as types_module

    pairs: list[tuple[Any, str]] = [
        (guards, "forbid"), (guards.ForbidMode, "__torch_function__"), (guards.ForbidMode, "tampered"),
        (guards.ForbidMode, "__init__"), (executor.Executor, "_run"), (executor.Executor, "_guarded"),
        (executor.Executor, "handle"), (executor.Executor, "_materialise"), (executor.Executor, "load"),
        (executor, "_as_value"), (executor, "_probe"), (arena.Arena, "array"), (modules.ModuleState, "build"),
        (modules.ModuleState, "of"), (encoding, "encode"), (encoding._Encoder, "enc"), (decoding, "decode"),
        (decoding._Decoder, "dec"), (Watch, "tampered"), (np, "geterr"),
    ]
    if types_module.torch is not None:
        from rnnkit import callables, probes, stepfns

        # the probes, the step functions and callables handed to the submission, and their
        # recorders (their records reach the grader)
        for module in (probes, stepfns, callables):
            pairs += [(module, name) for name in vars(module) if isinstance(getattr(module, name), types.FunctionType)]
        classes = (*stepfns.MODELS.values(), stepfns.Recorder, *callables.CALLABLES.values(), callables.Recording)
        pairs += [(cls, name) for cls in classes if isinstance(cls, type)
                  for name, value in vars(cls).items() if isinstance(value, (types.FunctionType, property))]
    return pairs


@dataclass
class Watch:
    """Remembers, at trusted set-up time, what rnnkit's watched functions are."""

    seen: list[tuple[Any, str, Any, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        for owner, name in _watched():
            fn = owner.__dict__.get(name, getattr(owner, name, None))
            self.seen.append((owner, name, fn, getattr(fn, "__code__", None)))

    def tampered(self, errstate: bool) -> str:
        """What was switched off ("" if nothing): checked after every call, inside its guard."""
        for owner, name, fn, code in self.seen:
            now = owner.__dict__.get(name, getattr(owner, name, None))
            if now is not fn or getattr(now, "__code__", None) is not code:
                return f"changes to rnnkit's grading code ({getattr(owner, '__name__', owner)}.{name})"
        if errstate and np.geterr() != ERRSTATE_FOR_CALLS:
            return "changes to numpy's floating-point error mode (np.seterr / np.errstate)"
        return ""
