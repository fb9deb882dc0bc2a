"""Public tests for q057: run them with `rnnkit check q057` (or plain pytest on this file).

The hidden grader uses random sizes, unsorted lengths, several gamma (0, 1, ...), large garbage
at every pad, and reads gradients through rnnkit.probes.output_grads.
"""

import pytest
import torch

from rnnkit.testing import assert_close, check, expect_tensor

MASK = torch.tensor([[True, True, True, False], [True, True, False, False]])   # lengths 3 and 2
REWARDS = torch.tensor([[1.0, 0.0, 2.0, 99.0], [0.5, -1.0, 77.0, 88.0]], dtype=torch.float64)
RETURNS = torch.tensor([[1.5, 1.0, 2.0, 0.0], [0.0, -1.0, 0.0, 0.0]], dtype=torch.float64)   # gamma = 0.5
LOG_PROBS = torch.tensor([[-0.5, -1.0, -2.0, -30.0], [-0.25, -3.0, -40.0, -50.0]], dtype=torch.float64)
BASELINE = torch.tensor([[0.5, 0.5, 0.5, 9.0], [0.0, 0.0, 9.0, 9.0]], dtype=torch.float64)


@pytest.mark.task(1)
def test_worked_returns(impl):
    got = expect_tensor(impl.discounted_returns(REWARDS, MASK, 0.5), (2, 4), "discounted_returns(rewards, mask, 0.5)")
    # row 0: G2 = 2, G1 = 0 + 0.5 * 2, G0 = 1 + 0.5 * 1; row 1: G1 = -1, G0 = 0.5 + 0.5 * -1; pads 0
    assert_close(got, RETURNS, "the returns", against="the worked example (pad rewards never enter)")


@pytest.mark.task(1)
def test_gamma_zero_and_one(impl):
    zero = expect_tensor(impl.discounted_returns(REWARDS, MASK, 0.0), (2, 4), "discounted_returns(..., 0.0)")
    assert_close(zero, torch.where(MASK, REWARDS, 0.0), "the returns with gamma = 0", against="the rewards themselves")
    one = expect_tensor(impl.discounted_returns(REWARDS, MASK, 1.0), (2, 4), "discounted_returns(..., 1.0)")
    want = torch.tensor([[3.0, 2.0, 2.0, 0.0], [-0.5, -1.0, 0.0, 0.0]], dtype=torch.float64)
    assert_close(one, want, "the returns with gamma = 1", against="the suffix sums inside each length")


@pytest.mark.task(2)
def test_worked_loss(impl):
    got = expect_tensor(impl.reinforce_loss(LOG_PROBS, RETURNS, MASK, BASELINE), (), "reinforce_loss(...)")
    # advantages (1, 0.5, 1.5) and (0, -1): sum of adv * log pi = -1.0, divided by B = 2 and negated
    assert_close(got, torch.tensor(0.5, dtype=torch.float64), "the loss with a baseline", against="the worked example")
    got = expect_tensor(impl.reinforce_loss(LOG_PROBS, RETURNS, MASK), (), "reinforce_loss(...) without a baseline")
    assert_close(got, torch.tensor(1.375, dtype=torch.float64), "the loss without a baseline", against="the worked example")


@pytest.mark.task(3)
def test_worked_gradient(impl):
    got = impl.probe("output_grads", impl.function("reinforce_loss"), [LOG_PROBS, RETURNS, MASK, BASELINE],
                     [torch.tensor(1.0, dtype=torch.float64)])
    g = expect_tensor(got["inputs"][0], (2, 4), "d loss / d log_probs")
    want = torch.tensor([[-0.5, -0.25, -0.75, 0.0], [0.0, 0.5, 0.0, 0.0]], dtype=torch.float64)
    assert_close(g, want, "d loss / d log_probs", against="-(G - b) / B, 0 at the pads")


@pytest.mark.task(3)
def test_two_armed_bandit_pushes_the_better_arm_up(impl):
    # logits theta = (0, 0); four one-step episodes took arms 1, 1, 0, 1; arm 1 pays 1, arm 0 pays 0
    actions = [1, 1, 0, 1]
    log_probs = torch.full((4, 1), -0.6931471805599453, dtype=torch.float64)   # log 1/2
    returns = torch.tensor([[1.0], [1.0], [0.0], [1.0]], dtype=torch.float64)
    baseline = torch.full((4, 1), 0.75, dtype=torch.float64)                     # the mean reward
    got = impl.probe("output_grads", impl.function("reinforce_loss"),
                     [log_probs, returns, torch.ones(4, 1, dtype=torch.bool), baseline],
                     [torch.tensor(1.0, dtype=torch.float64)])
    g = expect_tensor(got["inputs"][0], (4, 1), "d loss / d log_probs")
    # chain rule through log softmax at theta = 0: d log pi(a) / d theta_1 = [a == 1] - 1/2
    d_theta1 = sum(float(g[i, 0]) * ((1.0 if a == 1 else 0.0) - 0.5) for i, a in enumerate(actions))
    check(d_theta1 < 0, "a gradient step on this loss should raise the logit of the arm that pays more "
          f"(d loss / d theta_1 should be negative, got {d_theta1})")
    assert_close(torch.tensor(d_theta1, dtype=torch.float64), torch.tensor(-0.1875, dtype=torch.float64), "d loss / d theta_1", against="the worked example")


@pytest.mark.task(4)
def test_baseline_gets_no_gradient(impl):
    got = impl.probe("output_grads", impl.function("reinforce_loss"), [LOG_PROBS, RETURNS, MASK, BASELINE],
                     [torch.tensor(1.0, dtype=torch.float64)])
    for k, name in ((1, "returns"), (2, "baseline")):
        g = got["inputs"][k]
        check(g is None or bool((g == 0).all()), f"a gradient reaches {name}: detach it")


@pytest.mark.task(5)
def test_float32_gives_float32(impl):
    got = impl.discounted_returns(REWARDS.float(), MASK, 0.5)
    expect_tensor(got, (2, 4), "discounted_returns of float32 rewards", dtype=torch.float32)
    loss = impl.reinforce_loss(LOG_PROBS.float(), RETURNS.float(), MASK, BASELINE.float())
    expect_tensor(loss, (), "reinforce_loss of float32 inputs", dtype=torch.float32)
