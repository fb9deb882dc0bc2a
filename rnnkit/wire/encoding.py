"""Encoding (both sides). ``on_unknown`` turns an object that is not a value into a tree node (the
child uses it to keep the object and send a handle); without it such objects are refused."""

from __future__ import annotations

import json
import math
import struct
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import numpy as np

from rnnkit.sandbox.arena import ArenaRef
from rnnkit.wire.modules import MODULE_CLASSES, ModuleState
from rnnkit.wire.types import (
    MAX_DEPTH,
    MAX_HEADER_BYTES,
    MAX_MESSAGE_BYTES,
    MAX_NODES,
    NUMPY_DTYPES,
    FunctionRef,
    HandleRef,
    WireError,
    array_bytes,
    torch,
)


class _Encoder:
    def __init__(self, on_unknown: Callable[[Any], dict[str, Any]] | None) -> None:
        self.bufs: list[bytes] = []
        self.nodes = 0
        self.on_unknown = on_unknown

    def buffer(self, data: bytes) -> int:
        self.bufs.append(data)
        return len(self.bufs) - 1

    def enc(self, obj: Any, depth: int = 0) -> Any:
        self.nodes += 1
        if depth > MAX_DEPTH or self.nodes > MAX_NODES:
            raise WireError("value is nested too deeply or has too many parts")
        t = type(obj)
        if obj is None or t is bool or t is str or t is int:
            return obj
        if t is float:
            return obj if math.isfinite(obj) else {"__x": repr(obj)}
        if t is list:
            return [self.enc(v, depth + 1) for v in obj]
        if t is tuple:
            return {"__t": [self.enc(v, depth + 1) for v in obj]}
        if t is dict or t is OrderedDict:
            if all(type(k) is str for k in obj):
                return {"__d": {k: self.enc(v, depth + 1) for k, v in obj.items()}}
            return {"__dk": [[self.enc(k, depth + 1), self.enc(v, depth + 1)] for k, v in obj.items()]}
        if isinstance(obj, np.ndarray) or (torch is not None and isinstance(obj, torch.Tensor)):
            found = array_bytes(obj)
            if found is not None:
                raw, dtype, shape, lib = found
                return {"__a" if lib == "np" else "__T": self.buffer(raw), "dtype": dtype, "shape": list(shape)}
        elif isinstance(obj, np.generic):
            name = np.dtype(type(obj)).name
            if name in NUMPY_DTYPES:
                return {"__s": self.buffer(np.asarray(obj).tobytes()), "dtype": name}
        elif t is ArenaRef:
            return {"__A": [obj.offset, obj.nbytes], "dtype": obj.dtype, "shape": list(obj.shape), "lib": obj.lib}
        elif t is np.random.Generator and type(obj.bit_generator) is np.random.PCG64:
            return {"__R": _json_safe_ints(obj.bit_generator.state)}
        elif torch is not None and t is torch.Generator:  # (no torch values in a numpy-only child)
            return {"__G": self.buffer(obj.get_state().numpy().tobytes())}
        elif t is ModuleState:
            return self._module(obj, depth)
        elif torch is not None and isinstance(obj, torch.nn.Module) and MODULE_CLASSES.get(t.__name__) is t:
            return self._module(ModuleState.of(obj), depth)
        elif t is FunctionRef:
            return {"__f": obj.name}
        elif t is HandleRef:
            return {"__h": obj.id, "cls": obj.cls}
        if self.on_unknown is not None:
            return self.on_unknown(obj)
        raise WireError(f"a {t.__name__} cannot cross the sandbox boundary")

    def _module(self, ms: ModuleState, depth: int) -> dict[str, Any]:
        return {"__M": ms.cls, "kwargs": self.enc(ms.kwargs, depth + 1),
                "state": self.enc(ms.state, depth + 1), "flags": self.enc(ms.flags, depth + 1)}


def _json_safe_ints(obj: Any) -> Any:
    """numpy generator states hold 128-bit ints: send every int as a string."""
    if isinstance(obj, dict):
        return {str(k): _json_safe_ints(v) for k, v in obj.items()}
    if isinstance(obj, int) and not isinstance(obj, bool):
        return str(obj)
    return obj


def encode(obj: Any, on_unknown: Callable[[Any], dict[str, Any]] | None = None) -> bytes:
    """Encode a message (a value tree) into one frame."""
    encoder = _Encoder(on_unknown)
    tree = encoder.enc(obj)
    # ensure_ascii: a lone surrogate in a string travels as an escape, never as invalid UTF-8
    header = json.dumps({"msg": tree, "bufs": [len(b) for b in encoder.bufs]}, separators=(",", ":")).encode()
    total = len(header) + sum(len(b) for b in encoder.bufs)
    if len(header) > MAX_HEADER_BYTES or total > MAX_MESSAGE_BYTES:
        raise WireError(f"message of {total} bytes is over the limit")
    return b"".join([struct.pack("<I", len(header)), header, *encoder.bufs])
