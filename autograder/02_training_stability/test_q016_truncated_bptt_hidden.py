"""Hidden grader for q016_truncated_bptt (never shipped to students).

tbptt_gradients is called through the probe rnnkit.probes.backward_counted (errata 38 and 59):
the grader sends the nn.LSTM and nn.Linear (as ModuleStates, rebuilt in the child in float64),
x and y; the probe makes x a leaf that requires grad, counts torch.autograd.backward calls, and
returns the submission's gradient dict, the counts and x.grad. Expected values come from the
reference run here on copies, and from a plain full-BPTT pass computed here.

Task 1: chunk_sequence: ceil(T / k) chunks along dim 1, each equal to its slice of x (exact), the
        last one shorter when k does not divide T, one chunk when k >= T, k = 1; k < 1 raises
        ValueError (after a valid call in the same test).
Task 2: k >= T equals full BPTT: every parameter gradient and x.grad (rtol 1e-10, atol 1e-12).
Task 3: k < T equals the reference TBPTT (detached (h, c) carry, summed squared error per chunk):
        every parameter gradient and x.grad, shorter last chunks, k = 1, two layers.
Task 4: no gradient crosses a chunk boundary: changing only the last chunk's targets leaves
        x.grad of every earlier chunk unchanged (atol 1e-14), while the carried state still makes
        the forward pass of later chunks depend on earlier inputs (task 3).
Task 5: exactly one backward() per chunk (ceil(T / k) calls counted, no autograd.grad) on each of
        two calls in a row, and the second of two calls in a row returns what a single call
        returns (the function clears old gradients first); the dict has exactly the documented keys.
"""

from __future__ import annotations

import copy
import math
from typing import Any

import numpy as np
import pytest
import torch
from torch import nn

from rnnkit.testing import assert_close, check, expect_dict, expect_tensor, expect_tuple, trandn

FN = "tbptt_gradients"


def models(rng: np.random.Generator, D: int, H: int, n_out: int, L: int) -> tuple[nn.LSTM, nn.Linear]:
    lstm = nn.LSTM(D, H, num_layers=L, batch_first=True).double()
    head = nn.Linear(H, n_out).double()
    with torch.no_grad():
        for p in list(lstm.parameters()) + list(head.parameters()):
            p.copy_(trandn(rng, *p.shape, scale=0.6))
    return lstm, head


def keys(lstm: nn.LSTM, head: nn.Linear) -> list[str]:
    return [f"lstm.{n}" for n, _ in lstm.named_parameters()] + [f"head.{n}" for n, _ in head.named_parameters()]


def shapes(lstm: nn.LSTM, head: nn.Linear) -> dict[str, tuple[int, ...]]:
    return {**{f"lstm.{n}": tuple(p.shape) for n, p in lstm.named_parameters()},
            **{f"head.{n}": tuple(p.shape) for n, p in head.named_parameters()}}


def problem(rng: np.random.Generator, T: int, L: int = 1) -> tuple[nn.LSTM, nn.Linear, torch.Tensor, torch.Tensor]:
    B, D, H, n_out = int(rng.integers(1, 4)), int(rng.integers(1, 4)), int(rng.integers(1, 5)), int(rng.integers(1, 3))
    lstm, head = models(rng, D, H, n_out, L)
    return lstm, head, trandn(rng, B, T, D), trandn(rng, B, T, n_out)


def student(impl, lstm, head, x, y, k, calls: int = 1) -> dict[str, Any]:
    out = impl.probe("backward_counted", impl.function(FN), [lstm, head, x, y, k], [2], calls=calls)
    out = expect_dict(out, ["value", "backward_calls", "grad_calls", "input_grads"], "the backward probe")
    grads = expect_dict(out["value"], keys(lstm, head), f"{FN}(...)")
    for name, shape in shapes(lstm, head).items():
        expect_tensor(grads[name], shape, f"the gradient {name!r}", dtype=torch.float64)
    x_grad = out["input_grads"][0]
    check(x_grad is not None, f"no gradient reached x: do not detach or copy x inside {FN}")
    out["x_grad"] = expect_tensor(x_grad, tuple(x.shape), "x.grad", dtype=torch.float64)
    return out


def reference(ref, lstm, head, x, y, k) -> tuple[dict[str, torch.Tensor], torch.Tensor]:
    lstm, head, x = copy.deepcopy(lstm), copy.deepcopy(head), x.clone().requires_grad_(True)
    grads = ref.tbptt_gradients(lstm, head, x, y.clone(), k)
    return grads, x.grad


def full_bptt(lstm, head, x, y) -> tuple[dict[str, torch.Tensor], torch.Tensor]:
    lstm, head, x = copy.deepcopy(lstm), copy.deepcopy(head), x.clone().requires_grad_(True)
    out, _ = lstm(x)
    ((head(out) - y) ** 2).sum().backward()
    grads = {f"lstm.{n}": p.grad for n, p in lstm.named_parameters()}
    grads.update({f"head.{n}": p.grad for n, p in head.named_parameters()})
    return grads, x.grad


def compare(got: dict[str, Any], want: dict[str, torch.Tensor], want_x: torch.Tensor, against: str) -> None:
    for name, w in want.items():
        assert_close(got["value"][name], w, f"the gradient {name!r}", against=against)
    assert_close(got["x_grad"], want_x, "x.grad", against=against)


# --- task 1 -------------------------------------------------------------------------------------

CHUNK_CASES = [(1, 1), (5, 1), (6, 3), (7, 3), (4, 4), (3, 10), (9, 4)]


@pytest.mark.task(1)
@pytest.mark.parametrize("case", range(len(CHUNK_CASES) + 2))
def test_chunk_sequence(impl, rng, case):
    if case < len(CHUNK_CASES):
        T, k = CHUNK_CASES[case]
    else:
        T = int(rng.integers(2, 20))
        k = int(rng.integers(1, T + 2))
    B, D = int(rng.integers(1, 4)), int(rng.integers(1, 5))
    x = trandn(rng, B, T, D)
    chunks = expect_tuple(impl.chunk_sequence(x, k), math.ceil(T / k), f"chunk_sequence(x with T = {T}, k = {k})")
    start = 0
    for j, chunk in enumerate(chunks):
        length = min(k, T - start)
        expect_tensor(chunk, (B, length, D), f"chunk {j}")
        check(torch.equal(chunk, x[:, start:start + length]),
              f"chunk {j} should be x[:, {start}:{start + length}] (consecutive steps along dim 1)")
        start += length


@pytest.mark.task(1)
@pytest.mark.parametrize("k", [0, -2])
def test_chunk_length_below_one_raises(impl, rng, k):
    x = trandn(rng, 2, 4, 3)
    expect_tuple(impl.chunk_sequence(x, 2), 2, "chunk_sequence(x with T = 4, k = 2)")
    with pytest.raises(ValueError):
        impl.chunk_sequence(x, k)


# --- task 2 -------------------------------------------------------------------------------------

@pytest.mark.task(2)
@pytest.mark.parametrize("case", range(4))
def test_one_chunk_is_full_bptt(impl, rng, case):
    T = [1, 5, 4, int(rng.integers(2, 9))][case]
    k = [1, 5, 7, T + int(rng.integers(0, 4))][case]
    lstm, head, x, y = problem(rng, T, L=2 if case == 2 else 1)
    got = student(impl, lstm, head, x, y, k)
    want, want_x = full_bptt(lstm, head, x, y)
    compare(got, want, want_x, "full BPTT (k >= T: one chunk)")


# --- task 3 -------------------------------------------------------------------------------------

TBPTT_CASES = [(6, 2, 1), (7, 3, 1), (5, 1, 1), (8, 5, 1), (7, 2, 2), (10, 4, 2)]  # (T, k, layers)


@pytest.mark.task(3)
@pytest.mark.parametrize("case", range(len(TBPTT_CASES) + 2))
def test_truncated_gradients_match_reference(impl, ref, rng, case):
    if case < len(TBPTT_CASES):
        T, k, L = TBPTT_CASES[case]
    else:
        T = int(rng.integers(3, 13))
        k, L = int(rng.integers(1, T)), 1
    lstm, head, x, y = problem(rng, T, L)
    got = student(impl, lstm, head, x, y, k)
    want, want_x = reference(ref, lstm, head, x, y, k)
    compare(got, want, want_x, f"truncated BPTT with a detached (h, c) carry (T = {T}, k = {k})")


# --- task 4 -------------------------------------------------------------------------------------

@pytest.mark.task(4)
@pytest.mark.parametrize("case", range(3))
def test_later_losses_do_not_reach_earlier_chunks(impl, rng, case):
    T, k = [(6, 2), (7, 3), (9, 4)][case]
    lstm, head, x, y = problem(rng, T)
    y2 = y.clone()
    last = (math.ceil(T / k) - 1) * k
    y2[:, last:] += 1.0 + trandn(rng, y.shape[0], T - last, y.shape[2]) ** 2
    first = student(impl, lstm, head, x, y, k)["x_grad"]
    second = student(impl, lstm, head, x, y2, k)["x_grad"]
    assert_close(second[:, :last], first[:, :last], "x.grad before the last chunk", rtol=0.0, atol=1e-14,
                 against="its value with the original targets (the last chunk's loss must not reach "
                         "earlier chunks: detach the carried state)")


# --- task 5 -------------------------------------------------------------------------------------

@pytest.mark.task(5)
@pytest.mark.parametrize("case", range(4))
def test_one_backward_per_chunk_and_fresh_gradients(impl, rng, case):
    T, k = [(6, 2), (7, 3), (4, 4), (5, 1)][case]
    lstm, head, x, y = problem(rng, T)
    got = student(impl, lstm, head, x, y, k, calls=2)
    n = math.ceil(T / k)
    check(got["backward_calls"] == [n, n],
          f"{FN} should call backward() once per chunk ({n} times for T = {T}, k = {k}); "
          f"it called it {got['backward_calls'][0]} times")
    check(got["grad_calls"] == [0, 0], f"{FN} should use loss.backward(), not torch.autograd.grad")
    once = student(impl, lstm, head, x, y, k)
    for name, w in once["value"].items():
        assert_close(got["value"][name], w, f"the gradient {name!r} on a second call in a row",
                     against="the value of a single call (clear the gradients before accumulating)")
