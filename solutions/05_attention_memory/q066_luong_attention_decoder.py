"""q066 · Luong global-attention decoder step with input feeding (torch).

An LSTM with attention (Luong et al. 2015, "Effective approaches to attention-based neural
machine translation") is a seq2seq decoder that, at every step, looks back at all encoder states
and mixes them into a context vector. Luong's global attention scores the encoder states
against the NEW decoder state h_t, builds the attentional vector h̃_t = tanh(W_c [c_t; h_t]) and
predicts from it. With input feeding, h̃_t is also fed into the next step's LSTM input, so the
decoder knows what it attended to before.

class LuongDecoderStep(nn.Module), LuongDecoderStep(vocab, emb, hidden, enc_dim, score):
    score is "dot", "general" or "concat"; anything else raises ValueError, and so does "dot"
    when enc_dim != hidden (the dot product needs equal sizes). Parameters (names as in the
    state_dict; nn.Parameter in the default dtype; initial values are not graded):
        embedding  nn.Embedding(vocab, emb)                         embedding.weight (vocab, emb)
        cell       nn.LSTMCell(emb + hidden, hidden)                cell.weight_ih, cell.weight_hh,
                                                                    cell.bias_ih, cell.bias_hh
        W_a        "general": nn.Linear(enc_dim, hidden, bias=False)          W_a.weight (hidden, enc_dim)
                   "concat":  nn.Linear(hidden + enc_dim, hidden, bias=False) W_a.weight (hidden, hidden + enc_dim)
                   "dot":     none (no W_a in the state_dict)
        v_a        "concat" only: nn.Linear(hidden, 1, bias=False)  v_a.weight (1, hidden)
        W_c        nn.Linear(enc_dim + hidden, hidden, bias=False)  W_c.weight (hidden, enc_dim + hidden)
        out        nn.Linear(hidden, vocab)                         out.weight (vocab, hidden), out.bias

    forward(y_prev, h_tilde_prev, state, enc, enc_mask) -> (logits, h_tilde, (h, c), attn)
        y_prev        (B,) int64      the previous target token
        h_tilde_prev  (B, hidden)     the previous attentional vector h̃_{t-1} (zeros at t = 0)
        state         (h, c), each (B, hidden)
        enc           (B, S, enc_dim) encoder states e_s
        enc_mask      (B, S) bool     True at real source positions, False at padding; every row
                                      has at least one True. Padded rows of enc hold garbage.
    in this order:
        1. x = concat([embedding(y_prev), h_tilde_prev], dim=1)     (B, emb + hidden) input feeding
        2. h, c = cell(x, (h_prev, c_prev))
        3. score(h, e_s) for every s:                               (B, S)
               "dot"      h . e_s
               "general"  h . W_a(e_s)
               "concat"   v_a(tanh(W_a(concat([h, e_s]))))          h first, then e_s
           scores at padded positions are set to -inf, then attn = softmax over S  (B, S):
           exactly 0 at padding, so the garbage there changes nothing
        4. ctx = sum_s attn[:, s] * enc[:, s]                       (B, enc_dim)
        5. h_tilde = tanh(W_c(concat([ctx, h], dim=1)))             (B, hidden) context FIRST
        6. logits = out(h_tilde)                                    (B, vocab)
    Returns (logits, h_tilde, (h, c), attn). Everything stays differentiable: the gradient of the
    logits with respect to h_tilde_prev must reach it (that is what input feeding is), so never
    detach it. Do not modify any argument in place.
"""

import torch
from torch import nn

Tensor = torch.Tensor


class LuongDecoderStep(nn.Module):
    """One decoder step of Luong global attention with input feeding (module docstring)."""

    def __init__(self, vocab: int, emb: int, hidden: int, enc_dim: int, score: str) -> None:
        """Create embedding, cell, W_a / v_a (by score), W_c and out; ValueError for a bad score."""
        super().__init__()
        self.score = score
        ### BEGIN SOLUTION
        if score not in ("dot", "general", "concat"):
            raise ValueError(f"score must be 'dot', 'general' or 'concat', not {score!r}")
        if score == "dot" and enc_dim != hidden:
            raise ValueError(f"the dot score needs enc_dim == hidden, got {enc_dim} and {hidden}")
        self.embedding = nn.Embedding(vocab, emb)
        self.cell = nn.LSTMCell(emb + hidden, hidden)
        if score == "general":
            self.W_a = nn.Linear(enc_dim, hidden, bias=False)
        if score == "concat":
            self.W_a = nn.Linear(hidden + enc_dim, hidden, bias=False)
            self.v_a = nn.Linear(hidden, 1, bias=False)
        self.W_c = nn.Linear(enc_dim + hidden, hidden, bias=False)
        self.out = nn.Linear(hidden, vocab)
        ### END SOLUTION

    def forward(self, y_prev: Tensor, h_tilde_prev: Tensor, state: tuple[Tensor, Tensor], enc: Tensor,
                enc_mask: Tensor) -> tuple[Tensor, Tensor, tuple[Tensor, Tensor], Tensor]:
        """One step -> (logits (B, vocab), h_tilde (B, hidden), (h, c), attn (B, S))."""
        ### BEGIN SOLUTION
        x = torch.cat([self.embedding(y_prev), h_tilde_prev], dim=1)            # (B, emb + hidden)
        h, c = self.cell(x, state)                                              # (B, hidden) each
        if self.score == "dot":
            scores = (enc * h[:, None, :]).sum(dim=-1)                          # (B, S)
        elif self.score == "general":
            scores = (self.W_a(enc) * h[:, None, :]).sum(dim=-1)
        else:
            pairs = torch.cat([h[:, None, :].expand(-1, enc.shape[1], -1), enc], dim=-1)
            scores = self.v_a(torch.tanh(self.W_a(pairs))).squeeze(-1)
        attn = torch.softmax(scores.masked_fill(~enc_mask, float("-inf")), dim=-1)   # (B, S)
        ctx = (attn[:, :, None] * enc).sum(dim=1)                               # (B, enc_dim)
        h_tilde = torch.tanh(self.W_c(torch.cat([ctx, h], dim=1)))              # (B, hidden)
        return self.out(h_tilde), h_tilde, (h, c), attn
        ### END SOLUTION
