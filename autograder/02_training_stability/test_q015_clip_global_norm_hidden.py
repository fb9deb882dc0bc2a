"""Hidden grader for q015_clip_global_norm (never shipped to students).

Parameters with gradients cannot cross the wire (errata 54), so every call goes through the
probe rnnkit.probes.grads_call: the grader sends an nn.LSTM (as a ModuleState) and gradients as
plain tensors; in the child the probe attaches them, calls clip_grad_global_norm_(params, ...),
and reports every parameter and gradient afterwards. torch.nn.utils.clip_grad_norm_,
clip_grads_with_norm_ and get_total_norm raise during the call (errata 61, the probe's ``ban``),
and torch._foreach_norm is a forbidden op (exercise.toml). Expected values come from torch's own
clip_grad_norm_ / get_total_norm run here on a copy.

Task 1: the returned value is a 0-dim float64 tensor equal to the total norm before clipping
        (torch.nn.utils.get_total_norm, rtol 1e-12), above and below the threshold.
Task 2: above the threshold every gradient equals torch's clip_grad_norm_ result (rtol 1e-12);
        the global norm afterwards is max_norm * total / (total + eps), the direction is kept
        (cosine 1), and a custom eps is used (eps = 0.5 and eps = 0).
Task 3: below the threshold (also 1% below, with a fixed gradient pattern), and for all-zero
        gradients, every gradient is unchanged.
Task 4: None gradients are skipped (they stay None and do not count), a one-shot generator
        (model.parameters()) works, no gradient at all returns 0 and changes nothing, and the
        parameters themselves are unchanged leaf nn.Parameters.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch
from torch import nn

from rnnkit.testing import assert_close, check, expect_dict, expect_tensor, trandn

FN = "clip_grad_global_norm_"
BAN = ["clip_grad_norm_", "clip_grads_with_norm_", "get_total_norm"]
FIXED = [(1, 1, 1, False), (3, 2, 2, True), (2, 4, 1, False), (4, 3, 2, False)]  # (D, H, layers, bidir)
N_CASES = len(FIXED) + 2


def config(rng: np.random.Generator, case: int) -> tuple[int, int, int, bool]:
    if case < len(FIXED):
        return FIXED[case]
    D, H = (int(v) for v in rng.integers(1, 7, size=2))
    return D, H, int(rng.integers(1, 3)), bool(rng.integers(0, 2))


def random_lstm(rng: np.random.Generator, D: int, H: int, L: int, bidir: bool) -> nn.LSTM:
    lstm = nn.LSTM(D, H, num_layers=L, bidirectional=bidir, batch_first=True).double()
    with torch.no_grad():
        for p in lstm.parameters():
            p.copy_(trandn(rng, *p.shape))
    return lstm


def random_grads(rng: np.random.Generator, lstm: nn.LSTM, none: tuple[str, ...] = ()) -> dict[str, torch.Tensor | None]:
    # spread the scales so that one tensor does not dominate the norm
    return {n: (None if n in none else trandn(rng, *p.shape, scale=float(rng.uniform(0.2, 3.0))))
            for n, p in lstm.named_parameters()}


def torch_clip(lstm: nn.LSTM, grads: dict[str, torch.Tensor | None], max_norm: float,
               eps: float | None) -> tuple[torch.Tensor, dict[str, torch.Tensor | None]]:
    """(total before clipping, gradients after) from torch's own functions, on a copy."""
    params = []
    for name, p in lstm.named_parameters():
        q = nn.Parameter(p.detach().clone())
        q.grad = None if grads[name] is None else grads[name].clone()
        params.append((name, q))
    existing = [q.grad for _, q in params if q.grad is not None]
    total = nn.utils.get_total_norm(existing) if existing else torch.tensor(0.0, dtype=torch.float64)
    if eps is None:
        nn.utils.clip_grad_norm_([q for _, q in params], max_norm)
    else:
        coef = min(1.0, max_norm / (float(total) + eps))
        for g in existing:
            g.mul_(coef)
    return total, {name: q.grad for name, q in params}


def call(impl, lstm: nn.LSTM, grads: dict[str, torch.Tensor | None], max_norm: float,
         eps: float | None = None, as_generator: bool = False) -> dict[str, Any]:
    args = (max_norm,) if eps is None else (max_norm, eps)
    out = impl.probe("grads_call", impl.function(FN), lstm, grads, *args, as_generator=as_generator, ban=BAN)
    return expect_dict(out, ["value", "params", "grads", "is_parameter"], "the clipping probe")


def total_of(grads: dict[str, torch.Tensor | None]) -> float:
    return float(nn.utils.get_total_norm([g for g in grads.values() if g is not None]))


def returned_norm(out: dict[str, Any]) -> torch.Tensor:
    return expect_tensor(out["value"], (), f"the value returned by {FN}", dtype=torch.float64)


def grads_after(out: dict[str, Any], lstm: nn.LSTM) -> dict[str, torch.Tensor | None]:
    got = out["grads"]
    check(isinstance(got, dict) and set(got) == {n for n, _ in lstm.named_parameters()},
          f"{FN}: could not read the gradients back")
    return got


def setup(rng: np.random.Generator, case: int, factor: float):
    """An LSTM, its gradients, and max_norm = factor * their total norm."""
    lstm = random_lstm(rng, *config(rng, case))
    grads = random_grads(rng, lstm)
    return lstm, grads, factor * total_of(grads)


# --- task 1 -------------------------------------------------------------------------------------

@pytest.mark.task(1)
@pytest.mark.parametrize("case", range(N_CASES))
def test_returns_the_norm_before_clipping(impl, rng, case):
    factor = float(rng.uniform(0.05, 0.8)) if case % 2 == 0 else float(rng.uniform(1.5, 10.0))
    lstm, grads, max_norm = setup(rng, case, factor)
    want, _ = torch_clip(lstm, grads, max_norm, None)
    got = returned_norm(call(impl, lstm, grads, max_norm))
    assert_close(got, want, f"the value returned by {FN}", rtol=1e-12, atol=0.0,
                 against="the total L2 norm of all gradients before clipping")


# --- task 2 -------------------------------------------------------------------------------------

def flat(grads: dict[str, torch.Tensor | None]) -> torch.Tensor:
    return torch.cat([g.reshape(-1) for g in grads.values() if g is not None])


@pytest.mark.task(2)
@pytest.mark.parametrize("case", range(N_CASES))
def test_above_threshold_matches_torch(impl, rng, case):
    lstm, grads, max_norm = setup(rng, case, float(rng.uniform(0.05, 0.8)))
    total, want = torch_clip(lstm, grads, max_norm, None)
    got = grads_after(call(impl, lstm, grads, max_norm), lstm)
    for name, w in want.items():
        g = got[name]
        check(g is not None, f"after {FN} the gradient of {name} is missing")
        assert_close(expect_tensor(g, tuple(w.shape), f"grad of {name}", dtype=torch.float64), w,
                     f"the clipped gradient of {name}", rtol=1e-12, atol=1e-15,
                     against="torch.nn.utils.clip_grad_norm_ (every gradient scaled by max_norm / (total + eps))")
    after, before = flat(got), flat(grads)
    assert_close(after.norm(), max_norm * float(total) / (float(total) + 1e-6), "the global norm after clipping",
                 rtol=1e-12, atol=0.0, against="max_norm * total / (total + eps)")
    cosine = float(after @ before / (after.norm() * before.norm()))
    check(abs(cosine - 1.0) < 1e-12, "clipping changed the direction of the gradient (cosine with the original is not 1)")


@pytest.mark.task(2)
@pytest.mark.parametrize("eps", [0.5, 0.0])
def test_custom_eps_is_used(impl, rng, eps):
    lstm, grads, max_norm = setup(rng, 3, 0.5)
    _, want = torch_clip(lstm, grads, max_norm, eps)
    got = grads_after(call(impl, lstm, grads, max_norm, eps), lstm)
    for name, w in want.items():
        check(got[name] is not None, f"after {FN} the gradient of {name} is missing")
        assert_close(got[name], w, f"the clipped gradient of {name} with eps = {eps}", rtol=1e-12, atol=1e-15,
                     against="every gradient scaled by min(1, max_norm / (total + eps)) with the given eps")


# --- task 3 -------------------------------------------------------------------------------------

@pytest.mark.task(3)
@pytest.mark.parametrize("case", range(N_CASES))
def test_below_threshold_leaves_gradients(impl, rng, case):
    lstm, grads, max_norm = setup(rng, case, float(rng.uniform(1.5, 10.0)))
    got = grads_after(call(impl, lstm, grads, max_norm), lstm)
    for name, g0 in grads.items():
        check(got[name] is not None, f"after {FN} the gradient of {name} is missing")
        assert_close(got[name], g0, f"the gradient of {name}", rtol=1e-15, atol=0.0,
                     against="its value before the call (below max_norm nothing is scaled)")


@pytest.mark.task(3)
def test_just_below_threshold(impl, rng):
    """max_norm 1% above the total: nothing may change (a norm computed too large would clip)."""
    lstm = random_lstm(rng, 2, 3, 1, False)
    grads = {n: torch.full(p.shape, 0.5, dtype=torch.float64) for n, p in lstm.named_parameters()}
    got = grads_after(call(impl, lstm, grads, 1.01 * total_of(grads)), lstm)
    for name, g0 in grads.items():
        check(got[name] is not None, f"after {FN} the gradient of {name} is missing")
        assert_close(got[name], g0, f"the gradient of {name}", rtol=1e-15, atol=0.0,
                     against="its value before the call (the total norm is just below max_norm)")


@pytest.mark.task(3)
def test_zero_gradients_stay_zero(impl, rng):
    lstm = random_lstm(rng, 2, 3, 1, False)
    grads = {n: torch.zeros_like(p) for n, p in lstm.named_parameters()}
    out = call(impl, lstm, grads, 1.0)
    assert_close(returned_norm(out), torch.tensor(0.0, dtype=torch.float64), f"the value returned by {FN}",
                 rtol=0.0, atol=0.0, against="0 (all gradients are zero)")
    for name, g in grads_after(out, lstm).items():
        check(g is not None, f"after {FN} the gradient of {name} is missing")
        assert_close(g, grads[name], f"the gradient of {name}", rtol=0.0, atol=0.0,
                     against="0 (zero gradients must stay zero, not NaN)")


# --- task 4 -------------------------------------------------------------------------------------

@pytest.mark.task(4)
@pytest.mark.parametrize("case", range(3))
def test_none_gradients_are_skipped(impl, rng, case):
    lstm = random_lstm(rng, *config(rng, [1, 3, 4][case]))
    names = [n for n, _ in lstm.named_parameters()]
    none = tuple(names[k] for k in ([0], [1, 2], [len(names) - 1])[case])
    grads = random_grads(rng, lstm, none)
    max_norm = 0.3 * total_of(grads)
    total, want = torch_clip(lstm, grads, max_norm, None)
    out = call(impl, lstm, grads, max_norm)
    assert_close(returned_norm(out), total, f"the value returned by {FN} (some gradients are None)",
                 rtol=1e-12, atol=0.0, against="the norm of the gradients that exist")
    got = grads_after(out, lstm)
    for name, w in want.items():
        if w is None:
            check(got[name] is None, f"{name} had no gradient and should still have none after {FN}")
        else:
            check(got[name] is not None, f"after {FN} the gradient of {name} is missing")
            assert_close(got[name], w, f"the clipped gradient of {name}", rtol=1e-12, atol=1e-15,
                         against="torch.nn.utils.clip_grad_norm_ with the None gradients skipped")


@pytest.mark.task(4)
@pytest.mark.parametrize("case", range(2))
def test_one_shot_generator(impl, rng, case):
    lstm, grads, max_norm = setup(rng, 1 + case, 0.25)
    total, want = torch_clip(lstm, grads, max_norm, None)
    out = call(impl, lstm, grads, max_norm, as_generator=True)
    assert_close(returned_norm(out), total, f"the value returned by {FN} for model.parameters()",
                 rtol=1e-12, atol=0.0)
    got = grads_after(out, lstm)
    for name, w in want.items():
        check(got[name] is not None, f"after {FN} the gradient of {name} is missing")
        assert_close(got[name], w, f"the clipped gradient of {name} (parameters given as a generator)",
                     rtol=1e-12, atol=1e-15,
                     against="clip_grad_norm_: a generator can be iterated only once, so read it into a list")


@pytest.mark.task(4)
def test_no_gradients_at_all(impl, rng):
    lstm = random_lstm(rng, 2, 2, 1, False)
    grads = {n: None for n, _ in lstm.named_parameters()}
    out = call(impl, lstm, grads, 1.0)
    value = out["value"]
    check(isinstance(value, torch.Tensor) and value.shape == () and float(value) == 0.0,
          f"{FN} should return a 0-dim tensor equal to 0 when no parameter has a gradient")
    check(all(g is None for g in grads_after(out, lstm).values()),
          f"{FN} should leave missing gradients missing")


@pytest.mark.task(4)
def test_parameters_untouched(impl, rng):
    lstm, grads, max_norm = setup(rng, 1, 0.2)
    out = call(impl, lstm, grads, max_norm)
    params, flags = out["params"], out["is_parameter"]
    for name, p in lstm.named_parameters():
        check(name in params and isinstance(params[name], torch.Tensor) and torch.equal(params[name], p.detach()),
              f"{FN} changed the parameter {name} itself; only gradients may change")
        check(bool(flags.get(name)), f"after {FN}, {name} is no longer a leaf nn.Parameter")
