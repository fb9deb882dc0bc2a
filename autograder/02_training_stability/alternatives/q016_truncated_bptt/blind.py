# Alternative solution of q016_truncated_bptt, written from the stub, its docstring and public tests alone by a developer who never read solutions/ or autograder/ (first try: full marks under seeds 1-5).
"""q016 · Truncated BPTT with a detached state carry (torch).

Full backpropagation through time over a long sequence keeps the whole unrolled graph in memory
and sends every gradient back to step 0. Truncated BPTT cuts the sequence into chunks of k steps:
the forward pass still runs over the whole sequence (the state is carried from chunk to chunk),
but each chunk's loss is backpropagated only inside its own chunk, because the carried state is
DETACHED from the graph of the chunk before.

Shapes (batch first everywhere; B batch, T steps, D inputs, H hidden, O outputs):
    x      (B, T, D)   inputs
    y      (B, T, O)   targets
    model  a torch.nn.LSTM with batch_first=True (one or more layers, one direction)
    head   a torch.nn.Linear(H, O) applied to every output step

chunk_sequence(x, k)
    Split x along the time axis (dim 1) into consecutive chunks of k steps: x[:, 0:k],
    x[:, k:2k], ...; the last chunk is shorter when k does not divide T. Returns a list of
    ceil(T / k) tensors whose concatenation along dim 1 is x (one chunk when k >= T). k < 1
    raises ValueError.

tbptt_gradients(model, head, x, y, k)
    1. Clear the gradients of every parameter of model and head first (p.grad = None), so that
       nothing from an earlier call is added in.
    2. Split x and y with chunk_sequence(., k). Start with state = None (zeros, as nn.LSTM does).
    3. For each chunk j, in order:
           out, (h, c) = model(x_j, state)              out (B, T_j, H)
           loss_j = ((head(out) - y_j) ** 2).sum()       summed squared error of this chunk
           loss_j.backward()                             exactly ONE backward() per chunk
           state = (h.detach(), c.detach())             carry the values, cut the graph
       The gradients of the chunks add up in the parameters' .grad, as in training.
    4. Return a dict of the accumulated gradients (copies) with the keys
           "lstm.<name>" for each (name, p) in model.named_parameters()   e.g. "lstm.weight_ih_l0"
           "head.<name>" for each (name, p) in head.named_parameters()    "head.weight", "head.bias"
       and leave the accumulated gradients in the parameters' .grad as well.
    Do not detach or copy x itself: when x requires grad, x.grad must receive the (truncated)
    gradient of the chunk losses with respect to the inputs. With k >= T this is full BPTT: one
    chunk, one backward() of the total loss. Use retain_graph nowhere: with a detached carry no
    graph is ever needed twice.
"""

import torch
from torch import nn


def chunk_sequence(x: torch.Tensor, k: int) -> list[torch.Tensor]:
    """Split (B, T, ...) into ceil(T / k) chunks of k steps along dim 1 (the last may be shorter)."""
    if isinstance(k, bool) or int(k) != k:
        raise ValueError(f"k should be a positive integer, got {k!r}")
    k = int(k)
    if k < 1:
        raise ValueError(f"k should be >= 1, got {k}")
    T = x.shape[1]
    return [x[:, s:s + k] for s in range(0, T, k)]


def tbptt_gradients(model: nn.LSTM, head: nn.Linear, x: torch.Tensor, y: torch.Tensor, k: int) -> dict[str, torch.Tensor]:
    """Truncated BPTT over chunks of k steps with a detached (h, c) carry; returns the gradients.

    One backward() of ((head(out_j) - y_j) ** 2).sum() per chunk; keys "lstm.<name>" and
    "head.<name>" (see the module docstring).
    """
    # 1. No gradient from an earlier call may be added in.
    for p in list(model.parameters()) + list(head.parameters()):
        p.grad = None

    # 2. Chunks of x and y, the same boundaries for both.
    x_chunks = chunk_sequence(x, k)
    y_chunks = chunk_sequence(y, k)
    state = None

    # 3. Forward over the whole sequence, one backward per chunk, the carried state detached.
    with torch.enable_grad():
        for x_j, y_j in zip(x_chunks, y_chunks, strict=True):
            out, (h, c) = model(x_j, state)
            loss_j = ((head(out) - y_j) ** 2).sum()
            loss_j.backward()
            state = (h.detach(), c.detach())

    # 4. Copies of the accumulated gradients (zeros for a parameter that received none).
    grads: dict[str, torch.Tensor] = {}
    for prefix, module in (("lstm.", model), ("head.", head)):
        for name, p in module.named_parameters():
            g = p.grad
            grads[prefix + name] = g.detach().clone() if g is not None else torch.zeros_like(p).detach()
    return grads
