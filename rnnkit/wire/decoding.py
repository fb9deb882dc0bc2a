"""Decoding: the only code that reads what the other side wrote.

The grader decodes the child's replies under ``REPLY_LIMITS``: a small frame must not make the
trusted grader spend gigabytes (millions of empty buffers, a module whose arguments claim huge
sizes) or minutes (dict keys that all share one hash), so decoding is bounded in size, count and
time, dict keys are short strings, every string is made safe to print (lone surrogates become
U+FFFD), and a module state must be exactly what its class and arguments make. The child decodes
the grader's requests under ``TRUSTED_LIMITS`` (arena references and any hashable keys allowed).
"""

from __future__ import annotations

import json
import math
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from rnnkit.sandbox.arena import Arena, ArenaRef
from rnnkit.wire.modules import MODULE_CLASSES, MODULE_KWARGS, ModuleState
from rnnkit.wire.types import (
    MAX_DEPTH,
    MAX_HEADER_BYTES,
    MAX_MESSAGE_BYTES,
    MAX_NODES,
    NUMPY_DTYPES,
    TORCH_DTYPES,
    WireError,
    torch,
)

Resolver = Callable[[str, Any], Any]
_TORCH_GENERATOR_STATE_BYTES = len(torch.Generator().get_state()) if torch is not None else 0


@dataclass(frozen=True)
class DecodeLimits:
    header_bytes: int = MAX_HEADER_BYTES
    message_bytes: int = MAX_MESSAGE_BYTES
    buffers: int = MAX_NODES
    nodes: int = MAX_NODES
    key_chars: int | None = None  # None: any hashable key; else str keys of at most this length
    check_modules: bool = False  # a module state must match its class and arguments
    arena_refs: bool = True  # whether "__A" nodes are allowed (grader to child only)


TRUSTED_LIMITS = DecodeLimits()
REPLY_LIMITS = DecodeLimits(header_bytes=4 << 20, message_bytes=64 << 20, buffers=4096, nodes=100_000,
                            key_chars=200, check_modules=True, arena_refs=False)
_CLOCK_EVERY = 1024  # nodes between two looks at the deadline


def _safe_text(text: str) -> str:
    """A string that encodes as UTF-8 (JSON escapes may carry lone surrogates)."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return text.encode("utf-8", "replace").decode("utf-8")


class _Decoder:
    def __init__(self, bufs: list[memoryview], resolve: Resolver | None, limits: DecodeLimits,
                 deadline: float | None, arena: Arena | None) -> None:
        self.bufs = bufs
        self.used: set[int] = set()
        self.nodes = 0
        self.resolve = resolve
        self.limits = limits
        self.deadline = deadline
        self.arena = arena

    def buf(self, index: Any) -> memoryview:
        if type(index) is not int or not 0 <= index < len(self.bufs) or index in self.used:
            raise WireError("bad buffer reference")
        self.used.add(index)
        return self.bufs[index]

    def _count(self, depth: int) -> None:
        self.nodes += 1
        if depth > MAX_DEPTH or self.nodes > self.limits.nodes:
            raise WireError("value is nested too deeply or has too many parts")
        if self.deadline is not None and self.nodes % _CLOCK_EVERY == 0 and time.monotonic() > self.deadline:
            raise TimeoutError("decoding the reply took longer than the call may")

    def key(self, node: Any, depth: int) -> Any:
        if self.limits.key_chars is not None:
            if type(node) is not str or len(node) > self.limits.key_chars:
                raise WireError(f"dict keys must be strings of at most {self.limits.key_chars} characters")
            return _safe_text(node)
        return node

    def dec(self, node: Any, depth: int = 0) -> Any:
        self._count(depth)
        t = type(node)
        if node is None or t in (bool, int, float):
            return node
        if t is str:
            return _safe_text(node)
        if t is list:
            return [self.dec(v, depth + 1) for v in node]
        if t is not dict or not node:
            raise WireError("malformed value")
        tag = next(iter(node))
        body = node[tag]
        if tag == "__t" and len(node) == 1 and type(body) is list:
            return tuple(self.dec(v, depth + 1) for v in body)
        if tag == "__d" and len(node) == 1 and type(body) is dict:
            return {self.key(k, depth): self.dec(v, depth + 1) for k, v in body.items()}
        if tag == "__dk" and len(node) == 1 and type(body) is list and self.limits.key_chars is None:
            out: dict[Any, Any] = {}
            for pair in body:
                if type(pair) is not list or len(pair) != 2:
                    raise WireError("malformed dict")
                key = self.dec(pair[0], depth + 1)
                if type(key) not in (int, float, bool, str, tuple) and key is not None:
                    raise WireError("unhashable dict key")
                out[key] = self.dec(pair[1], depth + 1)
            return out
        if tag == "__x" and len(node) == 1 and body in ("nan", "inf", "-inf"):
            return float(body)
        if tag == "__a" and set(node) == {"__a", "dtype", "shape"}:
            dtype = np.dtype(_dtype(node["dtype"], NUMPY_DTYPES))
            shape = _shape(node["shape"])
            raw = self.buf(body)
            if len(raw) != dtype.itemsize * math.prod(shape):
                raise WireError("array size does not match its shape")
            return np.frombuffer(raw, dtype=dtype).reshape(shape).copy()
        if tag == "__s" and set(node) == {"__s", "dtype"}:
            dtype = np.dtype(_dtype(node["dtype"], NUMPY_DTYPES))
            raw = self.buf(body)
            if len(raw) != dtype.itemsize:
                raise WireError("scalar size does not match its dtype")
            return np.frombuffer(raw, dtype=dtype)[0].copy()
        if tag in ("__T", "__G", "__M") and torch is None:
            raise WireError("torch values cannot cross into a numpy-only sandbox")
        if tag == "__T" and set(node) == {"__T", "dtype", "shape"}:
            return self._tensor(body, node["dtype"], node["shape"])
        if tag == "__A" and set(node) == {"__A", "dtype", "shape", "lib"} and self.limits.arena_refs:
            return self._arena(node)
        if tag == "__G" and len(node) == 1:
            raw = self.buf(body)
            if len(raw) != _TORCH_GENERATOR_STATE_BYTES:
                raise WireError("bad generator state")
            gen = torch.Generator()
            try:
                gen.set_state(torch.frombuffer(bytearray(raw), dtype=torch.uint8))
            except (RuntimeError, ValueError) as exc:
                raise WireError("bad generator state") from exc
            return gen
        if tag == "__R" and len(node) == 1 and type(body) is dict:
            return _numpy_generator(body)
        if tag == "__M" and set(node) == {"__M", "kwargs", "state", "flags"}:
            return self._module(node, depth)
        if tag in ("__h", "__f") and self.resolve is not None:
            if tag == "__h" and set(node) == {"__h", "cls"} and type(body) is int and type(node["cls"]) is str:
                return self.resolve("handle", (body, _safe_text(node["cls"][:80])))
            if tag == "__f" and len(node) == 1 and type(body) is str:
                return self.resolve("function", body)
        raise WireError(f"value tag {str(tag)[:40]!r} is not allowed here")

    def _tensor(self, index: Any, dtype_name: Any, shape_node: Any) -> torch.Tensor:
        dtype = _dtype(dtype_name, TORCH_DTYPES)
        shape = _shape(shape_node)
        raw = self.buf(index)
        itemsize = torch.empty((), dtype=dtype).element_size()
        if len(raw) != itemsize * math.prod(shape):
            raise WireError("tensor size does not match its shape")
        if not len(raw):
            return torch.empty(shape, dtype=dtype)
        return torch.frombuffer(bytearray(raw), dtype=torch.uint8).view(dtype).reshape(shape)

    def _arena(self, node: dict[str, Any]) -> Any:
        if self.arena is None:
            raise WireError("an arena reference without an arena")
        where = node["__A"]
        if type(where) is not list or len(where) != 2 or any(type(v) is not int for v in where):
            raise WireError("bad arena reference")
        lib = node["lib"]
        table = TORCH_DTYPES if lib == "torch" else NUMPY_DTYPES if lib == "np" else None
        if table is None:
            raise WireError("bad arena reference")
        _dtype(node["dtype"], table)
        ref = ArenaRef(where[0], where[1], node["dtype"], _shape(node["shape"]), lib)
        try:
            return self.arena.array(ref)
        except (ValueError, RuntimeError) as exc:
            raise WireError("bad arena reference") from exc

    def _module(self, node: dict[str, Any], depth: int) -> ModuleState:
        cls = node["__M"]
        if type(cls) is not str or cls not in MODULE_CLASSES:
            raise WireError(f"torch module {str(cls)[:40]!r} is not allowed")
        kwargs = self.dec(node["kwargs"], depth + 1)
        if (type(kwargs) is not dict or set(kwargs) - set(MODULE_KWARGS[cls])
                or any(type(v) not in (int, bool, float, str) for v in kwargs.values())):
            raise WireError("bad module arguments")
        if self.limits.check_modules:
            ModuleState(cls, kwargs, {}).expected_shapes()  # refuse absurd sizes before the tensors
        state = self.dec(node["state"], depth + 1)
        flags = self.dec(node["flags"], depth + 1)
        if type(state) is not dict or any(not isinstance(v, torch.Tensor) for v in state.values()):
            raise WireError("bad module state")
        if type(flags) is not dict or any(
            type(f) is not dict or any(type(b) is not bool for b in f.values()) for f in flags.values()
        ):
            raise WireError("bad module flags")
        module = ModuleState(cls, kwargs, state, flags)
        if self.limits.check_modules:
            module.check()
        return module


def _dtype(name: Any, table: dict[str, Any]) -> Any:
    if type(name) is not str or name not in table:
        raise WireError(f"dtype {str(name)[:40]!r} is not allowed")
    return table[name]


def _shape(node: Any) -> tuple[int, ...]:
    if type(node) is not list or len(node) > 32 or any(type(d) is not int or d < 0 for d in node):
        raise WireError("bad shape")
    if math.prod(node) > MAX_MESSAGE_BYTES:
        raise WireError("shape too large")
    return tuple(node)


def _numpy_generator(state: dict[str, Any]) -> np.random.Generator:
    try:
        if state.get("bit_generator") != "PCG64":
            raise WireError("only PCG64 numpy generators may cross")
        inner = state["state"]
        restored = {
            "bit_generator": "PCG64",
            "state": {"state": int(inner["state"]), "inc": int(inner["inc"])},
            "has_uint32": int(state["has_uint32"]),
            "uinteger": int(state["uinteger"]),
        }
        bitgen = np.random.PCG64()
        bitgen.state = restored  # type: ignore[assignment]
    except (KeyError, TypeError, ValueError) as exc:
        raise WireError("bad numpy generator state") from exc
    return np.random.Generator(bitgen)


def decode(frame_body: bytes | memoryview, resolve: Resolver | None = None,
           limits: DecodeLimits = TRUSTED_LIMITS, deadline: float | None = None,
           arena: Arena | None = None) -> Any:
    """Decode a frame body (without the length prefix) into a value tree; raises WireError on
    anything malformed or over ``limits``, TimeoutError when ``deadline`` (monotonic) passes."""
    view = memoryview(frame_body)
    if len(view) < 4 or len(view) > limits.message_bytes:
        raise WireError("truncated or oversized frame")
    (header_len,) = struct.unpack("<I", view[:4])
    if header_len > limits.header_bytes or 4 + header_len > len(view):
        raise WireError("bad header length")
    try:
        header = json.loads(bytes(view[4:4 + header_len]).decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise WireError("header is not JSON") from exc
    if type(header) is not dict or set(header) != {"msg", "bufs"} or type(header["bufs"]) is not list:
        raise WireError("malformed header")
    sizes = header["bufs"]
    if len(sizes) > limits.buffers:
        raise WireError(f"more than {limits.buffers} buffers in one message")
    if any(type(s) is not int or s < 0 for s in sizes) or 4 + header_len + sum(sizes) != len(view):
        raise WireError("buffer sizes do not match the frame")
    bufs, offset = [], 4 + header_len
    for size in sizes:
        bufs.append(view[offset:offset + size])
        offset += size
    return _Decoder(bufs, resolve, limits, deadline, arena).dec(header["msg"])
