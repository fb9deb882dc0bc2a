"""``impl``: the code under test, as hidden and public tests see it.

    impl.lstm_step_forward(x, h, c, Wx, Wh, b)             -> values (numpy/torch/builtins)
    impl.lstm_step_forward.with_options(errstate=True)(...) -> the same, numpy errors raise
    impl.init_forget_bias_.inplace(lstm, 1.0)              -> (return value, [args after the call])
    cell = impl.PeepholeLSTMCell(4, 5)                      -> a RemoteHandle to an object in the child
    cell(x, (h, c)); cell.state_dict(); cell.get("p_o")     -> calls and attribute values through it
    impl.probe("output_grads", cell, [x, (h, c)], upstream) -> a fixed rnnkit probe run in the child

Two implementations with one behaviour: ``SandboxedSubmission`` (a child process from the warm
parent, restarted after a crash or timeout) and ``LocalSubmission`` (trusted mode, in-process,
still through a wire round trip so values and verdicts are the same).
"""

from __future__ import annotations

import copy
import time
import types
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, NoReturn

from rnnkit import wire
from rnnkit.errors import (
    InputMutated,
    SubmissionCrashed,
    SubmissionForbidden,
    SubmissionMissing,
    SubmissionProblem,
    SubmissionRaised,
    SubmissionTimeout,
    raised_class,
)
from rnnkit.sandbox.client import ChildGone, ChildProcess, ChildTimeout, Zygote, ZygoteError
from rnnkit.sandbox.executor import Executor, ExecutorSettings


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

    def executor_settings(self) -> ExecutorSettings:
        return ExecutorSettings(module_name=self.exercise_id, forbidden_ops=self.forbidden_ops,
                                default_dtype=self.default_dtype)


class RemoteHandle:
    """An object that lives with the submission; every use is a request."""

    def __init__(self, owner: Submission, handle_id: int, cls: str, generation: int) -> None:
        self._owner, self._id, self._cls, self._generation = owner, handle_id, cls, generation

    @property
    def ref(self) -> wire.HandleRef:
        if self._generation != self._owner.generation:
            raise SubmissionCrashed(f"the {self._cls} object was lost when the submission process restarted")
        return wire.HandleRef(self._id, self._cls)

    @property
    def cls_name(self) -> str:
        return self._cls

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._owner.call(self, None, args, kwargs, CallOpts())

    def __getattr__(self, name: str) -> RemoteCallable:
        if name.startswith("_"):
            raise AttributeError(name)
        return RemoteCallable(self._owner, self, name, f"{self._cls}.{name}")

    def get(self, name: str) -> Any:
        """The value of an attribute (a tensor, a number, ...) of the remote object."""
        return self._owner.getattr(self, name)

    def __repr__(self) -> str:
        return f"<{self._cls} in the submission>"


@dataclass(frozen=True)
class CallOpts:
    errstate: bool = False
    dtype: str | None = None
    return_args: bool = False
    check_mutation: bool = True
    grad: bool = True


class RemoteCallable:
    """A function (or a method of a handle) of the submission."""

    def __init__(self, owner: Submission, target: Any, method: str | None, label: str,
                 opts: CallOpts | None = None) -> None:
        self._owner, self._target, self._method, self._label = owner, target, method, label
        self._opts = opts or CallOpts()

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._owner.call(self._target, self._method, args, kwargs, self._opts, self._label)

    def with_options(self, **opts: Any) -> RemoteCallable:
        merged = CallOpts(**{**asdict(self._opts), **opts})
        return RemoteCallable(self._owner, self._target, self._method, self._label, merged)

    def inplace(self, *args: Any, **kwargs: Any) -> tuple[Any, list[Any]]:
        """Call an in-place API; returns (its return value, the positional arguments' state
        afterwards: arrays, tensors, generators, torch modules as ModuleState). Pass the objects
        whose state matters positionally; keyword arguments are not sent back."""
        opts = CallOpts(**{**asdict(self._opts), "return_args": True, "check_mutation": False})
        return self._owner.call(self._target, self._method, args, kwargs, opts, self._label,  # type: ignore[no-any-return]
                                with_args=True)


class Submission:
    """Shared logic: building requests, turning replies into values or student-safe errors."""

    def __init__(self, spec: SubmissionSpec, static_violation: str | None = None) -> None:
        self.spec = spec
        self.generation = 0
        self.isolation: list[str] = []
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

    # transport, provided by subclasses
    def _request(self, message: dict[str, Any], timeout: float) -> dict[str, Any]:
        raise NotImplementedError

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
        label = label or (target.cls_name if isinstance(target, RemoteHandle) else str(method))
        message = {"op": "call", "target": self._target(target), "method": method,
                   "args": [self._arg(a) for a in args],
                   "kwargs": {k: self._arg(v) for k, v in kwargs.items()}, "opts": asdict(opts)}
        reply = self._checked(message, label, self.spec.call_timeout_s)
        mutated = reply.get("mutated") or []
        if mutated:
            which = ", ".join(f"#{i + 1}" for i in mutated if isinstance(i, int))
            raise InputMutated(f"{label} changed its input argument {which} in place; work on a copy")
        if with_args:
            return reply.get("value"), list(reply.get("args_after") or [])
        return reply.get("value")

    def getattr(self, handle: RemoteHandle, name: str) -> Any:
        message = {"op": "getattr", "target": handle.ref, "name": name}
        return self._checked(message, f"{handle.cls_name}.{name}", self.spec.call_timeout_s).get("value")

    def probe(self, name: str, *args: Any, **kwargs: Any) -> Any:
        """Run a fixed rnnkit probe (``rnnkit.probes``) in the submission's process; its first
        argument is usually the submission's object or function under test (messages name it)."""
        message = {"op": "probe", "name": name, "args": [self._arg(a) for a in args],
                   "kwargs": {k: self._arg(v) for k, v in kwargs.items()}, "opts": asdict(CallOpts())}
        first = args[0] if args else None
        label = (first.cls_name if isinstance(first, RemoteHandle)
                 else first.name if isinstance(first, wire.FunctionRef) else name)
        return self._checked(message, label, self.spec.call_timeout_s).get("value")

    def function(self, name: str) -> wire.FunctionRef:
        """Pass a submission function as an argument (to a probe, say)."""
        return wire.FunctionRef(name)

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


class SandboxedSubmission(Submission):
    """The submission in a sandbox child forked from the warm parent; restarted when it dies."""

    def __init__(self, spec: SubmissionSpec, zygote: Zygote, static_violation: str | None = None) -> None:
        super().__init__(spec, static_violation)
        self.zygote = zygote
        self.child: ChildProcess | None = None
        self._timed_out: set[str] = set()  # what already ran out of time (see _raw)
        self._spent_s = 0.0  # wall time of every request so far (the budget)

    def _ensure_child(self) -> ChildProcess:
        self._raise_load_error()
        if self.child is not None and self.child.alive:
            return self.child
        if self.spec.file is None or not self.spec.file.is_file():
            self._fail_load(SubmissionMissing(f"no file {self.spec.exercise_id}.py in the submission"))
        settings = {"file": self.spec.file.name, "module_name": self.spec.exercise_id,
                    "forbidden_ops": sorted(self.spec.forbidden_ops), "default_dtype": self.spec.default_dtype}
        try:
            child = self.zygote.spawn({self.spec.file.name: self.spec.file}, settings)
        except ZygoteError as exc:
            raise SubmissionCrashed(f"could not start the sandbox: {exc}") from exc
        self.generation += 1
        self.child, self.isolation = child, child.isolation
        try:
            self._raw(child, {"op": "load"}, self.spec.load_timeout_s, "import")
        except SubmissionProblem as exc:
            self._fail_load(exc)
        return child

    def _raw(self, child: ChildProcess, message: dict[str, Any], timeout: float, label: str) -> dict[str, Any]:
        if label in self._timed_out:
            # One time-out per function: a hanging submission costs its timeout once, not per test.
            raise SubmissionTimeout(f"{label} did not finish within {timeout:g} s (earlier call; not called again)")
        self._check_budget(label)
        budget, left = self.spec.budget_s, self.spec.budget_s - self._spent_s
        started = time.monotonic()
        try:
            reply = child.request(message, min(timeout, left), self._resolve)
        except ChildTimeout:
            if left < timeout:
                raise SubmissionTimeout(f"{label} was stopped: this exercise used up its {budget:g} s "
                                        f"time budget") from None
            self._timed_out.add(label)
            raise SubmissionTimeout(f"{label} did not finish within {timeout:g} s") from None
        except ChildGone as exc:
            raise SubmissionCrashed(f"{label}: {exc}") from None
        finally:
            self._spent_s += time.monotonic() - started
        if message["op"] == "load":
            if "forbidden" in reply:
                raise SubmissionForbidden(f"importing the file used {reply['forbidden']}, which this exercise forbids")
            if "raised" in reply:
                raise self._import_failed(reply)
        return reply

    def _check_budget(self, label: str) -> None:
        if self._spent_s >= self.spec.budget_s:
            raise SubmissionTimeout(f"{label} was not called: this exercise used up its "
                                    f"{self.spec.budget_s:g} s time budget")

    def _request(self, message: dict[str, Any], timeout: float) -> dict[str, Any]:
        target = message.get("target")
        owner = getattr(target, "name", None) or getattr(target, "cls", None) or str(message.get("name", ""))
        label = f"{owner}.{message['method']}" if message.get("method") else str(owner or message["op"])
        self._check_budget(label)  # before a restart: a spent budget starts no new process
        child = self._ensure_child()
        return self._raw(child, message, timeout, label)

    def take_output(self) -> str:
        return self.child.drain.take() if self.child is not None else ""

    def close(self) -> None:
        if self.child is not None:
            self.child.close()
            self.child = None


class LocalSubmission(Submission):
    """Trusted local mode: the submission runs in this process (for a student with a debugger)."""

    def __init__(self, spec: SubmissionSpec, static_violation: str | None = None,
                 module: types.ModuleType | None = None) -> None:
        """``module``: an already loaded module to test (a notebook's namespace) instead of the file."""
        super().__init__(spec, static_violation)
        self.isolation = ["none (trusted local mode)"]
        self.executor: Executor | None = None
        if module is not None:
            self.executor = Executor(Path(f"{spec.exercise_id}.py"), spec.executor_settings(), module=module)

    def _ensure_loaded(self) -> Executor:
        self._raise_load_error()
        if self.executor is not None:
            return self.executor
        if self.spec.file is None or not self.spec.file.is_file():
            self._fail_load(SubmissionMissing(f"no file {self.spec.exercise_id}.py in the submission"))
        executor = Executor(self.spec.file.resolve(), self.spec.executor_settings())
        reply = executor.load()
        self.generation += 1
        if "forbidden" in reply:
            self._fail_load(SubmissionForbidden(
                f"importing the file used {reply['forbidden']}, which this exercise forbids"))
        if "raised" in reply:
            self._fail_load(self._import_failed(reply))
        self.executor = executor
        return executor

    def _request(self, message: dict[str, Any], timeout: float) -> dict[str, Any]:
        executor = self._ensure_loaded()
        request = wire.decode(wire.encode(message), resolve=executor.resolve)
        reply = executor.handle(request)
        try:
            frame = wire.encode(reply, on_unknown=executor.keep)
        except wire.WireError as exc:
            frame = wire.encode({"raised": "TypeError", "msg": f"returned a value that cannot be graded ({exc})",
                                 "where": ""})
        return wire.decode(frame, resolve=self._resolve)  # type: ignore[no-any-return]
