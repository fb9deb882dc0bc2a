"""Fixed probe functions that run in the sandbox child, next to the submission.

Checks that need autograd or counting inside the child run here. A probe returns plain numbers
and tensors; the grader compares them with the same probe run on the reference, so a probe's
answer is never trusted on its own (a forged gradient is only accepted if it is the right one).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch


def _flatten_tensors(value: Any) -> list[torch.Tensor]:
    if isinstance(value, torch.Tensor):
        return [value]
    if isinstance(value, (tuple, list)):
        return [t for v in value for t in _flatten_tensors(v)]
    if isinstance(value, dict):
        return [t for k in sorted(value) for t in _flatten_tensors(value[k])]
    return []


def output_grads(target: Callable[..., Any], args: list[Any], upstream: list[torch.Tensor],
                 kwargs: dict[str, Any] | None = None) -> dict[str, Any]:
    """Run ``target(*args)`` with autograd and backpropagate ``sum_k <out_k, upstream_k>``.

    ``target`` is a function or an ``nn.Module`` of the submission. Floating tensor arguments
    (also inside tuples, such as an ``(h, c)`` state) get ``requires_grad``. Returns::

        {"outputs": [out_k ...],              # the flattened tensor outputs, detached
         "inputs": [grad or None per tensor argument, in flattened order],
         "params": {name: grad or None}}      # for nn.Module targets
    """
    leaves = [a for a in _flatten_tensors(args) if a.is_floating_point()]
    for leaf in leaves:
        leaf.requires_grad_(True)
    params = dict(target.named_parameters()) if isinstance(target, torch.nn.Module) else {}
    outputs = _flatten_tensors(target(*args, **(kwargs or {})))
    if len(outputs) != len(upstream):
        raise ValueError(f"expected {len(upstream)} tensor outputs, got {len(outputs)}")
    total = sum((o * u.to(o.dtype)).sum() for o, u in zip(outputs, upstream, strict=True) if o.requires_grad)
    wrt = leaves + list(params.values())
    grads: list[torch.Tensor | None] = [None] * len(wrt)
    if isinstance(total, torch.Tensor) and total.requires_grad and wrt:
        grads = list(torch.autograd.grad(total, wrt, allow_unused=True))
    return {
        "outputs": [o.detach() for o in outputs],
        "inputs": [g.detach() if g is not None else None for g in grads[: len(leaves)]],
        "params": {n: (g.detach() if g is not None else None)
                   for n, g in zip(params, grads[len(leaves):], strict=True)},
    }


PROBES: dict[str, Callable[..., Any]] = {
    "output_grads": output_grads,
}
