"""q037 · Attention vs self-attention over LSTM states (torch).

Attention lets one sequence read another: a decoder state (the query) scores every encoder
state (the keys) and takes the weighted mean of their values. Self-attention is the same
operation with queries, keys and values all projected from ONE sequence, here the hidden states
of an LSTM, so every step can read every other step of its own sequence (or, with a causal mask,
every earlier step). Both are single-head scaled dot-product attention with a key-padding mask.

Shapes (B = batch, Tq = query steps, S = key steps, T = steps of h, H = LSTM hidden size,
d = query/key size, dv = value size):
    q         (B, Tq, d)    queries
    k         (B, S, d)     keys
    v         (B, S, dv)    values
    key_mask  (B, S)        bool, True = a real key that may be attended to, False = padding.
                            Keys and values at padded positions hold garbage (finite, possibly
                            large): they must not change any result.
    h         (B, T, H)     LSTM hidden states, batch first
    mask      (B, T)        bool, True = real step, False = padding (the key mask of
                            self-attention)
    W_q, W_k  (H, d)        projections, applied on the right: Q = h @ W_q, K = h @ W_k
    W_v       (H, dv)       V = h @ W_v
    causal    bool          if True, query step t may attend to key steps s <= t only

cross_attention(q, k, v, key_mask):
    scores[b, t, s] = (q[b, t] . k[b, s]) / sqrt(d)            (B, Tq, S)
    allowed[b, t, s] = key_mask[b, s]
    a[b, t, :] = softmax over s of scores[b, t, :], taken over the allowed s only:
                 a[b, t, s] = exp(scores[b, t, s]) / sum_{s' allowed} exp(scores[b, t, s'])
                 for allowed s, and EXACTLY 0 for every s that is not allowed
    out[b, t] = sum_s a[b, t, s] * v[b, s]                     (B, Tq, dv)
  returns out. This is torch.nn.functional.scaled_dot_product_attention(q, k, v,
  attn_mask=key_mask[:, None, :]) (bool mask, True = take part).

self_attention(h, mask, W_q, W_k, W_v, causal):
    Q = h @ W_q, K = h @ W_k, V = h @ W_v                     (B, T, d), (B, T, d), (B, T, dv)
    allowed[b, t, s] = mask[b, s] and (s <= t if causal else True)
  then the same masked, scaled softmax with d = W_q.shape[1] and out = a @ V.
  Returns (out (B, T, dv), a (B, T, T)): a[b, t] is query step t's distribution over key steps.
  Only KEYS are masked: a query row at a padded step is computed like any other.

Fully masked rows: a query row with no allowed key at all (a sequence with no real token, or,
with causal=True, a row t whose steps 0..t are all padding) gets a = 0 and out = 0, with no NaN
anywhere (a softmax over nothing but -inf is NaN: avoid it, do not produce it and clean it up
later). Every row with at least one allowed key sums to 1 (up to rounding).

Results are in the inputs' dtype (float32 in gives float32 out). Do not modify any argument in
place. Forbidden (the point is to write attention yourself): F.scaled_dot_product_attention and
nn.MultiheadAttention (F.multi_head_attention_forward); torch.softmax, matmul, masked_fill,
where and friends are fine.
"""

import math

import torch

Tensor = torch.Tensor


def cross_attention(q: Tensor, k: Tensor, v: Tensor, key_mask: Tensor) -> Tensor:
    """Scaled dot-product attention of q (B, Tq, d) over k, v (B, S, .) with a key mask (B, S).

    Returns out (B, Tq, dv); rows with no real key are 0 (module docstring).
    """
    ### BEGIN SOLUTION
    scores = q @ k.transpose(1, 2) / math.sqrt(q.shape[-1])                 # (B, Tq, S)
    allowed = key_mask[:, None, :].expand(scores.shape)                     # (B, Tq, S)
    any_key = allowed.any(dim=-1, keepdim=True)                             # (B, Tq, 1)
    scores = scores.masked_fill(~allowed, float("-inf"))
    scores = torch.where(any_key, scores, torch.zeros_like(scores))         # no all -inf row
    a = torch.where(allowed, torch.softmax(scores, dim=-1), torch.zeros_like(scores))
    return a @ v                                                            # (B, Tq, dv)
    ### END SOLUTION


def self_attention(h: Tensor, mask: Tensor, W_q: Tensor, W_k: Tensor, W_v: Tensor,
                   causal: bool) -> tuple[Tensor, Tensor]:
    """Self-attention over LSTM states h (B, T, H), optionally causal (module docstring).

    Returns (out (B, T, dv), attention weights (B, T, T)).
    """
    ### BEGIN SOLUTION
    T = h.shape[1]
    Q, K, V = h @ W_q, h @ W_k, h @ W_v                                     # (B, T, d|dv)
    scores = Q @ K.transpose(1, 2) / math.sqrt(W_q.shape[1])                # (B, T, T)
    allowed = mask[:, None, :].expand(scores.shape)                         # keys only
    if causal:
        allowed = allowed & torch.ones(T, T, dtype=torch.bool).tril()       # s <= t
    any_key = allowed.any(dim=-1, keepdim=True)
    scores = scores.masked_fill(~allowed, float("-inf"))
    scores = torch.where(any_key, scores, torch.zeros_like(scores))
    a = torch.where(allowed, torch.softmax(scores, dim=-1), torch.zeros_like(scores))
    return a @ V, a
    ### END SOLUTION
