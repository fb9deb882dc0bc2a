"""Public tests for q045: run them with `rnnkit check q045` (or plain pytest on this file).

Parameters that carry .grad and optimizers cannot be sent to your code directly, so the tests go
through two fixed rnnkit probes that run next to it:

    impl.probe("grads_call", impl.function("clip_grad_value_"), gru, grads, 0.5)
        rebuilds the nn.GRU, sets p.grad = grads[name] (None stays None) and calls
        clip_grad_value_(list(gru.parameters()), 0.5)   (as_generator=True: gru.parameters())
    impl.probe("optimizer_call", impl.function("safe_step"), gru, grads, {"name": "SGD", "kwargs": {"lr": 0.5}})
        also builds torch.optim.SGD(list(gru.parameters()), lr=0.5) and calls safe_step(opt, params)

Both return {"value": what your function returned, "params": {name: tensor}, "grads": {name:
tensor or None}, ...} as they are after the call. The hidden grader uses bigger GRUs, random
gradients, momentum and Adam.
"""

import pytest
import torch
from torch import nn

from rnnkit.testing import assert_close, check

F64 = torch.float64
SGD = {"name": "SGD", "kwargs": {"lr": 0.5}}


def tiny_gru() -> nn.GRU:
    """GRU(1, 1): weight_ih_l0 (3, 1), weight_hh_l0 (3, 1), bias_ih_l0 (3,), bias_hh_l0 (3,), all ones."""
    gru = nn.GRU(1, 1, batch_first=True).double()
    with torch.no_grad():
        for p in gru.parameters():
            p.fill_(1.0)
    return gru


def t(*values) -> torch.Tensor:
    return torch.tensor(values, dtype=F64)


@pytest.mark.task(1)
def test_clip_grad_value_worked_example(impl):
    grads = {"weight_ih_l0": t([-2.0], [0.3], [1.5]), "weight_hh_l0": None,
             "bias_ih_l0": t(0.5, -0.5, 0.25), "bias_hh_l0": t(-0.75, 3.0, 0.0)}
    out = impl.probe("grads_call", impl.function("clip_grad_value_"), tiny_gru(), grads, 0.5)
    check(out["value"] is None, "clip_grad_value_ should return None")
    g = out["grads"]
    check(g["weight_hh_l0"] is None, "a .grad that is None must stay None")
    check(g["weight_ih_l0"].tolist() == [[-0.5], [0.3], [0.5]], "weight_ih_l0.grad should be [[-0.5], [0.3], [0.5]]")
    check(g["bias_ih_l0"].tolist() == [0.5, -0.5, 0.25], "bias_ih_l0.grad is inside [-0.5, 0.5] and must not change")
    check(g["bias_hh_l0"].tolist() == [-0.5, 0.5, 0.0], "bias_hh_l0.grad should be [-0.5, 0.5, 0.0]")
    check(all(p.tolist() == torch.ones_like(p).tolist() for p in out["params"].values()),
          "clip_grad_value_ must change only the gradients, never the parameters")


@pytest.mark.task(1)
def test_clip_grad_value_accepts_a_generator(impl):
    grads = {"weight_ih_l0": t([2.0], [-2.0], [0.0]), "weight_hh_l0": t([1.0], [1.0], [1.0]),
             "bias_ih_l0": t(0.0, 0.0, 9.0), "bias_hh_l0": None}
    out = impl.probe("grads_call", impl.function("clip_grad_value_"), tiny_gru(), grads, 1.0, as_generator=True)
    check(out["grads"]["weight_ih_l0"].tolist() == [[1.0], [-1.0], [0.0]] and out["grads"]["bias_ih_l0"].tolist()
          == [0.0, 0.0, 1.0], "with params = gru.parameters() (a generator), every gradient must still be clipped")


@pytest.mark.task(2)
def test_clip_per_param_norm_worked_example(impl):
    grads = {"weight_ih_l0": t([3.0], [0.0], [4.0]),     # norm 5 > 2: scaled by 2 / (5 + 1e-6)
             "weight_hh_l0": t([0.6], [0.0], [0.8]),     # norm 1 <= 2: unchanged
             "bias_ih_l0": None,                          # skipped: no entry in the returned list
             "bias_hh_l0": torch.zeros(3, dtype=F64)}     # norm 0: unchanged
    out = impl.probe("grads_call", impl.function("clip_per_param_norm_"), tiny_gru(), grads, 2.0)
    norms = out["value"]
    check(isinstance(norms, list) and len(norms) == 3 and all(type(v) is float for v in norms),
          "clip_per_param_norm_ should return a list of 3 Python floats (one per gradient that is not None)")
    assert_close(torch.tensor(norms, dtype=F64), t(5.0, 1.0, 0.0), "the returned norms", rtol=1e-15, atol=0.0,
                 against="the norms before clipping [5.0, 1.0, 0.0]")
    g = out["grads"]
    assert_close(g["weight_ih_l0"], t([1.199999760000048], [0.0], [1.599999680000064]), "weight_ih_l0.grad",
                 rtol=1e-14, atol=0.0, against="[3, 0, 4] * 2 / (5 + 1e-6)")
    check(g["weight_hh_l0"].tolist() == [[0.6], [0.0], [0.8]], "weight_hh_l0.grad has norm 1 <= 2: leave it as it is")
    check(g["bias_ih_l0"] is None, "a .grad that is None must stay None")
    check(g["bias_hh_l0"].tolist() == [0.0, 0.0, 0.0], "a zero gradient has norm 0 and must stay zero")


def finite_grads() -> dict:
    return {"weight_ih_l0": t([1.0], [-2.0], [0.5]), "weight_hh_l0": None,
            "bias_ih_l0": t(0.25, 0.0, -1.0), "bias_hh_l0": t(4.0, 2.0, 1.0)}


@pytest.mark.task(3)
@pytest.mark.parametrize("bad", [float("nan"), float("inf"), float("-inf")])
def test_safe_step_skips_on_non_finite(impl, bad):
    grads = finite_grads()
    grads["bias_hh_l0"][2] = bad
    out = impl.probe("optimizer_call", impl.function("safe_step"), tiny_gru(), grads, SGD)
    check(out["value"] is False, f"with a {bad} in a gradient, safe_step should return False")
    check(all(p.tolist() == torch.ones_like(p).tolist() for p in out["params"].values()),
          f"with a {bad} in a gradient, safe_step must not change any parameter")
    check(all(g is None for g in out["grads"].values()),
          "when it skips, safe_step should set every .grad to None")


@pytest.mark.task(4)
def test_safe_step_steps_on_finite(impl):
    out = impl.probe("optimizer_call", impl.function("safe_step"), tiny_gru(), finite_grads(), SGD)
    check(out["value"] is True, "with finite gradients, safe_step should return True")
    p = out["params"]  # SGD: p - 0.5 * grad (a None grad leaves its parameter alone)
    check(p["weight_ih_l0"].tolist() == [[0.5], [2.0], [0.75]], "weight_ih_l0 should be 1 - 0.5 * grad = [[0.5], [2.0], [0.75]]")
    check(p["weight_hh_l0"].tolist() == [[1.0], [1.0], [1.0]], "weight_hh_l0 has no gradient and should stay all ones")
    check(p["bias_ih_l0"].tolist() == [0.875, 1.0, 1.5], "bias_ih_l0 should be [0.875, 1.0, 1.5]")
    check(p["bias_hh_l0"].tolist() == [-1.0, 0.0, 0.5], "bias_hh_l0 should be [-1.0, 0.0, 0.5]")
    check(out["grads"]["bias_hh_l0"].tolist() == [4.0, 2.0, 1.0], "after a step, leave the gradients as they are")
