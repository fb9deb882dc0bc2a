"""Public tests for q050: run them with `rnnkit check q050` (or plain pytest on this file).

The hidden grader compares with torch's F.cross_entropy(ignore_index=-100) on random batches
with holes in the masks, garbage at the pads and out-of-range pad targets, tries logits of
+-1e4, and builds corpora of batches of different sizes.
"""

import math

import pytest
import torch

from rnnkit.testing import assert_close, check, expect_tensor

LOGITS = torch.tensor([[[2.0, 0.5, -1.0], [0.0, 1.0, 0.0], [-0.5, 0.25, 1.5]],
                       [[1.0, -2.0, 0.5], [40.0, -40.0, 7.0], [-30.0, 0.0, 30.0]]], dtype=torch.float64)
TARGETS = torch.tensor([[0, 2, 1], [1, -100, 7]])        # -100 and 7 sit at padded positions
MASK = torch.tensor([[True, True, True], [True, False, False]])


@pytest.mark.task(1)
def test_worked_example(impl):
    got = expect_tensor(impl.perplexity(LOGITS, TARGETS, MASK), (), "perplexity(logits, targets, mask)")
    # NLLs 0.2413, 1.5514, 1.6020, 3.5046 over 4 real tokens: exp(1.7248) = 5.6115
    assert_close(got, torch.tensor(5.611545625661282, dtype=torch.float64), "the perplexity",
                 against="the worked example")


@pytest.mark.task(2)
def test_uniform_logits_give_v(impl):
    V = 7
    targets = torch.tensor([[0, 3, 6, 1]])
    got = expect_tensor(impl.perplexity(torch.zeros(1, 4, V, dtype=torch.float64), targets, torch.ones(1, 4, dtype=torch.bool)),
                        (), "perplexity of uniform logits")
    assert_close(got, torch.tensor(7.0, dtype=torch.float64), "the perplexity of uniform logits", rtol=1e-12, atol=0.0,
                 against="V = 7")


@pytest.mark.task(3)
def test_logits_of_1e4(impl):
    got = expect_tensor(impl.perplexity(LOGITS + 1e4, TARGETS, MASK), (), "perplexity(logits + 1e4, ...)", finite=False)
    check(bool(torch.isfinite(got)), "shifting every logit by 1e4 must not overflow (use logsumexp)")
    assert_close(got, torch.tensor(5.611545625661282, dtype=torch.float64), "the perplexity of logits + 1e4",
                 rtol=1e-9, atol=0.0, against="the perplexity of the unshifted logits (softmax ignores shifts)")


@pytest.mark.task(4)
def test_corpus_sums_tokens_over_batches(impl):
    first = (LOGITS[:1], TARGETS[:1], MASK[:1])      # 3 real tokens, perplexity 3.1005
    second = (LOGITS[1:], TARGETS[1:], MASK[1:])     # 1 real token, perplexity 33.268
    got = impl.corpus_perplexity([first, second])
    check(isinstance(got, float), f"corpus_perplexity should return a float, got {type(got).__name__}")
    # the same 4 tokens as the worked example; the mean of the two perplexities (18.18) is wrong
    check(math.isclose(got, 5.611545625661282, rel_tol=1e-12),
          f"corpus_perplexity gave {got}, expected 5.611545625661282 (total NLL / total tokens, one exp)")


@pytest.mark.task(5)
def test_float32_gives_float32(impl):
    got = impl.perplexity(LOGITS.float(), TARGETS, MASK)
    expect_tensor(got, (), "perplexity of float32 logits", dtype=torch.float32)
