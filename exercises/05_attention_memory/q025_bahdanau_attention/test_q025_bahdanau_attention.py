"""Public tests for q025: run them with `rnnkit check q025` (or plain pytest on this file).

The module is used through its state_dict, as the grader does: build it, load weights, call it.
The hidden grader uses random sizes, weights and masks, and garbage at padded positions.
"""

import math

import pytest
import torch

from rnnkit.testing import assert_close, check, expect_dict, expect_tensor, expect_tuple


def t64(rows) -> torch.Tensor:
    return torch.tensor(rows, dtype=torch.float64)


WEIGHTS = {"W_k.weight": t64([[1.0, 0.0], [0.0, 1.0]]), "W_q.weight": t64([[1.0], [0.0]]), "v.weight": t64([[1.0, -1.0]])}
QUERY = t64([[0.5]])
KEYS = t64([[[1.0, 0.0], [0.0, 1.0], [3.0, 3.0]]])      # position 2 is padding
MASK = torch.tensor([[True, True, False]])


def loaded(impl):
    att = impl.AdditiveAttention(2, 1, 2)
    att.load_state_dict(WEIGHTS)
    return att


def run(att, query, keys, mask):
    got = expect_tuple(att(query, keys, mask), 2, "AdditiveAttention.forward")
    B, S, E = keys.shape
    return expect_tensor(got[0], (B, E), "context"), expect_tensor(got[1], (B, S), "alpha")


@pytest.mark.task(1)
def test_parameter_names_and_shapes(impl):
    att = impl.AdditiveAttention(5, 3, 4)
    sd = expect_dict(att.state_dict(), ["W_k.weight", "W_q.weight", "v.weight"], "AdditiveAttention.state_dict()")
    expect_tensor(sd["W_k.weight"], (4, 5), "W_k.weight")
    expect_tensor(sd["W_q.weight"], (4, 3), "W_q.weight")
    expect_tensor(sd["v.weight"], (1, 4), "v.weight")


@pytest.mark.task(2)
def test_worked_example(impl):
    context, alpha = run(loaded(impl), QUERY, KEYS, MASK)
    # e = v . tanh(W_k k + W_q q) = [tanh(1.5) - tanh(0), tanh(0.5) - tanh(1)] at the real positions
    e = [math.tanh(1.5), math.tanh(0.5) - math.tanh(1.0)]
    a0 = 1 / (1 + math.exp(e[1] - e[0]))
    assert_close(alpha, t64([[a0, 1 - a0, 0.0]]), "alpha", against="softmax(e) with 0 at the pad")
    assert_close(context, t64([[a0, 1 - a0]]), "context", against="a0 k_0 + a1 k_1")
    assert_close(alpha, t64([[0.7693465680597501, 0.23065343194024995, 0.0]]), "alpha", against="the worked example")


@pytest.mark.task(3)
def test_padding_garbage_and_empty_rows(impl):
    att = loaded(impl)
    keys = KEYS.repeat(2, 1, 1)
    mask = torch.tensor([[True, True, False], [False, False, False]])   # row 1: no real position
    context, alpha = run(att, QUERY.repeat(2, 1), keys, mask)
    check(bool((alpha[1] == 0).all() and (context[1] == 0).all()), "a row with no real position must give exactly 0")
    keys2 = keys.clone()
    keys2[~mask] = -250.0
    context2, alpha2 = run(att, QUERY.repeat(2, 1), keys2, mask)
    assert_close(context2, context, "context with other garbage at the pads", against="context before")
    assert_close(alpha2, alpha, "alpha with other garbage at the pads", against="alpha before")


@pytest.mark.task(4)
def test_gradient_reaches_the_query(impl):
    got = impl.probe("output_grads", loaded(impl), [QUERY, KEYS, MASK], [t64([[1.0, 0.0]]), t64([[0.0, 0.0, 0.0]])])
    d_query = expect_tensor(got["inputs"][0], (1, 1), "d context[0] / d query")
    check(bool(d_query.abs().sum() > 0), "the context should depend on the query")
    check(got["params"].get("v.weight") is not None, "v.weight should get a gradient")


@pytest.mark.task(5)
def test_float32_in_float32_out(impl):
    att = impl.AdditiveAttention.with_options(dtype="float32")(2, 1, 2)
    att.load_state_dict({k: v.float() for k, v in WEIGHTS.items()})
    got = expect_tuple(att(QUERY.float(), KEYS.float(), MASK), 2, "AdditiveAttention.forward")
    expect_tensor(got[0], (1, 2), "context of float32 inputs", dtype=torch.float32)
    expect_tensor(got[1], (1, 3), "alpha of float32 inputs", dtype=torch.float32)
