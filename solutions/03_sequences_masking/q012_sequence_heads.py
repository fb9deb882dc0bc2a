"""q012 · Many-to-one and many-to-many heads over padded LSTM outputs (torch).

LSTMs serve very different applications with the same recurrent body: sentiment or intent
classification reads ONE vector per sequence (many-to-one), tagging and frame-wise speech
recognition read one prediction PER STEP (many-to-many). In a batch, sequences are padded to a
common length T, so every head must look only at the valid steps of each sequence.

Conventions (B = batch, T = padded length, D = input size, H = hidden size, C = classes):
    outputs   (B, T, H)   per-step outputs; row b is valid at steps t < lengths[b], and its pad
                          steps t >= lengths[b] may hold ANYTHING (finite garbage): never read them
    lengths   (B,)        int64, number of valid steps of each row, 0 <= lengths[b] <= T
    x         (B, T, D)   batch-first inputs, padded the same way (garbage at pads)
Results keep the dtype of ``outputs`` / ``x`` (float32 in, float32 out).

last_valid(outputs, lengths) -> (B, H): row b is outputs[b, lengths[b] - 1], the output at the
    LAST VALID step (not at T - 1, which is padding for short rows). Requires lengths[b] >= 1.
masked_mean(outputs, lengths) -> (B, H): row b is the mean of outputs[b, t] over t < lengths[b]
    only; a row with lengths[b] == 0 gives zeros (no NaN, no division by zero).

class SeqModel(nn.Module), SeqModel(D, H, C, mode):
    parameters (exact names: the grader loads a state_dict):
        self.lstm = nn.LSTM(D, H, batch_first=True)     one layer, unidirectional
        self.head = nn.Linear(H, C)
    mode is "many_to_one", "mean" or "many_to_many" (raise ValueError for anything else).
    forward(x, lengths), lengths[b] >= 1:
        out = the LSTM's per-step outputs for x, zero initial state, (B, T, H); only the valid
              steps matter (you may pack the batch with torch.nn.utils.rnn.pack_padded_sequence
              or run the padded tensor: a forward LSTM's step t never depends on later steps)
        "many_to_one"  -> head(last_valid(out, lengths))     (B, C)
        "mean"         -> head(masked_mean(out, lengths))    (B, C)
        "many_to_many" -> head(out) at every step            (B, T, C), and EXACTLY 0.0 at
                          the pad steps t >= lengths[b] (not head's bias)
    Nothing at a pad step of x may change any output.
"""

import torch
from torch import nn

MODES = ("many_to_one", "mean", "many_to_many")


def valid_mask(lengths: torch.Tensor, T: int) -> torch.Tensor:
    """Provided: bool (B, T), True at the valid steps t < lengths[b]."""
    return torch.arange(T, device=lengths.device)[None, :] < lengths[:, None]


def last_valid(outputs: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """outputs (B, T, H), lengths (B,) >= 1 -> (B, H): the output at step lengths[b] - 1 of row b."""
    ### BEGIN SOLUTION
    rows = torch.arange(outputs.shape[0], device=outputs.device)
    return outputs[rows, lengths - 1]                                        # (B, H)
    ### END SOLUTION


def masked_mean(outputs: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """outputs (B, T, H), lengths (B,) >= 0 -> (B, H): mean over the valid steps (0 for empty rows)."""
    ### BEGIN SOLUTION
    mask = valid_mask(lengths, outputs.shape[1])[:, :, None]                 # (B, T, 1)
    total = torch.where(mask, outputs, torch.zeros((), dtype=outputs.dtype)).sum(dim=1)
    count = lengths.clamp(min=1).to(outputs.dtype)[:, None]                  # (B, 1)
    return total / count
    ### END SOLUTION


class SeqModel(nn.Module):
    """An LSTM body with a many-to-one, mean-pooled or many-to-many linear head."""

    def __init__(self, D: int, H: int, C: int, mode: str) -> None:
        """Create self.lstm and self.head (see the module docstring); check mode."""
        super().__init__()
        ### BEGIN SOLUTION
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
        self.mode = mode
        self.lstm = nn.LSTM(D, H, batch_first=True)
        self.head = nn.Linear(H, C)
        ### END SOLUTION

    def forward(self, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """x (B, T, D), lengths (B,) -> (B, C) or, for many_to_many, (B, T, C) with zeros at pads."""
        ### BEGIN SOLUTION
        T = x.shape[1]
        packed = nn.utils.rnn.pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)
        out, _ = self.lstm(packed)
        out, _ = nn.utils.rnn.pad_packed_sequence(out, batch_first=True, total_length=T)  # (B, T, H)
        if self.mode == "many_to_one":
            return self.head(last_valid(out, lengths))
        if self.mode == "mean":
            return self.head(masked_mean(out, lengths))
        logits = self.head(out)                                              # (B, T, C)
        return logits.masked_fill(~valid_mask(lengths, T)[:, :, None], 0.0)
        ### END SOLUTION
