"""The value-only wire format between the trusted grader and the sandbox child.

A message is one frame::

    u32 header_len | header (UTF-8 JSON) | buffer_0 | buffer_1 | ...

The header is ``{"msg": <tree>, "bufs": [len_0, len_1, ...]}``. The tree is plain JSON where every
JSON object is a one-tag wrapper, so a student's dict can never pose as an array or a handle:

    {"__t": [...]}                         tuple
    {"__d": {key: value}}                  dict with str keys
    {"__dk": [[key, value], ...]}          dict with int/float/bool/None/tuple keys
    {"__a": i, "dtype": d, "shape": [...]} numpy array (raw bytes in buffer i)
    {"__s": i, "dtype": d}                 numpy scalar
    {"__T": i, "dtype": d, "shape": [...]} torch tensor (plain, detached, CPU)
    {"__G": i}                             torch.Generator (its state bytes)
    {"__R": {...}}                         numpy Generator (PCG64 state, big ints as strings)
    {"__M": cls, "kwargs": {...}, "state": {...}, "flags": {...}}  an allow-listed torch.nn module
    {"__h": id, "cls": name}               a handle to an object that stays in the child
    {"__f": name}                          a function or class of the submission, by name
    {"__x": name}                          a float that JSON cannot spell: "nan", "inf", "-inf"

Nothing is ever pickled. The decoder is the trust boundary: it checks sizes, dtypes, shapes and
nesting before building anything, and builds only plain numpy/torch/builtin values.
"""

from __future__ import annotations

import json
import math
import socket
import struct
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

MAX_HEADER_BYTES = 16 * 1024 * 1024
MAX_MESSAGE_BYTES = 512 * 1024 * 1024
MAX_DEPTH = 48
MAX_NODES = 200_000

# dtype names that may cross, and their numpy / torch twins.
NUMPY_DTYPES = {
    "bool": np.bool_, "int8": np.int8, "int16": np.int16, "int32": np.int32, "int64": np.int64,
    "uint8": np.uint8, "uint16": np.uint16, "uint32": np.uint32, "uint64": np.uint64,
    "float16": np.float16, "float32": np.float32, "float64": np.float64,
    "complex64": np.complex64, "complex128": np.complex128,
}
TORCH_DTYPES = {
    "bool": torch.bool, "int8": torch.int8, "int16": torch.int16, "int32": torch.int32,
    "int64": torch.int64, "uint8": torch.uint8, "float16": torch.float16,
    "bfloat16": torch.bfloat16, "float32": torch.float32, "float64": torch.float64,
    "complex64": torch.complex64, "complex128": torch.complex128,
}
_TORCH_DTYPE_NAMES = {v: k for k, v in TORCH_DTYPES.items()}

# torch.nn classes the grader may hand to a submission (rebuilt from kwargs + state in the child).
MODULE_CLASSES: dict[str, type[torch.nn.Module]] = {
    "LSTM": torch.nn.LSTM, "GRU": torch.nn.GRU, "RNN": torch.nn.RNN,
    "LSTMCell": torch.nn.LSTMCell, "GRUCell": torch.nn.GRUCell, "RNNCell": torch.nn.RNNCell,
    "Linear": torch.nn.Linear, "Embedding": torch.nn.Embedding,
}
_MODULE_KWARGS = {
    "LSTM": ("input_size", "hidden_size", "num_layers", "bias", "batch_first", "dropout",
             "bidirectional", "proj_size"),
    "GRU": ("input_size", "hidden_size", "num_layers", "bias", "batch_first", "dropout",
            "bidirectional"),
    "RNN": ("input_size", "hidden_size", "num_layers", "nonlinearity", "bias", "batch_first",
            "dropout", "bidirectional"),
    "LSTMCell": ("input_size", "hidden_size", "bias"),
    "GRUCell": ("input_size", "hidden_size", "bias"),
    "RNNCell": ("input_size", "hidden_size", "bias", "nonlinearity"),
    "Linear": ("in_features", "out_features", "bias"),
    "Embedding": ("num_embeddings", "embedding_dim", "padding_idx"),
}


class WireError(Exception):
    """A frame or value that breaks the protocol (too big, malformed, not allowed)."""


@dataclass(frozen=True)
class FunctionRef:
    """Names a function or class of the submission module, to pass it as an argument."""

    name: str


@dataclass(frozen=True)
class HandleRef:
    """A reference to an object that lives in the child (see ``sandbox.client.RemoteHandle``)."""

    id: int
    cls: str


@dataclass
class ModuleState:
    """A torch.nn module as data: its class, constructor kwargs, tensors and parameter flags.

    ``flags[name]`` holds ``{"parameter": bool, "leaf": bool, "requires_grad": bool}`` per parameter,
    as the module reported them (so in-place APIs can be checked for keeping leaf Parameters).
    """

    cls: str
    kwargs: dict[str, Any]
    state: dict[str, torch.Tensor]
    flags: dict[str, dict[str, bool]] = field(default_factory=dict)

    @classmethod
    def of(cls, module: torch.nn.Module) -> ModuleState:
        name = type(module).__name__
        if MODULE_CLASSES.get(name) is not type(module):
            raise WireError(f"torch module {name} cannot cross the sandbox boundary")
        kwargs = {k: getattr(module, k) for k in _MODULE_KWARGS[name] if hasattr(module, k)}
        if name in ("Linear",):
            kwargs["bias"] = module.bias is not None
        if name in ("LSTMCell", "GRUCell", "RNNCell"):
            kwargs["bias"] = getattr(module, "bias_ih", None) is not None
        if name == "Embedding" and kwargs.get("padding_idx") is None:
            kwargs.pop("padding_idx", None)
        flags: dict[str, dict[str, bool]] = {}
        state: dict[str, torch.Tensor] = {}
        for pname, value in module.state_dict(keep_vars=True).items():
            state[pname] = value.detach().clone()
            flags[pname] = {
                "parameter": isinstance(value, torch.nn.Parameter),
                "leaf": bool(value.is_leaf),
                "requires_grad": bool(value.requires_grad),
            }
        return cls(name, kwargs, state, flags)

    def build(self, dtype: torch.dtype | None = None) -> torch.nn.Module:
        """Rebuild the module (trusted torch class) with these tensors and requires_grad flags."""
        module = MODULE_CLASSES[self.cls](**self.kwargs)
        first = next(iter(self.state.values()), None)
        module.to(dtype or (first.dtype if first is not None else torch.get_default_dtype()))
        module.load_state_dict(self.state, strict=True)
        for name, param in module.named_parameters():
            param.requires_grad_(self.flags.get(name, {}).get("requires_grad", True))
        return module


# ---------------------------------------------------------------------------------------------
# Encoding (both sides). ``on_unknown`` turns an object that is not a value into a tree node
# (the child uses it to keep the object and send a handle); without it such objects are refused.


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
        if obj is None or t is bool or t is str:
            return obj
        if t is int:
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
        if isinstance(obj, np.ndarray):
            arr = np.ndarray.view(obj, np.ndarray)
            name = arr.dtype.name
            if name in NUMPY_DTYPES and not arr.dtype.hasobject:
                arr = np.ascontiguousarray(arr)
                return {"__a": self.buffer(arr.tobytes()), "dtype": name, "shape": list(arr.shape)}
        elif isinstance(obj, np.generic):
            name = np.dtype(type(obj)).name
            if name in NUMPY_DTYPES:
                return {"__s": self.buffer(np.asarray(obj).tobytes()), "dtype": name}
        elif isinstance(obj, torch.Tensor):
            tensor = torch.Tensor.detach(obj).cpu().contiguous()
            if tensor.dtype in _TORCH_DTYPE_NAMES and tensor.layout == torch.strided:
                raw = tensor.reshape(-1).view(torch.uint8).numpy().tobytes() if tensor.numel() else b""
                return {"__T": self.buffer(raw), "dtype": _TORCH_DTYPE_NAMES[tensor.dtype],
                        "shape": list(tensor.shape)}
        elif t is torch.Generator:
            return {"__G": self.buffer(obj.get_state().numpy().tobytes())}
        elif t is np.random.Generator and type(obj.bit_generator) is np.random.PCG64:
            return {"__R": _json_safe_ints(obj.bit_generator.state)}
        elif t is ModuleState:
            return self._module(obj, depth)
        elif isinstance(obj, torch.nn.Module) and MODULE_CLASSES.get(t.__name__) is t:
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
    header = json.dumps({"msg": tree, "bufs": [len(b) for b in encoder.bufs]},
                        separators=(",", ":")).encode()
    total = len(header) + sum(len(b) for b in encoder.bufs)
    if len(header) > MAX_HEADER_BYTES or total > MAX_MESSAGE_BYTES:
        raise WireError(f"message of {total} bytes is over the limit")
    return b"".join([struct.pack("<I", len(header)), header, *encoder.bufs])


# ---------------------------------------------------------------------------------------------
# Decoding: the only code that reads what the untrusted side wrote.

Resolver = Callable[[str, Any], Any]


class _Decoder:
    def __init__(self, bufs: list[memoryview], resolve: Resolver | None) -> None:
        self.bufs = bufs
        self.used: set[int] = set()
        self.nodes = 0
        self.resolve = resolve

    def buf(self, index: Any) -> memoryview:
        if type(index) is not int or not 0 <= index < len(self.bufs) or index in self.used:
            raise WireError("bad buffer reference")
        self.used.add(index)
        return self.bufs[index]

    def dec(self, node: Any, depth: int = 0) -> Any:
        self.nodes += 1
        if depth > MAX_DEPTH or self.nodes > MAX_NODES:
            raise WireError("value is nested too deeply or has too many parts")
        t = type(node)
        if node is None or t in (bool, int, float, str):
            return node
        if t is list:
            return [self.dec(v, depth + 1) for v in node]
        if t is not dict or not node:
            raise WireError("malformed value")
        tag = next(iter(node))
        body = node[tag]
        if tag == "__t" and len(node) == 1 and type(body) is list:
            return tuple(self.dec(v, depth + 1) for v in body)
        if tag == "__d" and len(node) == 1 and type(body) is dict:
            return {k: self.dec(v, depth + 1) for k, v in body.items()}
        if tag == "__dk" and len(node) == 1 and type(body) is list:
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
        if tag == "__T" and set(node) == {"__T", "dtype", "shape"}:
            return self._tensor(body, node["dtype"], node["shape"])
        if tag == "__G" and len(node) == 1:
            gen = torch.Generator()
            raw = self.buf(body)
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
            if tag == "__h" and set(node) == {"__h", "cls"} and type(body) is int:
                return self.resolve("handle", (body, str(node["cls"])))
            if tag == "__f" and len(node) == 1 and type(body) is str:
                return self.resolve("function", body)
        raise WireError(f"value tag {tag!r} is not allowed here")

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

    def _module(self, node: dict[str, Any], depth: int) -> ModuleState:
        cls = node["__M"]
        if cls not in MODULE_CLASSES:
            raise WireError(f"torch module {cls!r} is not allowed")
        kwargs = self.dec(node["kwargs"], depth + 1)
        state = self.dec(node["state"], depth + 1)
        flags = self.dec(node["flags"], depth + 1)
        if (type(kwargs) is not dict or set(kwargs) - set(_MODULE_KWARGS[cls])
                or any(type(v) not in (int, bool, float, str) for v in kwargs.values())):
            raise WireError("bad module arguments")
        if type(state) is not dict or any(not isinstance(v, torch.Tensor) for v in state.values()):
            raise WireError("bad module state")
        if type(flags) is not dict or any(
            type(f) is not dict or any(type(b) is not bool for b in f.values()) for f in flags.values()
        ):
            raise WireError("bad module flags")
        return ModuleState(cls, kwargs, state, flags)


def _dtype(name: Any, table: dict[str, Any]) -> Any:
    if type(name) is not str or name not in table:
        raise WireError(f"dtype {name!r} is not allowed")
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


def decode(frame_body: bytes | memoryview, resolve: Resolver | None = None) -> Any:
    """Decode a frame body (without the length prefix) into a value tree."""
    view = memoryview(frame_body)
    if len(view) < 4:
        raise WireError("truncated frame")
    (header_len,) = struct.unpack("<I", view[:4])
    if header_len > MAX_HEADER_BYTES or 4 + header_len > len(view):
        raise WireError("bad header length")
    try:
        header = json.loads(bytes(view[4:4 + header_len]).decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise WireError("header is not JSON") from exc
    if type(header) is not dict or set(header) != {"msg", "bufs"} or type(header["bufs"]) is not list:
        raise WireError("malformed header")
    sizes = header["bufs"]
    if any(type(s) is not int or s < 0 for s in sizes) or 4 + header_len + sum(sizes) != len(view):
        raise WireError("buffer sizes do not match the frame")
    bufs, offset = [], 4 + header_len
    for size in sizes:
        bufs.append(view[offset:offset + size])
        offset += size
    return _Decoder(bufs, resolve).dec(header["msg"])


# ---------------------------------------------------------------------------------------------
# Framing on a stream socket: u64 length, then the frame.


def send_frame(sock: socket.socket, frame: bytes) -> None:
    sock.sendall(struct.pack("<Q", len(frame)) + frame)


def recv_exact(sock: socket.socket, n: int, deadline: float | None = None) -> bytes:
    """Read n bytes; with a deadline (time.monotonic()), raise TimeoutError when it passes."""
    chunks, got = [], 0
    while got < n:
        if deadline is not None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("no complete reply before the deadline")
            sock.settimeout(remaining)
        try:
            chunk = sock.recv(min(n - got, 1 << 20))
        except TimeoutError as exc:
            raise TimeoutError("no complete reply before the deadline") from exc
        if not chunk:
            raise EOFError("peer closed the connection")
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


def recv_frame(
    sock: socket.socket, limit: int = MAX_MESSAGE_BYTES, deadline: float | None = None
) -> bytes:
    (size,) = struct.unpack("<Q", recv_exact(sock, 8, deadline))
    if size > limit:
        raise WireError(f"reply of {size} bytes is over the {limit}-byte limit")
    return recv_exact(sock, size, deadline)
