"""Hidden grader for q032_teacher_forcing (never shipped to students).

make_decoder_io is called directly (tensors in, tensors out); value tasks call it with the
in-place check off (fair.ValuesOnly), task 4 with it on. teacher_forced_logits is called through
the probe rnnkit.probes.step_fn_call with a model spec (rnnkit.stepfns TableLM, HistoryLM,
LSTMLM from random weights); the probe's Recorder reports the tokens fed at every call.

Task 1: make_decoder_io equals an index loop (exact, int64, (B, T + 1)): fixed cases (length 0,
        full rows, T = 1, B = 1), random sizes, random distinct ids, padding in tgt holding
        garbage (-100, V + 7, other words).
Task 2: teacher_forced_logits equals the grader's own run of the model over the columns of
        dec_in (exact): TableLM, and HistoryLM and LSTMLM whose scores depend on the state.
Task 3: the Recorder saw exactly T' = dec_in.shape[1] calls and dec_in[:, t] at call t, on
        dec_in whose columns differ from the model's argmax (a decoder that feeds its own
        predictions is seen).
Task 4: make_decoder_io called with the in-place check on (tgt with garbage padding): no
        argument changed.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

from rnnkit import stepfns
from rnnkit.fair import ValuesOnly
from rnnkit.testing import check, expect_dict, expect_tensor, expect_tuple, random_lstm_lm, trandn


@pytest.fixture
def impl(impl):
    return ValuesOnly(impl)


def io_oracle(tgt: torch.Tensor, lengths: torch.Tensor, bos: int, eos: int, pad: int):
    B, T = tgt.shape
    dec_in = torch.full((B, T + 1), pad, dtype=torch.int64)
    dec_out = torch.full((B, T + 1), pad, dtype=torch.int64)
    for b in range(B):
        n = int(lengths[b])
        dec_in[b, 0] = bos
        for t in range(n):
            dec_in[b, t + 1] = tgt[b, t]
            dec_out[b, t] = tgt[b, t]
        dec_out[b, n] = eos
    return dec_in, dec_out


IO_FIXED = [  # (T, lengths)
    (1, [1]), (1, [0]), (3, [3, 1, 0]), (4, [2, 4, 4, 1]), (5, [0, 0]),
]


def io_case(rng: np.random.Generator, case: int):
    if case < len(IO_FIXED):
        T, lengths = IO_FIXED[case]
        lengths_t = torch.tensor(lengths)
    else:
        T = int(rng.integers(1, 8))
        lengths_t = torch.from_numpy(rng.integers(0, T + 1, size=int(rng.integers(1, 6))))
    V = int(rng.integers(5, 30))
    bos, eos, pad = (int(v) for v in rng.choice(V, size=3, replace=False))
    B = lengths_t.shape[0]
    tgt = torch.from_numpy(rng.integers(0, V, size=(B, T)))
    garbage = torch.tensor([-100, V + 7, -1, 3 * V])
    for b in range(B):
        n = int(lengths_t[b])
        tgt[b, n:] = garbage[torch.from_numpy(rng.integers(0, 4, size=T - n))]
    return tgt, lengths_t, bos, eos, pad


@pytest.mark.task(1)
@pytest.mark.parametrize("case", range(len(IO_FIXED) + 4))
def test_decoder_io(impl, rng, case):
    tgt, lengths, bos, eos, pad = io_case(rng, case)
    B, T = tgt.shape
    out = expect_tuple(impl.make_decoder_io(tgt, lengths, bos, eos, pad), 2, "make_decoder_io")
    dec_in = expect_tensor(out[0], (B, T + 1), "dec_in", dtype=torch.int64)
    dec_out = expect_tensor(out[1], (B, T + 1), "dec_out", dtype=torch.int64)
    want_in, want_out = io_oracle(tgt, lengths, bos, eos, pad)
    check(torch.equal(dec_in, want_in), "dec_in should be [bos, y_1 .. y_n, pad ...] in every row "
                                        "(nothing of tgt's padding copied)")
    check(torch.equal(dec_out, want_out), "dec_out should be [y_1 .. y_n, eos, pad ...] in every row "
                                          "(eos at position n, nothing of tgt's padding copied)")


@pytest.mark.task(4)
def test_tgt_unchanged(impl, rng):
    tgt, lengths, bos, eos, pad = io_case(rng, 3)
    impl.checked.make_decoder_io(tgt, lengths, bos, eos, pad)


# --- teacher_forced_logits -----------------------------------------------------------------------

class Case:
    def __init__(self, spec: dict[str, Any], state: Any, dec_in: torch.Tensor, V: int):
        self.spec, self.state, self.dec_in, self.V = spec, state, dec_in, V

    def run(self, impl: Any) -> dict[str, Any]:
        out = impl.probe("step_fn_call", impl.function("teacher_forced_logits"), self.spec, self.state, self.dec_in)
        return expect_dict(out, ["value", "calls", "tokens"], "the step-function probe")

    def expected(self) -> torch.Tensor:
        model, state, outs = stepfns.build(self.spec), self.state, []
        for t in range(self.dec_in.shape[1]):
            scores, state = model(self.dec_in[:, t].clone(), state)
            outs.append(scores)
        return torch.stack(outs, dim=1)


def tf_case(rng: np.random.Generator, case: int) -> Case:
    kind = ["table", "history", "lstm", "table", "history", "lstm"][case]
    V, B, T = int(rng.integers(3, 8)), int(rng.integers(1, 5)), int(rng.integers(1, 7))
    if case < 3:
        V, B, T = 5, 3, 5                 # fixed sizes: every mistake about the steps shows
    # columns that are never the argmax of the step before (a decoder feeding its predictions is seen)
    if kind == "table":
        table = torch.log_softmax(trandn(rng, V, V, scale=2.0), dim=-1)
        worst = table.argmin(dim=-1)
        dec_in = torch.empty(B, T, dtype=torch.int64)
        dec_in[:, 0] = torch.from_numpy(rng.integers(0, V, size=B))
        for t in range(1, T):
            dec_in[:, t] = worst[dec_in[:, t - 1]]
        return Case({"kind": "table", "table": table}, None, dec_in, V)
    dec_in = torch.from_numpy(rng.integers(0, V, size=(B, T)))
    if kind == "history":
        table = torch.log_softmax(trandn(rng, 31, V, scale=2.0), dim=-1)
        return Case({"kind": "history", "table": table}, torch.from_numpy(rng.integers(0, 31, size=B)), dec_in, V)
    E, H = int(rng.integers(1, 4)), int(rng.integers(1, 5))
    lm = random_lstm_lm(rng, V, E, H, scale=1.5)
    return Case(lm, (trandn(rng, B, H), trandn(rng, B, H)),
                dec_in, V)


@pytest.mark.task(2)
@pytest.mark.parametrize("case", range(6))
def test_stacked_outputs(impl, rng, case):
    c = tf_case(rng, case)
    B, T = c.dec_in.shape
    logits = expect_tensor(c.run(impl)["value"], (B, T, c.V), "teacher_forced_logits", dtype=torch.float64)
    check(torch.equal(logits, c.expected()), "the stacked log-probs differ from the model run over the columns "
                                             "of dec_in with the state handed on from call to call")


@pytest.mark.task(3)
@pytest.mark.parametrize("case", [0, 3])
def test_gold_inputs_recorded(impl, rng, case):
    c = tf_case(rng, case)
    out = c.run(impl)
    T = c.dec_in.shape[1]
    check(out["calls"] == T, f"step_fn was called {out['calls']} times, expected T' = {T} (one call per column)")
    for t, fed in enumerate(out["tokens"]):
        check(torch.equal(fed, c.dec_in[:, t]), f"call {t} was not fed dec_in[:, {t}] (teacher forcing feeds the "
                                                "ground truth, never a prediction)")
