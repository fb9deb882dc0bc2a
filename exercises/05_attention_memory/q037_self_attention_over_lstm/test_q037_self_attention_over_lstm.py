"""Public tests for q037: run them with `rnnkit check q037` (or plain pytest on this file).

The hidden grader compares with torch's own scaled dot-product attention on random sizes, masks
and weights, puts garbage at padded keys, and checks causality through gradients.
"""

import math

import pytest
import torch

from rnnkit.testing import assert_close, check, expect_tensor, expect_tuple


def lin(a: float, b: float, *shape: int) -> torch.Tensor:
    n = 1
    for s in shape:
        n *= s
    return torch.linspace(a, b, n, dtype=torch.float64).reshape(shape)


def t64(rows) -> torch.Tensor:
    return torch.tensor(rows, dtype=torch.float64)


@pytest.mark.task(1)
def test_cross_attention_by_hand(impl):
    # one query [1, 0] over keys [1, 0], [0, 1] (d = 2): scores 1/sqrt(2) and 0
    q = t64([[[1.0, 0.0]]])
    k = t64([[[1.0, 0.0], [0.0, 1.0]]])
    v = t64([[[2.0], [-2.0]]])
    out = expect_tensor(impl.cross_attention(q, k, v, torch.tensor([[True, True]])), (1, 1, 1), "cross_attention(...)")
    a0 = 1 / (1 + math.exp(-1 / math.sqrt(2)))   # softmax([0.7071, 0])[0] = 0.6698...
    assert_close(out, t64([[[2 * a0 - 2 * (1 - a0)]]]), "out", against="the hand value 2 a0 - 2 (1 - a0)")


@pytest.mark.task(1)
def test_cross_attention_worked_example(impl):
    q, k, v = lin(-1, 1, 1, 2, 2), lin(0.5, -1.5, 1, 3, 2), lin(-2, 2, 1, 3, 2)
    out = expect_tensor(impl.cross_attention(q, k, v, torch.tensor([[True, True, False]])), (1, 2, 2),
                        "cross_attention(...)")
    assert_close(out, t64([[[-0.9118344881488094, -0.11183448814880959], [-1.4881655118511903, -0.6881655118511903]]]),
                 "out", against="the worked example (the third key is padding)")


@pytest.mark.task(2)
def test_garbage_at_padded_keys_and_empty_rows(impl):
    q, k, v = lin(-1, 1, 2, 2, 2), lin(0.5, -1.5, 2, 3, 2), lin(-2, 2, 2, 3, 2)
    key_mask = torch.tensor([[True, True, False], [False, False, False]])   # row 1 has no real key
    first = expect_tensor(impl.cross_attention(q, k, v, key_mask), (2, 2, 2), "cross_attention(...)")
    k2, v2 = k.clone(), v.clone()
    k2[~key_mask], v2[~key_mask] = 300.0, -1e4
    second = expect_tensor(impl.cross_attention(q, k2, v2, key_mask), (2, 2, 2), "cross_attention(...) with garbage at pads")
    assert_close(second, first, "out with other garbage at the padded keys", against="out before")
    check(bool((first[1] == 0).all()), "a query row with no real key must give exactly 0 (and no NaN)")


H3 = lin(-1, 1, 1, 3, 2)
W_Q = t64([[1.0, 0.0], [0.0, 1.0]])
W_K = t64([[0.5, -1.0], [1.0, 0.5]])
W_V = t64([[1.0, 2.0, 0.0], [0.5, -1.0, 1.0]])


def run_self(impl, mask, causal):
    got = expect_tuple(impl.self_attention(H3, mask, W_Q, W_K, W_V, causal), 2, "self_attention")
    return (expect_tensor(got[0], (1, 3, 3), "out"), expect_tensor(got[1], (1, 3, 3), "the attention weights"))


@pytest.mark.task(3)
def test_self_attention_worked_example(impl):
    out, a = run_self(impl, torch.tensor([[True, True, False]]), False)
    assert_close(a, t64([[[0.6634758431746574, 0.3365241568253426, 0.0], [0.5563284127695765, 0.44367158723042366, 0.0],
                          [0.4436715872304236, 0.5563284127695765, 0.0]]]), "the attention weights",
                 against="the worked example (step 2 is padding, so its column is 0)")
    assert_close(out, t64([[[-0.8961710118095889, -1.1307806745397257, -0.3307806745397259],
                            [-0.7675940953234918, -1.0450627302156612, -0.2450627302156611],
                            [-0.6324059046765084, -0.9549372697843388, -0.15493726978433886]]]), "out",
                 against="the worked example")


@pytest.mark.task(4)
def test_causal_worked_example(impl):
    out, a = run_self(impl, torch.tensor([[True, True, True]]), True)
    assert_close(a, t64([[[1.0, 0.0, 0.0], [0.5563284127695765, 0.44367158723042366, 0.0],
                          [0.26135364125136235, 0.327716402387981, 0.41092995636065677]]]), "the attention weights",
                 against="the worked example (lower triangular: step t sees steps 0..t)")
    assert_close(out, t64([[[-1.3, -1.4, -0.6], [-0.7675940953234918, -1.0450627302156612, -0.2450627302156611],
                            [0.07949157813115332, -0.4803389479125645, 0.31966105208743556]]]), "out",
                 against="the worked example")


@pytest.mark.task(4)
def test_causal_output_ignores_the_future(impl):
    # gradient of out[:, 0] (only) with respect to h: steps 1 and 2 must get exactly 0
    upstream = [torch.zeros(1, 3, 3, dtype=torch.float64), torch.zeros(1, 3, 3, dtype=torch.float64)]
    upstream[0][0, 0] = 1.0
    got = impl.probe("output_grads", impl.function("self_attention"),
                     [H3, torch.tensor([[True, True, True]]), W_Q, W_K, W_V, True], upstream)
    dh = expect_tensor(got["inputs"][0], (1, 3, 2), "d out[:, 0] / d h")
    check(bool((dh[0, 1:] == 0).all()), "with causal=True, output step 0 must not depend on h at steps 1 and 2")
    check(bool((dh[0, 0] != 0).any()), "output step 0 should depend on h at step 0")


@pytest.mark.task(5)
def test_float32_in_float32_out(impl):
    got = expect_tuple(impl.self_attention(H3.float(), torch.tensor([[True, True, False]]), W_Q.float(), W_K.float(),
                                           W_V.float(), False), 2, "self_attention")
    expect_tensor(got[0], (1, 3, 3), "out of float32 inputs", dtype=torch.float32)
    expect_tensor(got[1], (1, 3, 3), "the attention weights of float32 inputs", dtype=torch.float32)
