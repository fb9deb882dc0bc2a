"""Hidden grader for q033_exposure_bias (never shipped to students).

Every function is called through the probe rnnkit.probes.step_fn_call with a model spec
(rnnkit.stepfns TableLM with one (V, V) table per row, HistoryLM, LSTMLM from random weights).
Expected values come from a row-by-row loop oracle run here on the grader's own copy of the
model. Padding positions of tgt hold random valid ids. NLLs are compared to 1e-10 (relative) /
1e-12 (absolute).

Task 1: teacher_forced_nll equals the oracle: fixed chains (a model that errs at step k, one that
        is always right), T = 1, length-1 rows, random tables, HistoryLM and LSTMLM (the state
        handed on), with padding.
Task 2: free_running_nll equals the oracle on the same kinds of cases (the gold token is scored
        after the model's own greedy input; generated eos does not stop anything).
Task 3: exposure_gap equals (sum of the submission's own free_running_nll - sum of its own
        teacher_forced_nll) / sum(lengths), 1e-12 (so only the definition is graded here), and is
        0 (within 1e-12) for models whose greedy token is always the gold one.
Task 4: both modes call step_fn exactly T times (also when every row is shorter than T).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

from rnnkit import stepfns
from rnnkit.testing import assert_close, check, expect_dict, expect_tensor, random_lstm_lm, trandn


def chain_table(rng: np.random.Generator, V: int, successors: dict[int, int]) -> torch.Tensor:
    logits = trandn(rng, V, V, scale=0.5)
    for v, nxt in successors.items():
        logits[v, nxt] = logits[v].max() + 1.0 + float(rng.random())
    return torch.log_softmax(logits, dim=-1)


class Case:
    def __init__(self, spec: dict[str, Any], state: Any, tgt: torch.Tensor, lengths: torch.Tensor, bos: int):
        self.spec, self.state, self.tgt, self.lengths, self.bos = spec, state, tgt, lengths, bos
        self.B, self.T = tgt.shape

    def run(self, impl: Any, name: str) -> dict[str, Any]:
        out = impl.probe("step_fn_call", impl.function(name), self.spec, self.state, self.tgt, self.lengths, self.bos)
        out = expect_dict(out, ["value", "calls", "tokens"], "the step-function probe")
        check(isinstance(out["calls"], int), "the step-function probe did not count the calls")
        return out

    def nll(self, impl: Any, name: str) -> torch.Tensor:
        return expect_tensor(self.run(impl, name)["value"], (self.B,), name, dtype=torch.float64)

    def oracle(self, feed_gold: bool) -> torch.Tensor:
        """Each row alone: T steps, the gold token scored, summed over its real steps."""
        model = stepfns.build(self.spec)
        out = torch.zeros(self.B, dtype=torch.float64)
        for b in range(self.B):
            state = tuple(s[b:b + 1] for s in self.state) if isinstance(self.state, tuple) else self.state[b:b + 1]
            tok, total = self.bos, 0.0
            for t in range(self.T):
                scores, state = model(torch.tensor([tok]), state)
                gold = int(self.tgt[b, t])
                if t < int(self.lengths[b]):
                    total -= float(scores[0, gold])
                tok = gold if feed_gold else int(torch.argmax(scores[0]))
            out[b] = total
        return out


# fixed per-row chains: (V, T, rows); a row is (length, first wrong step k or None): the model's
# greedy token is gold before step k and wrong at step k
FIXED = [
    (4, 1, [(1, None), (1, 0)]),                      # T = 1
    (6, 4, [(4, 2), (2, None), (3, 0)]),
    (7, 5, [(5, None), (5, 4), (1, 1), (4, 1)]),
]


def gold_rows(rng: np.random.Generator, V: int, T: int, bos: int, B: int) -> torch.Tensor:
    """Gold rows of distinct non-bos tokens (one chain table can encode each)."""
    words = [v for v in range(V) if v != bos]
    return torch.tensor(np.stack([rng.permutation(words)[:T] for _ in range(B)]), dtype=torch.int64)


def fixed_case(rng: np.random.Generator, i: int, always_gold: bool = False) -> Case:
    V, T, rows = FIXED[i]
    bos = int(rng.integers(0, V))
    tgt = gold_rows(rng, V, T, bos, len(rows))
    tables = []
    for b, (_, k) in enumerate(rows):
        k = None if always_gold else k
        prev, succ = bos, {}
        for t in range(T):
            gold = int(tgt[b, t])
            if k is not None and t == k:
                succ[prev] = int(rng.choice([v for v in range(V) if v != gold]))
                break
            succ[prev] = gold
            prev = gold
        tables.append(chain_table(rng, V, succ))
    lengths = torch.tensor([T if always_gold else n for n, _ in rows])   # always gold: no padding
    if not always_gold:
        for b, n in enumerate(lengths.tolist()):          # padding: random valid ids
            tgt[b, n:] = torch.from_numpy(rng.integers(0, V, size=T - n))
    return Case({"kind": "table", "table": torch.stack(tables)}, torch.arange(len(rows)), tgt, lengths, bos)


def random_case(rng: np.random.Generator, kind: str) -> Case:
    V, B, T = int(rng.integers(3, 8)), int(rng.integers(1, 5)), int(rng.integers(1, 7))
    if kind.endswith("_fixed_size"):                 # sizes fixed, so the state matters for sure
        V, B, T, kind = 5, 3, 5, kind.removesuffix("_fixed_size")
    bos = int(rng.integers(0, V))
    tgt = torch.from_numpy(rng.integers(0, V, size=(B, T)))
    lengths = torch.from_numpy(rng.integers(1, T + 1, size=B))
    if kind == "table":
        tables = torch.log_softmax(trandn(rng, B, V, V, scale=2.0), dim=-1)
        return Case({"kind": "table", "table": tables}, torch.arange(B), tgt, lengths, bos)
    if kind == "history":
        R = 37
        table = torch.log_softmax(trandn(rng, R, V, scale=2.0), dim=-1)
        return Case({"kind": "history", "table": table}, torch.from_numpy(rng.integers(0, R, size=B)), tgt, lengths,
                    bos)
    E, H = int(rng.integers(1, 4)), int(rng.integers(1, 5))
    lm = random_lstm_lm(rng, V, E, H, scale=1.5)
    return Case(lm, (trandn(rng, B, H), trandn(rng, B, H)),
                tgt, lengths, bos)


KINDS = ["table", "table", "history_fixed_size", "history", "lstm_fixed_size", "lstm"]
N_CASES = len(FIXED) + len(KINDS)


def any_case(rng: np.random.Generator, case: int) -> Case:
    return fixed_case(rng, case) if case < len(FIXED) else random_case(rng, KINDS[case - len(FIXED)])


@pytest.mark.task(1)
@pytest.mark.parametrize("case", range(N_CASES))
def test_teacher_forced(impl, rng, case):
    c = any_case(rng, case)
    assert_close(c.nll(impl, "teacher_forced_nll"), c.oracle(feed_gold=True), "teacher_forced_nll",
                 rtol=1e-10, against="a loop feeding the gold previous token")


@pytest.mark.task(2)
@pytest.mark.parametrize("case", range(N_CASES))
def test_free_running(impl, rng, case):
    c = any_case(rng, case)
    assert_close(c.nll(impl, "free_running_nll"), c.oracle(feed_gold=False), "free_running_nll",
                 rtol=1e-10, against="a loop feeding the model's own greedy token")


@pytest.mark.task(3)
@pytest.mark.parametrize("case", range(N_CASES))
def test_gap_definition(impl, rng, case):
    c = any_case(rng, case)
    free, teacher = c.nll(impl, "free_running_nll"), c.nll(impl, "teacher_forced_nll")
    gap = c.run(impl, "exposure_gap")["value"]
    check(isinstance(gap, float), f"exposure_gap should return a float, got a {type(gap).__name__}")
    n = float(c.lengths.sum())
    want = (float(free.sum()) - float(teacher.sum())) / n
    scale = (float(free.abs().sum()) + float(teacher.abs().sum())) / n
    assert_close(torch.tensor(gap), torch.tensor(want), "exposure_gap", rtol=0, atol=1e-12 * (1 + scale),
                 against="(sum of free_running_nll - sum of teacher_forced_nll) / sum(lengths) of your own functions")


@pytest.mark.task(3)
@pytest.mark.parametrize("case", range(len(FIXED)))
def test_gap_zero_when_greedy_is_gold(impl, rng, case):
    c = fixed_case(rng, case, always_gold=True)
    gap = c.run(impl, "exposure_gap")["value"]
    check(isinstance(gap, float) and abs(gap) <= 1e-12,
          "exposure_gap should be 0 (up to rounding, 1e-12) for a model whose greedy token is always the gold one")


@pytest.mark.task(4)
@pytest.mark.parametrize("case", range(N_CASES))
def test_calls(impl, rng, case):
    c = any_case(rng, case)
    if case == 1:
        c.lengths = torch.clamp(c.lengths, max=c.T - 2)      # every row shorter than T
    for name in ("teacher_forced_nll", "free_running_nll"):
        calls = c.run(impl, name)["calls"]
        check(calls == c.T, f"{name} called step_fn {calls} times, expected T = {c.T} (one call per step)")
