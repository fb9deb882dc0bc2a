"""Hidden grader for q056_hierarchical_attention (never shipped to students).

attention_pool has a loop oracle written here (per row: the real positions only, a softmax with
math.exp); han_document_vector is checked against that oracle composed with the sentence
encoder, rnnkit.callables.GRUSentEncoder (errata 58), which the probe callable_call builds in the
child around a random float64 nn.GRU sent from here and whose calls it records. Padded positions
hold finite garbage (100 * N(0, 1), errata 20); "unchanged" comparisons use rtol 1e-12, atol
1e-14 (errata 20). Sizes N, B <= 4, L, S <= 5, D, A, Hs <= 4. Tasks 1-4 call with the in-place
check off (ValuesOnly).

Task 1: attention_pool equals the oracle (1e-10) on rows with at least one real position
        (fixed: L = 1, one real position, all real, then random masks); alpha is exactly 0 at
        pads and sums to 1; other garbage at the pads leaves pooled and alpha unchanged.
Task 2: rows with no real position: pooled and alpha exactly 0, the other rows still equal the
        oracle; rnnkit.probes.output_grads through such a batch gives finite gradients for h,
        W, b and u_ctx, equal to autograd through the reference (1e-10; no gradient at all counts
        as 0, as for a batch of empty rows that never uses W).
Task 3: every sentence real and non-empty: doc, word_alpha and sent_alpha equal the oracle
        (1e-10); sent_encoder is called exactly once, with the oracle's sentence vectors
        (1e-10) and sent_mask itself.
Task 4: padded sentences (sent_mask False, garbage words) get sent_alpha exactly 0 and doc
        equals the oracle; appending 1-2 padded sentences leaves doc unchanged; a real sentence
        with no real word reaches sent_encoder as exactly the zero vector, and nothing is NaN.
Task 5: attention_pool, called with the in-place check on, changes no argument; neither does
        han_document_vector (the probe callable_call hands it copies and reports changes).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
import torch

from rnnkit.callables import GRUSentEncoder
from rnnkit.fair import ValuesOnly
from rnnkit.testing import assert_close, check, expect_dict, expect_tensor, expect_tuple, trandn

F64 = torch.float64
GARBAGE = 100.0


@pytest.fixture
def impl(impl):
    return ValuesOnly(impl)


def pool_oracle(h: torch.Tensor, mask: torch.Tensor, W: torch.Tensor, b: torch.Tensor,
                u: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    N, L, D = h.shape
    pooled, alpha = torch.zeros(N, D, dtype=F64), torch.zeros(N, L, dtype=F64)
    for n in range(N):
        real = [l for l in range(L) if bool(mask[n, l])]
        if not real:
            continue
        scores = [float(torch.tanh(W @ h[n, l] + b) @ u) for l in real]
        top = max(scores)
        e = [math.exp(s - top) for s in scores]
        for l, w in zip(real, e, strict=True):
            alpha[n, l] = w / sum(e)
            pooled[n] += alpha[n, l] * h[n, l]
    return pooled, alpha


def params(rng: np.random.Generator, A: int, D: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    return trandn(rng, A, D, scale=0.8), trandn(rng, A, scale=0.3), trandn(rng, A)


def with_garbage(rng: np.random.Generator, h: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    out = h.clone()
    out[~mask] = trandn(rng, int((~mask).sum()), h.shape[-1], scale=GARBAGE)
    return out


def call_pool(impl: Any, h: torch.Tensor, mask: torch.Tensor, p: tuple[torch.Tensor, ...],
              checked: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
    N, L, D = h.shape
    fn = impl.checked.attention_pool if checked else impl.attention_pool
    pooled, alpha = expect_tuple(fn(h, mask, *p), 2, "attention_pool")
    return expect_tensor(pooled, (N, D), "pooled", dtype=F64), expect_tensor(alpha, (N, L), "alpha", dtype=F64)


# --- task 1 --------------------------------------------------------------------------------------

POOL_FIXED = [["1"], ["100", "010"], ["1111"], ["10110", "01111", "00001"]]


@pytest.mark.task(1)
@pytest.mark.parametrize("case", range(len(POOL_FIXED) + 3))
def test_attention_pool_matches_oracle(impl, rng, case):
    if case < len(POOL_FIXED):
        mask = torch.tensor([[c == "1" for c in row] for row in POOL_FIXED[case]])
    else:
        mask = torch.from_numpy(rng.random((int(rng.integers(1, 5)), int(rng.integers(2, 6)))) < 0.6)
        mask[:, int(rng.integers(0, mask.shape[1]))] = True
    N, L = mask.shape
    D, A = int(rng.integers(1, 5)), int(rng.integers(1, 5))
    p = params(rng, A, D)
    h = with_garbage(rng, trandn(rng, N, L, D), mask)
    pooled, alpha = call_pool(impl, h, mask, p)
    check(bool((alpha[~mask] == 0).all()), "the weight of every padded position must be exactly 0")
    want_p, want_a = pool_oracle(h, mask, *p)
    assert_close(alpha, want_a, "alpha", against="softmax(tanh(W h + b) . u_ctx) over the real positions")
    assert_close(pooled, want_p, "pooled", against="sum_l alpha_l h_l")
    again = call_pool(impl, with_garbage(rng, h, mask), mask, p)
    for name, a, b in zip(("pooled", "alpha"), (pooled, alpha), again, strict=True):
        assert_close(b, a, f"{name} after changing only the padded positions", rtol=1e-12, atol=1e-14,
                     against=f"{name} before (pads must not matter)")


# --- task 2 --------------------------------------------------------------------------------------

@pytest.mark.task(2)
@pytest.mark.parametrize("case", range(3))
def test_rows_without_real_positions(impl, ref, rng, case):
    rows = [["000"], ["0000", "1010", "0000"], ["00", "11", "01", "00"]][case]
    mask = torch.tensor([[c == "1" for c in row] for row in rows])
    N, L = mask.shape
    D, A = int(rng.integers(1, 5)), int(rng.integers(1, 5))
    p = params(rng, A, D)
    h = with_garbage(rng, trandn(rng, N, L, D), mask)
    pooled, alpha = call_pool(impl, h, mask, p)
    empty = ~mask.any(dim=1)
    check(bool((pooled[empty] == 0).all()) and bool((alpha[empty] == 0).all()),
          "a row without a real position must give pooled = 0 and alpha = 0")
    want_p, want_a = pool_oracle(h, mask, *p)
    assert_close(alpha, want_a, "alpha", against="the oracle")
    assert_close(pooled, want_p, "pooled", against="the oracle")
    upstream = [trandn(rng, N, D), trandn(rng, N, L)]
    got = expect_dict(impl.probe("output_grads", impl.function("attention_pool"), [h, mask, *p], upstream),
                      ["outputs", "inputs", "params"], "the gradient probe")
    leaves = [t.clone().requires_grad_(True) for t in (h, *p)]
    out_p, out_a = ref.attention_pool(leaves[0], mask, *leaves[1:])
    want = torch.autograd.grad((out_p * upstream[0]).sum() + (out_a * upstream[1]).sum(), leaves, allow_unused=True)
    grads = got["inputs"]
    check(isinstance(grads, list) and len(grads) == 4, "the probe should see four float tensor arguments")
    for name, g, w, leaf in zip(("h", "W", "b", "u_ctx"), grads, want, leaves, strict=True):
        g = torch.zeros_like(leaf) if g is None else g          # an unused argument: gradient 0
        g = expect_tensor(g, tuple(leaf.shape), f"d/d {name}", dtype=F64, finite=False)
        check(bool(torch.isfinite(g).all()), f"the gradient with respect to {name} has NaN or inf (a row without "
              "a real position must not produce NaN in the backward pass)")
        assert_close(g, w if w is not None else torch.zeros_like(leaf), f"the gradient with respect to {name}",
                     against="autograd through the reference")


# --- tasks 3 and 4: the hierarchy ------------------------------------------------------------------

def random_gru(rng: np.random.Generator, Dw: int, Hs: int) -> torch.nn.GRU:
    gru = torch.nn.GRU(Dw, Hs, batch_first=True).double()
    with torch.no_grad():
        for q in gru.parameters():
            q.copy_(trandn(rng, *q.shape, scale=0.7))
    return gru


def han_oracle(word_h: torch.Tensor, word_mask: torch.Tensor, sent_mask: torch.Tensor, gru: torch.nn.GRU,
               wp: tuple[torch.Tensor, ...], sp: tuple[torch.Tensor, ...]) -> tuple[torch.Tensor, ...]:
    B, S, L, Dw = word_h.shape
    vecs, wa = pool_oracle(word_h.reshape(B * S, L, Dw), word_mask.reshape(B * S, L), *wp)
    vecs = vecs.reshape(B, S, Dw)
    with torch.no_grad():
        sent_h = GRUSentEncoder(gru)(vecs, sent_mask)
    doc, sa = pool_oracle(sent_h, sent_mask, *sp)
    return doc, wa.reshape(B, S, L), sa, vecs


def han_case(rng: np.random.Generator, sent_rows: list[str] | None = None, square: bool = False) -> dict[str, Any]:
    if sent_rows is None:
        B, S = int(rng.integers(1, 4)), int(rng.integers(1, 5))
        sent_mask = torch.ones(B, S, dtype=torch.bool)
    else:
        sent_mask = torch.tensor([[c == "1" for c in row] for row in sent_rows])
        B, S = sent_mask.shape
    L, Dw, Hs = int(rng.integers(1, 6)), int(rng.integers(1, 5)), int(rng.integers(1, 5))
    word_mask = torch.from_numpy(rng.random((B, S, L)) < 0.6)
    word_mask[:, :, 0] = True                                   # every sentence has a real word
    word_h = trandn(rng, B, S, L, Dw)
    word_h[~word_mask] = trandn(rng, int((~word_mask).sum()), Dw, scale=GARBAGE)
    word_h[~sent_mask] = trandn(rng, int((~sent_mask).sum()), L, Dw, scale=GARBAGE)
    A_w, A_s = int(rng.integers(1, 5)), int(rng.integers(1, 5))
    if square:                                  # one size everywhere (the hygiene task: no shape can clash)
        Hs, A_w, A_s = Dw, Dw, Dw
    return {"word_h": word_h, "word_mask": word_mask, "sent_mask": sent_mask, "gru": random_gru(rng, Dw, Hs),
            "wp": params(rng, A_w, Dw), "sp": params(rng, A_s, Hs)}


def call_han(impl: Any, c: dict[str, Any]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, list[Any]]:
    B, S, L, _ = c["word_h"].shape
    Hs = c["gru"].hidden_size
    args = [c["word_h"], c["word_mask"], c["sent_mask"], c["wp"], c["sp"]]
    out = expect_dict(impl.probe("callable_call", impl.function("han_document_vector"), "gru_sent_encoder",
                                 {"gru": c["gru"]}, args, position=3), ["value", "calls", "inputs_changed"], "the sent_encoder probe")
    doc, wa, sa = expect_tuple(out["value"], 3, "han_document_vector")
    return (expect_tensor(doc, (B, Hs), "doc", dtype=F64), expect_tensor(wa, (B, S, L), "word_alpha", dtype=F64),
            expect_tensor(sa, (B, S), "sent_alpha", dtype=F64), out["calls"])


def encoder_input(calls: Any, B: int, S: int, Dw: int) -> tuple[torch.Tensor, torch.Tensor]:
    check(isinstance(calls, list) and len(calls) == 1,
          f"sent_encoder should be called exactly once, on the whole batch; it was called {len(calls)} times")
    call = calls[0]
    check(isinstance(call, list) and len(call) == 2, "sent_encoder should be called as sent_encoder(x, mask)")
    return (expect_tensor(call[0], (B, S, Dw), "the sentence vectors given to sent_encoder", dtype=F64),
            expect_tensor(call[1], (B, S), "the mask given to sent_encoder", dtype=torch.bool))


@pytest.mark.task(3)
@pytest.mark.parametrize("case", range(5))
def test_document_vector_matches_oracle(impl, rng, case):
    c = han_case(rng, [["1"], ["111"], ["11", "11"]][case] if case < 3 else None)
    B, S, _, Dw = c["word_h"].shape
    doc, wa, sa, calls = call_han(impl, c)
    want_doc, want_wa, want_sa, want_vecs = han_oracle(c["word_h"], c["word_mask"], c["sent_mask"], c["gru"],
                                                       c["wp"], c["sp"])
    x, m = encoder_input(calls, B, S, Dw)
    assert_close(x, want_vecs, "the sentence vectors given to sent_encoder", against="word attention in every sentence")
    check(torch.equal(m, c["sent_mask"]), "sent_encoder should get sent_mask as its mask")
    assert_close(wa, want_wa, "word_alpha", against="the oracle")
    assert_close(sa, want_sa, "sent_alpha", against="the oracle")
    assert_close(doc, want_doc, "doc", against="word attention, the sentence encoder, sentence attention")


@pytest.mark.task(4)
@pytest.mark.parametrize("case", range(4))
def test_padded_and_empty_sentences(impl, rng, case):
    c = han_case(rng, [["1100"], ["110", "100"], ["1", "1"], ["1110", "1000", "1100"]][case])
    B, S, L, Dw = c["word_h"].shape
    if case == 2:                                               # a real sentence without a real word
        c["word_mask"][1, 0] = False
    doc, wa, sa, calls = call_han(impl, c)
    check(bool((sa[~c["sent_mask"]] == 0).all()), "a padded sentence must get sentence weight exactly 0")
    want_doc, _, _, want_vecs = han_oracle(c["word_h"], c["word_mask"], c["sent_mask"], c["gru"], c["wp"], c["sp"])
    x, _ = encoder_input(calls, B, S, Dw)
    if case == 2:
        check(bool((x[1, 0] == 0).all()), "a sentence without a real word should reach sent_encoder as the zero vector")
    assert_close(doc, want_doc, "doc", against="the oracle (padded sentences left out)")
    extra = 1 + case % 2
    longer = dict(c)
    longer["word_h"] = torch.cat([c["word_h"], trandn(rng, B, extra, L, Dw, scale=GARBAGE)], dim=1)
    longer["word_mask"] = torch.cat([c["word_mask"], torch.from_numpy(rng.random((B, extra, L)) < 0.5)], dim=1)
    longer["sent_mask"] = torch.cat([c["sent_mask"], torch.zeros(B, extra, dtype=torch.bool)], dim=1)
    doc2, _, sa2, _ = call_han(impl, longer)
    check(bool((sa2[:, S:] == 0).all()), "an appended padded sentence must get sentence weight exactly 0")
    assert_close(doc2, doc, "doc after appending padded sentences", rtol=1e-12, atol=1e-14, against="doc before")


# --- task 5 --------------------------------------------------------------------------------------

@pytest.mark.task(5)
@pytest.mark.parametrize("case", range(2))
def test_arguments_unchanged(impl, rng, case):
    mask = torch.from_numpy(rng.random((3, 4)) < 0.5)
    mask[0] = False
    impl.checked.attention_pool(trandn(rng, 3, 4, 2), mask, *params(rng, 3, 2))
    c = han_case(rng, ["1100", "1000"], square=True)
    args = [c["word_h"], c["word_mask"], c["sent_mask"], c["wp"], c["sp"]]
    out = expect_dict(impl.probe("callable_call", impl.function("han_document_vector"), "gru_sent_encoder",
                                 {"gru": c["gru"]}, args, position=3),
                      ["value", "calls", "inputs_changed"], "the sent_encoder probe")
    names = ["word_h", "word_mask", "sent_mask", "word_params", "sent_params"]
    changed = out["inputs_changed"]
    check(isinstance(changed, list) and not changed, "han_document_vector changed its argument(s) "
          + ", ".join(names[i] for i in changed if isinstance(i, int) and 0 <= i < len(names)) + " in place")
