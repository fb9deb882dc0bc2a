"""Hidden grader for q017_learnable_initial_state (never shipped to students).

The module is used through a handle: ``net = impl.LSTMWithLearnedInit(D, H, L, bidir)``,
``net.state_dict()``, ``net.load_state_dict(sd)``, ``net(x)``. Parameter names follow errata 8
(``lstm``, ``h0``, ``c0``); the batch layout follows errata 77 (batch first). The oracle is
torch.nn.LSTM (batch_first, float64) with the same weights, built here. "Expand, not a copy" is
not graded (errata 50: gradients are identical either way).

Task 1: state_dict keys are exactly "h0", "c0" and nn.LSTM's keys behind "lstm." (num_layers and
        bidirectional passed on, defaults 1 and False); h0 and c0 are (L * dirs, 1, H) float64
        parameters; forward returns (out, (h_n, c_n)) with out (B, T, dirs * H) and h_n, c_n
        (L * dirs, B, H); B = 1 and B = 5.
Task 2: at construction h0 = c0 = 0 exactly and the module (its own h0, c0, with random LSTM
        weights loaded) equals nn.LSTM with hx=None (rtol 1e-10, atol 1e-12).
Task 3: with random h0, c0 it equals nn.LSTM with explicit hx = (h0, c0) expanded over the batch,
        for out, h_n and c_n; B = 1 and B = 5, one and two layers, uni- and bidirectional.
Task 4: gradients (rnnkit.probes.output_grads in the child, random upstream on out, h_n and c_n):
        h0.grad and c0.grad equal the batch sum of the explicit-state gradients of nn.LSTM, and
        every LSTM weight gradient and x.grad equal nn.LSTM's (1e-10).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch
from torch import nn

from rnnkit.probes import output_grads
from rnnkit.testing import assert_close, check, expect_dict, expect_tensor, expect_tuple, trandn

CLS = "LSTMWithLearnedInit"
# (B, T, D, H, layers, bidirectional)
FIXED = [(1, 1, 1, 1, 1, False), (5, 3, 2, 3, 1, False), (1, 4, 3, 2, 2, True), (5, 2, 2, 2, 2, False),
         (3, 3, 1, 2, 1, True)]
N_CASES = len(FIXED) + 2


def config(rng: np.random.Generator, case: int) -> tuple[int, int, int, int, int, bool]:
    if case < len(FIXED):
        return FIXED[case]
    return (int(rng.choice([1, 5])), int(rng.integers(1, 6)), int(rng.integers(1, 5)), int(rng.integers(1, 5)),
            int(rng.integers(1, 3)), bool(rng.integers(0, 2)))


def build(impl, D: int, H: int, L: int, bidir: bool, case: int) -> Any:
    """Construct the submission's module; some cases use the defaults or keywords."""
    ctor = getattr(impl, CLS)
    if L == 1 and not bidir and case % 2 == 0:
        return ctor(D, H)
    return ctor(D, H, num_layers=L, bidirectional=bidir) if case % 2 else ctor(D, H, L, bidir)


def oracle(D: int, H: int, L: int, bidir: bool, rng: np.random.Generator) -> nn.LSTM:
    lstm = nn.LSTM(D, H, num_layers=L, bidirectional=bidir, batch_first=True).double()
    with torch.no_grad():
        for p in lstm.parameters():
            p.copy_(trandn(rng, *p.shape, scale=0.7))
    return lstm


def n_states(L: int, bidir: bool) -> int:
    return L * (2 if bidir else 1)


def full_state_dict(lstm: nn.LSTM, h0: torch.Tensor, c0: torch.Tensor) -> dict[str, torch.Tensor]:
    return {"h0": h0, "c0": c0, **{f"lstm.{k}": v.detach().clone() for k, v in lstm.state_dict().items()}}


def forward(net: Any, x: torch.Tensor, B: int, T: int, H: int, L: int, bidir: bool):
    out, state = expect_tuple(net(x), 2, f"{CLS}.forward")
    h_n, c_n = expect_tuple(state, 2, f"the state returned by {CLS}.forward")
    dirs = 2 if bidir else 1
    return (expect_tensor(out, (B, T, dirs * H), "out", dtype=torch.float64),
            expect_tensor(h_n, (L * dirs, B, H), "h_n", dtype=torch.float64),
            expect_tensor(c_n, (L * dirs, B, H), "c_n", dtype=torch.float64))


# --- task 1 -------------------------------------------------------------------------------------

@pytest.mark.task(1)
@pytest.mark.parametrize("case", range(N_CASES))
def test_parameters_and_shapes(impl, rng, case):
    B, T, D, H, L, bidir = config(rng, case)
    net = build(impl, D, H, L, bidir, case)
    want_keys = ["h0", "c0"] + [f"lstm.{k}" for k in nn.LSTM(D, H, num_layers=L, bidirectional=bidir).state_dict()]
    sd = expect_dict(net.state_dict(), want_keys, f"{CLS}.state_dict()")
    for name in ("h0", "c0"):
        expect_tensor(sd[name], (n_states(L, bidir), 1, H), name, dtype=torch.float64)
    n, width = n_states(L, bidir), H * (2 if bidir else 1)
    upstream = [torch.ones(B, T, width), torch.ones(n, B, H), torch.ones(n, B, H)]
    grads = impl.probe("output_grads", net, [trandn(rng, B, T, D)], upstream)
    expect_dict(grads["params"], want_keys, f"the named_parameters() of {CLS} (h0 and c0 must be nn.Parameters)")
    forward(net, trandn(rng, B, T, D), B, T, H, L, bidir)


# --- task 2 -------------------------------------------------------------------------------------

@pytest.mark.task(2)
@pytest.mark.parametrize("case", range(N_CASES))
def test_fresh_module_equals_zero_state_lstm(impl, rng, case):
    B, T, D, H, L, bidir = config(rng, case)
    net = build(impl, D, H, L, bidir, case)
    sd = net.state_dict()
    check(isinstance(sd, dict) and "h0" in sd and "c0" in sd, f"{CLS} should have parameters named h0 and c0")
    for name in ("h0", "c0"):
        check(isinstance(sd[name], torch.Tensor) and bool((sd[name] == 0).all()),
              f"a freshly built {CLS} should have {name} = 0 exactly (so it starts as nn.LSTM with hx=None)")
    lstm = oracle(D, H, L, bidir, rng)
    net.load_state_dict(full_state_dict(lstm, sd["h0"], sd["c0"]))
    x = trandn(rng, B, T, D)
    got = forward(net, x, B, T, H, L, bidir)
    with torch.no_grad():
        out, (h_n, c_n) = lstm(x)
    for g, w, name in zip(got, (out, h_n, c_n), ("out", "h_n", "c_n"), strict=True):
        assert_close(g, w, name, against="nn.LSTM with hx=None (a fresh module, learned states still zero)")


# --- task 3 -------------------------------------------------------------------------------------

@pytest.mark.task(3)
@pytest.mark.parametrize("case", range(N_CASES))
def test_learned_state_equals_explicit_hx(impl, rng, case):
    B, T, D, H, L, bidir = config(rng, case)
    lstm = oracle(D, H, L, bidir, rng)
    n = n_states(L, bidir)
    h0, c0 = trandn(rng, n, 1, H), trandn(rng, n, 1, H, scale=1.5)
    net = build(impl, D, H, L, bidir, case)
    net.load_state_dict(full_state_dict(lstm, h0, c0))
    x = trandn(rng, B, T, D)
    got = forward(net, x, B, T, H, L, bidir)
    with torch.no_grad():
        out, (h_n, c_n) = lstm(x, (h0.expand(n, B, H).contiguous(), c0.expand(n, B, H).contiguous()))
    for g, w, name in zip(got, (out, h_n, c_n), ("out", "h_n", "c_n"), strict=True):
        assert_close(g, w, name, against="nn.LSTM with hx = (h0, c0) expanded over the batch")


# --- task 4 -------------------------------------------------------------------------------------

@pytest.mark.task(4)
@pytest.mark.parametrize("case", range(N_CASES))
def test_gradient_of_the_learned_state(impl, rng, case):
    B, T, D, H, L, bidir = config(rng, case)
    lstm = oracle(D, H, L, bidir, rng)
    n, dirs = n_states(L, bidir), 2 if bidir else 1
    h0, c0 = trandn(rng, n, 1, H), trandn(rng, n, 1, H)
    net = build(impl, D, H, L, bidir, case)
    net.load_state_dict(full_state_dict(lstm, h0, c0))
    x = trandn(rng, B, T, D)
    upstream = [trandn(rng, B, T, dirs * H), trandn(rng, n, B, H), trandn(rng, n, B, H)]
    got = expect_dict(impl.probe("output_grads", net, [x], upstream), ["outputs", "inputs", "params"],
                      "the gradient probe")
    # the oracle: explicit start states of shape (n, B, H), one per sequence
    hx = (h0.expand(n, B, H).contiguous(), c0.expand(n, B, H).contiguous())
    want = output_grads(lstm, [x.clone(), hx], upstream)
    params = got["params"]
    check(isinstance(params, dict) and "h0" in params and "c0" in params,
          f"h0 and c0 should be parameters of {CLS} (nn.Parameter), so that they are trained")
    for k, name in enumerate(("h0", "c0")):
        g = params[name]
        check(g is not None, f"no gradient reaches {name}: use it (expanded) as the start state")
        assert_close(expect_tensor(g, (n, 1, H), f"{name}.grad"), want["inputs"][1 + k].sum(dim=1, keepdim=True),
                     f"{name}.grad", against="the sum over the batch of nn.LSTM's gradients of the start state")
    for name, w in want["params"].items():
        g = params.get(f"lstm.{name}")
        check(g is not None, f"no gradient reaches lstm.{name}")
        assert_close(g, w, f"the gradient of lstm.{name}", against="nn.LSTM with the same start states")
    x_grad = got["inputs"][0]
    check(x_grad is not None, "no gradient reaches the input x")
    assert_close(x_grad, want["inputs"][0], "the gradient with respect to x", against="nn.LSTM")
