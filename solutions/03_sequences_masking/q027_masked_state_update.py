"""q027 · Masking: frozen state on padding and a masked loss (torch).

Sequences of different lengths are padded to one length T and batched, with a mask that says
which positions are real tokens. Masking makes the padding invisible to learning, in two places:

1. The recurrence. At a padded step the state must not change: it is carried over unchanged, so
   after a sequence's last real token its state stays frozen and the final state is the state
   at that sequence's true end (whatever T is and whatever the padded inputs hold).
2. The loss. Padded positions add nothing, and the average runs over real tokens only.

Shapes (B = batch, T = padded length, D = input size, H = hidden size, V = vocabulary size):
    x         (B, T, D)   float inputs, batch first: x[:, t] is step t. Values at padded positions
                          are garbage (finite, possibly large): they must not change any result.
    mask      (B, T)      bool, True at real tokens, False at padding. It need NOT be a prefix:
                          left padding (False ... False True ... True), holes in the middle and
                          rows with no real token at all are allowed.
    h0, c0    (B, H)      initial hidden and cell state
    step      a callable step(x_t, (h, c)) -> (h_new, c_new): x_t (B, D), h, c, h_new, c_new
              (B, H). The grader passes a torch.nn.LSTMCell. Call it once per time step, on the
              whole batch (rows are independent, so padded rows do no harm there).
    logits    (B, T, V)   float scores; garbage (finite) at padded positions
    targets   (B, T)      int64 class ids in [0, V) at real tokens. At padded positions they can be
                          ANY integer, including ones outside [0, V) such as -100 (PyTorch's
                          ignore_index) or V: never use them as indices there.

masked_lstm, for t = 0, 1, ..., T-1, starting from h = h0, c = c0, with m = mask[:, t] as a
(B, 1) float tensor of x's dtype (1.0 real, 0.0 padding):
    h_new, c_new = step(x[:, t], (h, c))
    h = m * h_new + (1 - m) * h               frozen where m = 0 (torch.where is fine too)
    c = m * c_new + (1 - m) * c
    outputs[:, t] = m * h                     h_t at real tokens, exactly 0 at padded positions
It returns (outputs (B, T, H), (h_T, c_T)), h_T and c_T (B, H) being h and c after the last step:
the state after each row's last real token (h0, c0 for a row with no real token), all in x's
dtype (a float32 cell with float32 inputs gives float32 results). Nothing may
flow from a padded input: the gradient of any result with respect to x at a padded position is
exactly 0.

masked_cross_entropy: the negative log-likelihood of each real token,
    nll[b, t] = logsumexp_v logits[b, t, v] - logits[b, t, targets[b, t]]      (mask[b, t] True)
computed with a stable log-softmax (torch.log_softmax or torch.logsumexp), and reduced as
    "token_mean"  sum of nll over all real tokens / number of real tokens
                  (this is F.cross_entropy(..., ignore_index=-100) with -100 at the pads)
    "seq_mean"    for each row with at least one real token: the sum of its nll / its number of
                  real tokens; then the mean of these over those rows (rows with no real token
                  are left out of the mean)
Either returns a 0-d tensor of logits' dtype; it is 0 when there is no real token at all. Any
other reduction raises ValueError. Padded positions get a gradient of exactly 0.

Forbidden (the point is to write the loss yourself): F.cross_entropy, F.nll_loss,
nn.CrossEntropyLoss, nn.NLLLoss. Do not modify any argument in place.
"""

from collections.abc import Callable

import torch

Tensor = torch.Tensor


def masked_lstm(
    step: Callable[[Tensor, tuple[Tensor, Tensor]], tuple[Tensor, Tensor]],
    x: Tensor,
    mask: Tensor,
    h0: Tensor,
    c0: Tensor,
) -> tuple[Tensor, tuple[Tensor, Tensor]]:
    """Run ``step`` over x (B, T, D) with the state frozen at padded steps (module docstring).

    Returns (outputs (B, T, H), (h_T, c_T)) with outputs exactly 0 at padded positions.
    """
    ### BEGIN SOLUTION
    T = x.shape[1]
    h, c = h0, c0                                   # (B, H) each
    outputs = []
    for t in range(T):
        m = mask[:, t].to(x.dtype).unsqueeze(1)     # (B, 1): 1.0 real, 0.0 padding
        h_new, c_new = step(x[:, t], (h, c))
        h = m * h_new + (1 - m) * h                 # frozen where m = 0
        c = m * c_new + (1 - m) * c
        outputs.append(m * h)                       # 0 at padded positions
    return torch.stack(outputs, dim=1), (h, c)      # (B, T, H), ((B, H), (B, H))
    ### END SOLUTION


def masked_cross_entropy(
    logits: Tensor,
    targets: Tensor,
    mask: Tensor,
    reduction: str = "token_mean",
) -> Tensor:
    """Cross-entropy of logits (B, T, V) against targets (B, T) over real tokens only.

    ``reduction`` is "token_mean" or "seq_mean" (module docstring); returns a 0-d tensor.
    """
    ### BEGIN SOLUTION
    if reduction not in ("token_mean", "seq_mean"):
        raise ValueError(f"reduction must be 'token_mean' or 'seq_mean', not {reduction!r}")
    logp = torch.log_softmax(logits, dim=-1)                        # (B, T, V)
    safe = torch.where(mask, targets, torch.zeros_like(targets))    # pad targets may be out of range
    nll = -logp.gather(-1, safe.unsqueeze(-1)).squeeze(-1)          # (B, T)
    nll = torch.where(mask, nll, torch.zeros_like(nll))             # pads add exactly 0
    m = mask.to(logits.dtype)
    if reduction == "token_mean":
        return nll.sum() / m.sum().clamp(min=1)
    n = m.sum(dim=1)                                                # (B,) real tokens per row
    per_seq = nll.sum(dim=1) / n.clamp(min=1)                       # (B,), 0 for empty rows
    rows = (n > 0).to(logits.dtype).sum()                           # rows with a real token
    return per_seq.sum() / rows.clamp(min=1)
    ### END SOLUTION
