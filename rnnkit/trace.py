"""Every request a test makes of the submission, as values that can be compared (for diagnosis).

A ``Trace`` observes one ``impl`` (``Submission.observer``) during one test: each call, attribute
read and probe, in order, with what was asked (target, options, the arguments as they were when
sent) and what came back (the value as it arrived, or the class of the exception). Everything is
copied into ``Node`` trees at once, so later changes by the test do not matter.

Two traces of one test (the submission's, a known mistake's) are the same when they make the
same requests and get the same replies, compared as ``rnnkit.testing`` compares values, with the
kit's tightest tolerances (float64: rtol 1e-10, atol 1e-12; float32: rtol 1e-5, atol 1e-6), and
exactly for everything else (kinds, shapes, dtypes, integers, strings, exception classes).

Some parts of a reply are the code's own business. A value the test hands back to the code (a
cache: an argument that *is* an earlier reply, recorded as a reference to it) is "opaque": not
compared at all, only what the code makes of it later. Values that are random (``random``, from
``value_differences`` of two runs of one mistake under different torch seeds: an object's initial
parameters) are compared by kind only (type, shape, dtype).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from rnnkit import wire
from rnnkit.errors import SubmissionProblem
from rnnkit.sandbox.remote import RemoteHandle
from rnnkit.testing import TORCH_ATOL, TORCH_RTOL

Path = tuple[Any, ...]
TOLERANCES = {"float64": (TORCH_RTOL, TORCH_ATOL), "complex128": (TORCH_RTOL, TORCH_ATOL),
              "float32": (1e-5, 1e-6), "complex64": (1e-5, 1e-6),
              "float16": (1e-2, 1e-3), "bfloat16": (1e-2, 1e-3)}


class Diverged(BaseException):
    """A trace being compared as it runs has left the one it follows (a BaseException, so that
    a test's own ``except Exception`` or ``pytest.raises`` cannot swallow it)."""


@dataclass(frozen=True, eq=False)
class Node:
    """A copied value: ``kind`` must match exactly; ``value`` within tolerance; then ``items``."""

    kind: str
    value: Any = None
    items: tuple[tuple[Any, Node], ...] = ()


@dataclass
class Event:
    request: Node
    reply: Node


def _array_node(kind: str, values: np.ndarray) -> Node:
    return Node(f"{kind} {values.dtype} {values.shape}", values)


def _tensor_values(t: torch.Tensor) -> np.ndarray:
    t = t.detach().cpu().resolve_conj().resolve_neg()
    return (t.float() if t.dtype == torch.bfloat16 else t).numpy().copy()


@dataclass
class Trace:
    """An observer that records (and, given ``follow``, checks as it goes: ``Diverged``)."""

    follow: Trace | None = None
    opaque: set[Path] = field(default_factory=set)  # reply paths handed back to the code: not compared
    wrap: Callable[[int, Callable[[], Any]], Any] | None = None  # runs each request (seeding, say)
    events: list[Event] = field(default_factory=list)
    handles: int = 0  # objects the code handed out (their order names them)
    unimplemented: bool = False  # a request raised NotImplementedError (a stub's function)
    _handle_ids: dict[Any, int] = field(default_factory=dict)
    _reply_ids: dict[int, Path] = field(default_factory=dict)
    _alive: list[Any] = field(default_factory=list)  # the replies themselves: their ids stay theirs

    def observe(self, kind: str, request: tuple[Any, ...], run: Callable[[], Any]) -> Any:
        index = len(self.events)
        asked = Node(kind, None, tuple((k, self._node(v, None)) for k, v in enumerate(request)))
        try:
            value = self.wrap(index, run) if self.wrap is not None else run()
        except Diverged:
            raise
        except BaseException as exc:
            self.unimplemented = self.unimplemented or isinstance(exc, NotImplementedError)
            self._record(Event(asked, Node(f"raised {type(exc).__name__}")))
            raise
        self._alive.append(value)
        self._record(Event(asked, self._node(value, (index,))))
        return value

    def _record(self, event: Event) -> None:
        self.events.append(event)
        if self.follow is not None:
            index = len(self.events) - 1
            if index >= len(self.follow.events) or not same_event(event, self.follow.events[index], index,
                                                                  self.follow.opaque, set()):
                raise Diverged(index)

    # -- values as nodes ------------------------------------------------------------------
    def _node(self, value: Any, path: Path | None) -> Node:
        """``path``: where the value sits in a reply (its parts are registered), None in a request."""
        if path is None and id(value) in self._reply_ids and _registrable(value):
            where = self._reply_ids[id(value)]
            self.opaque.add(where)  # handed back: the code's own state
            return Node("reply", where)
        if path is not None and _registrable(value):
            self._reply_ids.setdefault(id(value), path)
        return self._plain(value, path)

    def _items(self, pairs: Iterable[tuple[Any, Any]], path: Path | None) -> tuple[tuple[Any, Node], ...]:
        return tuple((k, self._node(v, None if path is None else (*path, k))) for k, v in pairs)

    def _plain(self, value: Any, path: Path | None) -> Node:
        if value is None or isinstance(value, (str, bytes)):
            return Node(type(value).__name__, value)
        if isinstance(value, (bool, np.bool_)):
            return Node("bool", bool(value))
        if isinstance(value, (int, np.integer)):
            return Node("int", int(value))
        if isinstance(value, (float, np.floating)):
            return Node("float", float(value))
        if isinstance(value, (complex, np.complexfloating)):
            return Node("complex", complex(value))
        if isinstance(value, np.ndarray):
            return _array_node("array", np.array(value, copy=True))
        if isinstance(value, torch.Tensor):
            return _array_node(f"tensor {str(value.dtype).removeprefix('torch.')}", _tensor_values(value))
        if isinstance(value, (tuple, list)):
            return Node(type(value).__name__, None, self._items(enumerate(value), path))
        if isinstance(value, dict):
            return Node("dict", None, self._items(sorted(((str(k), v) for k, v in value.items()), key=_first), path))
        if isinstance(value, RemoteHandle):
            return Node(f"handle {value.cls_name} #{self._handle_number(value)}")
        if isinstance(value, wire.FunctionRef):
            return Node(f"function {value.name}")
        if isinstance(value, wire.ModuleState):
            parts = {"kwargs": value.kwargs, "state": value.state, "flags": value.flags}
            return Node(f"module {value.cls}", None, self._items(iter(parts.items()), path))
        if isinstance(value, torch.nn.Module):
            state = sorted(value.state_dict().items())
            return Node(f"torch module {type(value).__name__}", None, self._items(iter(state), path))
        if isinstance(value, torch.Generator):
            return Node("torch generator", value.get_state().numpy().copy())
        if isinstance(value, np.random.Generator):
            return Node("numpy generator", repr(value.bit_generator.state))
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            fields = ((f.name, getattr(value, f.name)) for f in dataclasses.fields(value))
            return Node(f"dataclass {type(value).__qualname__}", None, self._items(fields, path))
        return Node(f"object {type(value).__module__}.{getattr(value, '__qualname__', type(value).__qualname__)}")

    def _handle_number(self, handle: RemoteHandle) -> int:
        try:
            key: Any = handle.ref.id
        except SubmissionProblem:  # from a child that has restarted since
            key = ("stale", id(handle))
        if key not in self._handle_ids:
            self._handle_ids[key] = self.handles
            self.handles += 1
        return self._handle_ids[key]


def _registrable(value: Any) -> bool:
    """Values whose identity means something (never small ints, None or the empty tuple)."""
    return isinstance(value, (np.ndarray, torch.Tensor, wire.ModuleState)) or (
        isinstance(value, (tuple, list, dict)) and len(value) > 0)


# -- comparing ------------------------------------------------------------------------------

def close(a: Any, b: Any, kind: str) -> bool:
    """Values of one kind: floats within the kind's tolerance (NaN equals NaN), the rest exactly."""
    if isinstance(a, np.ndarray) and isinstance(b, np.ndarray):
        if a.dtype.kind not in "fc":
            return bool(np.array_equal(a, b))
        name = "bfloat16" if "bfloat16" in kind else a.dtype.name
        return _close_arrays(a, b, *TOLERANCES.get(name, (TORCH_RTOL, TORCH_ATOL)))
    if isinstance(a, (float, complex)) and isinstance(b, (float, complex)):
        return _close_arrays(np.asarray(a), np.asarray(b), TORCH_RTOL, TORCH_ATOL)
    return bool(a == b)


def _close_arrays(a: np.ndarray, b: np.ndarray, rtol: float, atol: float) -> bool:
    with np.errstate(all="ignore"):
        wide = np.complex128 if a.dtype.kind == "c" or b.dtype.kind == "c" else np.float64
        a, b = a.astype(wide), b.astype(wide)
        nan_a, nan_b = np.isnan(a), np.isnan(b)
        if not np.array_equal(nan_a, nan_b):
            return False
        finite = np.isfinite(a) & np.isfinite(b)
        if not np.array_equal(a[~finite & ~nan_a], b[~finite & ~nan_b]):
            return False
        gap = np.abs(a[finite] - b[finite])
        return bool(np.all(gap <= atol + rtol * np.maximum(np.abs(a[finite]), np.abs(b[finite]))))


def differences(a: Node, b: Node, path: Path, opaque: set[Path], random: set[Path],
                values: bool = True) -> Iterator[tuple[Path, bool]]:
    """(path, structural) of every place where two nodes differ: nothing under an opaque path,
    only kinds under a random one."""
    if path in opaque:
        return
    values = values and path not in random
    if a.kind != b.kind or len(a.items) != len(b.items) or [k for k, _ in a.items] != [k for k, _ in b.items]:
        yield path, True
        return
    if values and not close(a.value, b.value, a.kind):
        yield path, False
    for (key, x), (_, y) in zip(a.items, b.items, strict=True):
        yield from differences(x, y, (*path, key), opaque, random, values)


def same_event(a: Event, b: Event, index: int, opaque: set[Path], random: set[Path]) -> bool:
    requests = differences(a.request, b.request, ("request", index), set(), set())
    replies = differences(a.reply, b.reply, (index,), opaque, random)
    return next(requests, None) is None and next(replies, None) is None


def same_trace(a: Trace, b: Trace, random: set[Path]) -> bool:
    """The same requests and replies (what either handed back to the code is not compared)."""
    opaque = a.opaque | b.opaque
    return len(a.events) == len(b.events) and all(
        same_event(x, y, i, opaque, random) for i, (x, y) in enumerate(zip(a.events, b.events, strict=True)))


def value_differences(a: Trace, b: Trace) -> set[Path] | None:
    """Reply paths whose values (not kinds) differ between two runs of the same code; None when
    the runs differ in anything else (then nothing can be said about randomness)."""
    if len(a.events) != len(b.events):
        return None
    found: set[Path] = set()
    for i, (x, y) in enumerate(zip(a.events, b.events, strict=True)):
        if next(differences(x.request, y.request, ("request", i), set(), set()), None) is not None:
            return None
        for where, structural in differences(x.reply, y.reply, (i,), a.opaque | b.opaque, set()):
            if structural:
                return None
            found.add(where)
    return found


def _first(pair: tuple[str, Any]) -> str:
    return pair[0]
