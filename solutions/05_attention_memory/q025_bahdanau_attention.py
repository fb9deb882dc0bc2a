"""q025 · Additive (Bahdanau) attention with source masking (torch).

Without attention, a seq2seq decoder sees the source only through the encoder's final state, one
fixed vector for the whole sentence. Attention (Bahdanau, Cho & Bengio 2015) lets the decoder
look at ALL encoder states at every step: it scores each encoder state against its own state,
turns the scores into weights with a softmax, and reads the weighted mean of the encoder states
(the context vector). Additive attention scores with a small feed-forward layer.

Shapes (B = batch, S = source length, enc_dim = encoder state size, dec_dim = decoder state size,
attn_dim = the attention layer's size):
    query    (B, dec_dim)        the decoder state s
    keys     (B, S, enc_dim)     the encoder states k_1 .. k_S (also the values that are averaged)
    mask     (B, S)              bool, True = a real source position, False = padding. Keys at
                                 padded positions hold garbage (finite, possibly large) that must
                                 not change any result.

Parameters (exact names: the grader loads a state_dict; all three are bias-free nn.Linear):
    W_k = nn.Linear(enc_dim, attn_dim, bias=False)     W_k.weight (attn_dim, enc_dim)
    W_q = nn.Linear(dec_dim, attn_dim, bias=False)     W_q.weight (attn_dim, dec_dim)
    v   = nn.Linear(attn_dim, 1, bias=False)           v.weight   (1, attn_dim)
created in __init__ with nn.Linear's own initialisation, in that order (nothing else).

forward(query, keys, mask), for every row b and source position i:
    e[b, i]  = v( tanh( W_k(keys[b, i]) + W_q(query[b]) ) )      a scalar score
    e[b, i]  = -inf where mask[b, i] is False                    (before the softmax)
    alpha[b] = softmax over i of e[b]                             exactly 0 at padded positions
    context[b] = sum_i alpha[b, i] * keys[b, i]
returns (context (B, enc_dim), alpha (B, S)). A row with no real position gets alpha = 0 and
context = 0, with no NaN (a softmax over nothing but -inf is NaN: avoid it). Every other row of
alpha sums to 1. Results are in the inputs' dtype. Do not modify any argument in place.
Forbidden: F.scaled_dot_product_attention and nn.MultiheadAttention (they are another kind of
attention anyway).
"""

import torch
from torch import nn

Tensor = torch.Tensor


class AdditiveAttention(nn.Module):
    """Bahdanau attention: score v^T tanh(W_k k + W_q q), masked softmax, weighted mean of keys."""

    def __init__(self, enc_dim: int, dec_dim: int, attn_dim: int) -> None:
        """Create W_k, W_q and v (names and shapes in the module docstring)."""
        super().__init__()
        ### BEGIN SOLUTION
        self.W_k = nn.Linear(enc_dim, attn_dim, bias=False)
        self.W_q = nn.Linear(dec_dim, attn_dim, bias=False)
        self.v = nn.Linear(attn_dim, 1, bias=False)
        ### END SOLUTION

    def forward(self, query: Tensor, keys: Tensor, mask: Tensor) -> tuple[Tensor, Tensor]:
        """query (B, dec_dim), keys (B, S, enc_dim), mask (B, S) -> (context (B, enc_dim), alpha (B, S))."""
        ### BEGIN SOLUTION
        hidden = torch.tanh(self.W_k(keys) + self.W_q(query).unsqueeze(1))    # (B, S, attn_dim)
        e = self.v(hidden).squeeze(-1)                                       # (B, S)
        e = e.masked_fill(~mask, float("-inf"))
        e = torch.where(mask.any(dim=1, keepdim=True), e, torch.zeros_like(e))   # no all -inf row
        alpha = torch.where(mask, torch.softmax(e, dim=1), torch.zeros_like(e))
        context = (alpha.unsqueeze(1) @ keys).squeeze(1)                     # (B, enc_dim)
        return context, alpha
        ### END SOLUTION
