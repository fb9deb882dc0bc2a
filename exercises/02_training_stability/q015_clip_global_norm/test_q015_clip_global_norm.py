"""Public tests for q015: run them with `rnnkit check q015` (or plain pytest on this file).

Parameters that carry gradients cannot be sent to your code directly, so the tests use rnnkit's
probe "grads_call": it builds the model in your process, sets each p.grad to the tensors given
here, calls clip_grad_global_norm_(list(model.parameters()), max_norm, ...) and sends back the
return value and every gradient afterwards. The hidden grader uses LSTMs with random gradients.
"""

import pytest
import torch
from torch import nn

from rnnkit.testing import assert_close, check, expect_tensor

F64 = torch.float64


def linear():
    layer = nn.Linear(2, 2).double()
    with torch.no_grad():
        layer.weight.copy_(torch.tensor([[1.0, 2.0], [3.0, 4.0]]))
        layer.bias.copy_(torch.tensor([0.5, -0.5]))
    return layer


def grads(bias=True):
    # the global norm is sqrt(3^2 + 4^2) = 5
    return {"weight": torch.tensor([[3.0, 0.0], [0.0, 0.0]], dtype=torch.float64),
            "bias": torch.tensor([0.0, 4.0], dtype=torch.float64) if bias else None}


def clip(impl, g, *args, **kwargs):
    return impl.probe("grads_call", impl.function("clip_grad_global_norm_"), linear(), g, *args, **kwargs)


@pytest.mark.task(1)
def test_returns_the_norm_before_clipping(impl):
    out = clip(impl, grads(), 1.0)
    total = expect_tensor(out["value"], (), "the returned norm", dtype=torch.float64)
    assert_close(total, torch.tensor(5.0, dtype=torch.float64), "the returned norm", rtol=1e-14, atol=0.0,
                 against="sqrt(3^2 + 4^2), the norm before clipping")


@pytest.mark.task(2)
def test_worked_example_above_the_threshold(impl):
    out = clip(impl, grads(), 1.0)
    # coef = 1 / (5 + 1e-6)
    assert_close(out["grads"]["weight"], torch.tensor([[0.599999880000024, 0.0], [0.0, 0.0]], dtype=F64), "weight.grad",
                 rtol=1e-13, atol=0.0)
    assert_close(out["grads"]["bias"], torch.tensor([0.0, 0.799999840000032], dtype=F64), "bias.grad", rtol=1e-13, atol=0.0)


@pytest.mark.task(2)
def test_custom_eps(impl):
    out = clip(impl, grads(), 2.0, 5.0)   # coef = 2 / (5 + 5) = 0.2
    assert_close(out["grads"]["bias"], torch.tensor([0.0, 0.8], dtype=F64), "bias.grad (eps = 5)", rtol=1e-13, atol=0.0)


@pytest.mark.task(3)
def test_below_the_threshold_nothing_changes(impl):
    out = clip(impl, grads(), 10.0)
    assert_close(out["grads"]["weight"], grads()["weight"], "weight.grad", rtol=0.0, atol=0.0)
    assert_close(out["grads"]["bias"], grads()["bias"], "bias.grad", rtol=0.0, atol=0.0)


@pytest.mark.task(4)
def test_none_gradient_is_skipped(impl):
    out = clip(impl, grads(bias=False), 1.5)   # only the weight counts: total 3, coef 1.5 / (3 + 1e-6)
    check(out["grads"]["bias"] is None, "a parameter without a gradient should still have none")
    assert_close(out["value"], torch.tensor(3.0, dtype=torch.float64), "the returned norm", rtol=1e-14, atol=0.0)
    assert_close(out["grads"]["weight"], torch.tensor([[1.5 * 3 / (3 + 1e-6), 0.0], [0.0, 0.0]], dtype=F64), "weight.grad",
                 rtol=1e-13, atol=0.0)


@pytest.mark.task(4)
def test_generator_of_parameters(impl):
    out = clip(impl, grads(), 1.0, as_generator=True)   # model.parameters() itself
    assert_close(out["grads"]["bias"], torch.tensor([0.0, 0.799999840000032], dtype=F64), "bias.grad", rtol=1e-13, atol=0.0,
                 against="the clipped value (the parameters were given as a one-shot generator)")
