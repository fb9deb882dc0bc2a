"""q028 · Bidirectional encoder to decoder bridge (torch).

An encoder-decoder often encodes with a BIDIRECTIONAL LSTM (H units per direction) and decodes
with a unidirectional one. The decoder's initial state of layer l is built from both directions'
final states of encoder layer l, concatenated to 2H features, and then (optionally) projected
to the decoder's size. Getting the indices right is the whole difficulty:

nn.LSTM(D, H, num_layers=L, bidirectional=True, batch_first=True) returns out (B, T, 2H) and
(h_n, c_n), each (2L, B, H), INTERLEAVED by layer:
    h_n[2l]      layer l, forward direction    h_n[2l + 1]  layer l, backward direction
(so a plain h_n.view(L, B, 2H) mixes up rows of the batch, and h_n[:L] is not "the forward
layers"). With packed input (pack_padded_sequence), for a sequence b of length n = lengths[b]:
    the forward direction's final state is its state after the LAST VALID step n - 1:
        h_n[2(L-1), b] == out[b, n - 1, :H]
    the backward direction's final state is its state after reading step 0:
        h_n[2(L-1) + 1, b] == out[b, 0, H:]
(out[b, T - 1] is padding, 0, when n < T).

bridge_states(h_n, c_n, num_layers) -> (h, c), each (L, B, 2H):
    h[l, b] = concat(h_n[2l, b], h_n[2l + 1, b])   (forward first), and the same for c.
    h_n, c_n (2L, B, H) come from nn.LSTM(bidirectional=True, num_layers=L).

final_from_outputs(out, lengths) -> (B, 2H): the top layer's final states read from the outputs
of a packed run padded back (pad_packed_sequence): row b is concat(out[b, n - 1, :H],
out[b, 0, H:]) with n = lengths[b] (1 <= n <= T, unsorted). It equals bridge_states(...)[0][-1].

class Bridge(nn.Module), Bridge(enc_hidden, dec_hidden), enc_hidden = 2H:
    parameters: h_proj = nn.Linear(enc_hidden, dec_hidden) and c_proj = nn.Linear(enc_hidden,
    dec_hidden), both with bias (one Linear each: h and c do not share weights).
    forward(h, c) -> (tanh(h_proj(h)), tanh(c_proj(c))), h and c (L, B, enc_hidden) -> each
    (L, B, dec_hidden): tanh on both.
Return new tensors in the inputs' dtype; do not change any argument in place.
"""

import torch
from torch import nn


def bridge_states(h_n: torch.Tensor, c_n: torch.Tensor, num_layers: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(2L, B, H) interleaved nn.LSTM final states -> (L, B, 2H) per layer, forward then backward."""
    ### BEGIN SOLUTION
    def join(s: torch.Tensor) -> torch.Tensor:
        _, B, H = s.shape
        return s.reshape(num_layers, 2, B, H).permute(0, 2, 1, 3).reshape(num_layers, B, 2 * H)
    return join(h_n), join(c_n)
    ### END SOLUTION


def final_from_outputs(out: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """out (B, T, 2H) of a packed bidirectional run, lengths (B,) -> (B, 2H) final states."""
    ### BEGIN SOLUTION
    B, _, two_h = out.shape
    H = two_h // 2
    rows = torch.arange(B)
    forward = out[rows, lengths - 1, :H]            # (B, H): after the last valid step
    backward = out[:, 0, H:]                         # (B, H): after reading step 0
    return torch.cat([forward, backward], dim=1)
    ### END SOLUTION


class Bridge(nn.Module):
    """Projects the bridged (L, B, 2H) encoder states to the decoder: tanh(Linear) for h and for c."""

    def __init__(self, enc_hidden: int, dec_hidden: int) -> None:
        """Create h_proj and c_proj, nn.Linear(enc_hidden, dec_hidden) each."""
        super().__init__()
        ### BEGIN SOLUTION
        self.h_proj = nn.Linear(enc_hidden, dec_hidden)
        self.c_proj = nn.Linear(enc_hidden, dec_hidden)
        ### END SOLUTION

    def forward(self, h: torch.Tensor, c: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """h, c (L, B, enc_hidden) -> (tanh(h_proj(h)), tanh(c_proj(c))), each (L, B, dec_hidden)."""
        ### BEGIN SOLUTION
        return torch.tanh(self.h_proj(h)), torch.tanh(self.c_proj(c))
        ### END SOLUTION
