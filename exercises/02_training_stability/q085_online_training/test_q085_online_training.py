"""Public tests for q085: run them with `rnnkit check q085` (or plain pytest on this file).

online_train changes model and head in place, so the tests call it with
`impl.online_train.inplace(lstm, head, stream, lr, carry)`: that returns (the losses, [the
arguments after the call]); the LSTM and the Linear come back as ModuleStates whose `.state`
holds their tensors. The hidden grader uses bigger models (2 layers too), longer streams and
compares with its own loop.
"""

import pytest
import torch
from torch import nn

from rnnkit.testing import assert_close, check

F64 = torch.float64


def models() -> tuple[nn.LSTM, nn.Linear]:
    """LSTM(1, 1) with every parameter linspace(-0.5, 0.5); head weight 0.8, bias -0.1."""
    lstm = nn.LSTM(1, 1, batch_first=True).double()
    head = nn.Linear(1, 1).double()
    with torch.no_grad():
        for p in lstm.parameters():
            p.copy_(torch.linspace(-0.5, 0.5, p.numel(), dtype=F64).reshape(p.shape))
        head.weight.fill_(0.8)
        head.bias.fill_(-0.1)
    return lstm, head


def stream() -> list:
    """Two segments of one sequence (B = 1): 2 steps, then 1 step."""
    t = lambda v: torch.tensor(v, dtype=F64)  # noqa: E731
    return [(t([[[1.0], [0.5]]]), t([[[0.2], [-0.1]]])), (t([[[-1.0]]]), t([[[0.3]]]))]


def run(impl, lr, carry):
    lstm, head = models()
    losses, after = impl.online_train.inplace(lstm, head, stream(), lr, carry)
    check(isinstance(losses, list) and len(losses) == 2 and all(type(v) is float for v in losses),
          "online_train should return a list of 2 Python floats (one loss per segment, loss.item())")
    return losses, after[0].state, after[1].state


@pytest.mark.task(1)
def test_lr_zero_is_stateful_inference(impl):
    losses, lstm_after, head_after = run(impl, 0.0, True)
    # segment 1 starts from the state segment 0 ended in, as if the stream were one sequence
    assert_close(torch.tensor(losses), torch.tensor([0.032847150415650624, 0.11490029047776959]), "the losses",
                 rtol=1e-12, atol=0.0, against="[0.032847150415650624, 0.11490029047776959]")
    lstm, head = models()
    for name, value in lstm.state_dict().items():
        check(torch.equal(lstm_after[name], value), f"with lr = 0, {name} must not change")
    check(head_after["weight"].item() == 0.8 and head_after["bias"].item() == -0.1, "with lr = 0, head must not change")


@pytest.mark.task(2)
def test_no_carry_starts_from_zeros(impl):
    losses, _, _ = run(impl, 0.0, False)
    assert_close(torch.tensor(losses), torch.tensor([0.032847150415650624, 0.13615603901093914]), "the losses",
                 rtol=1e-12, atol=0.0, against="[0.032847150415650624, 0.13615603901093914] (segment 1 from zeros)")


@pytest.mark.task(3)
def test_online_sgd_worked_example(impl):
    losses, lstm_after, head_after = run(impl, 0.5, True)
    assert_close(torch.tensor(losses), torch.tensor([0.032847150415650624, 0.06403468827697134]), "the losses",
                 rtol=1e-12, atol=0.0, against="[0.032847150415650624, 0.06403468827697134]: the second "
                                                "segment already sees the parameters updated on the first")
    assert_close(head_after["weight"], torch.tensor([[0.8244055131398651]], dtype=F64), "head.weight after training",
                 rtol=1e-12, atol=0.0)
    assert_close(head_after["bias"], torch.tensor([0.23788582084828627], dtype=F64), "head.bias after training",
                 rtol=1e-12, atol=0.0)
    assert_close(lstm_after["weight_ih_l0"],
                 torch.tensor([[-0.5013875087348225], [-0.17070782085858205], [0.12955045738556062],
                               [0.49515979078076555]], dtype=F64), "weight_ih_l0 after training", rtol=1e-12, atol=0.0)
    assert_close(lstm_after["bias_hh_l0"],
                 torch.tensor([-0.49131801037878087, -0.1633280112274043, 0.21761494017600397, 0.5063727675217462],
                              dtype=F64), "bias_hh_l0 after training", rtol=1e-12, atol=0.0)
