"""q050 · Masked perplexity from logits (torch).

Perplexity is the exponential of the average negative log-likelihood per token:
    PPL = exp( (1/N) sum over the N real tokens of -log p(target) )
It reads as "the model is as unsure as a uniform choice among PPL words": uniform logits over
V words give exactly V (up to rounding), a model that puts all its mass on the right tokens
gives 1, and lower is better. Two details decide whether the number is right:
    - pads are not tokens: they add nothing to the sum and nothing to N;
    - over a corpus split into batches, sum the NLL and the token counts over ALL batches and
      exponentiate once. The mean of per-batch perplexities (or of per-batch mean NLLs) weighs a
      batch of 3 tokens like a batch of 300, and is wrong.

Shapes (B = batch, T = padded length, V = vocabulary):
    logits   (B, T, V)  float scores (any finite values, up to +-1e4 and beyond); garbage at pads
    targets  (B, T)     int64 ids in [0, V) at real tokens; at pads ANY integer, for example
                        -100 or V: never use a pad's target as an index
    mask     (B, T)     bool, True at real tokens (any pattern, not only prefixes)

-log p(target) = logsumexp_v logits[b, t, v] - logits[b, t, target]: compute it with a stable
log-softmax (torch.logsumexp or torch.log_softmax, which subtract the maximum), never as
log(exp(...) / sum(exp(...))): exp(1e4) is inf in float64.

perplexity(logits, targets, mask) -> 0-d tensor of logits' dtype: exp(sum of the real tokens'
    NLL / number of real tokens); the batch holds at least one real token. It equals
    exp(F.cross_entropy(logits.reshape(-1, V), targets with -100 at the pads, ignore_index=-100)).
corpus_perplexity(batches) -> Python float: batches is an iterable (a list) of
    (logits, targets, mask) triples as above, whose B and T may differ from batch to batch
    (V is the same); a batch may hold no real token at all (it adds nothing), but the corpus
    holds at least one. Returns exp(total NLL / total number of real tokens).
Forbidden (the point is to write the loss yourself): F.cross_entropy, F.nll_loss,
nn.CrossEntropyLoss, nn.NLLLoss. Do not modify any argument in place.
"""

from collections.abc import Iterable

import torch


def perplexity(logits: torch.Tensor, targets: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """exp(mean NLL over the real tokens) of logits (B, T, V) against targets (B, T); 0-d tensor."""
    ### BEGIN SOLUTION
    log_probs = logits - torch.logsumexp(logits, dim=-1, keepdim=True)      # stable log-softmax
    safe = torch.where(mask, targets, torch.zeros_like(targets))           # pad targets may be -100
    nll = -log_probs.gather(-1, safe.unsqueeze(-1)).squeeze(-1)            # (B, T)
    nll = torch.where(mask, nll, torch.zeros_like(nll))
    return torch.exp(nll.sum() / mask.sum())
    ### END SOLUTION


def corpus_perplexity(batches: Iterable[tuple[torch.Tensor, torch.Tensor, torch.Tensor]]) -> float:
    """exp(total NLL / total real tokens) over every batch: one exponential, not a mean of PPLs."""
    ### BEGIN SOLUTION
    total_nll, total_tokens = 0.0, 0
    for logits, targets, mask in batches:
        log_probs = logits - torch.logsumexp(logits, dim=-1, keepdim=True)
        safe = torch.where(mask, targets, torch.zeros_like(targets))
        nll = -log_probs.gather(-1, safe.unsqueeze(-1)).squeeze(-1)
        total_nll += float(torch.where(mask, nll, torch.zeros_like(nll)).sum())
        total_tokens += int(mask.sum())
    return float(torch.exp(torch.tensor(total_nll / total_tokens, dtype=torch.float64)))
    ### END SOLUTION
