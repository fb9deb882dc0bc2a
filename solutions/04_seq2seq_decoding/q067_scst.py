"""q067 · Self-critical sequence training (torch).

Self-critical sequence training (Rennie et al., 2017) is REINFORCE with the model's own GREEDY
output as the baseline. For each input the model samples a sequence w^s and also decodes
greedily to w^g; both are scored with the test metric (here a unigram F1 against the
reference). The advantage r(w^s) - r(w^g) is positive when the sample beat what the model
would do at test time, so the update raises the sample's probability; when it is negative the
update lowers it; and a sample no better than greedy (equal rewards) changes nothing.

unigram_f1(hyp, ref) -> float, hyp and ref lists of token ids (ints), compared as MULTISETS:
    overlap   = number of common tokens counted with multiplicity:
                sum over tokens v of min(count of v in hyp, count of v in ref)
                (collections.Counter(hyp) & Counter(ref) gives exactly this)
    precision = overlap / len(hyp),  recall = overlap / len(ref)
    F1        = 2 * precision * recall / (precision + recall)
    F1 = 0.0 when overlap is 0, which includes an empty hyp or an empty ref. Order does not matter.

scst_loss(sample_log_probs, sample_mask, sample_reward, greedy_reward) -> 0-d tensor:
    sample_log_probs  (B, T)  log p(w^s_t | w^s_<t) of the SAMPLED tokens (carries the gradient);
                              finite garbage at pads
    sample_mask       (B, T)  bool, True at the sampled sequence's real steps
    sample_reward     (B,)    r(w^s), greedy_reward (B,) r(w^g)
    advantage_b = sample_reward_b - greedy_reward_b, DETACHED (the rewards are constants: no
                  gradient may reach them)
    loss = -(1/B) sum_b advantage_b * sum_{t real} sample_log_probs[b, t]
    (the mean over the batch of -advantage * the sample's log-probability). Masked steps add
    exactly 0, to the value and to the gradient. The result has sample_log_probs' dtype.
Do not modify any argument in place.
"""

from collections import Counter

import torch


def unigram_f1(hyp: list[int], ref: list[int]) -> float:
    """Multiset unigram F1 of hyp against ref; 0.0 when they share nothing (or either is empty)."""
    ### BEGIN SOLUTION
    overlap = sum((Counter(hyp) & Counter(ref)).values())
    if overlap == 0:
        return 0.0
    precision, recall = overlap / len(hyp), overlap / len(ref)
    return 2 * precision * recall / (precision + recall)
    ### END SOLUTION


def scst_loss(sample_log_probs: torch.Tensor, sample_mask: torch.Tensor, sample_reward: torch.Tensor,
              greedy_reward: torch.Tensor) -> torch.Tensor:
    """-mean_b (r(sample) - r(greedy)).detach() * sum_t mask * log p(sample); a 0-d tensor."""
    ### BEGIN SOLUTION
    advantage = (sample_reward - greedy_reward).detach()                  # (B,) the greedy baseline
    seq_log_prob = torch.where(sample_mask, sample_log_probs, torch.zeros_like(sample_log_probs)).sum(dim=1)
    return -(advantage * seq_log_prob).mean()
    ### END SOLUTION
