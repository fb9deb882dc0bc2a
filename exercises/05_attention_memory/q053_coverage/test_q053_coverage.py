"""Public tests for q053: run them with `rnnkit check q053` (or plain pytest on this file).

The hidden grader uses random scores, coverages, weights and masks, and garbage attention at
padded target steps.
"""

import math

import pytest
import torch

from rnnkit.testing import assert_close, check, expect_tensor, expect_tuple


def t64(rows) -> torch.Tensor:
    return torch.tensor(rows, dtype=torch.float64)


def step(impl, scores, coverage, w_c, mask):
    B, S = scores.shape
    got = expect_tuple(impl.coverage_attention_step(scores, coverage, w_c, mask), 3, "coverage_attention_step")
    return (expect_tensor(got[0], (B, S), "a"), expect_tensor(got[1], (B, S), "new_coverage"),
            expect_tensor(got[2], (B,), "step_loss"))


@pytest.mark.task(1)
def test_step_by_hand(impl):
    # scores [0, 0], coverage [1, 0], w_c = -ln 3: e = [-ln 3, 0], so a = [1/4, 3/4]
    a, cov, loss = step(impl, t64([[0.0, 0.0]]), t64([[1.0, 0.0]]), torch.tensor(-math.log(3.0), dtype=torch.float64),
                        torch.tensor([[True, True]]))
    assert_close(a, t64([[0.25, 0.75]]), "a", against="softmax([-ln 3, 0])")
    assert_close(cov, t64([[1.25, 0.75]]), "new_coverage", against="coverage + a")
    assert_close(loss, t64([0.25]), "step_loss", against="min(0.25, 1) + min(0.75, 0)")


@pytest.mark.task(1)
def test_padded_positions(impl):
    a, cov, loss = step(impl, t64([[0.0, 5.0, 0.0], [1.0, 2.0, 3.0]]), t64([[0.5, 9.0, 0.0], [0.0, 0.0, 0.0]]),
                        torch.tensor(0.0, dtype=torch.float64), torch.tensor([[True, False, True], [False, False, False]]))
    assert_close(a, t64([[0.5, 0.0, 0.5], [0.0, 0.0, 0.0]]), "a", against="0 at the pads, 0 for a row without a real position")
    assert_close(loss, t64([0.5, 0.0]), "step_loss", against="min(0.5, 0.5) + min(0.5, 0)")


@pytest.mark.task(2)
def test_first_step_and_repeated_attention(impl):
    scores, mask, w_c = t64([[0.3, -1.2, 2.0]]), torch.tensor([[True, True, True]]), torch.tensor(0.0, dtype=torch.float64)
    a1, cov, loss1 = step(impl, scores, torch.zeros(1, 3, dtype=torch.float64), w_c, mask)
    check(float(loss1[0]) == 0.0, "the first step's coverage loss must be 0 (the coverage starts at 0)")
    a2, _, loss2 = step(impl, scores, cov, w_c, mask)   # w_c = 0: the same attention again
    assert_close(loss2, t64([1.0]), "the loss of attending twice in the same way", rtol=0, atol=1e-12, against="1")


A_SEQ = t64([[[0.5, 0.5], [0.75, 0.25], [0.25, 0.75]]])


@pytest.mark.task(3)
def test_coverage_loss_worked_example(impl):
    # step losses 0, min(.75,.5) + min(.25,.5) = 0.75, min(.25,1.25) + min(.75,.75) = 1.0; mean 1.75 / 3
    loss = expect_tensor(impl.coverage_loss(A_SEQ, torch.tensor([[True, True, True]])), (), "coverage_loss(...)")
    assert_close(loss, torch.tensor(1.75 / 3, dtype=torch.float64), "coverage_loss", against="(0 + 0.75 + 1.0) / 3")


@pytest.mark.task(3)
def test_coverage_loss_skips_padded_steps(impl):
    loss = expect_tensor(impl.coverage_loss(A_SEQ, torch.tensor([[True, True, False]])), (), "coverage_loss(...)")
    assert_close(loss, torch.tensor(0.375, dtype=torch.float64), "coverage_loss with step 3 padded",
                 against="(0 + 0.75) / 2 real steps")


@pytest.mark.task(4)
def test_float32_in_float32_out(impl):
    got = expect_tuple(impl.coverage_attention_step(t64([[0.0, 1.0]]).float(), t64([[0.5, 0.0]]).float(),
                                                    torch.tensor(0.5), torch.tensor([[True, True]])),
                       3, "coverage_attention_step")
    for value, name in zip(got, ("a", "new_coverage", "step_loss"), strict=True):
        check(isinstance(value, torch.Tensor) and value.dtype == torch.float32, f"{name} of float32 inputs should be float32")
    loss = expect_tensor(impl.coverage_loss(A_SEQ.float(), torch.tensor([[True, True, True]])), (), "coverage_loss(...)")
    check(loss.dtype == torch.float32, "coverage_loss of float32 attention should be float32")
