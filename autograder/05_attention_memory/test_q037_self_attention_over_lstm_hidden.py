"""Hidden grader for q037_self_attention_over_lstm (never shipped to students).

The reference is torch's F.scaled_dot_product_attention (SDPA), run here in the grader only, with
a bool attn_mask (True = take part); the attention weights are SDPA applied to identity values
(out = a @ I = a). SDPA and MultiheadAttention are forbidden in the submission (exercise.toml).
Keys and values at padded positions hold finite garbage (100 * N(0, 1)). Value tasks call with
check_mutation=False: in-place changes to the arguments cost task 5 only. Tasks 1, 3 and 4 use
masks where every query row has at least one allowed key; fully masked rows are task 2's.

Task 1: cross_attention equals SDPA(q, k, v, attn_mask=key_mask[:, None, :]) (rtol 1e-12,
        atol 1e-12). Fixed cases: S = 1, one real key, d != dv, Tq = 1; then random sizes.
Task 2: garbage at padded keys/values (two different draws) changes nothing (rtol 1e-12,
        atol 1e-14); rows with no allowed key (an all-padding batch row; causal rows whose steps
        0..t are all padding) are exactly 0 in out and in the weights, and nothing is NaN. Both
        functions.
Task 3: self_attention(causal=False): out equals SDPA on Q = h @ W_q, K = h @ W_k, V = h @ W_v,
        the weights equal SDPA's (1e-12), are exactly 0 at padded keys and sum to 1 (1e-12).
Task 4: self_attention(causal=True): out and weights equal SDPA with the mask key_mask & (s <= t)
        (1e-12), weights exactly 0 above the diagonal; through rnnkit.probes.output_grads (child),
        the gradient of output row t (random upstream on out[:, t] and a[:, t] only) with respect
        to h is exactly 0 at steps > t, for t = 0 and t = T - 2, and equals the reference
        gradient (1e-10).
Task 5: with the mutation check on, no argument is changed in place; float32 inputs give float32
        results within float32 rounding (rtol 1e-5, atol 1e-6) of the same function in float64.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from rnnkit.fair import ValuesOnly
from rnnkit.testing import assert_close, check, expect_dict, expect_tensor, expect_tuple, trandn

PAD_SCALE = 100.0
TIGHT = {"rtol": 1e-12, "atol": 1e-12}
SDPA = "torch's scaled_dot_product_attention"


@pytest.fixture
def impl(impl):
    return ValuesOnly(impl)


# --- inputs and references ------------------------------------------------------------------------

def random_key_mask(rng: np.random.Generator, B: int, S: int) -> torch.Tensor:
    """Every row keeps at least one real key (random position)."""
    mask = torch.from_numpy(rng.random((B, S)) < 0.6)
    for b in range(B):
        mask[b, int(rng.integers(0, S))] = True
    return mask


def string_mask(rows: list[str]) -> torch.Tensor:
    return torch.tensor([[ch == "1" for ch in row] for row in rows])


def with_garbage(rng: np.random.Generator, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    x = x.clone()
    x[~mask] = trandn(rng, int((~mask).sum()), x.shape[-1], scale=PAD_SCALE)
    return x


def sdpa(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, allowed: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(out, weights) of SDPA with a bool mask (B, Tq, S); weights as SDPA of identity values."""
    S = k.shape[1]
    eye = torch.eye(S, dtype=k.dtype).expand(k.shape[0], S, S)
    return (F.scaled_dot_product_attention(q, k, v, attn_mask=allowed),
            F.scaled_dot_product_attention(q, k, eye, attn_mask=allowed))


def self_allowed(mask: torch.Tensor, causal: bool) -> torch.Tensor:
    B, T = mask.shape
    allowed = mask[:, None, :].expand(B, T, T)
    if causal:
        allowed = allowed & torch.ones(T, T, dtype=torch.bool).tril()
    return allowed


CROSS_FIXED = [  # (B, Tq, S, d, dv, key mask rows or None)
    (1, 1, 1, 1, 1, ["1"]),
    (2, 3, 4, 3, 2, ["0100", "1111"]),
    (1, 2, 5, 2, 4, ["10110"]),
    (3, 1, 3, 4, 1, ["001", "110", "011"]),
]
N_CROSS = len(CROSS_FIXED) + 3


def cross_case(rng: np.random.Generator, case: int) -> tuple[torch.Tensor, ...]:
    if case < len(CROSS_FIXED):
        B, Tq, S, d, dv, rows = CROSS_FIXED[case]
        key_mask = string_mask(rows)
    else:
        B, Tq, S = int(rng.integers(1, 5)), int(rng.integers(1, 6)), int(rng.integers(1, 7))
        d, dv = (int(v) for v in rng.integers(1, 7, size=2))
        key_mask = random_key_mask(rng, B, S)
    q, k, v = trandn(rng, B, Tq, d, scale=1.5), trandn(rng, B, S, d, scale=1.5), trandn(rng, B, S, dv)
    return q, with_garbage(rng, k, key_mask), with_garbage(rng, v, key_mask), key_mask


def call_cross(impl: Any, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, key_mask: torch.Tensor,
               dtype: torch.dtype = torch.float64, fn: Any = None) -> torch.Tensor:
    fn = fn or impl.cross_attention
    return expect_tensor(fn(q, k, v, key_mask), (q.shape[0], q.shape[1], v.shape[2]), "cross_attention(...)",
                         dtype=dtype)


SELF_FIXED = [  # (H, d, dv, mask rows)
    (1, 1, 1, ["1"]),
    (3, 2, 4, ["1110", "1111"]),
    (2, 3, 2, ["11111", "11000", "10000"]),
    (4, 4, 3, ["110", "111"]),
]
N_SELF = len(SELF_FIXED) + 3


def self_case(rng: np.random.Generator, case: int) -> tuple[torch.Tensor, ...]:
    """Right-padded masks (step 0 real): every row, causal or not, has an allowed key."""
    if case < len(SELF_FIXED):
        H, d, dv, rows = SELF_FIXED[case]
        mask = string_mask(rows)
    else:
        B, T = int(rng.integers(1, 5)), int(rng.integers(1, 7))
        H, d, dv = (int(v) for v in rng.integers(1, 7, size=3))
        lengths = torch.from_numpy(rng.integers(1, T + 1, size=B))
        mask = torch.arange(T)[None, :] < lengths[:, None]
    B, T = mask.shape
    h = with_garbage(rng, trandn(rng, B, T, H), mask)
    return h, mask, trandn(rng, H, d), trandn(rng, H, d), trandn(rng, H, dv)


def call_self(impl: Any, h: torch.Tensor, mask: torch.Tensor, W_q: torch.Tensor, W_k: torch.Tensor,
              W_v: torch.Tensor, causal: bool, dtype: torch.dtype = torch.float64,
              fn: Any = None) -> tuple[torch.Tensor, torch.Tensor]:
    fn = fn or impl.self_attention
    B, T, _ = h.shape
    got = expect_tuple(fn(h, mask, W_q, W_k, W_v, causal), 2, "self_attention")
    return (expect_tensor(got[0], (B, T, W_v.shape[1]), "out", dtype=dtype),
            expect_tensor(got[1], (B, T, T), "the attention weights", dtype=dtype))


def self_reference(h: torch.Tensor, mask: torch.Tensor, W_q: torch.Tensor, W_k: torch.Tensor, W_v: torch.Tensor,
                   causal: bool) -> tuple[torch.Tensor, torch.Tensor]:
    return sdpa(h @ W_q, h @ W_k, h @ W_v, self_allowed(mask, causal))


# --- task 1 -----------------------------------------------------------------------------------------

@pytest.mark.task(1)
@pytest.mark.parametrize("case", range(N_CROSS))
def test_cross_attention_matches_sdpa(impl, rng, case):
    q, k, v, key_mask = cross_case(rng, case)
    got = call_cross(impl, q, k, v, key_mask)
    want = F.scaled_dot_product_attention(q, k, v, attn_mask=key_mask[:, None, :])
    assert_close(got, want, "cross_attention(...)", against=SDPA, **TIGHT)


# --- task 2 -----------------------------------------------------------------------------------------

@pytest.mark.task(2)
@pytest.mark.parametrize("case", range(3))
def test_cross_attention_padding_and_empty_rows(impl, rng, case):
    B, Tq, S, d, dv = 3, int(rng.integers(1, 4)), 4, int(rng.integers(1, 5)), int(rng.integers(1, 5))
    key_mask = string_mask([["0000", "1100", "0010"], ["1011", "0000", "0000"], ["0001", "1111", "0000"]][case])
    q, k, v = trandn(rng, B, Tq, d), trandn(rng, B, S, d), trandn(rng, B, S, dv)
    first = call_cross(impl, q, with_garbage(rng, k, key_mask), with_garbage(rng, v, key_mask), key_mask)
    second = call_cross(impl, q, with_garbage(rng, k, key_mask), with_garbage(rng, v, key_mask), key_mask)
    assert_close(second, first, "cross_attention(...) with other garbage at the padded keys", rtol=1e-12, atol=1e-14,
                 against="the same call before")
    empty = ~key_mask.any(dim=1)
    check(bool((first[empty] == 0).all()), "a query row with no real key must give exactly 0")
    # huge garbage: padded scores of about +1e3 (exp overflows if a padded score is exponentiated)
    q_pos = q.abs() + 0.1
    k_big, v_big = k.clone(), v.clone()
    k_big[~key_mask], v_big[~key_mask] = 1e3, -1e3
    big = call_cross(impl, q_pos, k_big, v_big, key_mask)
    assert_close(big, call_cross(impl, q_pos, with_garbage(rng, k, key_mask), with_garbage(rng, v, key_mask), key_mask),
                 "cross_attention(...) with padded keys of 1e3", rtol=1e-12, atol=1e-14,
                 against="the same call with other garbage at the padded keys")


SELF_EMPTY = [  # (mask rows, causal): some query rows have no allowed key
    (["0000", "1100"], False),
    (["0011", "1111"], True),     # left padding: causal rows 0 and 1 of batch row 0 see nothing
    (["001", "000", "010"], True),
    (["00000", "10100"], False),
]


@pytest.mark.task(2)
@pytest.mark.parametrize("case", range(len(SELF_EMPTY)))
def test_self_attention_padding_and_empty_rows(impl, rng, case):
    rows, causal = SELF_EMPTY[case]
    mask = string_mask(rows)
    B, T = mask.shape
    H, d, dv = (int(v) for v in rng.integers(1, 5, size=3))
    W_q, W_k, W_v = trandn(rng, H, d), trandn(rng, H, d), trandn(rng, H, dv)
    h = trandn(rng, B, T, H)
    out1, a1 = call_self(impl, with_garbage(rng, h, mask), mask, W_q, W_k, W_v, causal)
    out2, a2 = call_self(impl, with_garbage(rng, h, mask), mask, W_q, W_k, W_v, causal)
    empty = ~self_allowed(mask, causal).any(dim=-1)        # (B, T) query rows with no allowed key
    check(bool((out1[empty] == 0).all()), "an output row whose query has no allowed key must be exactly 0")
    check(bool((a1[empty] == 0).all()), "the weights of a query row with no allowed key must be exactly 0")
    # garbage at padded steps reaches only padded query rows; the real query rows must not move
    assert_close(out2[mask], out1[mask], "out at real steps with other garbage in the padding", rtol=1e-12, atol=1e-14,
                 against="the same call before")
    assert_close(a2[mask], a1[mask], "the weights at real steps with other garbage in the padding", rtol=1e-12,
                 atol=1e-14, against="the same call before")


# --- task 3 -----------------------------------------------------------------------------------------

@pytest.mark.task(3)
@pytest.mark.parametrize("case", range(N_SELF))
def test_self_attention_matches_sdpa(impl, rng, case):
    h, mask, W_q, W_k, W_v = self_case(rng, case)
    out, a = call_self(impl, h, mask, W_q, W_k, W_v, False)
    want_out, want_a = self_reference(h, mask, W_q, W_k, W_v, False)
    check(bool((a.transpose(1, 2)[~mask] == 0).all()), "the weights on a padded key must be exactly 0")
    assert_close(a.sum(dim=-1), torch.ones(a.shape[:2], dtype=torch.float64), "the sums of the weight rows",
                 rtol=0, atol=1e-12, against="1")
    assert_close(a, want_a, "the attention weights", against=SDPA, **TIGHT)
    assert_close(out, want_out, "out", against=SDPA, **TIGHT)


# --- task 4 -----------------------------------------------------------------------------------------

@pytest.mark.task(4)
@pytest.mark.parametrize("case", range(N_SELF))
def test_causal_self_attention_matches_sdpa(impl, rng, case):
    h, mask, W_q, W_k, W_v = self_case(rng, case)
    out, a = call_self(impl, h, mask, W_q, W_k, W_v, True)
    want_out, want_a = self_reference(h, mask, W_q, W_k, W_v, True)
    T = mask.shape[1]
    future = torch.ones(T, T, dtype=torch.bool).triu(1)
    check(bool((a[:, future] == 0).all()), "with causal=True, the weights on later steps (s > t) must be exactly 0")
    assert_close(a, want_a, "the attention weights (causal)", against=SDPA, **TIGHT)
    assert_close(out, want_out, "out (causal)", against=SDPA, **TIGHT)


JACOBIAN_CASES = [(2, 3, 2, ["1111", "1110"]), (3, 2, 3, ["11111"])]   # (H, d, dv, mask rows)


@pytest.mark.task(4)
@pytest.mark.parametrize("case", range(len(JACOBIAN_CASES) + 1))
def test_causal_gradients_ignore_the_future(impl, rng, case):
    if case < len(JACOBIAN_CASES):
        H, d, dv, rows = JACOBIAN_CASES[case]
        mask = string_mask(rows)
        B, T = mask.shape
        h, W_q, W_k, W_v = trandn(rng, B, T, H), trandn(rng, H, d), trandn(rng, H, d), trandn(rng, H, dv)
    else:
        h, mask, W_q, W_k, W_v = self_case(rng, len(SELF_FIXED))
        B, T = mask.shape
        dv = W_v.shape[1]
    for t in sorted({0, max(T - 2, 0)}):        # the first step, and the last one that has a future
        up_out, up_a = torch.zeros(B, T, dv, dtype=torch.float64), torch.zeros(B, T, T, dtype=torch.float64)
        up_out[:, t], up_a[:, t] = trandn(rng, B, dv), trandn(rng, B, T)
        got = expect_dict(impl.probe("output_grads", impl.function("self_attention"),
                                     [h, mask, W_q, W_k, W_v, True], [up_out, up_a]),
                          ["outputs", "inputs", "params"], "the gradient probe")
        grads = got["inputs"]
        check(isinstance(grads, list) and len(grads) == 4 and grads[0] is not None, "no gradient reaches h")
        dh = expect_tensor(grads[0], (B, T, h.shape[2]), "d out[:, t] / d h")
        check(bool((dh[:, t + 1:] == 0).all()),
              "with causal=True, output step t must not depend on h at any later step (the gradient must be exactly 0)")
        leaf = h.clone().requires_grad_(True)
        want_out, want_a = self_reference(leaf, mask, W_q, W_k, W_v, True)
        ((want_out * up_out).sum() + (want_a * up_a).sum()).backward()
        assert_close(dh, leaf.grad, "d out[:, t] / d h", rtol=1e-10, atol=1e-12, against=f"the gradient of {SDPA}")


# --- task 5 -----------------------------------------------------------------------------------------

@pytest.mark.task(5)
@pytest.mark.parametrize("case", range(2))
def test_arguments_unchanged(impl, rng, case):
    q, k, v, key_mask = cross_case(rng, 1 + case)
    call_cross(impl, q, k, v, key_mask, fn=impl.checked.cross_attention)
    for causal in (False, True):
        h, mask, W_q, W_k, W_v = self_case(rng, 1 + case)
        call_self(impl, h, mask, W_q, W_k, W_v, causal, fn=impl.checked.self_attention)


@pytest.mark.task(5)
@pytest.mark.parametrize("causal", [False, True])
def test_float32_in_float32_out(impl, rng, causal):
    # the function against itself: float32 results within float32 rounding of its float64 results
    tol = {"rtol": 1e-4, "atol": 1e-5, "against": "the same call in float64"}
    key_mask = string_mask(["1101", "0111"])
    q, k, v = trandn(rng, 2, 3, 3, scale=0.5), trandn(rng, 2, 4, 3, scale=0.5), trandn(rng, 2, 4, 2)
    got = call_cross(impl, q.float(), k.float(), v.float(), key_mask, dtype=torch.float32)
    want = call_cross(impl, q.float().double(), k.float().double(), v.float().double(), key_mask)
    assert_close(got, want, "cross_attention of float32 inputs", **tol)
    mask = string_mask(["1110", "1111"])
    h, W_q, W_k, W_v = trandn(rng, 2, 4, 3), trandn(rng, 3, 2, scale=0.5), trandn(rng, 3, 2, scale=0.5), trandn(rng, 3, 3)
    got_out, got_a = call_self(impl, h.float(), mask, W_q.float(), W_k.float(), W_v.float(), causal, dtype=torch.float32)
    want_out, want_a = call_self(impl, h.float().double(), mask, W_q.float().double(), W_k.float().double(),
                                 W_v.float().double(), causal)
    assert_close(got_out, want_out, "out of float32 inputs", **tol)
    assert_close(got_a, want_a, "the weights of float32 inputs", **tol)
