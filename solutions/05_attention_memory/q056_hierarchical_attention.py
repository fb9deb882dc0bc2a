"""q056 · Hierarchical attention network pooling (torch).

A hierarchical attention network (Yang et al. 2016, "Hierarchical attention networks for
document classification") reads a document as sentences of words. A word-level LSTM/GRU encodes
the words of each sentence, an attention layer pools them into one vector per sentence, a
sentence-level encoder reads those vectors, and a second attention pools the sentences into one
document vector. You write the attention pooling and the hierarchy around a given sentence
encoder.

attention_pool(h, mask, W, b, u_ctx) -> (pooled, alpha):
    h      (N, L, D)   L vectors per row (padded positions hold finite garbage)
    mask   (N, L)      bool, True at real positions; a row may have NO real position at all
    W      (A, D), b (A,), u_ctx (A,)     the attention MLP and its context vector
        u[n, l]      = tanh(W h[n, l] + b)                 (N, L, A)   (h @ W.T + b)
        score[n, l]  = u[n, l] . u_ctx                     (N, L)
        alpha[n]     = softmax of score[n] over the real positions of row n, exactly 0 at padded
                       positions
        pooled[n]    = sum_l alpha[n, l] * h[n, l]         (N, D)
    A row with no real position gets alpha = 0 everywhere and pooled = 0: finite values AND
    finite gradients (no NaN anywhere, also not in the backward pass). A softmax over a row of
    only -inf is NaN: give such rows finite scores before the softmax, or make sure the NaN
    cannot flow back (an additive mask such as scores + log(mask) lets it through to W, b, u_ctx
    and h, even when nan_to_num repairs the forward values).

han_document_vector(word_h, word_mask, sent_mask, sent_encoder, word_params, sent_params)
        -> (doc, word_alpha, sent_alpha):
    word_h      (B, S, L, Dw)  word encoder outputs: S sentences of L words per document
    word_mask   (B, S, L) bool real words
    sent_mask   (B, S) bool    real sentences (a real sentence may still have no real word)
    sent_encoder(x, mask) -> (B, S, Hs): given, x (B, S, Dw), mask (B, S) bool (in the grader a
                GRU over the sentence vectors, 0 at padded sentences). Call it exactly ONCE, on
                the whole batch: sent_encoder(sentence_vectors, sent_mask).
    word_params = (W_w, b_w, u_w) with shapes (A_w, Dw), (A_w,), (A_w,)
    sent_params = (W_s, b_s, u_s) with shapes (A_s, Hs), (A_s,), (A_s,)
    in this order:
        1. word attention in every sentence: attention_pool on word_h viewed as (B*S, L, Dw) with
           word_mask (B*S, L) and word_params -> sentence_vectors (B, S, Dw), word_alpha (B, S, L)
           (a sentence with no real word gets the zero vector)
        2. sent_h = sent_encoder(sentence_vectors, sent_mask)                (B, S, Hs)
        3. sentence attention: attention_pool(sent_h, sent_mask, *sent_params) -> doc (B, Hs),
           sent_alpha (B, S), exactly 0 at padded sentences
    Appending padded sentences (sent_mask False) after a document's real ones changes nothing.

Do not modify any argument in place.
"""

from collections.abc import Callable

import torch

Tensor = torch.Tensor


def attention_pool(h: Tensor, mask: Tensor, W: Tensor, b: Tensor, u_ctx: Tensor) -> tuple[Tensor, Tensor]:
    """h (N, L, D), mask (N, L) -> (pooled (N, D), alpha (N, L)); rows without a real position give 0."""
    ### BEGIN SOLUTION
    u = torch.tanh(h @ W.T + b)                                       # (N, L, A)
    scores = u @ u_ctx                                                # (N, L)
    any_real = mask.any(dim=-1, keepdim=True)                         # (N, 1)
    scores = scores.masked_fill(~mask, float("-inf"))
    scores = torch.where(any_real, scores, torch.zeros_like(scores))  # empty rows: finite scores
    alpha = torch.softmax(scores, dim=-1)
    alpha = torch.where(mask, alpha, torch.zeros_like(alpha))         # exactly 0 at pads (and empty rows)
    pooled = (alpha[:, :, None] * h).sum(dim=1)                       # (N, D)
    return pooled, alpha
    ### END SOLUTION


def han_document_vector(word_h: Tensor, word_mask: Tensor, sent_mask: Tensor,
                        sent_encoder: Callable[[Tensor, Tensor], Tensor],
                        word_params: tuple[Tensor, Tensor, Tensor],
                        sent_params: tuple[Tensor, Tensor, Tensor]) -> tuple[Tensor, Tensor, Tensor]:
    """Word attention, the sentence encoder, sentence attention -> (doc (B, Hs), word_alpha, sent_alpha)."""
    ### BEGIN SOLUTION
    B, S, L, Dw = word_h.shape
    sent_vecs, word_alpha = attention_pool(word_h.reshape(B * S, L, Dw), word_mask.reshape(B * S, L), *word_params)
    sent_h = sent_encoder(sent_vecs.reshape(B, S, Dw), sent_mask)    # (B, S, Hs)
    doc, sent_alpha = attention_pool(sent_h, sent_mask, *sent_params)
    return doc, word_alpha.reshape(B, S, L), sent_alpha
    ### END SOLUTION
