"""Hidden grader for q054_copy_mechanism (never shipped to students).

The reference is a position-by-position loop oracle written here (G8). Inputs: p_vocab a softmax
of N(0, 1.5^2) logits; attn a softmax over the real source positions, exactly 0 at padded ones
(which hold id 0); p_gen = sigmoid(N(0, 1)) as (B, 1); source ids drawn from the fixed vocabulary
and from the batch's OOV ids, with forced repeats. Value tasks call with check_mutation=False:
in-place changes to the arguments cost task 5 only.

Task 1: P equals the loop oracle (rtol 1e-12, atol 1e-15); fixed cases: repeated words, a source
        that is one word, V = 1, n_oov = 0, S = 1; then random sizes.
Task 2: every row sums to 1 (atol 1e-12); p_gen = 1 gives p_vocab padded with zeros and p_gen = 0
        gives the pure copy distribution (atol 1e-15), rows mixing both extremes.
Task 3: OOV copying: P[b, V + k] = (1 - p_gen[b]) * the attention on OOV word k (rtol 1e-12);
        ids absent from a row's source get p_gen * P_vocab (0 beyond V; rtol 1e-12, atol 1e-15); an OOV id used
        only by another row gets 0; n_oov = 0 gives (B, V).
Task 4: rnnkit.probes.output_grads (child, random upstream): the gradients with respect to
        p_vocab, attn and p_gen equal torch autograd through the oracle's formula (1e-10).
Task 5: with the mutation check on, no argument is changed in place; float32 inputs give a
        float32 result within float32 rounding of the same function's float64 result.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

from rnnkit.fair import ValuesOnly
from rnnkit.testing import assert_close, check, expect_dict, expect_tensor, trandn

ORACLE = "a position-by-position loop oracle"


@pytest.fixture
def impl(impl):
    return ValuesOnly(impl)


def oracle(p_vocab: torch.Tensor, attn: torch.Tensor, p_gen: torch.Tensor, src: torch.Tensor, n_oov: int) -> torch.Tensor:
    B, V = p_vocab.shape
    P = torch.zeros(B, V + n_oov, dtype=torch.float64)
    for b in range(B):
        g = float(p_gen[b, 0])
        for w in range(V + n_oov):
            copied = sum(float(attn[b, i]) for i in range(src.shape[1]) if int(src[b, i]) == w)
            P[b, w] = g * (float(p_vocab[b, w]) if w < V else 0.0) + (1 - g) * copied
    return P


def formula(p_vocab: torch.Tensor, attn: torch.Tensor, p_gen: torch.Tensor, src: torch.Tensor, n_oov: int) -> torch.Tensor:
    """The same P by one-hot matrices, differentiable (the gradient reference)."""
    onehot = torch.nn.functional.one_hot(src, p_vocab.shape[1] + n_oov).to(attn.dtype)   # (B, S, V + n_oov)
    padded = torch.cat([p_vocab, p_vocab.new_zeros(p_vocab.shape[0], n_oov)], dim=1)
    return p_gen * padded + (1 - p_gen) * torch.einsum("bs,bsw->bw", attn, onehot)


def inputs(rng: np.random.Generator, B: int, V: int, S: int, n_oov: int,
           lengths: list[int] | None = None) -> tuple[torch.Tensor, ...]:
    p_vocab = torch.softmax(trandn(rng, B, V, scale=1.5), dim=1)
    lengths = lengths or [int(v) for v in rng.integers(1, S + 1, size=B)]
    real = torch.arange(S)[None, :] < torch.tensor(lengths)[:, None]
    attn = torch.softmax(trandn(rng, B, S).masked_fill(~real, float("-inf")), dim=1)
    p_gen = torch.sigmoid(trandn(rng, B, 1))
    src = torch.from_numpy(rng.integers(0, V + n_oov, size=(B, S)))
    if S >= 3:
        src[:, 2] = src[:, 0]                     # a repeated word in every row
    src = torch.where(real, src, torch.zeros_like(src))
    return p_vocab, attn, p_gen, src


def call(impl: Any, p_vocab: torch.Tensor, attn: torch.Tensor, p_gen: torch.Tensor, src: torch.Tensor, n_oov: int,
         dtype: torch.dtype = torch.float64, fn: Any = None) -> torch.Tensor:
    fn = fn or impl.final_distribution
    B, V = p_vocab.shape
    return expect_tensor(fn(p_vocab, attn, p_gen, src, n_oov), (B, V + n_oov), "final_distribution(...)", dtype=dtype)


FIXED = [  # (B, V, S, n_oov, source rows or None)
    (1, 4, 5, 2, [[1, 1, 1, 4, 1]]),
    (2, 3, 4, 1, [[2, 0, 2, 2], [3, 3, 1, 0]]),
    (1, 1, 3, 0, [[0, 0, 0]]),
    (3, 5, 1, 0, [[4], [0], [2]]),
    (2, 2, 6, 3, [[4, 2, 4, 3, 0, 4], [1, 1, 2, 2, 2, 0]]),
]
N_CASES = len(FIXED) + 3


def case_inputs(rng: np.random.Generator, case: int) -> tuple[Any, ...]:
    if case < len(FIXED):
        B, V, S, n_oov, rows = FIXED[case]
        p_vocab, attn, p_gen, _ = inputs(rng, B, V, S, n_oov, lengths=[S] * B)
        return p_vocab, attn, p_gen, torch.tensor(rows), n_oov
    B, V, S = int(rng.integers(1, 5)), int(rng.integers(1, 9)), int(rng.integers(1, 8))
    n_oov = int(rng.integers(0, 4))
    return (*inputs(rng, B, V, S, n_oov), n_oov)


# --- task 1 -----------------------------------------------------------------------------------------

@pytest.mark.task(1)
@pytest.mark.parametrize("case", range(N_CASES))
def test_matches_loop_oracle(impl, rng, case):
    p_vocab, attn, p_gen, src, n_oov = case_inputs(rng, case)
    assert_close(call(impl, p_vocab, attn, p_gen, src, n_oov), oracle(p_vocab, attn, p_gen, src, n_oov), "P",
                 rtol=1e-12, atol=1e-15, against=ORACLE)


# --- task 2 -----------------------------------------------------------------------------------------

@pytest.mark.task(2)
@pytest.mark.parametrize("case", range(N_CASES))
def test_sums_and_switch_extremes(impl, rng, case):
    p_vocab, attn, p_gen, src, n_oov = case_inputs(rng, case)
    B, V = p_vocab.shape
    P = call(impl, p_vocab, attn, p_gen, src, n_oov)
    assert_close(P.sum(dim=1), torch.ones(B, dtype=torch.float64), "the row sums of P", rtol=0, atol=1e-12, against="1")
    extremes = torch.tensor([[float(b % 2)] for b in range(B)], dtype=torch.float64)     # rows 0, 2: copy; 1, 3: generate
    P = call(impl, p_vocab, attn, extremes, src, n_oov)
    padded = torch.cat([p_vocab, torch.zeros(B, n_oov, dtype=torch.float64)], dim=1)
    copy = oracle(p_vocab, attn, torch.zeros(B, 1, dtype=torch.float64), src, n_oov)
    want = torch.where(extremes == 1, padded, copy)
    assert_close(P, want, "P with p_gen in {0, 1}", rtol=0, atol=1e-15,
                 against="P_vocab padded with zeros (p_gen = 1) and pure copying (p_gen = 0)")


# --- task 3 -----------------------------------------------------------------------------------------

OOV_CASES = [  # (V, n_oov, source rows): rows use different OOV words
    (3, 3, [[3, 0, 3, 1], [5, 5, 2, 5], [4, 1, 1, 0]]),
    (2, 1, [[2, 2, 2], [0, 1, 0]]),
    (4, 2, [[0, 5, 5, 5, 1]]),
    (3, 0, [[0, 1, 2], [2, 2, 2]]),
]


@pytest.mark.task(3)
@pytest.mark.parametrize("case", range(len(OOV_CASES)))
def test_oov_mass_lands_at_v_plus_k(impl, rng, case):
    V, n_oov, rows = OOV_CASES[case]
    src = torch.tensor(rows)
    B, S = src.shape
    p_vocab, attn, p_gen, _ = inputs(rng, B, V, S, n_oov, lengths=[S] * B)
    P = call(impl, p_vocab, attn, p_gen, src, n_oov)
    for b in range(B):
        for w in range(V + n_oov):
            present = src[b] == w
            base = float(p_gen[b, 0] * p_vocab[b, w]) if w < V else 0.0
            if not bool(present.any()):
                assert_close(P[b, w], torch.tensor(base, dtype=torch.float64), f"P[{b}, {w}] (an id absent from the source)",
                             rtol=1e-12, atol=1e-15, against="p_gen * P_vocab (0 for an OOV id)")
            elif w >= V:
                want = (1 - p_gen[b, 0]) * attn[b][present].sum()
                assert_close(P[b, w], want, f"P[{b}, V + {w - V}]", rtol=1e-12, atol=1e-15,
                             against=f"(1 - p_gen) times the attention on OOV word {w - V}")


# --- task 4 -----------------------------------------------------------------------------------------

@pytest.mark.task(4)
@pytest.mark.parametrize("case", range(N_CASES))
def test_gradients(impl, rng, case):
    p_vocab, attn, p_gen, src, n_oov = case_inputs(rng, case)
    B, V = p_vocab.shape
    upstream = [trandn(rng, B, V + n_oov)]
    got = expect_dict(impl.probe("output_grads", impl.function("final_distribution"), [p_vocab, attn, p_gen, src, n_oov],
                                 upstream), ["outputs", "inputs", "params"], "the gradient probe")
    leaves = [t.clone().requires_grad_(True) for t in (p_vocab, attn, p_gen)]
    (formula(*leaves, src, n_oov) * upstream[0]).sum().backward()
    grads = got["inputs"]
    check(isinstance(grads, list) and len(grads) == 3, "the gradient probe should report 3 float inputs")
    for name, g, leaf in zip(("p_vocab", "attn", "p_gen"), grads, leaves, strict=True):
        check(g is not None, f"no gradient reaches {name}: keep P differentiable (no detach, no .item())")
        assert_close(expect_tensor(g, tuple(leaf.shape), f"dP/d{name}"), leaf.grad, f"the gradient with respect to {name}",
                     against="torch autograd through the reference formula")


# --- task 5 -----------------------------------------------------------------------------------------

@pytest.mark.task(5)
@pytest.mark.parametrize("case", range(2))
def test_arguments_unchanged(impl, rng, case):
    p_vocab, attn, p_gen, src, n_oov = case_inputs(rng, 1 + case)
    call(impl, p_vocab, attn, p_gen, src, n_oov, fn=impl.checked.final_distribution)


@pytest.mark.task(5)
def test_float32_in_float32_out(impl, rng):
    p_vocab, attn, p_gen, src, n_oov = case_inputs(rng, 1)
    got = call(impl, p_vocab.float(), attn.float(), p_gen.float(), src, n_oov, dtype=torch.float32)
    want = call(impl, p_vocab.float().double(), attn.float().double(), p_gen.float().double(), src, n_oov)
    assert_close(got, want, "P of float32 inputs", rtol=1e-5, atol=1e-6, against="the same call in float64")
