"""Public tests for q054: run them with `rnnkit check q054` (or plain pytest on this file).

The hidden grader compares with a position-by-position loop on random sizes, distributions and
source ids (with repeated words and OOV words), and checks gradients.
"""

import pytest
import torch

from rnnkit.testing import assert_close, check, expect_tensor


def t64(rows) -> torch.Tensor:
    return torch.tensor(rows, dtype=torch.float64)


# V = 3 fixed words; the source is [word 2, OOV 0 (extended id 3), word 2]
P_VOCAB = t64([[0.5, 0.25, 0.25]])
ATTN = t64([[0.5, 0.25, 0.25]])
SRC = torch.tensor([[2, 3, 2]])


def run(impl, p_vocab, attn, p_gen, src, n_oov):
    B, V = p_vocab.shape
    return expect_tensor(impl.final_distribution(p_vocab, attn, p_gen, src, n_oov), (B, V + n_oov),
                         "final_distribution(...)")


@pytest.mark.task(1)
def test_worked_example(impl):
    P = run(impl, P_VOCAB, ATTN, t64([[0.75]]), SRC, 1)
    # 0.75 * [0.5, 0.25, 0.25, 0] + 0.25 * [0, 0, 0.5 + 0.25, 0.25]
    assert_close(P, t64([[0.375, 0.1875, 0.375, 0.0625]]), "P", against="the worked example")


@pytest.mark.task(1)
def test_repeated_source_words_accumulate(impl):
    P = run(impl, t64([[0.25, 0.75]]), t64([[0.25, 0.25, 0.5]]), t64([[0.0]]), torch.tensor([[1, 1, 1]]), 0)
    assert_close(P, t64([[0.0, 1.0]]), "P when word 1 fills the whole source and p_gen = 0",
                 against="[0, 0.25 + 0.25 + 0.5]")


@pytest.mark.task(2)
def test_switch_extremes(impl):
    P = run(impl, P_VOCAB, ATTN, t64([[1.0]]), SRC, 1)
    check(bool((P == t64([[0.5, 0.25, 0.25, 0.0]])).all()), "p_gen = 1 must give P_vocab padded with zeros")
    P = run(impl, P_VOCAB, ATTN, t64([[0.0]]), SRC, 1)
    assert_close(P, t64([[0.0, 0.0, 0.75, 0.25]]), "P with p_gen = 0", against="pure copying")
    assert_close(P.sum(), torch.tensor(1.0, dtype=torch.float64), "the sum of P", against="1")


@pytest.mark.task(3)
def test_oov_mass_lands_after_the_vocabulary(impl):
    # two OOV words of the batch: extended ids 3 and 4; this row holds only the second one
    P = run(impl, P_VOCAB, t64([[0.5, 0.5, 0.0]]), t64([[0.5]]), torch.tensor([[4, 0, 1]]), 2)
    assert_close(P, t64([[0.5, 0.125, 0.125, 0.0, 0.25]]), "P with an OOV word of extended id 4",
                 against="0.5 * 0.5 at index V + 1 = 4")


@pytest.mark.task(4)
def test_gradient_with_respect_to_p_gen(impl):
    # dP[w]/dp_gen = P_vocab[w] - copy[w]: with upstream 1 at w = 2 that is 0.25 - 0.75
    upstream = [t64([[0.0, 0.0, 1.0, 0.0]])]
    got = impl.probe("output_grads", impl.function("final_distribution"), [P_VOCAB, ATTN, t64([[0.75]]), SRC, 1], upstream)
    d_p_gen = expect_tensor(got["inputs"][2], (1, 1), "dP[2] / dp_gen")
    assert_close(d_p_gen, t64([[-0.5]]), "dP[2] / dp_gen", against="P_vocab[2] - copy[2]")


@pytest.mark.task(5)
def test_float32_in_float32_out(impl):
    P = impl.final_distribution(P_VOCAB.float(), ATTN.float(), t64([[0.75]]).float(), SRC, 1)
    expect_tensor(P, (1, 4), "P of float32 inputs", dtype=torch.float32)
