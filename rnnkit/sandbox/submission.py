"""``impl``: the code under test, as hidden and public tests see it (see ``remote.py`` for the API).

Two implementations with one behaviour: ``SandboxedSubmission`` (``sandboxed.py``: a child process
from the warm parent, restarted after a crash or timeout) and ``LocalSubmission`` (``local.py``:
trusted mode, in-process, still through a wire round trip and the arena so values and verdicts
are the same). This module holds what they share: building requests, placing the arguments in the
shared arena, reading the in-place effects back from it, and turning replies into values or
student-safe errors.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, NoReturn, Protocol

import numpy as np
import torch

from rnnkit import wire
from rnnkit.errors import (
    InputMutated,
    SubmissionCrashed,
    SubmissionForbidden,
    SubmissionMissing,
    SubmissionProblem,
    SubmissionRaised,
    raised_class,
)
from rnnkit.sandbox.arena import Arena, ArenaRef, Slot
from rnnkit.sandbox.executor import ExecutorSettings
from rnnkit.sandbox.remote import CallOpts, RemoteCallable, RemoteHandle


@dataclass(frozen=True)
class SubmissionSpec:
    """Where a submission's file is and how its child is set up (nothing hidden in here)."""

    exercise_id: str
    file: Path | None  # None: the submission has no file for this exercise
    forbidden_ops: frozenset[str] = frozenset()
    default_dtype: str | None = None
    call_timeout_s: float = 10.0
    load_timeout_s: float = 30.0
    # All of one exercise's calls together (sandbox only): a submission that takes just under the
    # call timeout on every call cannot hold a class's grading for many minutes.
    budget_s: float = 120.0
    show_student_messages: bool = True
    # Parameter names per function (from the exercise's public stub), for messages: "prev_c", not "#3"
    parameters: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def executor_settings(self) -> ExecutorSettings:
        return ExecutorSettings(module_name=self.exercise_id, forbidden_ops=self.forbidden_ops,
                                default_dtype=self.default_dtype)


class CallObserver(Protocol):
    """Sees every request a test makes of the submission (rnnkit.trace records them): ``run``
    performs it; the observer returns its value or lets its exception through."""

    def observe(self, kind: str, request: tuple[Any, ...], run: Callable[[], Any]) -> Any: ...


class Submission:
    """Shared logic: building requests, turning replies into values or student-safe errors."""

    def __init__(self, spec: SubmissionSpec, static_violation: str | None = None) -> None:
        self.spec = spec
        self.observer: CallObserver | None = None
        self.generation = 0
        self.isolation: list[str] = []
        self.child_uid: int | None = None  # the uid the submission ran as, read from the host's /proc
        # The public names the loaded file defines (from its load reply): a call to a name it lacks is
        # "missing", said before anything is sent (a typo in a def line, an empty file).
        self.defined: frozenset[str] | None = None
        # A rule broken in the source itself (a banned import): every call fails as forbidden.
        self._load_error: SubmissionProblem | None = (
            SubmissionForbidden(static_violation) if static_violation else None)

    def _raise_load_error(self) -> None:
        """Raise the remembered load problem, if any (see _fail_load)."""
        if self._load_error is not None:
            self._fail_load(self._load_error)

    def _fail_load(self, problem: SubmissionProblem) -> NoReturn:
        """Remember why the file cannot be loaded and raise it: a fresh copy each time, since
        re-raising one object grows its traceback by every test that touched it."""
        self._load_error = problem
        raise copy.copy(problem).with_traceback(None) from None

    def _import_failed(self, reply: dict[str, Any]) -> SubmissionRaised:
        """An exception at import: a plain SubmissionRaised, never the builtin type it names, so a file
        that only raises ValueError cannot pass the tests that expect ValueError from bad input."""
        raised = self._raised(f"importing {self.spec.exercise_id}.py", reply)
        return SubmissionRaised(str(raised), raised.type_name)

    def _loaded(self, reply: dict[str, Any]) -> None:
        """Remember what a successful load reply says the file defines."""
        names = reply.get("value")
        self.defined = frozenset(n for n in names if isinstance(n, str)) if isinstance(names, list) else None

    def _require_defined(self, values: list[Any]) -> None:
        """Every submission function among ``values`` (a call's target, a probe's arguments) exists."""
        wanted = [v.name for v in values if isinstance(v, wire.FunctionRef)]
        if not wanted:
            return
        self._ensure_loaded_names()
        for name in wanted:
            if self.defined is not None and name not in self.defined:
                file = self.spec.file.name if self.spec.file is not None else f"{self.spec.exercise_id}.py"
                raise SubmissionMissing(f"{file} does not define {name}; keep the name of the exercise's "
                                        f"stub (def {name}(...) or class {name})")

    # transport, provided by subclasses
    def _request(self, message: dict[str, Any], timeout: float) -> dict[str, Any]:
        raise NotImplementedError

    def _ensure_loaded_names(self) -> None:
        """Load the file (raising its load problem, if any) so that ``defined`` is known."""
        raise NotImplementedError

    def _arena(self) -> Arena | None:
        """The arena of the current child (started if needed), or None."""
        return None

    def take_output(self) -> str:
        return ""

    def close(self) -> None:
        pass

    # public API
    def __getattr__(self, name: str) -> RemoteCallable:
        if name.startswith("_"):
            raise AttributeError(name)
        return RemoteCallable(self, wire.FunctionRef(name), None, name)

    def call(self, target: Any, method: str | None, args: tuple[Any, ...], kwargs: dict[str, Any],
             opts: CallOpts, label: str | None = None, with_args: bool = False) -> Any:
        if self.observer is None:
            return self._call(target, method, args, kwargs, opts, label, with_args)
        return self.observer.observe("call", (target, method, args, kwargs, opts),
                                     lambda: self._call(target, method, args, kwargs, opts, label, with_args))

    def _call(self, target: Any, method: str | None, args: tuple[Any, ...], kwargs: dict[str, Any],
              opts: CallOpts, label: str | None, with_args: bool) -> Any:
        label = label or (target.cls_name if isinstance(target, RemoteHandle) else str(method))
        self._require_defined([target])
        plain_args, plain_kwargs = [self._arg(a) for a in args], {k: self._arg(v) for k, v in kwargs.items()}
        arena = self._arena()
        slots: list[Slot] = []
        if arena is not None:
            plain_args, plain_kwargs, slots = arena.place(plain_args, plain_kwargs, self._module_dtype(opts))
        message = {"op": "call", "target": self._target(target), "method": method,
                   "args": plain_args, "kwargs": plain_kwargs, "opts": asdict(opts)}
        reply = self._checked(message, label, self.spec.call_timeout_s)
        if opts.check_mutation and not opts.return_args and arena is not None:
            changed = list(dict.fromkeys(s.arg for s in slots if arena.changed(s)))
            if changed:
                raise InputMutated(f"{label} changed its input {self._names(target, method, changed)} "
                                   "in place; work on a copy")
        if with_args:
            reported = reply.get("args_after")
            reported = reported if isinstance(reported, list) else []
            return reply.get("value"), self._args_after(arena, plain_args, slots, reported)
        return reply.get("value")

    def getattr(self, handle: RemoteHandle, name: str) -> Any:
        def run() -> Any:
            message = {"op": "getattr", "target": handle.ref, "name": name}
            return self._checked(message, f"{handle.cls_name}.{name}", self.spec.call_timeout_s).get("value")
        return run() if self.observer is None else self.observer.observe("getattr", (handle, name), run)

    def probe(self, name: str, *args: Any, **kwargs: Any) -> Any:
        """Run a fixed rnnkit probe (``rnnkit.probes``) in the submission's process; its first
        argument is usually the submission's object or function under test (messages name it)."""
        self._require_defined(list(args) + list(kwargs.values()))

        def run() -> Any:
            message = {"op": "probe", "name": name, "args": [self._arg(a) for a in args],
                       "kwargs": {k: self._arg(v) for k, v in kwargs.items()}, "opts": asdict(CallOpts())}
            first = args[0] if args else None
            label = (first.cls_name if isinstance(first, RemoteHandle)
                     else first.name if isinstance(first, wire.FunctionRef) else name)
            return self._checked(message, label, self.spec.call_timeout_s).get("value")
        return run() if self.observer is None else self.observer.observe("probe", (name, args, kwargs), run)

    def function(self, name: str) -> wire.FunctionRef:
        """Pass a submission function as an argument (to a probe, say)."""
        return wire.FunctionRef(name)

    # the arena: arguments in, in-place effects out
    def _module_dtype(self, opts: CallOpts) -> Any:
        """Module tensors are placed in the dtype the child will build the module in, so that the
        module's parameters can be views of the arena."""
        name = opts.dtype or self.spec.default_dtype
        if not name:
            return None
        dtype = getattr(torch, name)

        def convert(ms: wire.ModuleState) -> wire.ModuleState:
            return replace(ms, state={k: (v.to(dtype) if isinstance(v, torch.Tensor) and v.is_floating_point() else v)
                                      for k, v in ms.state.items()})
        return convert

    def _args_after(self, arena: Arena | None, sent: list[Any], slots: list[Slot], reported: list[Any]) -> list[Any]:
        """The positional arguments' state after an in-place call: arrays and module tensors read
        from the arena; the child's own report only for the rest (generators, numbers) and for
        the parameter flags, which can only cost points."""
        by_ref = {s.ref: s for s in slots}
        out = []
        for index, value in enumerate(sent):
            told = reported[index] if index < len(reported) else None
            mine = [s for s in slots if s.arg == index]
            if arena is None or not mine:
                out.append(told)
            elif isinstance(value, wire.ModuleState):
                out.append(self._module_after(arena, value, mine, told))
            else:
                out.append(_restore(value, arena, by_ref))
        return out

    def _module_after(self, arena: Arena, sent: wire.ModuleState, slots: list[Slot], told: Any) -> wire.ModuleState:
        state = {s.path[-1]: _rebuild(s.ref, arena.bytes_now(s)) for s in slots if s.path[-2:-1] == ("state",)}
        flags: dict[str, dict[str, bool]] = {}
        for name, tensor in state.items():
            reported = told.flags.get(name, {}) if isinstance(told, wire.ModuleState) else {}
            own = told.state.get(name) if isinstance(told, wire.ModuleState) else None
            # The Parameter the grader handed over must be the one holding the new values.
            kept = isinstance(own, torch.Tensor) and own.shape == tensor.shape and bool(
                torch.equal(own.to(tensor.dtype).nan_to_num(), tensor.nan_to_num()))
            flags[name] = {k: bool(reported.get(k, False)) for k in ("parameter", "leaf", "requires_grad")}
            flags[name]["parameter"] = flags[name]["parameter"] and kept
        return wire.ModuleState(sent.cls, dict(sent.kwargs), state, flags)

    def _names(self, target: Any, method: str | None, changed: list[int | str]) -> str:
        """"prev_c" for the third parameter of a function whose signature the kit knows (keys as
        ``parameter_names`` makes them: ``fn``, ``Class`` for its constructor, ``Class()`` for a
        call of an object, ``Class.method``)."""
        if isinstance(target, RemoteHandle):
            key = f"{target.cls_name}.{method}" if method else f"{target.cls_name}()"
        elif isinstance(target, wire.FunctionRef):
            key = f"{target.name}.{method}" if method else target.name
        else:
            key = ""
        params = self.spec.parameters.get(key, ())
        names = [c if isinstance(c, str) else params[c] if c < len(params) else f"#{c + 1}" for c in changed]
        return ("argument " if len(names) == 1 else "arguments ") + ", ".join(names)

    # helpers
    def _target(self, target: Any) -> Any:
        return target.ref if isinstance(target, RemoteHandle) else target

    def _arg(self, value: Any) -> Any:
        if isinstance(value, RemoteHandle):
            return value.ref
        if isinstance(value, list):
            return [self._arg(v) for v in value]
        if isinstance(value, tuple):
            return tuple(self._arg(v) for v in value)
        if isinstance(value, dict):
            return {k: self._arg(v) for k, v in value.items()}
        return value

    def _resolve(self, kind: str, key: Any) -> Any:
        if kind == "handle":
            handle_id, cls = key
            return RemoteHandle(self, handle_id, cls, self.generation)
        raise wire.WireError("the submission sent a function reference")

    def _checked(self, message: dict[str, Any], label: str, timeout: float) -> dict[str, Any]:
        reply = self._request(message, timeout)
        if "forbidden" in reply:
            where = f" ({reply['where']})" if reply.get("where") else ""
            raise SubmissionForbidden(f"{label} used {reply['forbidden']}, which this exercise forbids{where}")
        if "raised" in reply:
            raise self._raised(label, reply)
        if "value" not in reply:
            raise SubmissionCrashed(f"{label}: the submission process sent a reply without a value")
        return reply

    def _raised(self, label: str, reply: dict[str, Any]) -> SubmissionRaised:
        type_name = str(reply.get("raised"))[:80]
        as_class = raised_class(str(reply.get("kind", type_name)))  # the builtin it subclasses, if rearmable
        where = f" at {reply['where']}" if reply.get("where") else ""
        if type_name == "NotImplementedError":
            stub_message = str(reply.get("msg", ""))  # the generated stub's own "X is not implemented yet"
            what = stub_message[:120] if stub_message.endswith("is not implemented yet") else f"{label} is not implemented yet"
            return as_class(f"{what} (it raises NotImplementedError)", type_name)
        text = f": {str(reply.get('msg', ''))[:300]}" if self.spec.show_student_messages and reply.get("msg") else ""
        return as_class(f"{label} raised {type_name}{text}{where}", type_name)


def _restore(value: Any, arena: Arena, by_ref: dict[ArenaRef, Slot]) -> Any:
    """A placed argument (arrays inside tuples, lists, dicts) with its arrays as they are now."""
    if isinstance(value, ArenaRef):
        return _rebuild(value, arena.bytes_now(by_ref[value]))
    if isinstance(value, (list, tuple)):
        items = [_restore(v, arena, by_ref) for v in value]
        return items if isinstance(value, list) else tuple(items)
    if type(value) is dict:
        return {k: _restore(v, arena, by_ref) for k, v in value.items()}
    return value


def _rebuild(ref: ArenaRef, raw: bytes) -> Any:
    """An argument's bytes after the call, as the kind of value it was sent as."""
    if ref.lib == "torch":
        return torch.frombuffer(bytearray(raw), dtype=torch.uint8).view(wire.TORCH_DTYPES[ref.dtype]).reshape(ref.shape)
    return np.frombuffer(raw, dtype=wire.NUMPY_DTYPES[ref.dtype]).reshape(ref.shape).copy()
