"""Hidden grader for q045_gru_clipping_guard (never shipped to students).

Parameters with .grad and optimizers cannot cross the sandbox boundary, so every call goes
through a fixed probe of rnnkit.probes: the grader sends a float64 nn.GRU (as a ModuleState) and
its gradients as tensors; ``grads_call`` attaches them and calls ``fn(params, ...)``,
``optimizer_call`` also builds the optimizer (SGD with momentum or Adam), takes some plain warm-up
steps so its buffers are filled, and calls ``fn(opt, params)``. Both report every parameter,
gradient and optimizer buffer afterwards; the grader runs the same probe on torch's own functions
and on the reference here and compares. torch.nn.utils' clipping functions raise during the call
(errata 61), and their foreach kernels are forbidden ops.

Task 1: clip_grad_value_ on GRUs of 1-2 layers (bidirectional, H = 1 included), with None grads,
        elements beyond both bounds, exactly at +-clip_value and zeros in every gradient tensor
        (so every case needs both bounds), params passed as a list or as a one-shot
        generator: every gradient bitwise equal to torch.nn.utils.clip_grad_value_; None grads
        stay None; parameter values bitwise unchanged; returns None.
Task 2: clip_per_param_norm_ with gradient norms set by construction to 0.1-0.8 or 1.25-5 times
        max_norm (never within 1e-6 of it, where "norm > max_norm" and torch's clamp(coef, 1)
        could disagree), one all-zero gradient and None grads: each tensor equals
        torch.nn.utils.clip_grad_norm_ applied to that tensor alone (rtol 1e-12), tensors below
        max_norm bitwise unchanged, clipped norms <= max_norm; the returned list holds one Python
        float per gradient, the norms before clipping (rtol 1e-12).
Task 3: safe_step with one NaN, +inf or -inf (first, middle or last parameter, after None grads;
        fixed and random positions): returns False; parameters and the optimizer's buffers
        bitwise equal to their state before the call; every .grad None.
Task 4: safe_step with finite gradients (also +-1.5e308 ones, whose squares and sums overflow):
        returns True; parameters and optimizer buffers equal one plain optimizer.step()
        (1e-12; Adam's step count shows exactly one step); the gradients are left as they were.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pytest
import torch
from torch import nn

from rnnkit.probes import BANNABLE_UTILS, grads_call, optimizer_call
from rnnkit.testing import assert_close, check, expect_dict, trandn

BAN = list(BANNABLE_UTILS)


def random_gru(rng: np.random.Generator, D: int, H: int, L: int, bidir: bool) -> nn.GRU:
    gru = nn.GRU(D, H, num_layers=L, bidirectional=bidir, batch_first=True).double()
    with torch.no_grad():
        for p in gru.parameters():
            p.copy_(trandn(rng, *p.shape, scale=0.5))
    return gru


def names_of(gru: nn.GRU) -> list[str]:
    return [n for n, _ in gru.named_parameters()]


def shapes_of(gru: nn.GRU) -> dict[str, tuple[int, ...]]:
    return {n: tuple(p.shape) for n, p in gru.named_parameters()}


def report_of(value: Any, gru: nn.GRU, fn: str, optimizer: bool = False) -> dict[str, Any]:
    keys = ["value", "params", "grads", "is_parameter"] + (["optimizer_state"] if optimizer else [])
    got = expect_dict(value, keys, f"the probe around {fn}")
    names = set(names_of(gru))
    for key in ("params", "grads", "is_parameter"):
        check(isinstance(got[key], dict) and set(got[key]) == names,
              f"{fn} changed the set of parameters of the GRU")
    for name, ok in got["is_parameter"].items():
        check(ok is True, f"after {fn}, {name} is no longer a leaf nn.Parameter")
    return got


def check_params_unchanged(got: dict[str, Any], gru: nn.GRU, fn: str) -> None:
    for name, p in gru.named_parameters():
        check(isinstance(got["params"][name], torch.Tensor) and torch.equal(got["params"][name], p.detach()),
              f"{fn} changed the values of {name}; it may only change gradients")


def check_grads_equal(got: dict[str, Any], want: dict[str, Any], fn: str, what: str,
                      rtol: float | None = None) -> None:
    for name, w in want.items():
        g = got[name]
        if w is None:
            check(g is None, f"{fn}: the .grad of {name} was None and must stay None")
            continue
        check(isinstance(g, torch.Tensor) and g.shape == w.shape and g.dtype == w.dtype,
              f"{fn}: the .grad of {name} should stay a {w.dtype} tensor of shape {tuple(w.shape)}")
        if rtol is None:
            check(torch.equal(g, w), f"{fn}: the .grad of {name} differs from {what}")
        else:
            assert_close(g, w, f"the .grad of {name} after {fn}", rtol=rtol, atol=1e-300, against=what)


# --- task 1 -------------------------------------------------------------------------------------

# (D, H, num_layers, bidirectional, pass a generator, parameters whose .grad is None)
VALUE_FIXED = [
    (1, 1, 1, False, True, ()),
    (3, 2, 2, True, False, ("bias_hh_l0", "weight_ih_l1_reverse")),
    (2, 4, 1, False, True, ("weight_hh_l0",)),
    (2, 3, 2, False, False, ("bias_ih_l0", "bias_hh_l1")),
]
N_VALUE = len(VALUE_FIXED) + 2


def value_case(rng: np.random.Generator, case: int) -> tuple[nn.GRU, dict[str, Any], float, bool]:
    if case < len(VALUE_FIXED):
        D, H, L, bidir, as_gen, none = VALUE_FIXED[case]
    else:
        D, H, L = int(rng.integers(1, 5)), int(rng.integers(1, 5)), int(rng.integers(1, 3))
        bidir, as_gen, none = bool(case % 2), not case % 2, ()
    gru = random_gru(rng, D, H, L, bidir)
    clip = float(rng.uniform(0.1, 1.5))
    grads: dict[str, Any] = {}
    for name, shape in shapes_of(gru).items():
        g = trandn(rng, *shape, scale=float(rng.uniform(0.5, 3.0)) * clip)
        flat = g.view(-1)
        # beyond both bounds, exactly on them (unchanged by a clamp) and zero, in every case
        fixed = [2.5 * clip, -1.7 * clip, clip, -clip, 0.0][: flat.numel()]
        flat[: len(fixed)] = torch.tensor(fixed, dtype=torch.float64)
        grads[name] = None if name in none else g
    return gru, grads, clip, as_gen


def torch_clip_value(params: Any, clip: float) -> None:
    torch.nn.utils.clip_grad_value_(params, clip)


@pytest.mark.task(1)
@pytest.mark.parametrize("case", range(N_VALUE))
def test_clip_grad_value_matches_torch(impl, rng, case):
    gru, grads, clip, as_gen = value_case(rng, case)
    fn = "clip_grad_value_"
    got = report_of(impl.probe("grads_call", impl.function(fn), gru, grads, clip, as_generator=as_gen, ban=BAN),
                    gru, fn)
    check(got["value"] is None, f"{fn} should return None, got a {type(got['value']).__name__}")
    want = grads_call(torch_clip_value, copy.deepcopy(gru), grads, clip)
    check_grads_equal(got["grads"], want["grads"], fn, "torch.nn.utils.clip_grad_value_")
    check_params_unchanged(got, gru, fn)


# --- task 2 -------------------------------------------------------------------------------------

NORM_FIXED = [
    (1, 1, 1, False, True, ()),
    (3, 2, 2, True, False, ("bias_hh_l0",)),
    (2, 4, 1, False, True, ("weight_ih_l0",)),
    (4, 3, 1, True, False, ("bias_ih_l0_reverse", "weight_hh_l0")),
]
N_NORM = len(NORM_FIXED) + 2
BELOW, ABOVE = (0.1, 0.8), (1.25, 5.0)  # norm / max_norm: never near 1


def norm_case(rng: np.random.Generator, case: int) -> tuple[nn.GRU, dict[str, Any], float, bool]:
    if case < len(NORM_FIXED):
        D, H, L, bidir, as_gen, none = NORM_FIXED[case]
    else:
        D, H, L = int(rng.integers(1, 5)), int(rng.integers(1, 5)), int(rng.integers(1, 3))
        bidir, as_gen, none = bool(case % 2), not case % 2, ()
    gru = random_gru(rng, D, H, L, bidir)
    max_norm = float(rng.uniform(0.2, 3.0))
    grads: dict[str, Any] = {}
    live = [n for n in names_of(gru) if n not in none]
    zero = live[1] if len(live) > 2 else None  # one all-zero gradient
    for k, (name, shape) in enumerate(shapes_of(gru).items()):
        if name in none:
            grads[name] = None
            continue
        if name == zero:
            grads[name] = torch.zeros(shape, dtype=torch.float64)
            continue
        direction = trandn(rng, *shape)
        direction /= torch.linalg.vector_norm(direction)
        low, high = ABOVE if k % 2 == 0 else BELOW  # both kinds in every case
        grads[name] = direction * (max_norm * float(rng.uniform(low, high)))
    return gru, grads, max_norm, as_gen


def torch_per_tensor(params: Any, max_norm: float) -> list[float]:
    norms = []
    for p in params:
        if p.grad is not None:
            norms.append(float(torch.linalg.vector_norm(p.grad)))
            torch.nn.utils.clip_grad_norm_([p], max_norm)
    return norms


@pytest.mark.task(2)
@pytest.mark.parametrize("case", range(N_NORM))
def test_clip_per_param_norm_matches_torch_per_tensor(impl, rng, case):
    gru, grads, max_norm, as_gen = norm_case(rng, case)
    fn = "clip_per_param_norm_"
    got = report_of(impl.probe("grads_call", impl.function(fn), gru, grads, max_norm, as_generator=as_gen, ban=BAN),
                    gru, fn)
    want = grads_call(torch_per_tensor, copy.deepcopy(gru), grads, max_norm)
    norms = got["value"]
    count = len(want["value"])
    check(isinstance(norms, list) and len(norms) == count,
          f"{fn} should return a list of {count} norms (one per parameter whose .grad is not None), "
          f"got {len(norms) if isinstance(norms, list) else type(norms).__name__}")
    check(all(type(v) is float for v in norms),
          f"{fn} should return Python floats (use float(norm) or norm.item()), not tensors")
    assert_close(np.array(norms), np.array(want["value"]), f"the norms returned by {fn}", rtol=1e-12, atol=0.0,
                 against="the L2 norms of the gradients before clipping")
    check_grads_equal(got["grads"], want["grads"], fn, "torch.nn.utils.clip_grad_norm_ on that tensor alone",
                      rtol=1e-12)
    for name, g0 in grads.items():
        if g0 is None:
            continue
        after = got["grads"][name]
        if float(torch.linalg.vector_norm(g0)) <= max_norm:
            check(torch.equal(after, g0), f"{fn} changed the .grad of {name}, whose norm was already below max_norm")
        else:
            check(float(torch.linalg.vector_norm(after)) <= max_norm,
                  f"after {fn}, the norm of the .grad of {name} is still above max_norm")
    check_params_unchanged(got, gru, fn)


# --- tasks 3 and 4: safe_step -------------------------------------------------------------------

SGD = {"name": "SGD", "kwargs": {"lr": 0.1, "momentum": 0.9}}
ADAM = {"name": "Adam", "kwargs": {"lr": 0.01}}
PLAIN_SGD = {"name": "SGD", "kwargs": {"lr": 0.1}}


def random_grads(rng: np.random.Generator, gru: nn.GRU, none: tuple[str, ...] = ()) -> dict[str, Any]:
    return {n: (None if n in none else trandn(rng, *s)) for n, s in shapes_of(gru).items()}


def plain_step(opt: torch.optim.Optimizer, _params: Any) -> bool:
    opt.step()
    return True


def no_step(_opt: torch.optim.Optimizer, _params: Any) -> None:
    return None


def check_state_equal(got: Any, want: dict[str, Any], fn: str, exact: bool) -> None:
    check(isinstance(got, dict) and set(got) == set(want),
          f"{fn}: the optimizer's state covers other parameters than a plain optimizer.step() would")
    for name, buffers in want.items():
        have = got[name]
        check(isinstance(have, dict) and set(have) == set(buffers),
              f"{fn}: the optimizer's buffers for {name} differ from a plain optimizer.step()")
        for key, w in buffers.items():
            g = have[key]
            if isinstance(w, torch.Tensor):
                check(isinstance(g, torch.Tensor) and g.shape == w.shape,
                      f"{fn}: the optimizer buffer {key} of {name} has the wrong shape")
                if exact:
                    check(torch.equal(g, w), f"{fn} changed the optimizer buffer {key} of {name}; "
                                             f"a skipped step must leave the optimizer untouched")
                else:
                    assert_close(g, w, f"the optimizer buffer {key} of {name}", rtol=1e-12, atol=1e-300,
                                 against="one plain optimizer.step()")
            else:
                check(g == w, f"{fn}: the optimizer buffer {key} of {name} differs from one plain optimizer.step()")


# (D, H, layers, bidir, optimizer, warm-up steps, None grads, where the bad value goes, what)
BAD_FIXED = [
    (2, 3, 1, False, SGD, 2, (), "last", float("nan")),
    (1, 2, 2, True, ADAM, 1, (), "first", float("inf")),
    (3, 2, 2, False, SGD, 1, ("weight_hh_l0",), "middle", float("-inf")),
    (2, 2, 1, True, ADAM, 2, ("weight_ih_l0", "bias_ih_l0"), "after_none", float("nan")),
    (1, 1, 1, False, PLAIN_SGD, 0, (), "last", float("inf")),
]
N_BAD = len(BAD_FIXED) + 2


def bad_case(rng: np.random.Generator, case: int) -> tuple[nn.GRU, dict[str, Any], dict[str, Any], list[Any]]:
    if case < len(BAD_FIXED):
        D, H, L, bidir, opt, n_warm, none, where, bad = BAD_FIXED[case]
    else:
        D, H, L = int(rng.integers(1, 5)), int(rng.integers(1, 5)), int(rng.integers(1, 3))
        bidir, opt, n_warm, none, where = bool(case % 2), [SGD, ADAM][case % 2], int(rng.integers(0, 3)), (), "random"
        bad = float(rng.choice([np.nan, np.inf, -np.inf]))
    gru = random_gru(rng, D, H, L, bidir)
    warmup = [random_grads(rng, gru) for _ in range(n_warm)]
    grads = random_grads(rng, gru, none)
    live = [n for n in names_of(gru) if grads[n] is not None]
    if where == "first":
        target = live[0]
    elif where == "last":
        target = live[-1]
    elif where == "middle":
        target = live[len(live) // 2]
    elif where == "after_none":
        target = next(n for n in names_of(gru)[names_of(gru).index(none[-1]):] if grads[n] is not None)
    else:
        target = live[int(rng.integers(0, len(live)))]
    flat = grads[target].view(-1)
    flat[int(rng.integers(0, flat.numel()))] = bad
    return gru, grads, opt, warmup


@pytest.mark.task(3)
@pytest.mark.parametrize("case", range(N_BAD))
def test_safe_step_skips_non_finite(impl, rng, case):
    gru, grads, opt, warmup = bad_case(rng, case)
    fn = "safe_step"
    got = report_of(impl.probe("optimizer_call", impl.function(fn), gru, grads, opt, warmup, ban=BAN),
                    gru, fn, optimizer=True)
    check(got["value"] is False, "safe_step should return False (a Python bool) when a gradient is "
                                 f"NaN or inf, got {got['value']!r}"[:200])
    before = optimizer_call(no_step, copy.deepcopy(gru), grads, opt, warmup)  # the state it was called in
    for name, p in before["params"].items():
        check(isinstance(got["params"][name], torch.Tensor) and torch.equal(got["params"][name], p),
              f"safe_step changed {name} although a gradient was NaN or inf; it must not step")
    for name, g in got["grads"].items():
        check(g is None, f"safe_step should set the .grad of every parameter to None when it skips "
                         f"(the .grad of {name} is still set)")
    check_state_equal(got["optimizer_state"], before["optimizer_state"], fn, exact=True)


# (D, H, layers, bidir, optimizer, warm-up steps, None grads, huge)
GOOD_FIXED = [
    (2, 3, 1, False, SGD, 2, (), False),
    (1, 2, 2, True, ADAM, 0, (), False),
    (3, 2, 1, False, PLAIN_SGD, 0, (), True),
    (2, 2, 2, False, SGD, 1, ("bias_hh_l1", "weight_ih_l0"), True),
    (2, 1, 1, True, ADAM, 2, ("weight_hh_l0_reverse",), False),
]
N_GOOD = len(GOOD_FIXED) + 2


def good_case(rng: np.random.Generator, case: int) -> tuple[nn.GRU, dict[str, Any], dict[str, Any], list[Any]]:
    if case < len(GOOD_FIXED):
        D, H, L, bidir, opt, n_warm, none, huge = GOOD_FIXED[case]
    else:
        D, H, L = int(rng.integers(1, 5)), int(rng.integers(1, 5)), int(rng.integers(1, 3))
        bidir, opt, n_warm, none, huge = bool(case % 2), [SGD, ADAM][case % 2], int(rng.integers(0, 3)), (), False
    gru = random_gru(rng, D, H, L, bidir)
    warmup = [random_grads(rng, gru) for _ in range(n_warm)]
    grads = random_grads(rng, gru, none)
    if huge:  # finite, but sum(g), g ** 2 and the norm overflow to inf
        live = [n for n in names_of(gru) if grads[n] is not None]
        grads[live[-1]] = torch.full(shapes_of(gru)[live[-1]], 1.5e308, dtype=torch.float64)
        grads[live[0]] = -torch.full(shapes_of(gru)[live[0]], 1.5e308, dtype=torch.float64)
    return gru, grads, opt, warmup


@pytest.mark.task(4)
@pytest.mark.parametrize("case", range(N_GOOD))
def test_safe_step_steps_on_finite(impl, rng, case):
    gru, grads, opt, warmup = good_case(rng, case)
    fn = "safe_step"
    got = report_of(impl.probe("optimizer_call", impl.function(fn), gru, grads, opt, warmup, ban=BAN),
                    gru, fn, optimizer=True)
    check(got["value"] is True, "safe_step should return True (a Python bool) when every gradient is "
                                f"finite, got {got['value']!r}"[:200])
    want = optimizer_call(plain_step, copy.deepcopy(gru), grads, opt, warmup)
    for name, p in want["params"].items():
        assert_close(got["params"][name], p, f"{name} after safe_step", rtol=1e-12, atol=1e-300,
                     against="one plain optimizer.step()")
    check_grads_equal(got["grads"], want["grads"], fn, "what it was before the call (leave the gradients as they are)")
    check_state_equal(got["optimizer_state"], want["optimizer_state"], fn, exact=False)
