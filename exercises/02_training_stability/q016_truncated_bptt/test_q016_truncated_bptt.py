"""Public tests for q016: run them with `rnnkit check q016` (or plain pytest on this file).

tbptt_gradients is called through rnnkit's probe "backward_counted": it builds the LSTM and the
head in your process, makes x a leaf that requires grad, calls
tbptt_gradients(model, head, x, y, k), and sends back your dict, x.grad and how many times
torch.autograd.backward ran (loss.backward() goes through it). The hidden grader uses random
models, lengths and chunk sizes and compares with a reference TBPTT and with full BPTT.
"""

import pytest
import torch
from torch import nn

from rnnkit.testing import assert_close, check, expect_tensor, expect_tuple

F64 = torch.float64
KEYS = ["head.bias", "head.weight", "lstm.bias_hh_l0", "lstm.bias_ih_l0", "lstm.weight_hh_l0", "lstm.weight_ih_l0"]


def worked_models():
    lstm = nn.LSTM(1, 2, batch_first=True).double()
    head = nn.Linear(2, 1).double()
    with torch.no_grad():
        for i, p in enumerate(list(lstm.parameters()) + list(head.parameters())):
            p.copy_(torch.linspace(-0.5 + 0.1 * i, 0.6 - 0.05 * i, p.numel(), dtype=F64).reshape(p.shape))
    return lstm, head


def worked_data():
    x = torch.linspace(-1, 1, 5, dtype=F64).reshape(1, 5, 1)      # B = 1, T = 5, D = 1
    y = torch.linspace(0.5, -0.5, 5, dtype=F64).reshape(1, 5, 1)  # O = 1
    return x, y


def run(impl, k):
    lstm, head = worked_models()
    x, y = worked_data()
    out = impl.probe("backward_counted", impl.function("tbptt_gradients"), [lstm, head, x, y, k], [2])
    grads = out["value"]
    check(isinstance(grads, dict) and sorted(grads) == KEYS, f"tbptt_gradients should return a dict with the keys {KEYS}")
    return grads, out["input_grads"][0], out["backward_calls"][0]


@pytest.mark.task(1)
def test_chunk_sequence_with_a_shorter_last_chunk(impl):
    x = torch.arange(10, dtype=F64).reshape(1, 5, 2)
    chunks = expect_tuple(impl.chunk_sequence(x, 2), 3, "chunk_sequence(x, 2) for T = 5")
    for chunk, steps in zip(chunks, ([0, 1], [2, 3], [4]), strict=True):
        expect_tensor(chunk, (1, len(steps), 2), "a chunk")
        check(torch.equal(chunk, x[:, steps]), f"the chunk of steps {steps} should be x[:, {steps[0]}:{steps[-1] + 1}]")


@pytest.mark.task(2)
def test_one_chunk_worked_example(impl):
    grads, x_grad, _ = run(impl, 5)
    # Full BPTT (k = T = 5), computed with one backward() of the whole summed squared error.
    assert_close(x_grad.flatten(), torch.tensor([-0.02547682875389266, 0.0008937017281126945, 0.013580203283614629,
                                                 0.014095192537682877, 0.010926268901735309], dtype=F64), "x.grad")
    assert_close(grads["lstm.weight_hh_l0"][1], torch.tensor([0.021666571931962003, 0.04071176992501107], dtype=F64),
                 "row 1 of the gradient 'lstm.weight_hh_l0'")


@pytest.mark.task(3)
def test_chunks_of_two_worked_example(impl):
    grads, x_grad, _ = run(impl, 2)
    # TBPTT with k = 2: the forward pass is the same, so the head gradients equal full BPTT's ...
    assert_close(grads["head.weight"], torch.tensor([[0.25020258481870905, 0.6228124710510995]], dtype=F64),
                 "the gradient 'head.weight'")
    assert_close(grads["head.bias"], torch.tensor([0.834326735137729], dtype=F64), "the gradient 'head.bias'")
    # ... but the recurrent gradients stop at every chunk boundary.
    assert_close(grads["lstm.weight_hh_l0"][1], torch.tensor([0.01502293502338989, 0.02939755960223578], dtype=F64),
                 "row 1 of the gradient 'lstm.weight_hh_l0'")
    assert_close(x_grad.flatten(), torch.tensor([-0.03657502039917611, -0.011495507582534474, 0.00923085276913231,
                                                 0.011640546235846988, 0.010926268901735309], dtype=F64), "x.grad")


@pytest.mark.task(4)
def test_last_chunk_loss_stays_in_the_last_chunk(impl):
    lstm, head = worked_models()
    x, y = worked_data()
    y2 = y.clone()
    y2[:, 4:] = 3.0   # change only the targets of the last chunk (step 4 for k = 2)
    args = [[lstm, head, x, y, 2], [lstm, head, x, y2, 2]]
    first, second = (impl.probe("backward_counted", impl.function("tbptt_gradients"), a, [2])["input_grads"][0]
                     for a in args)
    assert_close(second[:, :4], first[:, :4], "x.grad of steps 0..3", rtol=0.0, atol=1e-14,
                 against="x.grad with the original targets (the last chunk's loss must not reach earlier chunks)")


@pytest.mark.task(5)
def test_one_backward_per_chunk(impl):
    _, _, calls = run(impl, 2)
    check(calls == 3, f"T = 5 and k = 2 make 3 chunks, so backward() should run 3 times; it ran {calls} times")
