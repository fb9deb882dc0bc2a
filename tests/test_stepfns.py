"""rnnkit.stepfns (the step functions decoders call) and the probe that hands them to a
submission, in this process and through the real sandbox."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from rnnkit import stepfns
from rnnkit.errors import SubmissionRaised
from rnnkit.probes import PROBES, step_fn_call
from rnnkit.sandbox.client import shared_zygote
from rnnkit.sandbox.local import LocalSubmission
from rnnkit.sandbox.sandboxed import SandboxedSubmission
from rnnkit.sandbox.submission import Submission, SubmissionSpec


def test_table_lm_rows_by_previous_token() -> None:
    table = torch.log_softmax(torch.randn(4, 4, dtype=torch.float64), dim=-1)
    lm = stepfns.TableLM(table)
    state = object()
    scores, new_state = lm(torch.tensor([2, 0, 2]), state)
    assert new_state is state
    assert torch.equal(scores, table[[2, 0, 2]])
    scores[0, 0] = 99.0                       # a copy: writing into it leaves the model alone
    assert torch.equal(lm(torch.tensor([2]), None)[0], table[[2]])


def test_table_lm_with_one_table_per_row() -> None:
    tables = torch.log_softmax(torch.randn(3, 5, 5, dtype=torch.float64), dim=-1)
    lm = stepfns.TableLM(tables)
    ids = torch.tensor([2, 0])
    scores, state = lm(torch.tensor([4, 1]), ids)
    assert state is ids
    assert torch.equal(scores, torch.stack([tables[2, 4], tables[0, 1]]))
    with pytest.raises(ValueError, match="rows"):
        lm(torch.tensor([4, 1]), torch.tensor([0]))
    with pytest.raises(ValueError, match="table ids"):
        lm(torch.tensor([4]), torch.tensor([3]))


def test_history_lm_follows_the_code() -> None:
    table = torch.log_softmax(torch.randn(7, 4, dtype=torch.float64), dim=-1)
    lm = stepfns.HistoryLM(table)
    scores, code = lm(torch.tensor([1, 3]), torch.tensor([0, 3]))
    # code' = (code * (V + 1) + token + 1) % R with V = 4, R = 7
    assert code.tolist() == [(0 * 5 + 1 + 1) % 7, (3 * 5 + 3 + 1) % 7]
    assert torch.equal(scores, table[code])
    # the same token after another history gives other scores
    again, _ = lm(torch.tensor([1, 1]), torch.tensor([0, 1]))
    assert not torch.equal(again[0], again[1])


def test_lstm_lm_is_an_lstm_cell_with_a_log_softmax_head() -> None:
    emb, cell, head = torch.nn.Embedding(5, 3).double(), torch.nn.LSTMCell(3, 2).double(), torch.nn.Linear(2, 5).double()
    lm = stepfns.LSTMLM(emb, cell, head)
    h, c = torch.randn(2, 2, dtype=torch.float64), torch.randn(2, 2, dtype=torch.float64)
    tokens = torch.tensor([4, 0])
    scores, (h1, c1) = lm(tokens, (h, c))
    with torch.no_grad():
        want_h, want_c = cell(emb(tokens), (h, c))
        want = torch.log_softmax(head(want_h), dim=-1)
    assert torch.equal(h1, want_h) and torch.equal(c1, want_c) and torch.equal(scores, want)
    assert torch.allclose(scores.logsumexp(dim=-1), torch.zeros(2, dtype=torch.float64), atol=1e-12)
    with pytest.raises(TypeError, match=r"tuple \(h, c\)"):
        lm(tokens, h)


@pytest.mark.parametrize("bad", [torch.tensor([[1, 2]]), torch.tensor([1.0]), [1, 2], torch.tensor([1], dtype=torch.int32)])
def test_tokens_must_be_a_1d_int64_tensor(bad: object) -> None:
    lm = stepfns.TableLM(torch.zeros(3, 3, dtype=torch.float64))
    with pytest.raises(TypeError, match="1-D int64"):
        lm(bad, None)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="outside the vocabulary"):
        lm(torch.tensor([3]), None)


def test_recorder_counts_and_copies_the_tokens() -> None:
    rec = stepfns.Recorder(stepfns.TableLM(torch.zeros(3, 3, dtype=torch.float64)))
    tokens = torch.tensor([0, 1])
    rec(tokens, None)
    tokens[0] = 2                                  # a later write into the caller's tensor
    rec(tokens, None)
    report = rec.report()
    assert report["calls"] == 2
    assert [t.tolist() for t in report["tokens"]] == [[0, 1], [2, 1]]


def test_build_names_the_models() -> None:
    assert isinstance(stepfns.build({"kind": "table", "table": torch.zeros(2, 2)}), stepfns.TableLM)
    assert isinstance(stepfns.build({"kind": "history", "table": torch.zeros(3, 2)}), stepfns.HistoryLM)
    with pytest.raises(ValueError, match="kind"):
        stepfns.build({"kind": "oracle"})


def test_step_fn_call_in_process() -> None:
    assert PROBES["step_fn_call"] is step_fn_call

    def decode(step_fn: stepfns.StepFn, state: object, first: int, steps: int) -> list[int]:
        tok, out = torch.tensor([first]), []
        for _ in range(steps):
            scores, state = step_fn(tok, state)
            tok = scores.argmax(dim=-1)
            out.append(int(tok))
        return out

    table = torch.full((3, 3), -5.0, dtype=torch.float64)
    table[0, 1] = table[1, 2] = table[2, 0] = 0.0       # 0 -> 1 -> 2 -> 0
    report = step_fn_call(decode, {"kind": "table", "table": table}, None, 0, 4)
    assert report["value"] == [1, 2, 0, 1]
    assert report["calls"] == 4
    assert [t.tolist() for t in report["tokens"]] == [[0], [1], [2], [0]]


SOURCE = '''
import torch


def greedy(step_fn, state, bos, steps, batch):
    tok, out = torch.full((batch,), bos, dtype=torch.int64), []
    for _ in range(steps):
        scores, state = step_fn(tok, state)
        tok = scores.argmax(dim=-1)
        out.append(tok)
    return torch.stack(out, dim=1)


def feeds_floats(step_fn, state):
    return step_fn(torch.tensor([0.0]), state)


def columns(step_fn, state, tgt):
    for t in range(tgt.shape[1]):
        _, state = step_fn(tgt[:, t], state)
    return tgt.shape[1]


def column_view(x, t):
    return x[:, t]
'''


@pytest.fixture(params=["sandbox", "local"])
def sub(request: pytest.FixtureRequest, tmp_path: Path) -> Submission:
    path = tmp_path / "q900_stepfn.py"
    path.write_text(SOURCE)
    spec = SubmissionSpec("q900_stepfn", path, default_dtype="float64", call_timeout_s=20)
    made = SandboxedSubmission(spec, shared_zygote()) if request.param == "sandbox" else LocalSubmission(spec)
    yield made
    made.close()


def test_models_are_built_next_to_the_submission(sub: Submission) -> None:
    # an LSTM LM from allow-listed modules, its state a tuple; the grader recomputes the result
    torch.manual_seed(0)
    emb, cell, head = torch.nn.Embedding(4, 3).double(), torch.nn.LSTMCell(3, 2).double(), torch.nn.Linear(2, 4).double()
    state = (torch.randn(2, 2, dtype=torch.float64), torch.randn(2, 2, dtype=torch.float64))
    spec = {"kind": "lstm", "emb": emb, "cell": cell, "head": head}
    out = sub.probe("step_fn_call", sub.function("greedy"), spec, state, 1, 3, 2)
    assert set(out) == {"value", "calls", "tokens"}
    want = step_fn_call(lambda f, *a: _greedy(f, *a), {"kind": "lstm", "emb": emb, "cell": cell, "head": head},
                        state, 1, 3, 2)
    assert torch.equal(out["value"], want["value"]) and out["calls"] == 3
    assert [t.tolist() for t in out["tokens"]] == [t.tolist() for t in want["tokens"]]
    assert out["tokens"][0].tolist() == [1, 1]


def _greedy(step_fn: stepfns.StepFn, state: object, bos: int, steps: int, batch: int) -> torch.Tensor:
    tok, out = torch.full((batch,), bos, dtype=torch.int64), []
    for _ in range(steps):
        scores, state = step_fn(tok, state)
        tok = scores.argmax(dim=-1)
        out.append(tok)
    return torch.stack(out, dim=1)


def test_a_bad_call_of_the_model_is_the_submissions_error(sub: Submission) -> None:
    with pytest.raises(TypeError, match="1-D int64"):
        sub.probe("step_fn_call", sub.function("feeds_floats"), {"kind": "table", "table": torch.zeros(2, 2)}, None)
    with pytest.raises(SubmissionRaised):
        sub.probe("step_fn_call", sub.function("feeds_floats"), {"kind": "table", "table": torch.zeros(2, 2)}, None)


def test_strided_token_views_cross_the_wire(sub: Submission) -> None:
    # a (1,) view with stride T counts as contiguous in torch; the wire must still send its bytes
    out = sub.probe("step_fn_call", sub.function("columns"), {"kind": "table", "table": torch.zeros(4, 4)},
                    None, torch.tensor([[1, 3, 2]]))
    assert out["calls"] == 3 and [t.tolist() for t in out["tokens"]] == [[1], [3], [2]]
    assert torch.equal(sub.column_view(torch.tensor([[5, 6, 7]]), 1), torch.tensor([6]))
