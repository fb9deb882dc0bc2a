"""Checks for hidden and public tests, with messages written for students.

Every check first rebuilds what came back as a plain value of the expected kind and exact shape,
then compares numbers. Messages say what was called, what came back and how far it is from the
reference; they never print a hidden input or an expected value.

Tolerances (catalogue section 2 with its errata):
    FWD_REL = 1e-8          rel_error_elem, numpy forward passes against golden/reference values
    TORCH_RTOL, TORCH_ATOL  float64 comparisons against torch.nn modules
    NUMGRAD_REL = 1e-7      rel_error_global, numerical gradients (errata item 1)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

FWD_REL = 1e-8
TORCH_RTOL, TORCH_ATOL = 1e-10, 1e-12
NUMGRAD_REL = 1e-7


def _kind(value: Any) -> str:
    if isinstance(value, np.ndarray):
        return f"a numpy array of shape {value.shape} and dtype {value.dtype}"
    if isinstance(value, torch.Tensor):
        return f"a torch tensor of shape {tuple(value.shape)} and dtype {value.dtype}"
    return f"a {type(value).__name__}"


def rel_error_elem(x: Any, y: Any) -> float:
    """CS231n's rel_error, elementwise: max |x - y| / max(1e-8, |x| + |y|)."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    return float(np.max(np.abs(x - y) / np.maximum(1e-8, np.abs(x) + np.abs(y)))) if x.size else 0.0


def rel_error_global(x: Any, y: Any) -> float:
    """max |x - y| / max(1e-8, max(|x| + |y|)): for numerical-gradient checks (errata item 1)."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    return float(np.max(np.abs(x - y)) / max(1e-8, float(np.max(np.abs(x) + np.abs(y))))) if x.size else 0.0


def expect_tuple(value: Any, length: int, name: str) -> tuple[Any, ...]:
    """A tuple (or list) of exactly ``length`` items."""
    if not isinstance(value, (tuple, list)):
        raise AssertionError(f"{name} should return a tuple of {length} values, got {_kind(value)}")
    if len(value) != length:
        raise AssertionError(f"{name} should return {length} values, got {len(value)}")
    return tuple(value)


def expect_dict(value: Any, keys: Sequence[str], name: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise AssertionError(f"{name} should return a dict, got {_kind(value)}")
    if set(value) != set(keys):
        raise AssertionError(f"{name} should return the keys {sorted(keys)}, got {sorted(map(str, value))}")
    return value


def expect_array(value: Any, shape: tuple[int, ...], name: str, dtype: Any = None,
                 finite: bool = True) -> np.ndarray:
    """A plain numpy array of exactly this shape (no broadcasting, no lists, no 0-d stand-ins)."""
    if not isinstance(value, np.ndarray):
        raise AssertionError(f"{name} should be a numpy array of shape {shape}, got {_kind(value)}")
    if value.shape != tuple(shape):
        raise AssertionError(f"{name} has shape {value.shape}, expected {tuple(shape)}")
    if dtype is not None and value.dtype != np.dtype(dtype):
        raise AssertionError(f"{name} has dtype {value.dtype}, expected {np.dtype(dtype)}")
    if value.dtype.kind not in "biufc":
        raise AssertionError(f"{name} has dtype {value.dtype}, expected a number type")
    if finite and value.dtype.kind in "fc" and not np.isfinite(value).all():
        raise AssertionError(f"{name} contains NaN or inf")
    return value


def expect_tensor(value: Any, shape: tuple[int, ...], name: str, dtype: torch.dtype | None = None,
                  finite: bool = True) -> torch.Tensor:
    """A plain torch tensor of exactly this shape."""
    if not isinstance(value, torch.Tensor):
        raise AssertionError(f"{name} should be a torch tensor of shape {shape}, got {_kind(value)}")
    if tuple(value.shape) != tuple(shape):
        raise AssertionError(f"{name} has shape {tuple(value.shape)}, expected {tuple(shape)}")
    if dtype is not None and value.dtype != dtype:
        raise AssertionError(f"{name} has dtype {value.dtype}, expected {dtype}")
    if finite and value.is_floating_point() and not torch.isfinite(value).all():
        raise AssertionError(f"{name} contains NaN or inf")
    return value


def _as_float64(value: Any) -> np.ndarray:
    if isinstance(value, torch.Tensor):
        return value.detach().to(torch.float64).numpy()
    return np.asarray(value, dtype=np.float64)


def assert_close(actual: Any, expected: Any, name: str, *, rtol: float = TORCH_RTOL,
                 atol: float = TORCH_ATOL, against: str = "the reference") -> None:
    """|actual - expected| <= atol + rtol * |expected| elementwise; shapes must already match."""
    a, e = _as_float64(actual), _as_float64(expected)
    if a.shape != e.shape:
        raise AssertionError(f"{name} has shape {a.shape}, expected {e.shape}")
    if not np.isfinite(a).all():
        raise AssertionError(f"{name} contains NaN or inf")
    diff, scale = np.abs(a - e), np.abs(e)
    if a.size and bool((diff > atol + rtol * scale).any()):
        raise AssertionError(f"{name} differs from {against}: {tolerance_breach(diff, scale, rtol, atol)}")


def tolerance_breach(diff: np.ndarray, scale: np.ndarray, rtol: float, atol: float) -> str:
    """The quantity that broke ``diff <= atol + rtol * scale`` beside the limit it broke, at the
    element furthest over: "relative error 3.1e-15 (must be <= 1e-15)" where the relative part of
    the tolerance is the larger one there, else "absolute error 2e-11 (must be <= 1e-12)". Either
    way the number shown is over the limit shown (both parts are non-negative)."""
    allowed = atol + rtol * scale
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(allowed > 0, diff / np.where(allowed > 0, allowed, 1.0), np.where(diff > 0, np.inf, 0.0))
    worst = int(np.argmax(ratio))
    d, s_ = float(diff.flat[worst]), float(scale.flat[worst])
    if rtol * s_ >= atol and s_ > 0:
        return f"relative error {d / s_:.2e} (must be <= {rtol:g})"
    return f"absolute error {d:.2e} (must be <= {atol:g})"


def assert_rel_error(actual: Any, expected: Any, name: str, tol: float = FWD_REL, *,
                     kind: str = "elem", against: str = "the reference") -> None:
    """CS231n-style relative error below ``tol`` (``kind`` is "elem" or "global")."""
    a, e = _as_float64(actual), _as_float64(expected)
    if a.shape != e.shape:
        raise AssertionError(f"{name} has shape {a.shape}, expected {e.shape}")
    if not np.isfinite(a).all():
        raise AssertionError(f"{name} contains NaN or inf")
    err = rel_error_elem(a, e) if kind == "elem" else rel_error_global(a, e)
    if not err < tol:
        raise AssertionError(f"{name} differs from {against}: relative error {err:.2e} (must be < {tol:g})")


def check(condition: Any, message: str) -> None:
    """``assert`` with a student-facing message that survives ``python -O``."""
    if not condition:
        raise AssertionError(message)


def torch_generator(rng: np.random.Generator) -> torch.Generator:
    """A torch generator seeded from the test's numpy rng (so it replays with the run seed)."""
    return torch.Generator().manual_seed(int(rng.integers(0, 2**62)))


def randn(rng: np.random.Generator, *shape: int, scale: float = 1.0) -> np.ndarray:
    """float64 normal draws of this shape."""
    return rng.standard_normal(shape) * scale


def trandn(rng: np.random.Generator, *shape: int, scale: float = 1.0) -> torch.Tensor:
    """float64 torch normal draws of this shape (drawn with numpy so the run seed replays them)."""
    return torch.from_numpy(rng.standard_normal(shape) * scale)


def random_lstm_lm(rng: np.random.Generator, vocab: int, emb: int, hidden: int, scale: float = 1.5) -> dict[str, Any]:
    """The spec of a one-layer LSTM language model for ``rnnkit.stepfns.build`` (``{"kind": "lstm",
    "emb": Embedding(vocab, emb), "cell": LSTMCell(emb, hidden), "head": Linear(hidden, vocab)}``,
    float64), every weight drawn from ``trandn(rng, ..., scale=scale)`` in that order."""
    modules = {"emb": torch.nn.Embedding(vocab, emb).double(), "cell": torch.nn.LSTMCell(emb, hidden).double(),
               "head": torch.nn.Linear(hidden, vocab).double()}
    with torch.no_grad():
        for module in modules.values():
            for p in module.parameters():
                p.copy_(trandn(rng, *p.shape, scale=scale))
    return {"kind": "lstm", **modules}
