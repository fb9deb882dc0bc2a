"""The argument arena: shared memory that holds a call's arrays, so the grader sees what was done
to them with its own eyes.

The grader writes each array or tensor argument of a call (and the tensors of a torch module it
hands over) into one shared memory file that the child maps too; the child's arguments are views
of those bytes. After the call the grader reads the bytes back from its own mapping: whether the
submission changed an input in place, and the state of the arguments of an in-place API, are
facts read from memory the grader owns, never what the child says about itself. The child only
ever gets the arguments it is given anyway; nothing hidden is written here.

    grader:  Arena.create() -> place(args) -> (args with ArenaRef leaves, [Slot]) -> call -> after(slot)
    child:   Arena.attach(fd) -> ArenaRef decoded as an ndarray / tensor sharing the bytes
"""

from __future__ import annotations

import mmap
import os
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

ARENA_BYTES = 128 << 20  # virtual: only the pages a call touches are memory
_ALIGN = 64


def torch_module() -> type | tuple[()]:
    """torch.nn.Module, or () where torch is out of reach (a numpy-only child)."""
    from rnnkit.wire.types import torch

    return torch.nn.Module if torch is not None else ()


@dataclass(frozen=True)
class ArenaRef:
    """An array in the arena: ``lib`` "np" or "torch", a dtype name and a shape."""

    offset: int
    nbytes: int
    dtype: str
    shape: tuple[int, ...]
    lib: str


@dataclass(frozen=True)
class Slot:
    """Where one argument's bytes went, and what they were: ``arg`` is the top-level position
    (an int) or keyword (a str); ``path`` names the part inside it (a state dict key, an index)."""

    ref: ArenaRef
    arg: int | str
    path: tuple[Any, ...]
    before: bytes


@dataclass
class Arena:
    fd: int
    size: int
    view: mmap.mmap
    _used: int = field(default=0, repr=False)

    @classmethod
    def create(cls, size: int = ARENA_BYTES) -> Arena:
        """The grader's side: a fresh shared memory file (passed to the child by descriptor)."""
        fd = os.memfd_create("rnnkit-arena", os.MFD_CLOEXEC)
        os.ftruncate(fd, size)
        return cls(fd, size, mmap.mmap(fd, size, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE))

    @classmethod
    def attach(cls, fd: int) -> Arena:
        """The child's side: map the grader's file; the descriptor is closed."""
        size = os.fstat(fd).st_size
        view = mmap.mmap(fd, size, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
        os.close(fd)
        return cls(-1, size, view)

    def close(self) -> None:
        try:
            self.view.close()
        except BufferError:
            pass  # arrays still view it (trusted local mode): the mapping goes with them
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1

    # -- grader side ------------------------------------------------------------------------
    def place(self, args: list[Any], kwargs: dict[str, Any],
              to_module_dtype: Callable[[Any], Any] | None = None) -> tuple[list[Any], dict[str, Any], list[Slot]]:
        """Copy the arrays of a call's arguments into the arena (from offset 0: one call at a time).
        Returns the arguments with ArenaRef leaves and the slots to compare after the call. An
        array that does not fit stays inline (and is then not checked for changes)."""
        self._used = 0
        slots: list[Slot] = []
        placed_args = [self._place(a, i, (), slots, to_module_dtype) for i, a in enumerate(args)]
        placed_kwargs = {k: self._place(v, k, (), slots, to_module_dtype) for k, v in kwargs.items()}
        return placed_args, placed_kwargs, slots

    def _place(self, value: Any, arg: int | str, path: tuple[Any, ...], slots: list[Slot],
               to_module_dtype: Callable[[Any], Any] | None) -> Any:
        from rnnkit.wire import (  # the wire imports this module
            MODULE_CLASSES,
            ModuleState,
            array_bytes,
        )

        if isinstance(value, (list, tuple)):
            items = [self._place(v, arg, (*path, i), slots, to_module_dtype) for i, v in enumerate(value)]
            return items if isinstance(value, list) else tuple(items)
        if type(value) is dict:
            return {k: self._place(v, arg, (*path, k), slots, to_module_dtype) for k, v in value.items()}
        if isinstance(value, torch_module()) and MODULE_CLASSES.get(type(value).__name__) is type(value):
            value = ModuleState.of(value)  # an allow-listed module the grader built: its tensors go here too
        if isinstance(value, ModuleState):
            state = to_module_dtype(value) if to_module_dtype is not None else value
            tensors = {k: self._place(t, arg, (*path, "state", k), slots, None) for k, t in state.state.items()}
            return replace(state, state=tensors)
        found = array_bytes(value)
        if found is None:
            return value
        raw, dtype, shape, lib = found
        if not raw or self._used + len(raw) > self.size:
            return value
        offset = self._used
        self.view[offset:offset + len(raw)] = raw
        self._used = -(-(offset + len(raw)) // _ALIGN) * _ALIGN
        ref = ArenaRef(offset, len(raw), dtype, shape, lib)
        slots.append(Slot(ref, arg, path, raw))
        return ref

    def bytes_now(self, slot: Slot) -> bytes:
        return self.view[slot.ref.offset:slot.ref.offset + slot.ref.nbytes]

    def changed(self, slot: Slot) -> bool:
        return self.bytes_now(slot) != slot.before

    # -- child side -------------------------------------------------------------------------
    def array(self, ref: ArenaRef) -> Any:
        """The shared bytes as a writable ndarray or tensor (no copy)."""
        if ref.offset < 0 or ref.nbytes <= 0 or ref.offset + ref.nbytes > self.size:
            raise ValueError("arena reference out of range")
        if ref.lib == "torch":
            import torch

            from rnnkit.wire import TORCH_DTYPES

            dtype = TORCH_DTYPES[ref.dtype]
            flat = torch.frombuffer(self.view, dtype=torch.uint8, count=ref.nbytes, offset=ref.offset)
            return flat.view(dtype).reshape(ref.shape)
        from rnnkit.wire import NUMPY_DTYPES

        count = ref.nbytes // np.dtype(NUMPY_DTYPES[ref.dtype]).itemsize
        return np.frombuffer(self.view, dtype=NUMPY_DTYPES[ref.dtype], count=count,
                             offset=ref.offset).reshape(ref.shape)
