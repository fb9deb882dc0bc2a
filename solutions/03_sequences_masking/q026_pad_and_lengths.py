"""q026 · Padding, lengths, masks and sorting (torch).

An LSTM handles sequences of different lengths in one batch by PADDING them to a common length
and MASKING the padded steps: the lengths say which steps are real, a boolean mask derived from
them keeps pads out of outputs, losses and pooling, and sorting by length (longest first) is what
packed sequences and shrinking-batch unrolling are built on. These three helpers are the
plumbing every later masking exercise uses.

pad_batch(seqs, pad_value=0.0, batch_first=True) -> (padded, lengths)
    seqs      a non-empty list of B tensors; seqs[b] has shape (L_b, *rest), L_b >= 0 (empty
              sequences are allowed), all with the same rest shape and dtype (float or integer,
              e.g. token ids)
    padded    (B, T, *rest) if batch_first else (T, B, *rest), T = max_b L_b (0 if all are
              empty), the dtype of seqs: padded[b, :L_b] = seqs[b] and every other entry is
              pad_value (converted to that dtype)
    lengths   (B,) int64, lengths[b] = L_b
    This is what torch.nn.utils.rnn.pad_sequence computes: write it yourself (pad_sequence is
    forbidden); do not change the tensors in seqs.

lengths_to_mask(lengths, max_len=None) -> mask
    lengths   (B,) int64, B >= 1, every entry >= 0
    mask      bool (B, T) with mask[b, t] = (t < lengths[b]), T = max_len if given, else
              max(lengths). Raise ValueError if max_len < max(lengths) (the mask could not hold
              every valid step). One broadcast comparison against an arange does it.

sort_by_length(lengths) -> (perm, inv)
    lengths   (B,) int64, B >= 1
    perm      (B,) int64: the order longest first, STABLE: rows of equal length keep their
              original order. lengths[perm] is non-increasing.
    inv       (B,) int64, the inverse permutation: perm[inv] == arange(B), so that
              sorted_batch[inv] restores the original order (and inv[perm] == arange(B) too).
"""

import torch


def pad_batch(seqs: list[torch.Tensor], pad_value: float = 0.0,
              batch_first: bool = True) -> tuple[torch.Tensor, torch.Tensor]:
    """B tensors (L_b, *rest) -> (padded (B, T, *rest) or (T, B, *rest), lengths (B,) int64)."""
    ### BEGIN SOLUTION
    lengths = torch.tensor([s.shape[0] for s in seqs], dtype=torch.int64)  # (B,)
    T = int(lengths.max())
    first = seqs[0]
    padded = torch.full((len(seqs), T, *first.shape[1:]), pad_value, dtype=first.dtype)
    for b, s in enumerate(seqs):
        padded[b, :s.shape[0]] = s
    if not batch_first:
        padded = padded.transpose(0, 1)                                   # (T, B, *rest)
    return padded, lengths
    ### END SOLUTION


def lengths_to_mask(lengths: torch.Tensor, max_len: int | None = None) -> torch.Tensor:
    """lengths (B,) -> bool mask (B, T): mask[b, t] = t < lengths[b]; ValueError if max_len is too small."""
    ### BEGIN SOLUTION
    longest = int(lengths.max())
    T = longest if max_len is None else int(max_len)
    if T < longest:
        raise ValueError(f"max_len={max_len} is smaller than the longest length {longest}")
    return torch.arange(T, device=lengths.device)[None, :] < lengths[:, None]
    ### END SOLUTION


def sort_by_length(lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """lengths (B,) -> (perm, inv): stable longest-first order and its inverse, both (B,) int64."""
    ### BEGIN SOLUTION
    perm = torch.sort(lengths, descending=True, stable=True).indices
    inv = torch.empty_like(perm)
    inv[perm] = torch.arange(len(perm), device=perm.device)
    return perm, inv
    ### END SOLUTION
