"""Hidden grader for q067_scst (never shipped to students).

Rewards are unigram F1 as errata 47 defines it (Counter intersection, 0.0 when either side is
empty). Sampled sequences come with prefix masks (lengths >= 1, 1 and T included) and large
finite garbage (100 * N(0, 1)) in the pads of sample_log_probs. Oracles are written here.
Value tasks call with the in-place check off; task 6 calls with it on.

Task 1: unigram_f1 on fixed cases (repeated tokens, order, empty hyp / ref / both, disjoint,
        identical multisets) and on random lists with repeats: equals 2 o / (|hyp| + |ref|)
        with o the multiset overlap (rtol 1e-12), a Python float.
Task 2: scst_loss equals -(1/B) sum_b (r_s - r_g) sum_real log p (1e-12, errata 47).
Task 3: greedy_reward == sample_reward for every row: the loss is exactly 0 and, through
        rnnkit.probes.output_grads, d loss / d log p is exactly 0.
Task 4: output_grads: d loss / d log p = -m (r_s - r_g) / B (1e-12), exactly 0 at pads. Then, in
        the grader, one SGD step (lr 0.05) on a per-step logits table theta (T, V) that produced
        the log-probs of one sampled sequence (B = 1), using that gradient through the chain
        rule: the sample's log-probability rises when r_s > r_g and falls when r_s < r_g.
Task 5: output_grads: no gradient (None or exactly 0) reaches sample_reward or greedy_reward.
Task 6: hygiene: with the in-place check on, no argument changes; float32 log-probs give a
        float32 loss close (1e-5) to the same function's float64 result.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

from rnnkit.fair import ValuesOnly
from rnnkit.testing import assert_close, check, expect_dict, expect_tensor, trandn

F1_FIXED = [([1, 2, 3], [1, 2, 3]), ([1, 1, 2], [1, 2, 2]), ([3, 1, 2], [1, 2, 3]), ([], [1, 2]), ([1, 2], []),
            ([], []), ([1, 2], [3, 4]), ([5, 5, 5, 5], [5]), ([1, 2, 2, 3, 3, 3], [3, 3, 2, 7]), ([4], [4])]
# (B, T, lengths)
LOSS_FIXED = [(1, 1, [1]), (3, 5, [5, 1, 3]), (4, 6, [1, 6, 2, 4]), (2, 3, [3, 3])]
N_LOSS = len(LOSS_FIXED) + 2
GARBAGE = 100.0


@pytest.fixture
def impl(impl):
    return ValuesOnly(impl)


def f1_oracle(hyp: list[int], ref: list[int]) -> float:
    overlap = sum(min(hyp.count(v), ref.count(v)) for v in set(hyp))
    return 0.0 if overlap == 0 else 2.0 * overlap / (len(hyp) + len(ref))


# --- task 1 -------------------------------------------------------------------------------------

@pytest.mark.task(1)
@pytest.mark.parametrize("case", range(len(F1_FIXED) + 6))
def test_unigram_f1(impl, rng, case):
    if case < len(F1_FIXED):
        hyp, ref = F1_FIXED[case]
    else:
        V = int(rng.integers(2, 6))
        hyp = [int(v) for v in rng.integers(0, V, size=int(rng.integers(1, 9)))]
        ref = [int(v) for v in rng.integers(0, V, size=int(rng.integers(1, 9)))]
    got = impl.unigram_f1(list(hyp), list(ref))
    check(isinstance(got, float), f"unigram_f1 should return a Python float, got {type(got).__name__}")
    want = f1_oracle(hyp, ref)
    check(abs(got - want) <= 1e-12 * max(1.0, abs(want)),
          "unigram_f1 differs from the multiset F1 (Counter intersection; 0.0 when nothing is shared)")


# --- tasks 2 to 5 -------------------------------------------------------------------------------

def loss_case(rng: np.random.Generator, case: int) -> tuple[torch.Tensor, ...]:
    if case < len(LOSS_FIXED):
        B, T, lengths = LOSS_FIXED[case]
        lens = torch.tensor(lengths)
    else:
        B, T = int(rng.integers(2, 6)), int(rng.integers(2, 8))
        values = rng.integers(1, T + 1, size=B)
        values[0], values[-1] = 1, T
        lens = torch.as_tensor(rng.permutation(values))
    mask = torch.arange(T)[None, :] < lens[:, None]
    log_probs = -torch.from_numpy(rng.exponential(1.0, size=(B, T)))
    log_probs[~mask] = trandn(rng, int((~mask).sum()), scale=GARBAGE)
    sample_reward = torch.from_numpy(rng.uniform(0, 1, size=B))
    greedy_reward = torch.from_numpy(rng.uniform(0, 1, size=B))
    return log_probs, mask, sample_reward, greedy_reward


def loss_oracle(log_probs: torch.Tensor, mask: torch.Tensor, rs: torch.Tensor, rg: torch.Tensor) -> torch.Tensor:
    B = log_probs.shape[0]
    total = sum((float(rs[b]) - float(rg[b])) * sum(float(log_probs[b, t]) for t in range(log_probs.shape[1])
                                                   if mask[b, t]) for b in range(B))
    return torch.tensor(-total / B, dtype=torch.float64)


def grads_of(impl: Any, args: list[torch.Tensor]) -> list[Any]:
    got = expect_dict(impl.probe("output_grads", impl.function("scst_loss"), args, [torch.tensor(1.0, dtype=torch.float64)]),
                      ["outputs", "inputs", "params"], "the gradient probe")
    grads = got["inputs"]
    check(isinstance(grads, list) and len(grads) == 3, "the gradient probe could not read the gradients")
    return grads


@pytest.mark.task(2)
@pytest.mark.parametrize("case", range(N_LOSS))
def test_loss_value(impl, rng, case):
    args = loss_case(rng, case)
    got = expect_tensor(impl.scst_loss(*args), (), "scst_loss(...)", dtype=torch.float64)
    assert_close(got, loss_oracle(*args), "the SCST loss", rtol=1e-12, atol=1e-12,
                 against="-mean_b (r_sample - r_greedy) * sum of the sample's log-probs")


@pytest.mark.task(3)
@pytest.mark.parametrize("case", range(1, 4))
def test_equal_rewards_give_zero(impl, rng, case):
    log_probs, mask, sample_reward, _ = loss_case(rng, case)
    greedy_reward = sample_reward.clone()
    got = expect_tensor(impl.scst_loss(log_probs, mask, sample_reward, greedy_reward), (), "scst_loss(...)",
                        dtype=torch.float64)
    check(float(got) == 0.0, "when the sample scores exactly as well as the greedy decode, the loss must be 0")
    grads = grads_of(impl, [log_probs, mask, sample_reward, greedy_reward])
    check(grads[0] is None or bool((grads[0] == 0).all()),
          "when the sample scores exactly as well as the greedy decode, the gradient must be 0")


@pytest.mark.task(4)
@pytest.mark.parametrize("case", range(1, N_LOSS))
def test_gradient_formula(impl, rng, case):
    log_probs, mask, rs, rg = loss_case(rng, case)
    B = log_probs.shape[0]
    grads = grads_of(impl, [log_probs, mask, rs, rg])
    check(grads[0] is not None, "no gradient reaches sample_log_probs")
    g = expect_tensor(grads[0], tuple(log_probs.shape), "d loss / d sample_log_probs")
    check(bool((g[~mask] == 0).all()), "masked steps must get a gradient of exactly 0")
    want = torch.where(mask, (-(rs - rg) / B)[:, None].expand_as(log_probs), torch.zeros_like(log_probs))
    assert_close(g, want, "d loss / d sample_log_probs", rtol=1e-12, atol=1e-12, against="-(r_s - r_g) / B at real steps")


@pytest.mark.task(4)
@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_one_sgd_step_moves_the_sample(impl, rng, sign):
    T, V = int(rng.integers(2, 6)), int(rng.integers(2, 6))
    theta = trandn(rng, T, V)
    tokens = torch.as_tensor(rng.integers(0, V, size=T))
    n = int(rng.integers(1, T + 1))
    mask = (torch.arange(T) < n)[None, :]

    def sample_log_prob(th: torch.Tensor) -> torch.Tensor:
        logp = torch.log_softmax(th, dim=1)[torch.arange(T), tokens]      # (T,)
        return logp

    log_probs = sample_log_prob(theta)[None, :].clone()
    gap = float(rng.uniform(0.2, 0.8))
    rs, rg = torch.tensor([0.5 + sign * gap / 2], dtype=torch.float64), torch.tensor([0.5 - sign * gap / 2], dtype=torch.float64)
    grads = grads_of(impl, [log_probs, mask, rs, rg])
    check(grads[0] is not None, "no gradient reaches sample_log_probs")
    g = expect_tensor(grads[0], (1, T), "d loss / d sample_log_probs")[0]
    leaf = theta.clone().requires_grad_(True)
    (sample_log_prob(leaf) * g).sum().backward()                      # chain rule to the table
    new_theta = theta - 0.05 * leaf.grad
    before = float(torch.where(mask[0], sample_log_prob(theta), 0.0).sum())
    after = float(torch.where(mask[0], sample_log_prob(new_theta), 0.0).sum())
    if sign > 0:
        check(after > before, "one SGD step should raise the sample's log-probability when it beat the greedy decode")
    else:
        check(after < before, "one SGD step should lower the sample's log-probability when the greedy decode did better")


@pytest.mark.task(5)
@pytest.mark.parametrize("case", range(1, 4))
def test_rewards_get_no_gradient(impl, rng, case):
    grads = grads_of(impl, list(loss_case(rng, case)))
    for k, name in ((1, "sample_reward"), (2, "greedy_reward")):
        g = grads[k]
        check(g is None or (isinstance(g, torch.Tensor) and bool((g == 0).all())),
              f"a gradient reaches {name}: detach the advantage")


# --- task 6 -------------------------------------------------------------------------------------

@pytest.mark.task(6)
@pytest.mark.parametrize("case", range(2))
def test_hygiene(impl, rng, case):
    hyp, ref = F1_FIXED[1 + case]
    impl.checked.unigram_f1(list(hyp), list(ref))
    log_probs, mask, rs, rg = loss_case(rng, 1 + case)
    impl.checked.scst_loss(log_probs, mask, rs, rg)               # the in-place check is on
    l32 = expect_tensor(impl.scst_loss(log_probs.float(), mask, rs.float(), rg.float()), (),
                        "scst_loss of float32 inputs", dtype=torch.float32)
    l64 = impl.scst_loss(log_probs.float().double(), mask, rs.float().double(), rg.float().double())
    assert_close(l32, l64, "the float32 loss", rtol=1e-5, atol=1e-4, against="the same loss in float64")
