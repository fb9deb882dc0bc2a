"""Hidden grader for q085_online_training (never shipped to students).

online_train is an in-place API: it is called with ``impl.online_train.inplace(lstm, head, stream,
lr, carry)`` and the nn.LSTM and nn.Linear come back as ModuleStates (their tensors and
parameter flags). Models are float64, batch_first, with 1-2 layers; every fixed case has
segments of different lengths, B = 1 and H = 1 included.

Task 1: lr = 0, carry_state=True: every parameter bitwise unchanged, and the losses equal
        stateful inference: one forward of the grader's nn.LSTM over the whole stream
        concatenated in time, cut into the segments, mean squared error per segment (rtol
        1e-10). Returns a list of len(stream) Python floats.
Task 2: lr = 0, carry_state=False: the losses equal each segment run on its own from a zero state
        (rtol 1e-10); parameters unchanged.
Task 3: lr > 0, carry_state True and False, the stream forwards and reversed: the loss
        trajectories and the final parameters of LSTM and head equal the reference loop run in
        the grader on copies (rtol 1e-10, atol 1e-12); the parameters stay leaf nn.Parameters;
        the forward and the reversed stream end in different parameters (online training is
        order-sensitive).
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from rnnkit.testing import assert_close, check, trandn
from rnnkit.wire import ModuleState

# (D, H, num_layers, O, B, segment lengths, lr)
FIXED = [
    (1, 1, 1, 1, 1, [2, 1, 3], 0.5),
    (3, 4, 2, 2, 2, [3, 1, 4, 2], 0.2),
    (2, 3, 1, 1, 3, [5, 2], 1.0),
    (2, 2, 2, 3, 1, [1, 1, 1, 1, 1], 0.3),
    (4, 1, 1, 2, 2, [4], 0.5),
]
N_CASES = len(FIXED) + 2
Stream = list[tuple[torch.Tensor, torch.Tensor]]


def config(rng: np.random.Generator, case: int) -> tuple[int, int, int, int, int, list[int], float]:
    if case < len(FIXED):
        return FIXED[case]
    D, H, O, B = (int(v) for v in rng.integers(1, 5, size=4))
    lens = [int(v) for v in rng.integers(1, 6, size=int(rng.integers(2, 6)))]
    return D, H, int(rng.integers(1, 3)), O, B, lens, float(rng.uniform(0.05, 0.5))


def build(rng: np.random.Generator, D: int, H: int, L: int, O: int) -> tuple[nn.LSTM, nn.Linear]:
    lstm = nn.LSTM(D, H, num_layers=L, batch_first=True).double()
    head = nn.Linear(H, O).double()
    with torch.no_grad():
        for p in [*lstm.parameters(), *head.parameters()]:
            p.copy_(trandn(rng, *p.shape, scale=0.6))
    return lstm, head


def make_stream(rng: np.random.Generator, B: int, D: int, O: int, lens: list[int]) -> Stream:
    return [(trandn(rng, B, T, D), trandn(rng, B, T, O)) for T in lens]


def case_setup(rng: np.random.Generator, case: int) -> tuple[nn.LSTM, nn.Linear, Stream, float]:
    D, H, L, O, B, lens, lr = config(rng, case)
    lstm, head = build(rng, D, H, L, O)
    return lstm, head, make_stream(rng, B, D, O, lens), lr


def states(lstm: nn.Module, head: nn.Module) -> dict[str, torch.Tensor]:
    return {**{f"lstm.{k}": v.detach().clone() for k, v in lstm.state_dict().items()},
            **{f"head.{k}": v.detach().clone() for k, v in head.state_dict().items()}}


def call(impl: Any, lstm: nn.LSTM, head: nn.Linear, stream: Stream, lr: float,
         carry: bool) -> tuple[list[float], dict[str, torch.Tensor]]:
    """The submission's losses and the parameters it left (checked for shape, dtype and flags)."""
    losses, after = impl.online_train.inplace(lstm, head, [(x.clone(), y.clone()) for x, y in stream], lr, carry)
    n = len(stream)
    check(isinstance(losses, list) and len(losses) == n,
          f"online_train should return a list of {n} losses, one per segment, got "
          f"{len(losses) if isinstance(losses, list) else type(losses).__name__}")
    check(all(isinstance(v, float) for v in losses), "online_train should return Python floats (loss.item())")
    check(all(np.isfinite(v) for v in losses), "online_train returned a NaN or inf loss")
    check(isinstance(after, list) and len(after) == 5, "online_train: could not read its arguments back")
    got: dict[str, torch.Tensor] = {}
    for prefix, ms, module in (("lstm", after[0], lstm), ("head", after[1], head)):
        check(isinstance(ms, ModuleState) and ms.cls == type(module).__name__,
              f"online_train must update {prefix} in place (it came back as something else)")
        want = module.state_dict()
        check(set(ms.state) == set(want), f"online_train changed the set of parameters of {prefix}")
        for name, value in ms.state.items():
            check(value.shape == want[name].shape and value.dtype == want[name].dtype,
                  f"online_train changed the shape or dtype of {prefix}.{name}")
            flags = ms.flags.get(name, {})
            check(flags.get("parameter") and flags.get("leaf") and flags.get("requires_grad"),
                  f"after online_train, {prefix}.{name} should still be a leaf nn.Parameter that requires grad")
            got[f"{prefix}.{name}"] = value
    return losses, got


def check_unchanged(got: dict[str, torch.Tensor], before: dict[str, torch.Tensor]) -> None:
    for name, value in before.items():
        check(torch.equal(got[name], value), f"with lr = 0, online_train must leave {name} unchanged")


# --- task 1 -------------------------------------------------------------------------------------

@pytest.mark.task(1)
@pytest.mark.parametrize("case", range(N_CASES))
def test_lr_zero_equals_stateful_inference(impl, rng, case):
    lstm, head, stream, _ = case_setup(rng, case)
    losses, got = call(impl, lstm, head, stream, 0.0, True)
    check_unchanged(got, states(lstm, head))
    with torch.no_grad():
        out, _ = lstm(torch.cat([x for x, _ in stream], dim=1))  # the whole stream as one sequence
        preds = torch.split(head(out), [x.shape[1] for x, _ in stream], dim=1)
        want = [F.mse_loss(p, y).item() for p, (_, y) in zip(preds, stream, strict=True)]
    assert_close(np.array(losses), np.array(want), "the losses with lr = 0", rtol=1e-10, atol=1e-14,
                 against="stateful inference over the whole stream (each segment continues from the "
                         "state the previous one ended in; mean squared error per segment)")


# --- task 2 -------------------------------------------------------------------------------------

@pytest.mark.task(2)
@pytest.mark.parametrize("case", range(N_CASES))
def test_no_carry_starts_every_segment_from_zeros(impl, rng, case):
    lstm, head, stream, _ = case_setup(rng, case)
    losses, got = call(impl, lstm, head, stream, 0.0, False)
    check_unchanged(got, states(lstm, head))
    with torch.no_grad():
        want = [F.mse_loss(head(lstm(x)[0]), y).item() for x, y in stream]
    assert_close(np.array(losses), np.array(want), "the losses with carry_state=False and lr = 0", rtol=1e-10,
                 atol=1e-14, against="each segment run on its own from a zero state")


# --- task 3 -------------------------------------------------------------------------------------

@pytest.mark.task(3)
@pytest.mark.parametrize("carry", [True, False])
@pytest.mark.parametrize("case", range(N_CASES))
def test_online_sgd_matches_reference(impl, ref, rng, case, carry):
    lstm, head, stream, lr = case_setup(rng, case)
    finals = []
    for order, segments in (("", stream), (" (stream reversed)", stream[::-1])):
        losses, got = call(impl, lstm, head, segments, lr, carry)
        ref_lstm, ref_head = copy.deepcopy(lstm), copy.deepcopy(head)
        want_losses = ref.online_train(ref_lstm, ref_head, [(x.clone(), y.clone()) for x, y in segments], lr, carry)
        assert_close(np.array(losses), np.array(want_losses), f"the loss trajectory{order}", rtol=1e-10, atol=1e-12,
                     against="online SGD (one update per segment, each loss recorded before its update)")
        for name, value in states(ref_lstm, ref_head).items():
            assert_close(got[name], value, f"{name} after online_train{order}", rtol=1e-10, atol=1e-12,
                         against="online SGD (p -= lr * grad of each segment's loss, in order)")
        finals.append(got)
    if len(stream) > 1:
        gap = max(float((finals[0][n] - finals[1][n]).abs().max()) for n in finals[0])
        check(gap > 1e-9, "online training should depend on the order of the segments: the stream and the "
                          "reversed stream ended in the same parameters")
