"""Hidden grader for q052_greedy_decoding (never shipped to students).

greedy_decode is called through the probe rnnkit.probes.step_fn_call: the grader sends a model
spec (rnnkit.stepfns: a TableLM with one (V, V) table per row, a HistoryLM, an LSTMLM built from
an nn.Embedding, nn.LSTMCell and nn.Linear with weights drawn from rng), the probe builds it in
the child, wraps it in a Recorder and returns the submission's result with the call count. The
expected values come from a row-by-row oracle run here on the grader's own copy of the model
(one row at a time, so batching mistakes cannot hide in it). Special ids (pad, bos, eos) are
drawn distinct from [0, V) per case.

Task 1: tokens up to and including each row's eos (the oracle's length) equal the row-by-row
        argmax chain, exactly, on transition tables: fixed cases (B = 1, max_len = 1, a row
        that never ends, an immediate eos, rows of different lengths) and random ones.
Task 2: on the same cases, the whole tokens tensor (pad after eos and after an early stop) and
        the lengths (eos counted, max_len without eos) equal the oracle's, exactly.
Task 3: the same prefix comparison as task 1 with step functions whose scores depend on the
        state: HistoryLM (fixed chains where a state that is not handed on changes the tokens)
        and LSTMLM with random weights and initial states.
Task 4: the number of step_fn calls equals max(lengths) of the oracle (fixed cases where every
        row ends before max_len, cases where some row never ends, random cases).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

from rnnkit import stepfns
from rnnkit.testing import check, expect_dict, expect_tensor, expect_tuple, random_lstm_lm, trandn

FN = "greedy_decode"


# --- models --------------------------------------------------------------------------------------

def specials(rng: np.random.Generator, V: int) -> tuple[int, int, int]:
    pad, bos, eos = (int(v) for v in rng.choice(V, size=3, replace=False))
    return pad, bos, eos


def chain_table(rng: np.random.Generator, V: int, successors: dict[int, int]) -> torch.Tensor:
    """(V, V) log-probabilities: after token v the argmax is successors[v] (a margin of >= 1),
    random rows elsewhere."""
    logits = trandn(rng, V, V, scale=0.3)
    for v, nxt in successors.items():
        logits[v, nxt] = logits[v].max() + 1.0 + float(rng.random())
    return torch.log_softmax(logits, dim=-1)


def chain(rng: np.random.Generator, V: int, bos: int, eos: int, pad: int, path: list[int]) -> dict[int, int]:
    """Successors that make the greedy path from bos follow ``path`` (words, then maybe eos).
    The words of ``path`` are distinct, so one table can encode it."""
    succ: dict[int, int] = {}
    prev = bos
    for tok in path:
        succ[prev] = tok
        prev = tok
    if prev != eos and prev not in succ:
        words = [v for v in range(V) if v not in (eos, pad)]
        succ[prev] = int(rng.choice(words))
    return succ


def row_oracle(model: stepfns.StepFn, state: Any, bos: int, eos: int, max_len: int) -> list[int]:
    """One row alone: the argmax chain from bos, up to and including eos, at most max_len."""
    out: list[int] = []
    tok = bos
    for _ in range(max_len):
        scores, state = model(torch.tensor([tok]), state)
        tok = int(torch.argmax(scores[0]))
        out.append(tok)
        if tok == eos:
            break
    return out


def row_state(state: Any, b: int) -> Any:
    if isinstance(state, tuple):
        return tuple(s[b:b + 1] for s in state)
    return None if state is None else state[b:b + 1]


def expected(model: stepfns.StepFn, state: Any, B: int, bos: int, eos: int, pad: int,
             max_len: int) -> tuple[torch.Tensor, torch.Tensor]:
    tokens = torch.full((B, max_len), pad, dtype=torch.int64)
    lengths = torch.zeros(B, dtype=torch.int64)
    for b in range(B):
        seq = row_oracle(model, row_state(state, b), bos, eos, max_len)
        tokens[b, :len(seq)] = torch.tensor(seq)
        lengths[b] = len(seq)
    return tokens, lengths


class Case:
    def __init__(self, spec: dict[str, Any], state: Any, B: int, special: tuple[int, int, int], max_len: int):
        self.spec, self.state, self.B, self.max_len = spec, state, B, max_len
        self.pad, self.bos, self.eos = special
        self.want = expected(stepfns.build(spec), state, B, self.bos, self.eos, self.pad, max_len)

    def run(self, impl: Any) -> tuple[torch.Tensor, torch.Tensor, int]:
        out = impl.probe("step_fn_call", impl.function(FN), self.spec, self.state, self.bos, self.eos, self.pad,
                         self.max_len, self.B)
        out = expect_dict(out, ["value", "calls", "tokens"], "the step-function probe")
        tokens, lengths = expect_tuple(out["value"], 2, "greedy_decode")
        tokens = expect_tensor(tokens, (self.B, self.max_len), "tokens", dtype=torch.int64)
        lengths = expect_tensor(lengths, (self.B,), "lengths", dtype=torch.int64)
        check(isinstance(out["calls"], int), "the step-function probe did not count the calls")
        return tokens, lengths, int(out["calls"])


# Fixed table cases: (V, max_len, one path per row). A path is a list of word slots 0, 1, ...
# (mapped to distinct non-special ids) and "E" for eos.
TABLE_FIXED = [
    (4, 1, [["E"]]),                                   # max_len = 1, ends at once
    (5, 1, [[0]]),                                     # max_len = 1, no eos
    (6, 5, [[0, 1, "E"], [1, "E"], [0, 1, 2]]),        # a row that never ends
    (6, 6, [["E"], [2, 0, "E"], [1, "E"]]),            # every row ends before max_len
    (7, 4, [[0, 1, 2, 3]]),                            # B = 1, never ends
    (8, 7, [[3, "E"], [0, 1, 2, 4, "E"], ["E"], [4, 3, 2, 1, 0]]),
]
N_RANDOM = 3


def table_case(rng: np.random.Generator, case: int) -> Case:
    if case < len(TABLE_FIXED):
        V, max_len, paths = TABLE_FIXED[case]
        special = specials(rng, V)
        pad, bos, eos = special
        words = [v for v in range(V) if v not in special]
        tables = []
        for path in paths:
            toks = [eos if p == "E" else words[int(p)] for p in path]
            tables.append(chain_table(rng, V, chain(rng, V, bos, eos, pad, toks)))
        B = len(paths)
    else:
        V, B, max_len = int(rng.integers(4, 9)), int(rng.integers(1, 6)), int(rng.integers(1, 9))
        special = specials(rng, V)
        eos = special[2]
        tables = []
        for _ in range(B):
            logits = trandn(rng, V, V, scale=2.0)
            logits[:, eos] += float(rng.normal())   # some rows end soon, some late or never
            tables.append(torch.log_softmax(logits, dim=-1))
    return Case({"kind": "table", "table": torch.stack(tables)}, torch.arange(B), B, special, max_len)


def history_table(rng: np.random.Generator, R: int, V: int, argmax: list[int]) -> torch.Tensor:
    logits = trandn(rng, R, V, scale=0.3)
    for r, a in enumerate(argmax):
        logits[r, a] = logits[r].max() + 1.0 + float(rng.random())
    return torch.log_softmax(logits, dim=-1)


def stateful_case(rng: np.random.Generator, case: int) -> Case:
    if case == 0:
        # V = 4, R = 7, code 0: bos = 1 -> code 2 -> 3; 3 -> code 0 -> 3; 3 -> code 4 -> eos (= 2);
        # a decoder that feeds the initial state every time emits 3, 2 instead.
        argmax = [3, 2, 3, 3, 2, 3, 3]
        return Case({"kind": "history", "table": history_table(rng, 7, 4, argmax)}, torch.tensor([0]), 1,
                    (0, 1, 2), 6)
    if case == 1:
        # the same machine over a batch: codes 0 and 3 give different chains
        argmax = [3, 2, 3, 3, 2, 3, 3]
        return Case({"kind": "history", "table": history_table(rng, 7, 4, argmax)}, torch.tensor([0, 3, 5]), 3,
                    (0, 1, 2), 6)
    if case == 2:
        V, R, B = int(rng.integers(4, 8)), 53, int(rng.integers(2, 5))
        special = specials(rng, V)
        logits = trandn(rng, R, V, scale=2.0)
        return Case({"kind": "history", "table": torch.log_softmax(logits, dim=-1)},
                    torch.from_numpy(rng.integers(0, R, size=B)), B, special, int(rng.integers(3, 8)))
    V, E, H, B = int(rng.integers(4, 8)), int(rng.integers(1, 4)), int(rng.integers(1, 5)), int(rng.integers(1, 5))
    lm = random_lstm_lm(rng, V, E, H, scale=1.5)
    state = (trandn(rng, B, H), trandn(rng, B, H))
    return Case(lm, state, B, specials(rng, V),
                int(rng.integers(2, 8)))


def check_prefixes(tokens: torch.Tensor, case: Case) -> None:
    want_tokens, want_lengths = case.want
    for b in range(case.B):
        n = int(want_lengths[b])
        got = tokens[b, :n].tolist()
        check(got == want_tokens[b, :n].tolist(),
              f"row {b}: the first {n} generated tokens are not the argmax chain from bos "
              "(each step feeds the previous argmax and keeps the state step_fn returned)")


# --- tasks ---------------------------------------------------------------------------------------

@pytest.mark.task(1)
@pytest.mark.parametrize("case", range(len(TABLE_FIXED) + N_RANDOM))
def test_argmax_chain(impl, rng, case):
    c = table_case(rng, case)
    tokens, _, _ = c.run(impl)
    check_prefixes(tokens, c)


@pytest.mark.task(2)
@pytest.mark.parametrize("case", range(len(TABLE_FIXED) + N_RANDOM))
def test_pad_after_eos_and_lengths(impl, rng, case):
    c = table_case(rng, case)
    tokens, lengths, _ = c.run(impl)
    want_tokens, want_lengths = c.want
    check(lengths.tolist() == want_lengths.tolist(),
          "lengths differ from the oracle's: a row's length counts its eos, and is max_len if it never emits eos")
    check(torch.equal(tokens, want_tokens),
          "tokens differ from the oracle's after some row's eos: every position after a row's eos is pad")


@pytest.mark.task(3)
@pytest.mark.parametrize("case", range(5))
def test_state_handed_on(impl, rng, case):
    c = stateful_case(rng, case)
    tokens, _, _ = c.run(impl)
    check_prefixes(tokens, c)


@pytest.mark.task(4)
@pytest.mark.parametrize("case", range(len(TABLE_FIXED) + N_RANDOM))
def test_calls_counted(impl, rng, case):
    c = table_case(rng, case)
    _, _, calls = c.run(impl)
    want = int(c.want[1].max())
    check(calls == want, f"step_fn was called {calls} times, expected {want}: one call per step, and none "
                         "after the step at which every row has ended")
