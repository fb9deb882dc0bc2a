"""q085 · Online (per-segment) training with state carry (torch).

Offline training waits for a whole dataset; online training updates the model as each new piece
of a stream arrives, and never sees that piece again. For an LSTM reading one long stream in
segments, the hidden state carries the past from one segment to the next, while gradients stop
at the segment boundary (truncated BPTT): the carried state is DETACHED.

online_train(model, head, stream, lr, carry_state=True) -> list[float]

    model   torch.nn.LSTM built with batch_first=True: input (B, T, D) -> output (B, T, H) and
            (h_n, c_n), each (num_layers, B, H). It may have several layers.
    head    torch.nn.Linear(H, O), applied to the LSTM output at every step: (B, T, H) -> (B, T, O)
    stream  list of segments (x_k, y_k): x_k (B, T_k, D) inputs and y_k (B, T_k, O) targets. B is
            the same for every segment; the lengths T_k may differ.
    lr      learning rate of plain SGD (lr = 0 is allowed: then nothing changes)

For each segment k = 0, 1, 2, ... in order:
    1. state: None (zeros) for k = 0; for k > 0 the (h_n, c_n) that segment k-1's forward pass
       returned, detached from its graph (.detach()), when carry_state is True; None (zeros) for
       every segment when carry_state is False.
    2. forward:  out, (h_n, c_n) = model(x_k, state);   pred = head(out)         (B, T_k, O)
    3. loss_k = mean((pred - y_k) ** 2) over all B * T_k * O elements (F.mse_loss's default)
    4. gradients of loss_k alone (nothing left over from earlier segments) with respect to every
       parameter of model AND head, then immediately, in place and without autograd:
           p <- p - lr * dloss_k / dp          (torch.no_grad(); p -= lr * g, or p.add_(g, alpha=-lr))
    5. record loss_k as a Python float: the loss of this segment BEFORE its update.
The state carried into segment k + 1 is the one from step 2, computed with the parameters as they
were before the update of step 4.

Returns the list of the len(stream) recorded losses. model and head are updated in place: their
parameters stay the same leaf nn.Parameters (do not replace them), only their values change.
Write the update yourself; torch.optim is not needed.
"""

import torch
import torch.nn.functional as F
from torch import nn


def online_train(model: nn.LSTM, head: nn.Linear, stream: list[tuple[torch.Tensor, torch.Tensor]], lr: float,
                 carry_state: bool = True) -> list[float]:
    """One pass of online SGD over the stream, one update per segment; returns the per-segment losses."""
    ### BEGIN SOLUTION
    params = list(model.parameters()) + list(head.parameters())
    state = None
    losses: list[float] = []
    for x, y in stream:
        if not carry_state:
            state = None
        out, (h_n, c_n) = model(x, state)               # (B, T_k, H); (L, B, H) each
        loss = F.mse_loss(head(out), y)                 # mean over B * T_k * O
        grads = torch.autograd.grad(loss, params)       # of this segment's loss only
        with torch.no_grad():
            for p, g in zip(params, grads):
                p -= lr * g
        losses.append(loss.item())
        state = (h_n.detach(), c_n.detach())            # carried, but gradients stop here
    return losses
    ### END SOLUTION
