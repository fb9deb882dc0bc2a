"""Public tests for q056: run them with `rnnkit check q056` (or plain pytest on this file).

han_document_vector gets its sent_encoder from rnnkit.callables, built next to your code by the
probe "callable_call", which also records every call the encoder receives:
    impl.probe("callable_call", impl.function("han_document_vector"), "gru_sent_encoder",
               {"gru": gru}, [word_h, word_mask, sent_mask, word_params, sent_params], position=3)
calls han_document_vector(word_h, word_mask, sent_mask, GRUSentEncoder(gru), word_params,
sent_params) and returns {"value": what it returned, "calls": [[x, mask] of each call]}.
The hidden grader uses random sizes, weights and masks, and garbage at every padded position.
"""

import pytest
import torch

from rnnkit.testing import assert_close, check, expect_tensor, expect_tuple

F64 = torch.float64


def lin(a: float, b: float, *shape: int) -> torch.Tensor:
    n = 1
    for s in shape:
        n *= s
    return torch.linspace(a, b, n, dtype=F64).reshape(shape)


def pool_inputs():
    h = torch.tensor([[[1.0, 0.0], [0.0, 1.0], [40.0, -40.0]]], dtype=F64)     # position 2 is padding
    mask = torch.tensor([[True, True, False]])
    W = torch.tensor([[1.0, 0.0], [0.0, -1.0]], dtype=F64)
    return h, mask, W, torch.tensor([0.0, 0.5], dtype=F64), torch.tensor([1.0, 2.0], dtype=F64)


def pool(impl, *args):
    pooled, alpha = expect_tuple(impl.attention_pool(*args), 2, "attention_pool")
    N, L, D = args[0].shape
    return expect_tensor(pooled, (N, D), "pooled"), expect_tensor(alpha, (N, L), "alpha")


@pytest.mark.task(1)
def test_attention_pool_worked_example(impl):
    pooled, alpha = pool(impl, *pool_inputs())
    # scores: tanh(1) + 2 tanh(0.5) = 1.6858 and 0 + 2 tanh(-0.5) = -0.9242; the pad is left out
    want = torch.tensor([[0.9315064022066216, 0.06849359779337842, 0.0]], dtype=F64)
    check(alpha[0, 2] == 0, "the weight of a padded position must be exactly 0")
    assert_close(alpha, want, "alpha", against="the worked example")
    assert_close(pooled, want[:, :2], "pooled", against="alpha . h (here h is the identity at the real positions)")


@pytest.mark.task(2)
def test_all_pad_row_gives_zeros(impl):
    h, _, W, b, u = pool_inputs()
    pooled, alpha = pool(impl, h, torch.zeros(1, 3, dtype=torch.bool), W, b, u)
    check(bool((pooled == 0).all()) and bool((alpha == 0).all()),
          f"a row without a real position should give zeros, got pooled {pooled.tolist()}, alpha {alpha.tolist()}")
    got = impl.probe("output_grads", impl.function("attention_pool"), [h, torch.zeros(1, 3, dtype=torch.bool), W, b, u],
                     [torch.ones(1, 2, dtype=F64), torch.ones(1, 3, dtype=F64)])
    for g in got["inputs"]:
        check(g is None or bool(torch.isfinite(g).all()), "the gradients of an all-pad row must be finite (no NaN)")


def han_inputs():
    gru = torch.nn.GRU(2, 2, batch_first=True).double()
    with torch.no_grad():
        gru.weight_ih_l0.copy_(lin(-0.5, 0.5, 6, 2))
        gru.weight_hh_l0.copy_(lin(0.4, -0.4, 6, 2))
        gru.bias_ih_l0.copy_(lin(-0.1, 0.1, 6))
        gru.bias_hh_l0.copy_(lin(0.2, -0.2, 6))
    word_h = lin(-1, 1, 1, 3, 2, 2)
    word_mask = torch.tensor([[[True, True], [True, False], [False, False]]])
    sent_mask = torch.tensor([[True, True, False]])                           # sentence 2 is padding
    word_params = (lin(-0.3, 0.6, 2, 2), torch.tensor([0.1, -0.1], dtype=F64), torch.tensor([1.0, -1.0], dtype=F64))
    sent_params = (lin(0.5, -0.5, 3, 2), torch.tensor([0.0, 0.2, -0.2], dtype=F64), torch.tensor([0.5, 1.0, -1.5], dtype=F64))
    return gru, [word_h, word_mask, sent_mask, word_params, sent_params]


def han(impl, gru, args):
    out = impl.probe("callable_call", impl.function("han_document_vector"), "gru_sent_encoder", {"gru": gru}, args,
                     position=3)
    doc, word_alpha, sent_alpha = expect_tuple(out["value"], 3, "han_document_vector")
    B, S, L, _ = args[0].shape
    return (expect_tensor(doc, (B, 2), "doc"), expect_tensor(word_alpha, (B, S, L), "word_alpha"),
            expect_tensor(sent_alpha, (B, S), "sent_alpha"), out["calls"])


@pytest.mark.task(3)
def test_document_vector_worked_example(impl):
    doc, word_alpha, sent_alpha, calls = han(impl, *han_inputs())
    check(len(calls) == 1, f"sent_encoder should be called once, on the whole batch; it was called {len(calls)} times")
    assert_close(word_alpha, torch.tensor([[[0.5739901131073366, 0.4260098868926635], [1.0, 0.0], [0.0, 0.0]]],
                                          dtype=F64), "word_alpha", against="the worked example")
    assert_close(sent_alpha, torch.tensor([[0.45904112470984343, 0.5409588752901565, 0.0]], dtype=F64), "sent_alpha",
                 against="the worked example")
    assert_close(doc, torch.tensor([[-0.14394903771672696, -0.25370860368167825]], dtype=F64), "doc",
                 against="the worked example")


@pytest.mark.task(4)
def test_appending_an_empty_sentence_changes_nothing(impl):
    gru, args = han_inputs()
    doc, *_ = han(impl, gru, args)
    word_h, word_mask, sent_mask, wp, sp = args
    longer = [torch.cat([word_h, 9.0 * torch.ones(1, 1, 2, 2, dtype=F64)], dim=1),
              torch.cat([word_mask, torch.tensor([[[True, True]]])], dim=1),
              torch.cat([sent_mask, torch.tensor([[False]])], dim=1), wp, sp]
    doc2, _, sent_alpha2, _ = han(impl, gru, longer)
    check(sent_alpha2[0, 3] == 0, "a padded sentence must get weight exactly 0")
    assert_close(doc2, doc, "doc after appending a padded sentence", rtol=1e-12, atol=1e-14, against="doc before")


@pytest.mark.task(5)
def test_arguments_unchanged(impl):
    h, mask, W, b, u = pool_inputs()
    impl.attention_pool(h, mask, W, b, u)
    check(torch.equal(h, pool_inputs()[0]) and torch.equal(mask, pool_inputs()[1]), "attention_pool changed its arguments")
