"""The public tests' fixtures: ``impl`` is your exercise file, imported in this process.

The tests call your code through ``impl``: ``impl.fn(...)`` calls your function,
``impl.fn.with_options(errstate=True)(...)`` makes numpy overflow raise during the call,
``impl.fn.inplace(...)`` returns (the return value, the arguments after the call) and
``impl.probe("output_grads", ...)`` runs a small autograd check. The hiring team grades your file
with other (hidden) inputs in the same way; only your exercise files are graded.
"""

from __future__ import annotations

import contextlib
import copy
import importlib.util
import tomllib
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "task(n): the task of exercise.toml that this test covers")


class ModuleState:
    """A torch module after an in-place call: its tensors (``state``), whether each one is still a
    leaf ``nn.Parameter`` (``flags``), and ``build()`` for a copy of the module itself."""

    def __init__(self, module: torch.nn.Module) -> None:
        self._module = copy.deepcopy(module)
        self.state = {k: v.detach().clone() for k, v in module.state_dict(keep_vars=True).items()}
        self.flags = {k: {"parameter": isinstance(v, torch.nn.Parameter), "leaf": bool(v.is_leaf),
                          "requires_grad": bool(v.requires_grad)}
                      for k, v in module.state_dict(keep_vars=True).items()}

    def build(self) -> torch.nn.Module:
        return copy.deepcopy(self._module)


def _snapshot(value: Any) -> Any:
    if isinstance(value, (np.ndarray, torch.Tensor)):
        return value.copy() if isinstance(value, np.ndarray) else value.detach().clone()
    if isinstance(value, (list, tuple)):
        return [_snapshot(v) for v in value]
    return None


def _same(before: Any, after: Any) -> bool:
    if isinstance(before, np.ndarray):
        return bool(np.array_equal(before, after, equal_nan=True))
    if isinstance(before, torch.Tensor):
        return bool(torch.equal(before.nan_to_num(), after.detach().nan_to_num()))
    if isinstance(before, list):
        return all(_same(b, a) for b, a in zip(before, after, strict=False))
    return True


class Call:
    """One function (or method, or class) of your file, called with the tests' options."""

    def __init__(self, target: Any, label: str, dtype: str | None, opts: dict[str, Any] | None = None) -> None:
        self.target, self.label, self.default_dtype = target, label, dtype
        self.opts = {"errstate": False, "dtype": None, "check_mutation": True, "grad": True, **(opts or {})}

    def with_options(self, **opts: Any) -> Call:
        unknown = set(opts) - set(self.opts) - {"return_args"}
        if unknown:
            raise TypeError(f"unknown option(s) {sorted(unknown)}")
        return Call(self.target, self.label, self.default_dtype, {**self.opts, **opts})

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._call(args, kwargs)[0]

    def _call(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, tuple[Any, ...]]:
        """(the return value, the arguments as your code got them). Modules arrive as copies built in
        the call's dtype, as in the grader's sandbox; arrays and tensors are yours."""
        dtype = self.opts["dtype"] or self.default_dtype
        args = tuple(_module_copy(a, dtype) for a in args)
        before = [_snapshot(a) for a in args] if self.opts["check_mutation"] else []
        with contextlib.ExitStack() as stack:
            if self.opts["errstate"]:
                stack.enter_context(np.errstate(over="raise", invalid="raise", divide="raise"))
            if dtype:
                previous = torch.get_default_dtype()
                torch.set_default_dtype(getattr(torch, dtype))
                stack.callback(torch.set_default_dtype, previous)
            stack.enter_context(torch.set_grad_enabled(bool(self.opts["grad"])))
            value = self.target(*args, **kwargs)
        for index, (old, new) in enumerate(zip(before, args, strict=False)):
            if not _same(old, new):
                raise AssertionError(f"{self.label} changed its input argument #{index + 1} in place; work on a copy")
        return (Handle(value, self) if isinstance(self.target, type) else value), args

    def inplace(self, *args: Any, **kwargs: Any) -> tuple[Any, list[Any]]:
        value, sent = self.with_options(check_mutation=False)._call(args, kwargs)
        return value, [ModuleState(a) if isinstance(a, torch.nn.Module) else a for a in sent]


def _module_copy(value: Any, dtype: str | None) -> Any:
    if not isinstance(value, torch.nn.Module):
        return value
    module = copy.deepcopy(value)
    return module.to(getattr(torch, dtype)) if dtype else module


class Handle:
    """An object your class built: its methods are called with the same options."""

    def __init__(self, obj: Any, made_by: Call) -> None:
        self._obj, self._made_by = obj, made_by

    def __getattr__(self, name: str) -> Call:
        return Call(getattr(self._obj, name), f"{self._made_by.label}.{name}", self._made_by.default_dtype,
                    {**self._made_by.opts, "dtype": None})

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.__getattr__("__call__")(*args, **kwargs)

    def get(self, name: str) -> Any:
        return getattr(self._obj, name)


class Impl:
    """Your exercise file as the tests see it."""

    def __init__(self, module: Any, dtype: str | None) -> None:
        self._module, self._dtype = module, dtype

    def __getattr__(self, name: str) -> Call:
        if name.startswith("_") or not hasattr(self._module, name):
            raise AssertionError(f"{self._module.__name__}.py has no {name}: keep the names of the stub")
        return Call(getattr(self._module, name), name, self._dtype)

    def function(self, name: str) -> Call:
        return self.__getattr__(name)

    def probe(self, name: str, *args: Any, **kwargs: Any) -> Any:
        """Run one of rnnkit's probes (``rnnkit/probes.py``, shipped beside the tests) on copies of
        the arguments, as the grader's sandbox does: modules are rebuilt in the exercise's dtype."""
        from rnnkit.probes import PROBES

        if name not in PROBES:
            raise ValueError(f"unknown probe {name!r}; the probes are: {', '.join(sorted(PROBES))}")
        dtype = getattr(torch, self._dtype) if self._dtype else None
        args, kwargs = _copied(list(args), dtype), {k: _copied(v, dtype) for k, v in kwargs.items()}
        with contextlib.ExitStack() as stack:
            if dtype is not None:
                previous = torch.get_default_dtype()
                torch.set_default_dtype(dtype)
                stack.callback(torch.set_default_dtype, previous)
            return PROBES[name](*args, **kwargs)


def _copied(value: Any, dtype: torch.dtype | None) -> Any:
    """What the probe gets: your functions and objects themselves, copies of tensors and modules."""
    if isinstance(value, Call):
        return value.target
    if isinstance(value, Handle):
        return value._obj
    if isinstance(value, torch.Tensor):
        return value.detach().clone()
    if isinstance(value, torch.nn.Module):
        module = copy.deepcopy(value)
        return module.to(dtype) if dtype is not None else module
    if isinstance(value, (tuple, list)):
        return type(value)(_copied(v, dtype) for v in value)
    if isinstance(value, dict):
        return {k: _copied(v, dtype) for k, v in value.items()}
    return value


@pytest.fixture
def impl(request: pytest.FixtureRequest) -> Impl:
    """The exercise file beside the test file (``exercises/NN_module/qNNN_slug/qNNN_slug.py``)."""
    folder = Path(str(request.path)).parent
    meta = tomllib.loads((folder / "exercise.toml").read_text(encoding="utf-8"))
    path = folder / f"{folder.name}.py"
    spec = importlib.util.spec_from_file_location(folder.name, path)
    assert spec is not None and spec.loader is not None, f"cannot load {path}"
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return Impl(module, "float64" if meta.get("library") == "torch" else None)
