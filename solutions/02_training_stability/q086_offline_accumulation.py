"""q086 · Offline full-batch training and exact gradient accumulation (torch).

Offline (batch) training computes each update from the whole dataset. When the dataset does not
fit through the model at once, gradient accumulation runs it in micro-batches and adds their
gradients up; done right, the sum is EXACTLY the full-batch gradient. With padded sequences of
different lengths the usual shortcut (average the micro-batch losses) is wrong, because
micro-batches hold different numbers of real tokens.

Data (B sequences of at most T tokens, right-padded):
    X        (B, T) int64   input token ids; X[b, t] for t >= lengths[b] is padding (any valid id)
    Y        (B, T) int64   target token ids, padded the same way (pads hold arbitrary valid ids)
    lengths  (B,)   int64   valid length of each sequence, 1 <= lengths[b] <= T
    model    an nn.Module with forward(X) -> logits (B, T, V): called on a slice X[i:j] of the
             rows it returns the logits of those rows. The grader passes rnnkit.probes.TinyLM
             (Embedding -> batch_first LSTM -> Linear); your code must not depend on that.

The loss is the token-mean masked cross-entropy over the WHOLE dataset:
    N    = lengths.sum()                                the number of valid tokens
    L    = (1 / N) * sum over b and t < lengths[b] of  CE(logits[b, t], Y[b, t])
    CE(z, y) = logsumexp(z) - z[y]                      (F.cross_entropy of one token)
Padded positions (t >= lengths[b]) count for nothing, whatever X and Y hold there.

full_batch_grad(model, X, Y, lengths) -> dict[str, Tensor]
    One forward over the whole batch; returns {name: dL/dp} for every (name, p) in
    model.named_parameters(), each a tensor of p's shape.

accumulated_grad(model, X, Y, lengths, micro_batch) -> dict[str, Tensor]
    The same gradient, computed in micro-batches of micro_batch consecutive sequences: rows
    [0:m], [m:2m], ... (m = micro_batch >= 1; the last micro-batch may be shorter; m >= B gives
    one). For each micro-batch j, in order, ONE forward on its rows only (never on the whole
    batch: that is the point of accumulation) and the gradient of
        L_j = (sum of the token CEs of micro-batch j's valid tokens) / N        N: the GLOBAL count
    added into a running sum. Since L = sum_j L_j, the result equals full_batch_grad up to
    rounding. (Dividing by the micro-batch's own token count, or averaging micro-batch means,
    weights the micro-batches wrongly.)

Both functions leave the model as they found it: parameter values untouched and every
``p.grad`` None afterwards (it is None when they are called). Use torch.autograd.grad, or
clear what loss.backward() left in .grad before returning (copies, not the .grad tensors).
The inputs X, Y and lengths are not modified.
"""

import torch
import torch.nn.functional as F
from torch import nn


def full_batch_grad(model: nn.Module, X: torch.Tensor, Y: torch.Tensor, lengths: torch.Tensor) -> dict[str, torch.Tensor]:
    """Gradient of the token-mean masked cross-entropy over the whole batch, {name: grad}."""
    ### BEGIN SOLUTION
    names = [n for n, _ in model.named_parameters()]
    params = [p for _, p in model.named_parameters()]
    loss = _token_ce_sum(model(X), Y, lengths) / int(lengths.sum())
    grads = torch.autograd.grad(loss, params)
    return {n: g.detach() for n, g in zip(names, grads)}
    ### END SOLUTION


def accumulated_grad(model: nn.Module, X: torch.Tensor, Y: torch.Tensor, lengths: torch.Tensor,
                     micro_batch: int) -> dict[str, torch.Tensor]:
    """The same gradient, accumulated over micro-batches of micro_batch sequences, {name: grad}."""
    ### BEGIN SOLUTION
    names = [n for n, _ in model.named_parameters()]
    params = [p for _, p in model.named_parameters()]
    n_tokens = int(lengths.sum())                      # the GLOBAL token count
    total = [torch.zeros_like(p) for p in params]
    for start in range(0, X.shape[0], micro_batch):
        rows = slice(start, start + micro_batch)
        loss = _token_ce_sum(model(X[rows]), Y[rows], lengths[rows]) / n_tokens
        for acc, g in zip(total, torch.autograd.grad(loss, params)):
            acc += g
    return dict(zip(names, total))
    ### END SOLUTION


def _token_ce_sum(logits: torch.Tensor, Y: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """Sum of the per-token cross-entropies over the valid tokens (a helper you may change)."""
    ### BEGIN SOLUTION
    B, T, V = logits.shape
    valid = torch.arange(T)[None, :] < lengths[:, None]                  # (B, T)
    ce = F.cross_entropy(logits.reshape(B * T, V), Y.reshape(B * T), reduction="none").reshape(B, T)
    return ce[valid].sum()
    ### END SOLUTION
