"""What may cross: dtype tables, the reference types, the protocol's error and its size limits."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

try:
    import torch
except ImportError:  # a numpy-only sandbox child: torch is out of its reach (see sandbox/zygote.py)
    torch = None  # type: ignore[assignment]

__all__ = ["MAX_DEPTH", "MAX_HEADER_BYTES", "MAX_MESSAGE_BYTES", "MAX_NODES", "NUMPY_DTYPES", "TORCH_DTYPES",
           "TORCH_DTYPE_NAMES", "FunctionRef", "HandleRef", "WireError", "array_bytes", "torch"]

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
TORCH_DTYPES = {} if torch is None else {
    "bool": torch.bool, "int8": torch.int8, "int16": torch.int16, "int32": torch.int32,
    "int64": torch.int64, "uint8": torch.uint8, "float16": torch.float16,
    "bfloat16": torch.bfloat16, "float32": torch.float32, "float64": torch.float64,
    "complex64": torch.complex64, "complex128": torch.complex128,
}
TORCH_DTYPE_NAMES = {v: k for k, v in TORCH_DTYPES.items()}


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


def array_bytes(obj: Any) -> tuple[bytes, str, tuple[int, ...], str] | None:
    """(raw bytes, dtype name, shape, "np" or "torch") of an array or tensor that may cross, else None."""
    if isinstance(obj, np.ndarray):
        arr = np.ndarray.view(obj, np.ndarray)
        if arr.dtype.name in NUMPY_DTYPES and not arr.dtype.hasobject:
            arr = np.ascontiguousarray(arr)
            return arr.tobytes(), arr.dtype.name, tuple(arr.shape), "np"
    elif torch is not None and isinstance(obj, torch.Tensor):
        # clone(contiguous_format), not .contiguous(): a tensor whose size-1 dims carry other
        # strides counts as contiguous, and its bytes then cannot be viewed (x[:, 1] of a (1, T) x)
        tensor = torch.Tensor.detach(obj).cpu().clone(memory_format=torch.contiguous_format)
        if tensor.dtype in TORCH_DTYPE_NAMES and tensor.layout == torch.strided:
            raw = tensor.reshape(-1).view(torch.uint8).numpy().tobytes() if tensor.numel() else b""
            return raw, TORCH_DTYPE_NAMES[tensor.dtype], tuple(tensor.shape), "torch"
    return None
