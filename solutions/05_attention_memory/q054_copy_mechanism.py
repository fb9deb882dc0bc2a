"""q054 · Pointer-generator final distribution with OOV copying (torch).

A copy mechanism lets a decoder output a word by pointing at it in the source instead of
generating it from its fixed vocabulary, so it can reproduce names, numbers and other rare
words, even ones outside the vocabulary (OOV). In the pointer-generator of See et al. (2017),
each decoder step mixes two distributions with a soft switch p_gen in [0, 1]:

    P(w) = p_gen * P_vocab(w) + (1 - p_gen) * sum_{i : x_i = w} a_i

P_vocab is the decoder's softmax over the fixed vocabulary, a is its attention over the source
positions, and the sum runs over every source position holding the word w: a word that occurs
several times in the source collects the attention of all its occurrences.

The extended vocabulary: ids 0 .. V-1 are the fixed vocabulary; the source's OOV words of a batch
row get the ids V, V+1, ..., V+n_oov-1 (the k-th distinct OOV word of the batch is V + k), so
the result has V + n_oov entries per row. P_vocab gives 0 to every id >= V.

Shapes (B = batch, V = fixed vocabulary size, S = source length):
    p_vocab      (B, V)        float, the generation distribution (rows sum to 1)
    attn         (B, S)        float, attention over the source (rows sum to 1; 0 at padding)
    p_gen        (B, 1)        float in [0, 1], the generation probability of each row
    src_ext_ids  (B, S)        int64, the source tokens as extended ids in [0, V + n_oov)
                               (padded positions hold some id too; their attention is 0)
    n_oov        int >= 0      the number of OOV ids of the batch

final_distribution returns P, (B, V + n_oov), in p_vocab's dtype:
    P[b, w] = p_gen[b] * P_vocab[b, w] (0 for w >= V) + (1 - p_gen[b]) * sum_{i : src_ext_ids[b, i] = w} attn[b, i]
Use torch's scatter_add (or index_add) to do the sum; a plain scatter / index assignment keeps
only one occurrence of a repeated word. The result is differentiable with respect to p_vocab,
attn and p_gen (no detach, no .item()). Do not modify any argument in place.
"""

import torch

Tensor = torch.Tensor


def final_distribution(p_vocab: Tensor, attn: Tensor, p_gen: Tensor, src_ext_ids: Tensor, n_oov: int) -> Tensor:
    """Mix generation and copying over the extended vocabulary (module docstring).

    Returns P (B, V + n_oov); each row sums to 1 when p_vocab and attn rows do.
    """
    ### BEGIN SOLUTION
    B, V = p_vocab.shape
    extended = torch.cat([p_gen * p_vocab, p_vocab.new_zeros(B, n_oov)], dim=1)   # (B, V + n_oov)
    return extended.scatter_add(1, src_ext_ids, (1 - p_gen) * attn)                # copies accumulate
    ### END SOLUTION
