"""q011 · Sutskever seq2seq: reversed source, state hand-off, teacher-forced logits (torch).

A sequence-to-sequence model (Sutskever, Vinyals & Le, 2014) has two LSTMs. The encoder reads
the source sentence and its final state (h, c) of EVERY layer is the "context": it is handed to
the decoder as its initial state. The decoder is then run with teacher forcing: its input at
step t is the gold target token y_{t-1} (tgt_in[:, t], starting with BOS), and it predicts
y_t. Sutskever et al. also REVERSE the source (a b c -> c b a): the first source words are then
read last, close to the first target words, which eases learning.

Shapes (B = batch, S = padded source length, T = target length, batch first):
    src      (B, S)  int64 token ids in [0, src_vocab). Row b is valid at s < src_len[b]; its
                     pad positions hold ANY valid ids (garbage) that must not change anything
    src_len  (B,)    int64, 1 <= src_len[b] <= S, in any order (not sorted)
    tgt_in   (B, T)  int64 decoder input ids in [0, tgt_vocab) (every position is used)
    returns  (B, T, tgt_vocab) float logits (the default dtype, float64 when graded)

class Seq2Seq(nn.Module), Seq2Seq(src_vocab, tgt_vocab, emb, hidden, num_layers, reverse_source=True).
Parameters: exactly these five submodules (the grader loads its state_dict with strict=True):
    src_emb  nn.Embedding(src_vocab, emb)                 (no padding_idx)
    tgt_emb  nn.Embedding(tgt_vocab, emb)
    encoder  nn.LSTM(emb, hidden, num_layers, batch_first=True)
    decoder  nn.LSTM(emb, hidden, num_layers, batch_first=True)
    out      nn.Linear(hidden, tgt_vocab)                  (with bias)
forward(src, src_len, tgt_in):
    1. if reverse_source: reverse each row WITHIN ITS LENGTH: the encoder reads
       src[b, n-1], src[b, n-2], ..., src[b, 0] (n = src_len[b]); the pads stay behind the
       valid part. Do not flip the whole padded row (a short row would start on padding).
       If reverse_source is False the encoder reads src[b, 0 .. n-1] in order.
    2. encode: the encoder reads exactly n tokens of row b, from a zero initial state, and
       (h_n, c_n), each (num_layers, B, hidden), is its state right after the n-th token
       (torch.nn.utils.rnn.pack_padded_sequence(..., enforce_sorted=False) does this; so does
       running each row on its own).
    3. decode: decoder(tgt_emb(tgt_in), (h_n, c_n)), all layers handed over (layer l of the
       encoder starts layer l of the decoder); logits = out(decoder outputs).
nn.LSTM, nn.Embedding, nn.Linear and packing are allowed: the exercise is the wiring. The
grader calls the model in float64. Do not change src, src_len or tgt_in in place.
"""

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence


class Seq2Seq(nn.Module):
    """Encoder-decoder LSTM: (optionally reversed) source -> final states -> teacher-forced logits."""

    def __init__(self, src_vocab: int, tgt_vocab: int, emb: int, hidden: int, num_layers: int,
                 reverse_source: bool = True) -> None:
        """Create src_emb, tgt_emb, encoder, decoder and out (module docstring)."""
        super().__init__()
        self.reverse_source = reverse_source
        ### BEGIN SOLUTION
        self.src_emb = nn.Embedding(src_vocab, emb)
        self.tgt_emb = nn.Embedding(tgt_vocab, emb)
        self.encoder = nn.LSTM(emb, hidden, num_layers, batch_first=True)
        self.decoder = nn.LSTM(emb, hidden, num_layers, batch_first=True)
        self.out = nn.Linear(hidden, tgt_vocab)
        ### END SOLUTION

    def forward(self, src: torch.Tensor, src_len: torch.Tensor, tgt_in: torch.Tensor) -> torch.Tensor:
        """src (B, S), src_len (B,), tgt_in (B, T) -> logits (B, T, tgt_vocab)."""
        ### BEGIN SOLUTION
        B, S = src.shape
        if self.reverse_source:
            t = torch.arange(S)[None, :]                                  # (1, S)
            n = src_len[:, None]                                          # (B, 1)
            index = torch.where(t < n, n - 1 - t, t)                      # read n-1 .. 0, then pads
            src = src.gather(1, index)
        packed = pack_padded_sequence(self.src_emb(src), src_len.cpu(), batch_first=True, enforce_sorted=False)
        _, (h_n, c_n) = self.encoder(packed)                              # (L, B, hidden) each
        dec_out, _ = self.decoder(self.tgt_emb(tgt_in), (h_n, c_n))      # (B, T, hidden)
        return self.out(dec_out)                                          # (B, T, tgt_vocab)
        ### END SOLUTION
