"""Runs requests against one submission module: the code that sits next to student code.

The same Executor serves both modes: in the sandbox child (requests arrive over the socket) and
in trusted local mode (``rnnkit check --no-sandbox``, requests are handed over in-process after a
wire round trip). So both modes give the same values and the same verdicts.

Requests (already decoded, handles and function refs resolved):

    {"op": "load"}
    {"op": "call", "target": obj, "method": str | None, "args": [...], "kwargs": {...}, "opts": {...}}
    {"op": "getattr", "target": obj, "name": str}
    {"op": "probe", "name": str, "args": [...], "kwargs": {...}, "opts": {...}}
    {"op": "release", "ids": [...]}

Arrays arrive as views of the shared argument arena (``arena.py``): whether they were changed in
place is read back by the grader from its own mapping, never reported from here.

Replies: {"value": v, "args_after": [...]} or {"raised": type, "kind": builtin,
"msg": str, "where": str} or {"forbidden": api, "where": str}. ``kind`` is the nearest builtin class
of the exception (numpy's UFuncTypeError or a student's ``class OrderError(ValueError)`` -> the
builtin), so tests expecting ValueError accept subclasses as Python would.
"""

from __future__ import annotations

import importlib.util
import sys
import traceback
import types
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from rnnkit.guards import ForbiddenCall, forbid
from rnnkit.sandbox import tripwires
from rnnkit.sandbox.arena import Arena
from rnnkit.wire import HandleRef, ModuleState, WireError
from rnnkit.wire.types import torch

MAX_MESSAGE_CHARS = 400


@dataclass(frozen=True)
class ExecutorSettings:
    """What the child needs to know about the exercise (never anything hidden)."""

    module_name: str  # e.g. q021_lstm_step_forward
    forbidden_ops: frozenset[str] = frozenset()
    default_dtype: str | None = None  # "float64" for torch exercises


@dataclass
class CallOptions:
    errstate: bool = False  # numpy over/invalid/divide raise; underflow is fine
    dtype: str | None = None  # default torch dtype during the call
    return_args: bool = False  # send back the arguments' state (in-place APIs)
    check_mutation: bool = True  # the grader compares the arena after the call (unused here)
    grad: bool = True  # torch grad mode during the call

    @classmethod
    def from_dict(cls, raw: Any) -> CallOptions:
        if not isinstance(raw, dict):
            return cls()
        known = {k: v for k, v in raw.items() if k in cls.__dataclass_fields__}
        return cls(**known)


@dataclass
class Executor:
    path: Path
    settings: ExecutorSettings
    module: types.ModuleType | None = None
    handles: dict[int, Any] = field(default_factory=dict)
    next_handle: int = 1
    arena: Arena | None = None
    watch: tripwires.Watch = field(default_factory=tripwires.Watch)
    # The check itself, taken before the submission is imported: patching Watch.tampered later
    # does not change what runs here (and is itself one of the changes it reports).
    _tampered: Any = field(default=tripwires.Watch.tampered, repr=False)

    # -- lifecycle ------------------------------------------------------------------------
    def load(self) -> dict[str, Any]:
        name = f"rnnkit_submission.{self.settings.module_name}"
        spec = importlib.util.spec_from_file_location(name, self.path)
        if spec is None or spec.loader is None:
            return {"raised": "ImportError", "msg": f"cannot load {self.path.name}", "where": ""}
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        loader = spec.loader
        reply = self._run(lambda: loader.exec_module(module), CallOptions(check_mutation=False), [])
        if "value" in reply:
            self.module = module
            reply["value"] = sorted(n for n in vars(module) if not n.startswith("_"))
        return reply

    # -- resolving wire references --------------------------------------------------------
    def resolve(self, kind: str, key: Any) -> Any:
        if kind == "handle":
            handle_id, _cls = key
            if handle_id not in self.handles:
                raise WireError("this object no longer exists (the submission was restarted)")
            return self.handles[handle_id]
        if kind == "function":
            if self.module is None or not hasattr(self.module, key):
                raise WireError(f"the submission does not define {key}")
            return getattr(self.module, key)
        raise WireError(f"unknown reference {kind}")

    def keep(self, obj: Any) -> dict[str, Any]:
        """Keep an object that is not a value in the child and hand out a handle to it."""
        handle_id = self.next_handle
        self.next_handle += 1
        self.handles[handle_id] = obj
        return {"__h": handle_id, "cls": type(obj).__name__}

    # -- requests -------------------------------------------------------------------------
    def handle(self, request: dict[str, Any]) -> dict[str, Any]:
        op = request.get("op")
        if op == "load":
            return self.load()
        if op == "release":
            for handle_id in request.get("ids", []):
                self.handles.pop(handle_id, None)
            return {"value": None}
        if op == "getattr":
            return self._run(lambda: getattr(request["target"], request["name"]), CallOptions(), [])
        if op == "call":
            target = request["target"]
            fn = target if request.get("method") is None else getattr(target, request["method"])
            opts = CallOptions.from_dict(request.get("opts"))
            args, kwargs = self._materialise(request["args"], opts), self._materialise(request["kwargs"], opts)
            return self._run(lambda: fn(*args, **kwargs), opts, args)
        if op == "probe":
            probe = _probe(request.get("name", ""))
            if probe is None:
                return {"raised": "LookupError", "msg": "unknown probe", "where": ""}
            opts = CallOptions.from_dict(request.get("opts"))
            args, kwargs = self._materialise(request["args"], opts), self._materialise(request["kwargs"], opts)
            return self._run(lambda: probe(*args, **kwargs), opts, args)
        return {"raised": "LookupError", "msg": f"unknown request {op!r}", "where": ""}

    def _materialise(self, value: Any, opts: CallOptions) -> Any:
        """Turn module specs from the grader into real torch modules, in the call's default dtype
        (the exercise's, float64 for torch exercises, unless the call asks for another)."""
        if isinstance(value, ModuleState):
            dtype = opts.dtype or self.settings.default_dtype
            return value.build(getattr(torch, dtype) if dtype else None, share=True)
        if isinstance(value, list):
            return [self._materialise(v, opts) for v in value]
        if isinstance(value, tuple):
            return tuple(self._materialise(v, opts) for v in value)
        if isinstance(value, dict):
            return {k: self._materialise(v, opts) for k, v in value.items()}
        return value

    def _run(self, thunk: Any, opts: CallOptions, args: list[Any]) -> dict[str, Any]:
        value, error = None, None
        with self._guarded(opts) as mode:
            try:
                value = thunk()
            except ForbiddenCall:
                pass
            except KeyboardInterrupt:
                raise  # an interrupt from outside (a notebook cell timing out) stops the run
            except BaseException as exc:  # noqa: BLE001 - a submission may raise anything
                error = exc
            # Tripwires (they can only cost points): the error mode still the one set for the
            # call, rnnkit's own functions still themselves.
            tampered = self._tampered(self.watch, errstate=opts.errstate)
        # Decided after the guard is gone: leaving it also records a guard the call disarmed.
        if mode is not None and mode.violations:
            return self._forbidden(mode.violations[0], error)
        if tampered:
            return self._forbidden(tampered, error)
        if torch is None and isinstance(error, ImportError) and (error.name or "").split(".")[0] == "torch":
            return self._forbidden("torch (this exercise is numpy only)", error)
        if error is not None:
            return self._raised(error)
        reply: dict[str, Any] = {"value": value}
        if opts.return_args:
            reply["args_after"] = [_as_value(a) for a in args]
        return reply

    @contextmanager
    def _guarded(self, opts: CallOptions | None = None) -> Iterator[Any]:
        opts = opts or CallOptions()
        with ExitStack() as stack:
            if opts.errstate:
                stack.enter_context(np.errstate(over="raise", invalid="raise", divide="raise", under="ignore"))
            dtype = opts.dtype or self.settings.default_dtype
            if dtype and torch is not None:
                # Only around the call: in trusted local mode this process is the grader's.
                previous = torch.get_default_dtype()
                torch.set_default_dtype(getattr(torch, dtype))
                stack.callback(torch.set_default_dtype, previous)
            if torch is not None:
                stack.enter_context(torch.set_grad_enabled(opts.grad))
            mode = stack.enter_context(forbid(self.settings.forbidden_ops))
            yield mode

    # -- error replies --------------------------------------------------------------------
    def _where(self, exc: BaseException | None) -> str:
        if exc is None:
            return ""
        if isinstance(exc, SyntaxError) and exc.lineno and Path(exc.filename or "").name == self.path.name:
            return f"{self.path.name}, line {exc.lineno}"  # a file that does not parse has no frame of its own
        frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == str(self.path)]
        if not frames:
            return ""
        last = frames[-1]
        return f"{self.path.name}, line {last.lineno}, in {last.name}"

    def _raised(self, exc: BaseException) -> dict[str, Any]:
        msg = str(exc)
        if len(msg) > MAX_MESSAGE_CHARS:
            msg = msg[:MAX_MESSAGE_CHARS] + "..."
        kind = next((c.__name__ for c in type(exc).__mro__ if c.__module__ == "builtins"), "Exception")
        return {"raised": type(exc).__name__, "kind": kind, "msg": msg, "where": self._where(exc)}

    def _forbidden(self, api: str, exc: BaseException | None) -> dict[str, Any]:
        return {"forbidden": api, "where": self._where(exc)}


def _probe(name: str) -> Any:
    """A probe by name (probes need torch: a numpy-only child has none)."""
    if torch is None:
        return None
    from rnnkit import probes

    return probes.PROBES.get(name)


def _as_value(value: Any) -> Any:
    """An argument's state after an in-place call, as a wire value."""
    if torch is not None and isinstance(value, torch.nn.Module):
        try:
            return ModuleState.of(value)
        except WireError:
            return None
    if isinstance(value, (np.ndarray, np.random.Generator)) or (
            torch is not None and isinstance(value, (torch.Tensor, torch.Generator))):
        return value
    if isinstance(value, (int, float, str, bool)) or value is None:
        return value
    return None


__all__ = ["CallOptions", "Executor", "ExecutorSettings", "HandleRef"]
