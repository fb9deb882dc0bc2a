"""q038 · End-to-end memory network hops (torch).

A memory network (Sukhbaatar et al. 2015, "End-to-end memory networks", MemN2N) gives a model an
external memory to reason over: a set of slots, each stored twice, once as an input (addressing)
embedding m_i and once as an output (content) embedding c_i. A controller state u, typically the
final hidden state of an LSTM that read the question, reads the memory in several hops; each hop
refines u with what it read, so a later hop can look for facts that an earlier one pointed to.

Shapes (B = batch, N = memory slots, d = embedding size):
    u         (B, d)       the controller state (question encoding) before the first hop
    mem_in    (B, N, d)    m_i, the addressing embeddings of the slots
    mem_out   (B, N, d)    c_i, the content embeddings of the slots
    mem_mask  (B, N)       bool, True = a real slot, False = an empty slot. Empty slots hold
                           garbage (finite, possibly large) that must not change any result;
                           real slots need not come first (holes are allowed).
    hops      int >= 0     the number of hops; a negative value raises ValueError

One hop, for every batch row b (the scores are NOT scaled, unlike Transformer attention):
    s_i = u . m_i                                   for every real slot i
    p_i = exp(s_i) / sum_{j real} exp(s_j)          softmax over the REAL slots only;
                                                    p_i = 0 exactly at every empty slot
    o   = sum_i p_i * c_i                           (B, d)
    u   = u + o                                     the next hop reads with the new u
A row with no real slot at all reads nothing: p = 0 everywhere and o = 0 (so u stays as it was),
with no NaN (a softmax over nothing but -inf is NaN: avoid it).

memn2n_hops returns (u_final (B, d), [p_1, ..., p_hops]): u after the last hop and the list of
the attention weights (B, N) of each hop, in order. hops = 0 returns (u, []) with u's values.
Results are in the inputs' dtype (float32 in gives float32 out). Do not modify any argument in
place (u = u + o, not u += o, which would write into the caller's tensor).
Reordering the slots (the same permutation applied to mem_in, mem_out and mem_mask) reorders
each p the same way and leaves u_final unchanged: a memory is a set, not a sequence.
"""

import torch

Tensor = torch.Tensor


def memn2n_hops(u: Tensor, mem_in: Tensor, mem_out: Tensor, mem_mask: Tensor,
                hops: int) -> tuple[Tensor, list[Tensor]]:
    """Run ``hops`` memory hops from u (B, d) over the masked memory (module docstring).

    Returns (u_final (B, d), [attention (B, N) of each hop]).
    """
    ### BEGIN SOLUTION
    if hops < 0:
        raise ValueError(f"hops must be >= 0, got {hops}")
    any_slot = mem_mask.any(dim=1, keepdim=True)                            # (B, 1)
    attention = []
    for _ in range(hops):
        scores = (mem_in @ u.unsqueeze(-1)).squeeze(-1)                     # (B, N): u . m_i
        scores = scores.masked_fill(~mem_mask, float("-inf"))
        scores = torch.where(any_slot, scores, torch.zeros_like(scores))    # no all -inf row
        p = torch.where(mem_mask, torch.softmax(scores, dim=1), torch.zeros_like(scores))
        o = (p.unsqueeze(1) @ mem_out).squeeze(1)                           # (B, d): sum_i p_i c_i
        u = u + o                                                           # a new tensor
        attention.append(p)
    return u, attention
    ### END SOLUTION
