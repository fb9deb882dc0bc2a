"""Public tests for q067: run them with `rnnkit check q067` (or plain pytest on this file).

The hidden grader uses random token lists with repeats, random batches with unsorted lengths and
large garbage in the pads, reads gradients through rnnkit.probes.output_grads and takes an SGD
step on a small logits table with them.
"""

import pytest
import torch

from rnnkit.testing import assert_close, check, expect_tensor

LOG_PROBS = torch.tensor([[-1.0, -2.0, 50.0], [-0.5, -30.0, -40.0]], dtype=torch.float64)   # 50, -30, -40 are pads
MASK = torch.tensor([[True, True, False], [True, False, False]])
SAMPLE_REWARD = torch.tensor([0.75, 0.25], dtype=torch.float64)
GREEDY_REWARD = torch.tensor([0.25, 0.625], dtype=torch.float64)


@pytest.mark.task(1)
@pytest.mark.parametrize("hyp, ref, want", [
    ([1, 2, 3], [3, 2, 1], 1.0),           # order does not matter
    ([1, 1, 2], [1, 2, 2], 2 / 3),         # overlap 2 (one 1, one 2), precision = recall = 2/3
    ([5, 5, 5, 5], [5], 0.4),              # overlap 1: precision 1/4, recall 1
    ([1, 2], [3, 4], 0.0),
    ([], [1, 2], 0.0),
    ([], [], 0.0),
])
def test_unigram_f1_worked_examples(impl, hyp, ref, want):
    got = impl.unigram_f1(hyp, ref)
    check(isinstance(got, float), f"unigram_f1 should return a float, got {type(got).__name__}")
    check(abs(got - want) < 1e-12, f"unigram_f1({hyp}, {ref}) gave {got}, expected {want}")


@pytest.mark.task(2)
def test_worked_loss(impl):
    got = expect_tensor(impl.scst_loss(LOG_PROBS, MASK, SAMPLE_REWARD, GREEDY_REWARD), (), "scst_loss(...)")
    # advantages (0.5, -0.375); sample log-probs (-3, -0.5); -mean(0.5 * -3, -0.375 * -0.5) = 0.65625
    assert_close(got, torch.tensor(0.65625, dtype=torch.float64), "the SCST loss", against="the worked example")


@pytest.mark.task(3)
def test_sample_as_good_as_greedy(impl):
    got = expect_tensor(impl.scst_loss(LOG_PROBS, MASK, SAMPLE_REWARD, SAMPLE_REWARD.clone()), (), "scst_loss(...)")
    check(float(got) == 0.0, f"equal rewards should give a loss of exactly 0, got {float(got)}")


@pytest.mark.task(4)
def test_worked_gradient(impl):
    got = impl.probe("output_grads", impl.function("scst_loss"), [LOG_PROBS, MASK, SAMPLE_REWARD, GREEDY_REWARD],
                     [torch.tensor(1.0, dtype=torch.float64)])
    g = expect_tensor(got["inputs"][0], (2, 3), "d loss / d sample_log_probs")
    want = torch.tensor([[-0.25, -0.25, 0.0], [0.1875, 0.0, 0.0]], dtype=torch.float64)
    assert_close(g, want, "d loss / d sample_log_probs", against="-advantage / B at real steps, 0 at pads")


@pytest.mark.task(5)
def test_rewards_get_no_gradient(impl):
    got = impl.probe("output_grads", impl.function("scst_loss"), [LOG_PROBS, MASK, SAMPLE_REWARD, GREEDY_REWARD],
                     [torch.tensor(1.0, dtype=torch.float64)])
    for k, name in ((1, "sample_reward"), (2, "greedy_reward")):
        g = got["inputs"][k]
        check(g is None or bool((g == 0).all()), f"a gradient reaches {name}: detach the advantage")


@pytest.mark.task(6)
def test_float32_gives_float32(impl):
    loss = impl.scst_loss(LOG_PROBS.float(), MASK, SAMPLE_REWARD.float(), GREEDY_REWARD.float())
    expect_tensor(loss, (), "scst_loss of float32 inputs", dtype=torch.float32)
