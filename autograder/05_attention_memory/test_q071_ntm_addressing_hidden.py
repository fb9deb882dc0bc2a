"""Hidden grader for q071_ntm_addressing (never shipped to students).

Oracles are written here from first principles (Python loops over slots and offsets, the
catalogue's G8), next to torch's F.cosine_similarity for the content stage. Head parameters are
drawn from rng away from the edges of their ranges: beta in [0.5, 5], g in [0.05, 0.95], gamma in
[1, 4], shift and w_prev softmaxes of N(0, 1) draws (all entries > 0). Sizes B <= 4, N <= 8,
M <= 5, S in {1, 3, 5} with S <= N. Tasks 1-6 call with the in-place check off (rnnkit.fair.
ValuesOnly): in-place changes to the arguments cost task 7 only.

Task 1: content_weights equals softmax(beta * F.cosine_similarity(eps=1e-8)) (1e-10); rows sum to
        1; a zero slot gets cos 0 (finite result); a zero key or beta = 0 gives exactly-uniform
        weights 1/N (1e-15); scaling the key or a slot by a positive factor changes nothing (1e-12).
Task 2: interpolate equals the loop formula (1e-12), g = 1 gives w_c and g = 0 gives w_prev
        (1e-15); sharpen equals the loop formula (1e-10), gamma = 1 gives w back (1e-12), and
        gamma = 200 on a weighting with a clear maximum is one-hot within 1e-9.
Task 3: circular_shift equals the loop oracle w_s[i] = sum_j s[j] w[(i - (j - R)) mod N] (1e-12);
        one-hot weightings at every slot, moved by one-hot shifts at every offset, land exactly
        on slot (i + j - R) mod N (wrap-around at both ends); S = 1 is the identity; rows sum to 1.
Task 4: ntm_address equals hand-checked golden values on two fixed heads and the staged loop
        oracle (content, interpolate, shift, sharpen, in this order) on random heads (1e-10).
        A head whose stages do not commute (a sharp shift then gamma = 3) separates the orders.
Task 5: ntm_read equals sum_i w_i M_i (1e-12); ntm_write equals M * (1 - w e^T) + w a^T from a
        loop (1e-12); a one-hot write leaves every other slot bitwise unchanged and, with e = 1,
        puts exactly a into its slot.
Task 6: rnnkit.probes.output_grads on ntm_address (all seven tensors), ntm_read and ntm_write
        with random upstream gradients: every argument gets a gradient, equal to autograd
        through the reference in the grader (1e-10).
Task 7: every function, called with the in-place check on, leaves all its arguments unchanged.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from rnnkit.fair import ValuesOnly
from rnnkit.testing import assert_close, check, expect_dict, expect_tensor, trandn

D = torch.float64


@pytest.fixture
def impl(impl):
    return ValuesOnly(impl)


# --- inputs and oracles --------------------------------------------------------------------------

def sizes(rng: np.random.Generator) -> tuple[int, int, int, int]:
    B, N, M = int(rng.integers(1, 5)), int(rng.integers(3, 9)), int(rng.integers(1, 6))
    S = int(rng.choice([s for s in (1, 3, 5) if s <= N]))
    return B, N, M, S


def softmax_rows(rng: np.random.Generator, B: int, N: int) -> torch.Tensor:
    return torch.softmax(trandn(rng, B, N), dim=-1)


def uniform(rng: np.random.Generator, lo: float, hi: float, B: int) -> torch.Tensor:
    return torch.from_numpy(rng.uniform(lo, hi, size=B))


def head(rng: np.random.Generator, B: int, N: int, M: int, S: int) -> dict[str, torch.Tensor]:
    return {"memory": trandn(rng, B, N, M), "key": trandn(rng, B, M), "beta": uniform(rng, 0.5, 5.0, B),
            "g": uniform(rng, 0.05, 0.95, B), "shift": softmax_rows(rng, B, S),
            "gamma": uniform(rng, 1.0, 4.0, B), "w_prev": softmax_rows(rng, B, N)}


ORDER = ("memory", "key", "beta", "g", "shift", "gamma", "w_prev")


def content_oracle(memory: torch.Tensor, key: torch.Tensor, beta: torch.Tensor) -> torch.Tensor:
    cos = F.cosine_similarity(key[:, None, :], memory, dim=-1, eps=1e-8)
    return torch.softmax(beta[:, None] * cos, dim=-1)


def shift_oracle(w: torch.Tensor, s: torch.Tensor) -> torch.Tensor:
    B, N = w.shape
    S = s.shape[1]
    R = (S - 1) // 2
    out = torch.zeros(B, N, dtype=w.dtype)
    for b in range(B):
        for i in range(N):
            out[b, i] = sum(float(s[b, j]) * float(w[b, (i - (j - R)) % N]) for j in range(S))
    return out


def sharpen_oracle(w: torch.Tensor, gamma: torch.Tensor) -> torch.Tensor:
    out = torch.zeros_like(w)
    for b in range(w.shape[0]):
        powered = [float(v) ** float(gamma[b]) for v in w[b]]
        total = sum(powered)
        out[b] = torch.tensor([p / total for p in powered], dtype=w.dtype)
    return out


def address_oracle(h: dict[str, torch.Tensor]) -> torch.Tensor:
    w_c = content_oracle(h["memory"], h["key"], h["beta"])
    gate = h["g"][:, None]
    w_g = gate * w_c + (1 - gate) * h["w_prev"]
    return sharpen_oracle(shift_oracle(w_g, h["shift"]), h["gamma"])


def write_oracle(memory: torch.Tensor, w: torch.Tensor, erase: torch.Tensor, add: torch.Tensor) -> torch.Tensor:
    out = memory.clone()
    B, N, M = memory.shape
    for b in range(B):
        for i in range(N):
            for m in range(M):
                out[b, i, m] = float(memory[b, i, m]) * (1 - float(w[b, i]) * float(erase[b, m])) \
                    + float(w[b, i]) * float(add[b, m])
    return out


def weighting(value: Any, B: int, N: int, name: str) -> torch.Tensor:
    w = expect_tensor(value, (B, N), name, dtype=D)
    check(bool((w >= 0).all()), f"{name} has negative entries")
    assert_close(w.sum(dim=-1), torch.ones(B, dtype=D), f"the row sums of {name}", rtol=0, atol=1e-12,
                 against="1")
    return w


# --- task 1 --------------------------------------------------------------------------------------

@pytest.mark.task(1)
@pytest.mark.parametrize("case", range(6))
def test_content_weights_match_cosine_softmax(impl, rng, case):
    B, N, M, _ = sizes(rng)
    M = max(M, 2)
    memory, key, beta = trandn(rng, B, N, M), trandn(rng, B, M), uniform(rng, 0.5, 5.0, B)
    if case == 0:
        memory[0, N - 1] = 0.0                    # an empty slot: cos 0, not NaN
    if case == 1:
        memory[:, 0] = 3.0 * key                  # a slot parallel to the key, three times as long
    got = weighting(impl.content_weights(memory, key, beta), B, N, "content_weights(memory, key, beta)")
    assert_close(got, content_oracle(memory, key, beta), "content_weights",
                 against="softmax(beta * F.cosine_similarity(key, slots, eps=1e-8))")


@pytest.mark.task(1)
def test_uniform_when_beta_or_key_is_zero(impl, rng):
    B, N, M = 3, 5, 4
    memory, key = trandn(rng, B, N, M), trandn(rng, B, M)
    flat = torch.full((B, N), 1.0 / N, dtype=D)
    got = weighting(impl.content_weights(memory, key, torch.zeros(B, dtype=D)), B, N, "content_weights, beta = 0")
    assert_close(got, flat, "content_weights with beta = 0", rtol=1e-15, atol=0, against="1/N")
    got = weighting(impl.content_weights(memory, torch.zeros(B, M, dtype=D), uniform(rng, 1, 5, B)), B, N,
                    "content_weights, zero key")
    assert_close(got, flat, "content_weights with a zero key", rtol=1e-15, atol=0, against="1/N")


@pytest.mark.task(1)
def test_scale_invariance(impl, rng):
    B, N, M = 2, 6, 3
    memory, key, beta = trandn(rng, B, N, M), trandn(rng, B, M), uniform(rng, 0.5, 5.0, B)
    base = weighting(impl.content_weights(memory, key, beta), B, N, "content_weights")
    scaled = memory.clone()
    scaled[:, 2] *= 7.5
    again = weighting(impl.content_weights(scaled, key * 0.2, beta), B, N, "content_weights")
    assert_close(again, base, "content_weights after scaling the key and one slot", rtol=1e-12, atol=1e-14,
                 against="content_weights before (cosine similarity ignores lengths)")


# --- task 2 --------------------------------------------------------------------------------------

@pytest.mark.task(2)
@pytest.mark.parametrize("case", range(4))
def test_interpolate(impl, rng, case):
    B, N, _, _ = sizes(rng)
    w_c, w_prev, g = softmax_rows(rng, B, N), softmax_rows(rng, B, N), uniform(rng, 0.05, 0.95, B)
    got = weighting(impl.interpolate(w_c, w_prev, g), B, N, "interpolate(w_c, w_prev, g)")
    assert_close(got, g[:, None] * w_c + (1 - g[:, None]) * w_prev, "interpolate", rtol=1e-12, atol=1e-15,
                 against="g * w_c + (1 - g) * w_prev")
    if case == 0:
        for value, want, name in ((1.0, w_c, "w_c"), (0.0, w_prev, "w_prev")):
            got = weighting(impl.interpolate(w_c, w_prev, torch.full((B,), value, dtype=D)), B, N, "interpolate")
            assert_close(got, want, f"interpolate with g = {value:g}", rtol=1e-15, atol=0, against=name)


@pytest.mark.task(2)
@pytest.mark.parametrize("case", range(4))
def test_sharpen(impl, rng, case):
    B, N, _, _ = sizes(rng)
    w, gamma = softmax_rows(rng, B, N), uniform(rng, 1.0, 4.0, B)
    got = weighting(impl.sharpen(w, gamma), B, N, "sharpen(w, gamma)")
    assert_close(got, sharpen_oracle(w, gamma), "sharpen", against="w ** gamma / sum(w ** gamma)")
    if case == 0:
        got = weighting(impl.sharpen(w, torch.ones(B, dtype=D)), B, N, "sharpen with gamma = 1")
        assert_close(got, w, "sharpen with gamma = 1", rtol=1e-12, atol=1e-15, against="w itself")


@pytest.mark.task(2)
def test_large_gamma_is_nearly_one_hot(impl, rng):
    B, N = 3, 6
    w = torch.softmax(trandn(rng, B, N, scale=0.3), dim=-1)
    top = [int(v) for v in rng.integers(0, N, size=B)]
    for b, i in enumerate(top):
        w[b, i] = w[b].max() * 1.3               # a clear maximum
    w = w / w.sum(dim=-1, keepdim=True)
    got = weighting(impl.sharpen(w, torch.full((B,), 200.0, dtype=D)), B, N, "sharpen with gamma = 200")
    one_hot = F.one_hot(torch.tensor(top), N).to(D)
    assert_close(got, one_hot, "sharpen with gamma = 200", rtol=0, atol=1e-9, against="the one-hot at the maximum")


# --- task 3 --------------------------------------------------------------------------------------

@pytest.mark.task(3)
@pytest.mark.parametrize("case", range(6))
def test_circular_shift_matches_loop(impl, rng, case):
    B, N, _, S = sizes(rng)
    if case < 2:
        N, S = (3, 3) if case == 0 else (5, 5)
    w, s = softmax_rows(rng, B, N), softmax_rows(rng, B, S)
    got = weighting(impl.circular_shift(w, s), B, N, "circular_shift(w, shift)")
    assert_close(got, shift_oracle(w, s), "circular_shift", rtol=1e-12, atol=1e-15,
                 against="sum_j s[j] * w[(i - (j - R)) mod N]")


@pytest.mark.task(3)
@pytest.mark.parametrize("S", [1, 3, 5])
def test_one_hot_rotates(impl, S):
    N, R = 6, (S - 1) // 2
    w = torch.eye(N, dtype=D)                                           # row b: one-hot at slot b
    for j in range(S):
        s = F.one_hot(torch.full((N,), j), S).to(D)
        got = expect_tensor(impl.circular_shift(w, s), (N, N), "circular_shift(one-hot, one-hot shift)", dtype=D)
        want = torch.roll(w, j - R, dims=1)
        check(torch.equal(got, want), f"with S = {S}, the one-hot shift at j = {j} (offset {j - R:+d}) "
              f"should move the mass at slot i to slot (i {j - R:+d}) mod {N}, circularly")


# --- task 4 --------------------------------------------------------------------------------------

GOLDEN = [  # (head, expected w), checked by hand against the stage formulas
    ({"memory": [[[1.0, 0.0, 0.0], [0.0, 2.0, 0.0], [1.0, 1.0, 0.0], [0.0, 0.0, 0.0]]], "key": [[1.0, 1.0, 0.0]],
      "beta": [2.0], "g": [0.5], "shift": [[0.0, 0.75, 0.25]], "gamma": [2.0], "w_prev": [[0.0, 0.0, 0.0, 1.0]]},
     [[0.16353497420809773, 0.0493347967895758, 0.12587156377783, 0.6612586652244965]]),
    # g = 0 keeps w_prev = [0.5, 0.5, 0, 0]; shift one slot back: [0.5, 0, 0, 0.5]; gamma changes nothing
    ({"memory": [[[3.0, 1.0], [1.0, 3.0], [-1.0, 2.0], [0.0, 1.0]]], "key": [[1.0, 0.0]],
      "beta": [4.0], "g": [0.0], "shift": [[1.0, 0.0, 0.0]], "gamma": [3.0], "w_prev": [[0.5, 0.5, 0.0, 0.0]]},
     [[0.5, 0.0, 0.0, 0.5]]),
]


def tensors(h: dict[str, Any]) -> dict[str, torch.Tensor]:
    return {k: torch.tensor(v, dtype=D) for k, v in h.items()}


@pytest.mark.task(4)
@pytest.mark.parametrize("case", range(len(GOLDEN)))
def test_golden_heads(impl, case):
    h, want = GOLDEN[case]
    h = tensors(h)
    B, N = h["w_prev"].shape
    got = weighting(impl.ntm_address(*(h[k] for k in ORDER)), B, N, "ntm_address(...)")
    assert_close(got, torch.tensor(want, dtype=D), "ntm_address", against="the hand-checked weighting")


@pytest.mark.task(4)
@pytest.mark.parametrize("case", range(5))
def test_address_matches_staged_oracle(impl, rng, case):
    B, N, M, S = sizes(rng)
    h = head(rng, B, N, M, S)
    if case == 0:                                  # a sharp shift, then sharpening: the order shows
        N, S = 5, 3
        h = head(rng, B, N, M, S)
        h["shift"] = torch.tensor([[0.05, 0.05, 0.9]], dtype=D).expand(B, S).clone()
        h["gamma"] = torch.full((B,), 3.0, dtype=D)
        h["g"] = torch.full((B,), 0.5, dtype=D)
    got = weighting(impl.ntm_address(*(h[k] for k in ORDER)), B, N, "ntm_address(...)")
    assert_close(got, address_oracle(h), "ntm_address", against="content, interpolate, shift, sharpen in this order")


# --- task 5 --------------------------------------------------------------------------------------

@pytest.mark.task(5)
@pytest.mark.parametrize("case", range(4))
def test_read_and_write_match_loops(impl, rng, case):
    B, N, M, _ = sizes(rng)
    memory, w = trandn(rng, B, N, M), softmax_rows(rng, B, N)
    erase, add = torch.from_numpy(rng.uniform(0.05, 0.95, size=(B, M))), trandn(rng, B, M)
    r = expect_tensor(impl.ntm_read(memory, w), (B, M), "ntm_read(memory, w)", dtype=D)
    want_r = torch.stack([sum(float(w[b, i]) * memory[b, i] for i in range(N)) for b in range(B)])
    assert_close(r, want_r, "ntm_read", rtol=1e-12, atol=1e-14, against="sum_i w_i M_i")
    new = expect_tensor(impl.ntm_write(memory, w, erase, add), (B, N, M), "ntm_write(memory, w, erase, add)", dtype=D)
    assert_close(new, write_oracle(memory, w, erase, add), "ntm_write", rtol=1e-12, atol=1e-14,
                 against="M * (1 - w e^T) + w a^T (erase, then add)")


@pytest.mark.task(5)
def test_one_hot_write_changes_one_slot(impl, rng):
    B, N, M = 3, 5, 4
    memory, add = trandn(rng, B, N, M), trandn(rng, B, M)
    slots = [int(v) for v in rng.integers(0, N, size=B)]
    w = F.one_hot(torch.tensor(slots), N).to(D)
    new = expect_tensor(impl.ntm_write(memory, w, torch.ones(B, M, dtype=D), add), (B, N, M), "ntm_write", dtype=D)
    for b, i in enumerate(slots):
        others = [j for j in range(N) if j != i]
        check(torch.equal(new[b, others], memory[b, others]), "a one-hot write must leave every other slot unchanged")
        check(torch.equal(new[b, i], add[b]), "a one-hot write with erase = 1 must put exactly the add vector in its slot")


# --- task 6 --------------------------------------------------------------------------------------

def probe_grads(impl: Any, fn: str, args: list[torch.Tensor], upstream: torch.Tensor) -> list[torch.Tensor]:
    got = expect_dict(impl.probe("output_grads", impl.function(fn), args, [upstream]),
                      ["outputs", "inputs", "params"], "the gradient probe")
    grads = got["inputs"]
    check(isinstance(grads, list) and len(grads) == len(args), f"{fn}: the probe should see {len(args)} tensor arguments")
    return grads


def reference_grads(fn: Any, args: list[torch.Tensor], upstream: torch.Tensor) -> tuple[torch.Tensor, ...]:
    leaves = [a.clone().requires_grad_(True) for a in args]
    return torch.autograd.grad((fn(*leaves) * upstream).sum(), leaves)


@pytest.mark.task(6)
@pytest.mark.parametrize("case", range(3))
def test_gradients_match_reference(impl, ref, rng, case):
    B, N, M, S = sizes(rng)
    if case == 0:
        N, S = 5, 3
    h = head(rng, B, N, M, S)
    calls = [
        ("ntm_address", ref.ntm_address, [h[k] for k in ORDER], trandn(rng, B, N)),
        ("ntm_read", ref.ntm_read, [h["memory"], h["w_prev"]], trandn(rng, B, M)),
        ("ntm_write", ref.ntm_write, [h["memory"], h["w_prev"], torch.from_numpy(rng.uniform(0.05, 0.95, (B, M))),
                                      trandn(rng, B, M)], trandn(rng, B, N, M)),
    ]
    for fn, ref_fn, args, upstream in calls:
        grads = probe_grads(impl, fn, args, upstream)
        want = reference_grads(ref_fn, args, upstream)
        names = ORDER if fn == "ntm_address" else ("memory", "w") if fn == "ntm_read" else ("memory", "w", "erase", "add")
        for name, g, w, a in zip(names, grads, want, args, strict=True):
            check(g is not None, f"{fn}: no gradient reaches the argument {name}")
            assert_close(expect_tensor(g, tuple(a.shape), f"d {fn} / d {name}", dtype=D), w,
                         f"the gradient of {fn} with respect to {name}", against="autograd through the reference")


# --- task 7 --------------------------------------------------------------------------------------

@pytest.mark.task(7)
@pytest.mark.parametrize("case", range(2))
def test_arguments_unchanged(impl, rng, case):
    B, N, M, S = sizes(rng)
    h = head(rng, B, N, M, S)
    c = impl.checked                                # the in-place check on
    w_c = c.content_weights(h["memory"], h["key"], h["beta"])
    w_g = c.interpolate(w_c, h["w_prev"], h["g"])
    w_s = c.circular_shift(w_g, h["shift"])
    w = c.sharpen(w_s, h["gamma"])
    c.ntm_address(*(h[k] for k in ORDER))
    c.ntm_read(h["memory"], w)
    c.ntm_write(h["memory"], w, torch.from_numpy(rng.uniform(0.05, 0.95, (B, M))), trandn(rng, B, M))
