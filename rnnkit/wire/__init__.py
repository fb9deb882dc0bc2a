"""The value-only wire format between the trusted grader and the sandbox child.

A message is one frame::

    u32 header_len | header (UTF-8 JSON) | buffer_0 | buffer_1 | ...

The header is ``{"msg": <tree>, "bufs": [len_0, len_1, ...]}``. The tree is plain JSON where every
JSON object is a one-tag wrapper, so a student's dict can never pose as an array or a handle:

    {"__t": [...]}                         tuple
    {"__d": {key: value}}                  dict with str keys
    {"__dk": [[key, value], ...]}          dict with int/float/bool/None/tuple keys (grader to child only)
    {"__a": i, "dtype": d, "shape": [...]} numpy array (raw bytes in buffer i)
    {"__s": i, "dtype": d}                 numpy scalar
    {"__T": i, "dtype": d, "shape": [...]} torch tensor (plain, detached, CPU)
    {"__A": [offset, nbytes], "dtype": d, "shape": [...], "lib": "np"|"torch"}
                                           an argument in the shared arena (grader to child only)
    {"__G": i}                             torch.Generator (its state bytes)
    {"__R": {...}}                         numpy Generator (PCG64 state, big ints as strings)
    {"__M": cls, "kwargs": {...}, "state": {...}, "flags": {...}}  an allow-listed torch.nn module
    {"__h": id, "cls": name}               a handle to an object that stays in the child
    {"__f": name}                          a function or class of the submission, by name
    {"__x": name}                          a float that JSON cannot spell: "nan", "inf", "-inf"

Nothing is ever pickled. The decoder is the trust boundary: what the child sends is decoded under
``REPLY_LIMITS`` (bounded in size, count and time; dict keys short strings; every string made
printable-safe; module states checked against their class) and only plain numpy/torch/builtin
values are built.

    types.py    dtypes, references, WireError      modules.py  ModuleState and its checks
    encoding.py values -> frames                   decoding.py frames -> values, under limits
    frames.py   framing on a stream socket
"""

from rnnkit.wire.decoding import REPLY_LIMITS, TRUSTED_LIMITS, DecodeLimits, Resolver, decode
from rnnkit.wire.encoding import encode
from rnnkit.wire.frames import recv_exact, recv_frame, send_frame
from rnnkit.wire.modules import MODULE_CLASSES, ModuleState
from rnnkit.wire.types import (
    MAX_DEPTH,
    MAX_HEADER_BYTES,
    MAX_MESSAGE_BYTES,
    MAX_NODES,
    NUMPY_DTYPES,
    TORCH_DTYPES,
    FunctionRef,
    HandleRef,
    WireError,
    array_bytes,
)

__all__ = [
    "MAX_DEPTH", "MAX_HEADER_BYTES", "MAX_MESSAGE_BYTES", "MAX_NODES", "MODULE_CLASSES", "NUMPY_DTYPES",
    "REPLY_LIMITS", "TORCH_DTYPES", "TRUSTED_LIMITS", "DecodeLimits", "FunctionRef", "HandleRef",
    "ModuleState", "Resolver", "WireError", "array_bytes", "decode", "encode", "recv_exact", "recv_frame",
    "send_frame",
]
