"""q045 · Value clipping, per-tensor clipping and a non-finite guard for GRUs (torch).

Gradient clipping bounds the gradients before the optimizer uses them, so that one exploding
step through a long GRU unroll cannot throw the weights far away. Write three tools a GRU
training loop needs. Each works IN PLACE on the ``.grad`` of the parameters it is given (after
``loss.backward()``), never on the parameters' values.

``params`` is any iterable of ``nn.Parameter``: a list, or the one-shot generator that
``model.parameters()`` returns (so walk it once). A parameter whose ``.grad`` is None (frozen, or
unused by the loss) is skipped: it keeps ``.grad = None`` and counts for nothing.

clip_grad_value_(params, clip_value) -> None
    Clamp every element of every gradient into [-clip_value, clip_value] (clip_value > 0):
        g <- min(max(g, -clip_value), clip_value)            elementwise, in place
    Elements already inside the interval stay exactly as they were. Returns None.

clip_per_param_norm_(params, max_norm) -> list[float]
    Clip each gradient tensor's L2 norm on its own (not one global norm over all tensors):
        norm_k = sqrt(sum of g_k ** 2)                        over all elements of tensor k
        if norm_k > max_norm:  g_k <- g_k * (max_norm / (norm_k + 1e-6))      (torch's formula)
        otherwise g_k is left exactly as it was (a zero gradient too)
    Returns the norms BEFORE clipping, as Python floats, one per parameter that has a gradient,
    in the order of ``params``.

safe_step(optimizer, params) -> bool
    A guard against NaN and inf gradients (one bad batch must not poison the weights or the
    optimizer's momentum):
      * if any element of any gradient in ``params`` is NaN, +inf or -inf: do NOT step; set
        ``p.grad = None`` for every p in ``params`` (as ``optimizer.zero_grad()`` does); return
        False. Parameter values and the optimizer's state stay bitwise unchanged.
      * otherwise: call ``optimizer.step()`` exactly once, leave the gradients as they are, and
        return True.
    ``params`` is a list here: the parameters the optimizer updates. ``optimizer`` is a
    torch.optim.Optimizer over them (the grader passes SGD with momentum or Adam); use only its
    step() (and zero_grad(), if you like). Large but finite gradients (1e200, say) are finite:
    their squares or sums may overflow, so test the elements themselves. Return a Python bool.

Write the clipping yourself: torch.nn.utils.clip_grad_value_, clip_grad_norm_,
clip_grads_with_norm_ and get_total_norm are not allowed (the grader makes them raise).
"""

from collections.abc import Iterable

import torch
from torch import nn


def clip_grad_value_(params: Iterable[nn.Parameter], clip_value: float) -> None:
    """Clamp every gradient element into [-clip_value, clip_value], in place; skip None grads."""
    ### BEGIN SOLUTION
    with torch.no_grad():
        for p in params:
            if p.grad is not None:
                p.grad.clamp_(min=-clip_value, max=clip_value)
    return None
    ### END SOLUTION


def clip_per_param_norm_(params: Iterable[nn.Parameter], max_norm: float) -> list[float]:
    """Clip each gradient tensor's L2 norm to max_norm on its own; return the norms before clipping."""
    ### BEGIN SOLUTION
    norms: list[float] = []
    with torch.no_grad():
        for p in params:
            if p.grad is None:
                continue
            norm = torch.linalg.vector_norm(p.grad)            # 0-d tensor, over all elements
            norms.append(float(norm))
            scale = max_norm / (norm + 1e-6)
            if norm > max_norm:
                p.grad.mul_(scale)
    return norms
    ### END SOLUTION


def safe_step(optimizer: torch.optim.Optimizer, params: list[nn.Parameter]) -> bool:
    """optimizer.step() only if every gradient is finite; otherwise clear the gradients and return False."""
    ### BEGIN SOLUTION
    grads = [p.grad for p in params if p.grad is not None]
    finite = all(bool(torch.isfinite(g).all()) for g in grads)
    if not finite:
        for p in params:
            p.grad = None
        return False
    optimizer.step()
    return True
    ### END SOLUTION
