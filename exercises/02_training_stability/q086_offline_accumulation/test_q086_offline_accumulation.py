"""Public tests for q086: run them with `rnnkit check q086` (or plain pytest on this file).

The model is built next to your code by a fixed rnnkit probe from the three modules the test
sends:

    impl.probe("tiny_lm_call", impl.function("full_batch_grad"), emb, lstm, head, X, Y, lengths)

calls full_batch_grad(TinyLM(emb, lstm, head), X, Y, lengths) and returns {"value": what your
function returned, "params": {name: tensor}, "grads": {name: .grad or None}, "forward_batches":
[the batch size of every model(...) call]}, as they are after the call. The hidden grader uses
other sizes, ragged lengths, garbage in the pads, and compares with its own gradients.
"""

import pytest
import torch
from torch import nn

from rnnkit.testing import assert_close, check, expect_dict, expect_tensor

F64 = torch.float64
NAMES = ["emb.weight", "lstm.weight_ih_l0", "lstm.weight_hh_l0", "lstm.bias_ih_l0", "lstm.bias_hh_l0",
         "head.weight", "head.bias"]
SHAPES = {"emb.weight": (3, 2), "lstm.weight_ih_l0": (8, 2), "lstm.weight_hh_l0": (8, 2), "lstm.bias_ih_l0": (8,),
          "lstm.bias_hh_l0": (8,), "head.weight": (3, 2), "head.bias": (3,)}
X = torch.tensor([[0, 2, 1], [1, 0, 0]])
Y = torch.tensor([[2, 1, 0], [0, 2, 2]])
LENGTHS = torch.tensor([3, 1])  # 4 valid tokens; the last two columns of row 1 are padding
# dL/d head.bias = (1/4) * sum over the 4 valid tokens of (softmax(logits) - onehot(Y))
HEAD_BIAS_GRAD = [-0.4395205185217043, -0.04003773845581154, 0.47955825697751586]


def modules() -> tuple[nn.Embedding, nn.LSTM, nn.Linear]:
    """V = 3, E = 2, H = 2; parameter k (in this order) is linspace(-1, 1) * (0.5 + 0.1 k)."""
    emb, lstm, head = nn.Embedding(3, 2).double(), nn.LSTM(2, 2, batch_first=True).double(), nn.Linear(2, 3).double()
    with torch.no_grad():
        for k, p in enumerate([*emb.parameters(), *lstm.parameters(), *head.parameters()]):
            p.copy_(torch.linspace(-1, 1, p.numel(), dtype=F64).reshape(p.shape) * (0.5 + 0.1 * k))
    return emb, lstm, head


def call(impl, fn, *args):
    out = impl.probe("tiny_lm_call", impl.function(fn), *modules(), X, Y, LENGTHS, *args)
    grads = expect_dict(out["value"], NAMES, f"{fn}(...)")
    for name in NAMES:
        expect_tensor(grads[name], SHAPES[name], f"{fn}(...)[{name!r}]", dtype=F64)
    return out, grads


@pytest.mark.task(1)
def test_full_batch_grad_worked_example(impl):
    _, grads = call(impl, "full_batch_grad")
    assert_close(grads["head.bias"], torch.tensor(HEAD_BIAS_GRAD, dtype=F64), "the gradient of head.bias",
                 rtol=1e-12, atol=1e-15, against=f"{HEAD_BIAS_GRAD} (the 2 pads of row 1 must not count)")
    assert_close(grads["emb.weight"][0], torch.tensor([-0.0011947878504326183, -0.00026594268976154174], dtype=F64),
                 "the gradient of emb.weight[0]", rtol=1e-12, atol=1e-15)


@pytest.mark.task(2)
@pytest.mark.parametrize("micro_batch", [1, 2, 5])
def test_accumulated_equals_full_batch(impl, micro_batch):
    _, grads = call(impl, "accumulated_grad", micro_batch)
    # averaging the two micro-batch means would give [-0.6054, 0.0445, 0.5609] with micro_batch = 1
    assert_close(grads["head.bias"], torch.tensor(HEAD_BIAS_GRAD, dtype=F64),
                 f"the accumulated gradient of head.bias (micro_batch={micro_batch})", rtol=1e-12, atol=1e-15,
                 against=f"the full-batch gradient {HEAD_BIAS_GRAD}")


@pytest.mark.task(3)
@pytest.mark.parametrize("micro_batch, batches", [(1, [1, 1]), (2, [2]), (5, [2])])
def test_one_forward_per_micro_batch(impl, micro_batch, batches):
    out, _ = call(impl, "accumulated_grad", micro_batch)
    check(out["forward_batches"] == batches,
          f"with B = 2 and micro_batch = {micro_batch}, the model should be called on batches of {batches} "
          f"sequences, got {out['forward_batches']}")


@pytest.mark.task(4)
@pytest.mark.parametrize("fn, args", [("full_batch_grad", ()), ("accumulated_grad", (1,))])
def test_model_left_as_found(impl, fn, args):
    out, _ = call(impl, fn, *args)
    emb, lstm, head = modules()
    before = {**{f"emb.{k}": v for k, v in emb.state_dict().items()},
              **{f"lstm.{k}": v for k, v in lstm.state_dict().items()},
              **{f"head.{k}": v for k, v in head.state_dict().items()}}
    for name in NAMES:
        check(out["grads"][name] is None, f"after {fn}, {name}.grad should be None (no gradient left behind)")
        check(torch.equal(out["params"][name], before[name]), f"{fn} must not change the parameter {name}")
