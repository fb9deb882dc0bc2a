"""q015 · Gradient clipping by global norm (torch).

Backpropagation through time multiplies many Jacobians, so a single bad batch can produce a
gradient thousands of times larger than usual, and one SGD step with it throws the weights far
away (an "exploding gradient"). Clipping by the GLOBAL norm rescales all gradients together when
their joint length is too large: the direction of the update is kept, only its length is capped.

clip_grad_global_norm_(parameters, max_norm, eps=1e-6)
    parameters   an iterable of nn.Parameter (a list, or a one-shot generator such as
                 model.parameters(): iterate it only once, e.g. turn it into a list first).
                 Parameters whose .grad is None are skipped: they neither count in the norm
                 nor get a gradient.
    Let g_1, ..., g_n be the gradients that exist. Then
        total = sqrt(sum_k sum_j g_k[j]**2)          the L2 norm of all gradients as ONE vector
        coef  = min(1, max_norm / (total + eps))
        g_k  <- coef * g_k                           for every k, IN PLACE (p.grad.mul_(coef))
    Returns total, the norm BEFORE clipping, as a 0-dim tensor (the dtype of the gradients).
    When no parameter has a gradient, return torch.tensor(0.0) and change nothing. Below the
    threshold (coef = 1) every gradient stays as it was. Do not change the parameters themselves
    and do not replace them; gradients keep their shapes and dtypes.

This is what torch.nn.utils.clip_grad_norm_(parameters, max_norm) does (d2l's grad_clipping):
write it yourself. torch.nn.utils.clip_grad_norm_, clip_grads_with_norm_, get_total_norm and
torch._foreach_norm are not allowed here.
"""

from collections.abc import Iterable

import torch
from torch import nn


def clip_grad_global_norm_(parameters: Iterable[nn.Parameter], max_norm: float, eps: float = 1e-6) -> torch.Tensor:
    """Scale all gradients in place by min(1, max_norm / (total + eps)); return total (0-dim tensor).

    ``total`` is the L2 norm of every existing gradient taken together, computed before clipping;
    parameters with ``grad is None`` are skipped. See the module docstring.
    """
    ### BEGIN SOLUTION
    grads = [p.grad for p in parameters if p.grad is not None]   # iterate only once
    if not grads:
        return torch.tensor(0.0)
    total = torch.sqrt(sum((g.detach() ** 2).sum() for g in grads))
    coef = min(1.0, max_norm / (float(total) + eps))
    with torch.no_grad():
        for g in grads:
            g.mul_(coef)
    return total
    ### END SOLUTION
