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
    ### BEGIN SOLUTION
    if k < 1:
        raise ValueError(f"the chunk length k must be at least 1, got {k}")
    return [x[:, start:start + k] for start in range(0, x.shape[1], k)]
    ### END SOLUTION


def tbptt_gradients(model: nn.LSTM, head: nn.Linear, x: torch.Tensor, y: torch.Tensor, k: int) -> dict[str, torch.Tensor]:
    """Truncated BPTT over chunks of k steps with a detached (h, c) carry; returns the gradients.

    One backward() of ((head(out_j) - y_j) ** 2).sum() per chunk; keys "lstm.<name>" and
    "head.<name>" (see the module docstring).
    """
    ### BEGIN SOLUTION
    for p in list(model.parameters()) + list(head.parameters()):
        p.grad = None
    state = None
    for x_j, y_j in zip(chunk_sequence(x, k), chunk_sequence(y, k), strict=True):
        out, (h, c) = model(x_j, state)                 # (B, T_j, H)
        loss = ((head(out) - y_j) ** 2).sum()
        loss.backward()
        state = (h.detach(), c.detach())                 # truncate: no gradient into the previous chunk
    grads = {f"lstm.{n}": p.grad.detach().clone() for n, p in model.named_parameters()}
    grads.update({f"head.{n}": p.grad.detach().clone() for n, p in head.named_parameters()})
    return grads
    ### END SOLUTION
