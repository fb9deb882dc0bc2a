"""Hidden grader for q025_bahdanau_attention (never shipped to students).

The module is used through a handle: ``att = impl.AdditiveAttention(E, Dq, A)``,
``att.load_state_dict(sd)``, ``att(query, keys, mask)``. The reference is computed here from the
same weights with plain torch ops (F.linear, a masked softmax, a weighted sum), in float64.
Padded keys hold finite garbage (100 * N(0, 1)). SDPA and MultiheadAttention are forbidden in
the submission (exercise.toml). Value tasks run with the mutation check off: in-place changes to
the arguments cost task 5 only. Tasks 2 and 4 use masks where every row has a real position.

Task 1: state_dict has exactly W_k.weight (A, E), W_q.weight (A, Dq), v.weight (1, A), float64;
        forward returns (context (B, E), alpha (B, S)).
Task 2: context and alpha equal the reference with the loaded weights (rtol 1e-10, atol 1e-12);
        fixed cases S = 1, one real position, Dq != E, then random sizes and masks (holes too).
Task 3: alpha is exactly 0 at padded positions and rows sum to 1 (atol 1e-12); other garbage at
        the pads (two draws, and keys of +-1e3) changes nothing (G6: rtol 1e-12, atol 1e-14); a
        row with no real position gives alpha = 0 and context = 0 exactly, without NaN.
Task 4: rnnkit.probes.output_grads (child, random upstream on context and alpha): gradients of
        query, keys and of the three weights equal torch autograd through the reference (1e-10).
Task 5: with the mutation check on, no argument is changed in place; built and called under a
        float32 default dtype, the parameters and results are float32 and within float32
        rounding of the same module in float64.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from rnnkit.testing import assert_close, check, expect_dict, expect_tensor, expect_tuple, trandn

NAMES = ("W_k.weight", "W_q.weight", "v.weight")
PAD_SCALE = 100.0
REFERENCE = "additive attention computed with the same weights"


def shapes(E: int, Dq: int, A: int) -> dict[str, tuple[int, ...]]:
    return {"W_k.weight": (A, E), "W_q.weight": (A, Dq), "v.weight": (1, A)}


def random_weights(rng: np.random.Generator, E: int, Dq: int, A: int) -> dict[str, torch.Tensor]:
    return {name: trandn(rng, *shape, scale=0.8) for name, shape in shapes(E, Dq, A).items()}


def reference(sd: dict[str, torch.Tensor], query: torch.Tensor, keys: torch.Tensor,
              mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    hidden = torch.tanh(F.linear(keys, sd["W_k.weight"]) + F.linear(query, sd["W_q.weight"])[:, None, :])
    e = F.linear(hidden, sd["v.weight"])[..., 0]
    any_real = mask.any(dim=1, keepdim=True)
    e = torch.where(any_real, e.masked_fill(~mask, float("-inf")), torch.zeros_like(e))
    alpha = torch.where(mask, torch.softmax(e, dim=1), torch.zeros_like(e))
    return torch.einsum("bs,bse->be", alpha, keys), alpha


def string_mask(rows: list[str]) -> torch.Tensor:
    return torch.tensor([[ch == "1" for ch in row] for row in rows])


def random_mask(rng: np.random.Generator, B: int, S: int) -> torch.Tensor:
    mask = torch.from_numpy(rng.random((B, S)) < 0.6)
    for b in range(B):
        mask[b, int(rng.integers(0, S))] = True
    return mask


def garbage(rng: np.random.Generator, keys: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    keys = keys.clone()
    keys[~mask] = trandn(rng, int((~mask).sum()), keys.shape[-1], scale=PAD_SCALE)
    return keys


FIXED = [  # (E, Dq, A, mask rows)
    (1, 1, 1, ["1"]),
    (3, 2, 4, ["0100", "1111"]),
    (2, 5, 3, ["10110", "11000", "00001"]),
    (4, 4, 2, ["11", "10"]),
]
N_CASES = len(FIXED) + 3


def case_inputs(rng: np.random.Generator, case: int) -> tuple[Any, ...]:
    if case < len(FIXED):
        E, Dq, A, rows = FIXED[case]
        mask = string_mask(rows)
    else:
        B, S = int(rng.integers(1, 5)), int(rng.integers(1, 8))
        E, Dq, A = (int(v) for v in rng.integers(1, 7, size=3))
        mask = random_mask(rng, B, S)
    B, S = mask.shape
    return E, Dq, A, trandn(rng, B, Dq), garbage(rng, trandn(rng, B, S, E), mask), mask


def loaded(impl: Any, sd: dict[str, torch.Tensor], E: int, Dq: int, A: int, check_mutation: bool = False,
           dtype: str | None = None) -> Any:
    ctor = impl.AdditiveAttention.with_options(dtype=dtype) if dtype else impl.AdditiveAttention
    att = ctor(E, Dq, A)
    att.load_state_dict(sd)
    return att.with_defaults(check_mutation=check_mutation, **({"dtype": dtype} if dtype else {}))


def call(att: Any, query: torch.Tensor, keys: torch.Tensor, mask: torch.Tensor,
         dtype: torch.dtype = torch.float64) -> tuple[torch.Tensor, torch.Tensor]:
    got = expect_tuple(att(query, keys, mask), 2, "AdditiveAttention.forward")
    B, S, E = keys.shape
    return (expect_tensor(got[0], (B, E), "context", dtype=dtype), expect_tensor(got[1], (B, S), "alpha", dtype=dtype))


# --- task 1 -----------------------------------------------------------------------------------------

@pytest.mark.task(1)
@pytest.mark.parametrize("case", range(N_CASES))
def test_parameters_and_shapes(impl, rng, case):
    E, Dq, A, query, keys, mask = case_inputs(rng, case)
    att = impl.AdditiveAttention(E, Dq, A)
    sd = expect_dict(att.state_dict(), NAMES, "AdditiveAttention.state_dict()")
    for name, shape in shapes(E, Dq, A).items():
        expect_tensor(sd[name], shape, name, dtype=torch.float64)
    att.load_state_dict(random_weights(rng, E, Dq, A))
    call(att.with_defaults(check_mutation=False), query, keys, mask)


# --- task 2 -----------------------------------------------------------------------------------------

@pytest.mark.task(2)
@pytest.mark.parametrize("case", range(N_CASES))
def test_matches_reference(impl, rng, case):
    E, Dq, A, query, keys, mask = case_inputs(rng, case)
    sd = random_weights(rng, E, Dq, A)
    context, alpha = call(loaded(impl, sd, E, Dq, A), query, keys, mask)
    want_context, want_alpha = reference(sd, query, keys, mask)
    assert_close(alpha, want_alpha, "alpha", against=REFERENCE)
    assert_close(context, want_context, "context", against=REFERENCE)


# --- task 3 -----------------------------------------------------------------------------------------

EMPTY = [["0000", "1100"], ["000"], ["101", "000", "010"]]


@pytest.mark.task(3)
@pytest.mark.parametrize("case", range(len(EMPTY) + 2))
def test_masking(impl, rng, case):
    if case < len(EMPTY):
        mask = string_mask(EMPTY[case])
    else:
        mask = random_mask(rng, int(rng.integers(1, 4)), int(rng.integers(2, 7)))
    B, S = mask.shape
    E, Dq, A = (int(v) for v in rng.integers(1, 5, size=3))
    sd = random_weights(rng, E, Dq, A)
    att = loaded(impl, sd, E, Dq, A)
    query, keys = trandn(rng, B, Dq), trandn(rng, B, S, E)
    context, alpha = call(att, query, garbage(rng, keys, mask), mask)
    has = mask.any(dim=1)
    check(bool((alpha[~mask] == 0).all()), "alpha must be exactly 0 at every padded position")
    assert_close(alpha.sum(dim=1)[has], torch.ones(int(has.sum()), dtype=torch.float64), "the row sums of alpha",
                 rtol=0, atol=1e-12, against="1")
    check(bool((context[~has] == 0).all()), "a row with no real position must give context exactly 0")
    for keys2 in (garbage(rng, keys, mask), keys.masked_fill(~mask[..., None], 1e3), keys.masked_fill(~mask[..., None], -1e3)):
        context2, alpha2 = call(att, query, keys2, mask)
        assert_close(alpha2, alpha, "alpha with other garbage at the pads", rtol=1e-12, atol=1e-14, against="alpha before")
        assert_close(context2, context, "context with other garbage at the pads", rtol=1e-12, atol=1e-14,
                     against="context before")


# --- task 4 -----------------------------------------------------------------------------------------

@pytest.mark.task(4)
@pytest.mark.parametrize("case", range(N_CASES))
def test_gradients(impl, rng, case):
    E, Dq, A, query, keys, mask = case_inputs(rng, case)
    B, S = mask.shape
    sd = random_weights(rng, E, Dq, A)
    upstream = [trandn(rng, B, E), trandn(rng, B, S)]
    got = expect_dict(impl.probe("output_grads", loaded(impl, sd, E, Dq, A), [query, keys, mask], upstream),
                      ["outputs", "inputs", "params"], "the gradient probe")
    leaves = {"query": query.clone().requires_grad_(True), "keys": keys.clone().requires_grad_(True)}
    params = {k: v.clone().requires_grad_(True) for k, v in sd.items()}
    context, alpha = reference(params, leaves["query"], leaves["keys"], mask)
    ((context * upstream[0]).sum() + (alpha * upstream[1]).sum()).backward()
    grads = got["inputs"]
    check(isinstance(grads, list) and len(grads) == 2, "the gradient probe should report 2 float inputs")
    for (name, leaf), g in zip(leaves.items(), grads, strict=True):
        check(g is not None, f"no gradient reaches {name}")
        assert_close(expect_tensor(g, tuple(leaf.shape), f"d/d{name}"), leaf.grad, f"the gradient with respect to {name}",
                     against="torch autograd through the reference")
    pgrads = got["params"]
    check(isinstance(pgrads, dict) and set(pgrads) == set(NAMES),
          f"the module's parameters (named_parameters) should be exactly {', '.join(NAMES)}")
    for name in NAMES:
        check(pgrads[name] is not None, f"no gradient reaches {name}")
        assert_close(expect_tensor(pgrads[name], tuple(sd[name].shape), f"d/d{name}"), params[name].grad,
                     f"the gradient with respect to {name}", against="torch autograd through the reference")


# --- task 5 -----------------------------------------------------------------------------------------

@pytest.mark.task(5)
@pytest.mark.parametrize("case", range(2))
def test_arguments_unchanged(impl, rng, case):
    E, Dq, A, query, keys, mask = case_inputs(rng, 1 + case)
    call(loaded(impl, random_weights(rng, E, Dq, A), E, Dq, A, check_mutation=True), query, keys, mask)


@pytest.mark.task(5)
def test_float32_in_float32_out(impl, rng):
    E, Dq, A, query, keys, mask = case_inputs(rng, 1)
    keys = keys.clamp(-3, 3)
    sd = random_weights(rng, E, Dq, A)
    att32 = loaded(impl, {k: v.float() for k, v in sd.items()}, E, Dq, A, dtype="float32")
    for name, value in expect_dict(att32.state_dict(), NAMES, "AdditiveAttention.state_dict()").items():
        expect_tensor(value, shapes(E, Dq, A)[name], name, dtype=torch.float32)
    got = call(att32, query.float(), keys.float(), mask, dtype=torch.float32)
    want = call(loaded(impl, {k: v.float().double() for k, v in sd.items()}, E, Dq, A), query.float().double(),
                keys.float().double(), mask)
    for g, w, name in zip(got, want, ("context", "alpha"), strict=True):
        assert_close(g, w, f"{name} (float32)", rtol=1e-5, atol=1e-6, against="the same module in float64")
