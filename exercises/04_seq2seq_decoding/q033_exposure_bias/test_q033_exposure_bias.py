"""Public tests for q033: run them with `rnnkit check q033` (or plain pytest on this file).

The step function is an rnnkit.stepfns.TableLM: scores = table[previous token]. The probe
rnnkit.probes.step_fn_call builds it next to your code and calls your function with it; it
returns your result with the number of step_fn calls and the tokens fed at each call. The hidden
grader uses random tables (one per row), history-dependent and LSTM models, random lengths.
"""

import math

import pytest
import torch

from rnnkit.testing import assert_close, check, expect_dict, expect_tensor

log = math.log
BOS = 3
# rows = previous token; V = 4
TABLE = torch.tensor([
    [0.1, 0.3, 0.3, 0.3],   # after 0: argmax 1 (a tie of 1, 2, 3 goes to the lowest id)
    [0.5, 0.1, 0.3, 0.1],   # after 1: argmax 0
    [0.2, 0.2, 0.2, 0.4],   # after 2: argmax 3
    [0.1, 0.6, 0.2, 0.1],   # after bos (3): argmax 1
], dtype=torch.float64).log()
TGT = torch.tensor([[1, 2, 0], [2, 3, 1]])    # row 1 has length 2: its last position is padding
LENGTHS = torch.tensor([3, 2])


def run(impl, name):
    out = impl.probe("step_fn_call", impl.function(name), {"kind": "table", "table": TABLE}, None, TGT, LENGTHS, BOS)
    return expect_dict(out, ["value", "calls", "tokens"], "the step-function probe")


@pytest.mark.task(1)
def test_teacher_forced_nll(impl):
    out = run(impl, "teacher_forced_nll")
    got = expect_tensor(out["value"], (2,), "teacher_forced_nll", dtype=torch.float64)
    # row 0 is fed 3, 1, 2 and scores 1, 2, 0; row 1 is fed 3, 2 and scores 2, 3 (then padding)
    want = torch.tensor([-(log(0.6) + log(0.3) + log(0.2)), -(log(0.2) + log(0.4))], dtype=torch.float64)
    assert_close(got, want, "teacher_forced_nll", against="the worked example")
    fed = [t.tolist() for t in out["tokens"]]
    check(fed == [[3, 3], [1, 2], [2, 3]], f"step_fn was fed {fed}, expected [[3, 3], [1, 2], [2, 3]] "
                                           "(bos, then the gold previous tokens)")


@pytest.mark.task(2)
def test_free_running_nll(impl):
    out = run(impl, "free_running_nll")
    got = expect_tensor(out["value"], (2,), "free_running_nll", dtype=torch.float64)
    # both rows are fed 3, then argmax 1, then argmax 0; the gold tokens are scored
    want = torch.tensor([-(log(0.6) + log(0.3) + log(0.1)), -(log(0.2) + log(0.1))], dtype=torch.float64)
    assert_close(got, want, "free_running_nll", against="the worked example")
    fed = [t.tolist() for t in out["tokens"]]
    check(fed == [[3, 3], [1, 1], [0, 0]], f"step_fn was fed {fed}, expected [[3, 3], [1, 1], [0, 0]] "
                                           "(bos, then the model's own argmax)")


@pytest.mark.task(3)
def test_exposure_gap(impl):
    out = run(impl, "exposure_gap")
    check(isinstance(out["value"], float), f"exposure_gap should return a float, got {type(out['value']).__name__}")
    # (free total - teacher total) / 5 real tokens = (log 0.2 + log 0.4 - 2 log 0.1) / 5 = log 8 / 5
    assert_close(torch.tensor(out["value"]), torch.tensor(log(8) / 5), "exposure_gap", against="the worked example")


@pytest.mark.task(4)
def test_one_call_per_step(impl):
    for name in ("teacher_forced_nll", "free_running_nll"):
        calls = run(impl, name)["calls"]
        check(calls == 3, f"{name} called step_fn {calls} times, expected T = 3")
