"""rnnkit.callables: the callables a submission must call, built in the child by callable_call."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from rnnkit.callables import (
    CALLABLES,
    GRUSentEncoder,
    Recording,
    SortScoreFn,
    TableScoreFn,
    build_callable,
    callable_call,
)
from rnnkit.probes import PROBES
from rnnkit.sandbox.client import shared_zygote
from rnnkit.sandbox.local import LocalSubmission
from rnnkit.sandbox.sandboxed import SandboxedSubmission
from rnnkit.sandbox.submission import Submission, SubmissionSpec

F64 = torch.float64

SOURCE = '''
import torch


def greedy(score_fn, n, batch_size):
    chosen = torch.zeros(batch_size, n, dtype=torch.bool)
    prev = torch.full((batch_size,), -1, dtype=torch.int64)
    out = []
    for _ in range(n):
        scores = score_fn(prev, chosen).masked_fill(chosen, float("-inf"))
        prev = scores.argmax(dim=1)
        chosen[torch.arange(batch_size), prev] = True      # changes the mask it passed: the record keeps a copy
        out.append(prev)
    return torch.stack(out, dim=1)


def encode_twice(words, mask, encoder):
    return encoder(words, mask) + encoder(words, mask)


def encode_after_zeroing(words, mask, encoder, pair):
    words[~mask] = 0.0                                      # writes into its argument
    pair[1].add_(1.0)                                       # and into a tensor inside a tuple
    return encoder(words, mask)
'''


def test_sort_scores_are_minus_the_values() -> None:
    values = torch.tensor([[0.5, -1.0, 2.0]], dtype=F64)
    fn = SortScoreFn(values)
    values[0, 0] = 9.0                                      # a copy was kept
    got = fn(torch.tensor([-1]), torch.zeros(1, 3, dtype=torch.bool))
    assert torch.equal(got, torch.tensor([[-0.5, 1.0, -2.0]], dtype=F64))


def test_table_scores_follow_the_previous_index() -> None:
    table = torch.arange(2 * 4 * 3, dtype=F64).reshape(2, 4, 3)
    fn = TableScoreFn(table)
    got = fn(torch.tensor([-1, 2]), torch.zeros(2, 3, dtype=torch.bool))
    assert torch.equal(got, torch.stack([table[0, 0], table[1, 3]]))


def test_gru_sent_encoder_zeroes_pads_and_matches_the_gru() -> None:
    gru = torch.nn.GRU(3, 2, batch_first=True).double()
    words = torch.randn(2, 4, 3, dtype=F64)
    mask = torch.tensor([[True, True, False, False], [True, True, True, True]])
    got = GRUSentEncoder(gru)(words, mask)
    want, _ = gru(words)
    assert torch.equal(got[~mask], torch.zeros(2, 2, dtype=F64))
    assert torch.allclose(got[mask], want[mask], rtol=0, atol=0)


def test_recording_keeps_copies_and_unknown_names_raise() -> None:
    rec = Recording(lambda a, b: a + b)
    a = torch.ones(2)
    assert torch.equal(rec(a, 3), torch.full((2,), 4.0))
    a.add_(1.0)
    assert torch.equal(rec.calls[0][0], torch.ones(2)) and rec.calls[0][1] == 3
    with pytest.raises(LookupError):
        build_callable("no_such_callable", {})
    assert set(CALLABLES) >= {"sort_scores", "table_scores", "gru_sent_encoder"}
    assert PROBES["callable_call"] is callable_call


@pytest.fixture(params=["sandbox", "local"])
def sub(request: pytest.FixtureRequest, tmp_path: Path) -> Submission:
    path = tmp_path / "q901_callables.py"
    path.write_text(SOURCE)
    spec = SubmissionSpec("q901_callables", path, default_dtype="float64", call_timeout_s=20)
    made = SandboxedSubmission(spec, shared_zygote()) if request.param == "sandbox" else LocalSubmission(spec)
    yield made
    made.close()


def test_callable_call_builds_the_score_fn_in_the_child_and_records_calls(sub: Submission) -> None:
    values = torch.tensor([[0.3, -1.0, 2.0, 0.0], [5.0, 4.0, 3.0, 6.0]], dtype=F64)
    out = sub.probe("callable_call", sub.function("greedy"), "sort_scores", {"values": values}, [4, 2])
    assert torch.equal(out["value"], torch.argsort(values, dim=1))
    calls = out["calls"]
    assert len(calls) == 4
    assert [c[0].tolist() for c in calls] == [[-1, -1], [1, 2], [3, 1], [0, 0]]
    assert calls[0][1].tolist() == [[False] * 4] * 2            # recorded before the submission changed it
    assert calls[3][1].sum().item() == 6


def test_callable_call_inserts_a_module_backed_callable_at_a_position(sub: Submission) -> None:
    gru = torch.nn.GRU(3, 2, batch_first=True).double()
    words = torch.randn(2, 4, 3, dtype=F64)
    mask = torch.tensor([[True, True, False, False], [True, True, True, True]])
    out = sub.probe("callable_call", sub.function("encode_twice"), "gru_sent_encoder", {"gru": gru},
                    [words, mask], position=2)
    with torch.no_grad():
        want = 2 * GRUSentEncoder(gru)(words, mask)
    assert torch.allclose(out["value"], want, rtol=1e-12, atol=1e-14)
    assert len(out["calls"]) == 2 and torch.equal(out["calls"][0][1], mask)
    assert out["inputs_changed"] == []


def test_callable_call_reports_arguments_changed_in_place(sub: Submission) -> None:
    gru = torch.nn.GRU(3, 2, batch_first=True).double()
    words = torch.randn(2, 4, 3, dtype=F64)
    mask = torch.tensor([[True, True, False, False], [True, True, True, True]])
    pair = (torch.zeros(2, dtype=F64), torch.zeros(2, dtype=F64))
    out = sub.probe("callable_call", sub.function("encode_after_zeroing"), "gru_sent_encoder", {"gru": gru},
                    [words, mask, pair], position=2)
    assert out["inputs_changed"] == [0, 2]
    assert torch.equal(out["calls"][0][0][~mask], torch.zeros(2, 3, dtype=F64))
