"""q057 · REINFORCE for an LSTM text generator (torch).

A generator samples a sequence a_0, a_1, ... token by token from its policy pi(a_t | a_<t) (an
LSTM with a softmax head) and receives rewards r_t. REINFORCE (Williams, 1992) raises the
log-probability of each sampled token in proportion to the return that followed it:
    G_t = r_t + gamma r_{t+1} + gamma^2 r_{t+2} + ...     (up to the sequence's end)
    loss = -(1/B) sum_b sum_t (G_{b,t} - b_{b,t}) log pi(a_{b,t})
whose gradient is an unbiased estimate of -grad E[return]. A baseline b (for example a value
estimate) lowers the variance; it must not receive gradient from this loss, so it is DETACHED,
and so are the returns (they are data: rewards from the environment).

Shapes (B = batch, T = padded length; float tensors in one dtype):
    rewards    (B, T)  r_t; garbage (finite) at pads
    mask       (B, T)  bool, True at the real steps. A PREFIX mask: row b is True at t < n_b
                       and False after (n_b >= 1)
    log_probs  (B, T)  log pi(a_t) of the token actually taken at step t (already gathered from
                       the log-softmax); it carries the gradient; garbage (finite) at pads
    returns    (B, T)  G_t as discounted_returns gives it
    baseline   (B, T) or None (None means b = 0)

discounted_returns(rewards, mask, gamma) -> (B, T), 0 <= gamma <= 1:
    G[b, t] = sum_{k = t}^{n_b - 1} gamma^(k - t) * rewards[b, k]  for t < n_b  (the reverse
    discounted cumulative sum inside the length: G_t = r_t + gamma * G_{t+1}, G_{n_b - 1} =
    r_{n_b - 1}); G[b, t] = 0 at the pads. Rewards at pads never enter any G.

reinforce_loss(log_probs, returns, mask, baseline=None) -> 0-d tensor of log_probs' dtype:
    -(1/B) * sum over real steps (mask True) of (returns - baseline) * log_probs
    divided by the number of SEQUENCES B (not by the number of tokens). Masked steps contribute
    exactly 0, to the value and to the gradient, whatever garbage they hold. returns and
    baseline are treated as constants: detach them, so no gradient reaches them, and the
    gradient with respect to log_probs is exactly -(returns - baseline) / B at real steps.
Do not modify any argument in place.
"""

import torch


def discounted_returns(rewards: torch.Tensor, mask: torch.Tensor, gamma: float) -> torch.Tensor:
    """Reverse discounted cumulative sums of rewards (B, T) inside each length; 0 at pads."""
    ### BEGIN SOLUTION
    T = rewards.shape[1]
    r = torch.where(mask, rewards, torch.zeros_like(rewards))      # pads never enter a return
    G = torch.zeros_like(r[:, 0])                                  # (B,) return after the last step
    out = [r[:, 0]] * T
    for t in reversed(range(T)):
        G = r[:, t] + gamma * G
        G = torch.where(mask[:, t], G, torch.zeros_like(G))        # 0 at pads
        out[t] = G
    return torch.stack(out, dim=1)                                 # (B, T)
    ### END SOLUTION


def reinforce_loss(log_probs: torch.Tensor, returns: torch.Tensor, mask: torch.Tensor,
                   baseline: torch.Tensor | None = None) -> torch.Tensor:
    """-(1/B) sum_t mask * (G - b).detach() * log_probs; a 0-d tensor."""
    ### BEGIN SOLUTION
    advantage = returns.detach()
    if baseline is not None:
        advantage = advantage - baseline.detach()                  # no gradient to the baseline
    terms = torch.where(mask, advantage * log_probs, torch.zeros_like(log_probs))
    return -terms.sum() / log_probs.shape[0]                       # per sequence, not per token
    ### END SOLUTION
