"""Callables that a submission's code must call, built in the sandbox child from data.

A hidden test cannot send a function: it sends the data a callable is made of (tensors, and
allow-listed torch modules as ``ModuleState``), and the probe ``callable_call`` builds one of the
classes below next to the submission, hands it to the submission's function and reports every
call it received. Everything here is public: students may read it and public tests may use it.

- ``SortScoreFn`` (q055_pointer_network): a pointer-network score function whose greedy decode is
  "sort ascending".
- ``TableScoreFn`` (q055): scores that depend on the previously chosen position, from a table.
- ``GRUSentEncoder`` (q056_hierarchical_attention): a sentence encoder, a one-direction
  batch-first nn.GRU run over a document's sentence vectors, zero at padded sentences.

A probe's answer is never trusted on its own: the grader recomputes what it expects itself.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch


class SortScoreFn:
    """``score_fn(prev_idx (B,), chosen_mask (B, n)) -> -values`` (B, n), whatever is passed.

    The largest score is the smallest value, so a greedy pointer decoder that masks the positions
    it has chosen emits ``argsort(values, dim=1)``: it sorts each row ascending.
    """

    def __init__(self, values: torch.Tensor) -> None:
        self.values = values.detach().clone()                   # (B, n)

    def __call__(self, prev_idx: torch.Tensor, chosen_mask: torch.Tensor) -> torch.Tensor:
        return -self.values.clone()


class TableScoreFn:
    """``score_fn(prev_idx (B,), chosen_mask (B, n)) -> table[b, prev_idx[b] + 1]`` (B, n).

    ``table`` is (B, n + 1, n): row 0 holds the scores of the first step (``prev_idx`` = -1),
    row j + 1 the scores after position j was chosen. ``chosen_mask`` is not used.
    """

    def __init__(self, table: torch.Tensor) -> None:
        self.table = table.detach().clone()                     # (B, n + 1, n)

    def __call__(self, prev_idx: torch.Tensor, chosen_mask: torch.Tensor) -> torch.Tensor:
        rows = torch.arange(self.table.shape[0])
        return self.table[rows, prev_idx.long() + 1].clone()


class GRUSentEncoder:
    """``sent_encoder(x (B, S, D), mask (B, S) bool) -> (B, S, H)``: ``gru(x)[0]`` with the
    outputs at masked (padded) positions set to 0.

    ``gru`` is a batch_first ``nn.GRU`` (one direction) that reads the S positions in order (in
    q056 they are a document's sentence vectors). Padding after the real positions never changes
    the outputs at the real ones.
    """

    def __init__(self, gru: torch.nn.GRU) -> None:
        self.gru = gru

    def __call__(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = self.gru(x)[0]
        return out * mask.to(out.dtype).unsqueeze(-1)


CALLABLES: dict[str, Callable[..., Any]] = {
    "sort_scores": SortScoreFn,
    "table_scores": TableScoreFn,
    "gru_sent_encoder": GRUSentEncoder,
}


def _snapshot(value: Any) -> Any:
    if isinstance(value, torch.Tensor):
        return value.detach().clone()
    if isinstance(value, (list, tuple)):
        return [_snapshot(v) for v in value]
    return value if isinstance(value, (int, float, str, bool)) or value is None else repr(type(value))


class Recording:
    """Wraps a callable; keeps a copy of the positional arguments of every call, in order."""

    def __init__(self, inner: Callable[..., Any]) -> None:
        self.inner = inner
        self.calls: list[list[Any]] = []

    def __call__(self, *args: Any) -> Any:
        self.calls.append([_snapshot(a) for a in args])
        return self.inner(*args)


def build_callable(name: str, spec: dict[str, Any]) -> Callable[..., Any]:
    """``CALLABLES[name](**spec)``; a name that is not there is a LookupError."""
    if name not in CALLABLES:
        raise LookupError(f"unknown callable {name!r}")
    built: Callable[..., Any] = CALLABLES[name](**spec)
    return built


def _copies(value: Any) -> Any:
    if isinstance(value, torch.Tensor):
        return value.clone()
    if isinstance(value, (list, tuple)):
        return type(value)(_copies(v) for v in value)
    return value


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, torch.Tensor):
        return isinstance(b, torch.Tensor) and a.shape == b.shape and a.dtype == b.dtype and bool(
            torch.equal(a, b) or (a.is_floating_point() and torch.equal(a.isnan(), b.isnan())
                                  and torch.equal(a.nan_to_num(), b.nan_to_num())))
    if isinstance(a, (list, tuple)):
        return isinstance(b, (list, tuple)) and len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return True


def callable_call(fn: Callable[..., Any], name: str, spec: dict[str, Any], args: list[Any],
                  position: int = 0) -> dict[str, Any]:
    """Build ``CALLABLES[name](**spec)``, insert it into ``args`` at ``position`` and call
    ``fn(*args)``. Returns::

        {"value": fn's return value,
         "calls": [[copies of the positional arguments of call 1], [call 2], ...],
         "inputs_changed": [positions in args of arguments fn changed in place]}

    Tensors are copied when a call is made. ``fn`` gets copies of the tensors in ``args`` (also
    inside tuples and lists), so a write into them is reported here (for the one task about it),
    not raised; the report comes from the child, so it can only cost points."""
    recording = Recording(build_callable(name, spec))
    given = [_copies(a) for a in args]
    full = list(given)
    full.insert(position, recording)
    value = fn(*full)
    changed = [i for i, (a, g) in enumerate(zip(args, given, strict=True)) if not _same(a, g)]
    return {"value": value, "calls": recording.calls, "inputs_changed": changed}


__all__ = ["CALLABLES", "GRUSentEncoder", "Recording", "SortScoreFn", "TableScoreFn", "build_callable",
           "callable_call"]
