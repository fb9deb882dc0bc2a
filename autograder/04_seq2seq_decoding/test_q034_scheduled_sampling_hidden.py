"""Hidden grader for q034_scheduled_sampling (never shipped to students).

teacher_prob is called directly (scalars in, a float out). scheduled_sampling_logits is called
through the probe rnnkit.probes.step_fn_call with a model spec (rnnkit.stepfns TableLM with one
table per row, HistoryLM, LSTMLM from random weights) and a torch.Generator, which crosses as its
state: the child draws exactly what the grader replays here from a copy of the same state.

Task 1: teacher_prob on fixed and random points: linear exact (including the eps floor and
        c = 0), exponential and inverse sigmoid to 1e-14 relative (algebraically equal forms
        round differently); unknown kinds raise ValueError (after a valid call).
Task 2: the stacked log-probs and the tokens fed at every step equal a replay in the grader: a
        loop that draws torch.rand(B, generator, float64) at t = 1 .. T-1 before each call and
        feeds tgt[:, t-1] where u < p_teacher, else the argmax of the previous step (exact).
        p_teacher is drawn in [0.2, 0.8]; cases with T = 2 and B = 1.
Task 3: p_teacher = 1 feeds bos then the gold tokens and p_teacher = 0 feeds bos then the
        model's own argmax (exact log-probs and fed tokens against loops that draw nothing).
Task 4: a table whose argmax is never the gold token (so a gold input is visible), B * (T - 1)
        = 10^4 draws at p in {0.2, 0.7}: the fraction of gold inputs is within 5 sigma of p
        (errata 5).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
import torch

from rnnkit import stepfns
from rnnkit.testing import (
    assert_close,
    check,
    expect_dict,
    expect_tensor,
    random_lstm_lm,
    torch_generator,
    trandn,
)

FN = "scheduled_sampling_logits"


# --- task 1 --------------------------------------------------------------------------------------

def schedule(i: int, kind: str, k: float, c: float = 0.0, eps: float = 0.0) -> float:
    if kind == "linear":
        return max(eps, k - c * i)
    if kind == "exponential":
        return k ** i
    return k / (k + math.exp(i / k))


FIXED_SCHEDULES = [
    (0, "linear", 1.0, 0.01, 0.0), (50, "linear", 1.0, 0.01, 0.0), (100, "linear", 1.0, 0.01, 0.0),
    (150, "linear", 1.0, 0.01, 0.1), (7, "linear", 0.9, 0.0, 0.2), (3, "linear", 1.0, 0.5, 0.25),
    (0, "exponential", 0.99), (1, "exponential", 0.99), (250, "exponential", 0.99), (3, "exponential", 0.5),
    (0, "inverse_sigmoid", 10.0), (10, "inverse_sigmoid", 10.0), (80, "inverse_sigmoid", 10.0),
    (1, "inverse_sigmoid", 1.0),
]


def random_schedule(rng: np.random.Generator) -> tuple[Any, ...]:
    kind = ["linear", "exponential", "inverse_sigmoid"][int(rng.integers(0, 3))]
    i = int(rng.integers(0, 500))
    if kind == "linear":
        return (i, kind, float(rng.uniform(0.5, 1.0)), float(rng.uniform(0, 0.01)), float(rng.uniform(0, 0.3)))
    if kind == "exponential":
        return (i, kind, float(rng.uniform(0.9, 0.999)))
    return (i, kind, float(rng.uniform(1.0, 100.0)))


@pytest.mark.task(1)
@pytest.mark.parametrize("case", range(len(FIXED_SCHEDULES) + 6))
def test_schedule_values(impl, rng, case):
    args = FIXED_SCHEDULES[case] if case < len(FIXED_SCHEDULES) else random_schedule(rng)
    got = impl.teacher_prob(*args)
    check(isinstance(got, float), f"teacher_prob should return a float, got a {type(got).__name__}")
    want = schedule(*args)
    if args[1] == "linear":
        check(got == want, f"teacher_prob(i, 'linear', ...) should be exactly max(eps, k - c * i) (i = {args[0]})")
    else:
        assert_close(torch.tensor(got), torch.tensor(want), f"teacher_prob(i, {args[1]!r}, ...)", rtol=1e-14,
                     atol=0, against="the schedule's formula")


@pytest.mark.task(1)
def test_unknown_schedule_raises(impl):
    check(impl.teacher_prob(2, "exponential", 0.5) == 0.25, "teacher_prob(2, 'exponential', 0.5) should be 0.25")
    for bad in ("sigmoid", "Linear", "exp", ""):
        with pytest.raises(ValueError):
            impl.teacher_prob(1, bad, 0.5)


# --- the mixing ----------------------------------------------------------------------------------

def replay(model: stepfns.StepFn, state: Any, tgt: torch.Tensor, bos: int, p: float,
           g: torch.Generator | None) -> tuple[torch.Tensor, list[list[int]]]:
    """The documented recipe, batched; g None: no draws (p must be 0 or 1)."""
    B, T = tgt.shape
    inp, outs, fed = torch.full((B,), bos, dtype=torch.int64), [], []
    for t in range(T):
        if t > 0:
            if g is None:
                use_gold = torch.full((B,), p == 1.0)
            else:
                use_gold = torch.rand(B, generator=g, dtype=torch.float64) < p
            inp = torch.where(use_gold, tgt[:, t - 1], outs[-1].argmax(dim=-1))
        fed.append(inp.tolist())
        scores, state = model(inp, state)
        outs.append(scores)
    return torch.stack(outs, dim=1), fed


class Case:
    def __init__(self, spec: dict[str, Any], state: Any, tgt: torch.Tensor, bos: int, V: int):
        self.spec, self.state, self.tgt, self.bos, self.V = spec, state, tgt, bos, V

    def run(self, impl: Any, p: float, g: torch.Generator) -> tuple[torch.Tensor, list[list[int]]]:
        out = impl.probe("step_fn_call", impl.function(FN), self.spec, self.state, self.tgt, self.bos, p, g)
        out = expect_dict(out, ["value", "calls", "tokens"], "the step-function probe")
        B, T = self.tgt.shape
        logits = expect_tensor(out["value"], (B, T, self.V), "scheduled_sampling_logits", dtype=torch.float64)
        check(isinstance(out["tokens"], list) and len(out["tokens"]) == T,
              f"step_fn should be called T = {T} times, once per step")
        return logits, [t.tolist() for t in out["tokens"]]


def mixing_case(rng: np.random.Generator, case: int) -> Case:
    kinds = ["table", "table", "history", "lstm", "table"]
    kind = kinds[case % len(kinds)]
    V, B, T = int(rng.integers(3, 8)), int(rng.integers(1, 6)), int(rng.integers(2, 8))
    if case == 0:
        B, T = 1, 2
    if case == 1:
        B, T = 6, 6
    bos = int(rng.integers(0, V))
    tgt = torch.from_numpy(rng.integers(0, V, size=(B, T)))
    if kind == "table":
        tables = torch.log_softmax(trandn(rng, B, V, V, scale=2.0), dim=-1)
        return Case({"kind": "table", "table": tables}, torch.arange(B), tgt, bos, V)
    if kind == "history":
        table = torch.log_softmax(trandn(rng, 29, V, scale=2.0), dim=-1)
        return Case({"kind": "history", "table": table}, torch.from_numpy(rng.integers(0, 29, size=B)), tgt, bos, V)
    E, H = int(rng.integers(1, 4)), int(rng.integers(1, 5))
    lm = random_lstm_lm(rng, V, E, H, scale=1.5)
    return Case(lm, (trandn(rng, B, H), trandn(rng, B, H)),
                tgt, bos, V)


def copy_of(g: torch.Generator) -> torch.Generator:
    twin = torch.Generator()
    twin.set_state(g.get_state())
    return twin


@pytest.mark.task(2)
@pytest.mark.parametrize("case", range(6))
def test_generator_replayed(impl, rng, case):
    c = mixing_case(rng, case)
    p = float(rng.uniform(0.2, 0.8))
    g = torch_generator(rng)
    want_logits, want_fed = replay(stepfns.build(c.spec), c.state, c.tgt, c.bos, p, copy_of(g))
    logits, fed = c.run(impl, p, g)
    check(fed == want_fed, "the tokens fed to step_fn differ from a replay of the generator: draw "
                           "torch.rand(B, generator=generator, dtype=torch.float64) once per step from t = 1, "
                           "before the call; gold where u < p_teacher, else the previous step's argmax")
    assert_close(logits, want_logits, "the stacked log-probs", rtol=0, atol=0, against="the replayed run")


@pytest.mark.task(3)
@pytest.mark.parametrize("case", range(4))
def test_p_one_and_zero(impl, rng, case):
    c = mixing_case(rng, case + 1)
    for p in (1.0, 0.0):
        want_logits, want_fed = replay(stepfns.build(c.spec), c.state, c.tgt, c.bos, p, None)
        logits, fed = c.run(impl, p, torch_generator(rng))
        mode = "teacher forcing (bos, then the gold previous token)" if p else "free running (bos, then the argmax)"
        check(fed == want_fed, f"with p_teacher = {p:g} the tokens fed to step_fn differ from {mode}")
        assert_close(logits, want_logits, f"the log-probs with p_teacher = {p:g}", rtol=0, atol=0, against=mode)


@pytest.mark.task(4)
@pytest.mark.parametrize("p", [0.2, 0.7])
def test_gold_fraction(impl, rng, p):
    V, B, T = 4, 200, 51                                   # 200 * 50 = 10^4 draws
    gold = 1 + int(rng.integers(0, V - 1))                 # never 0: the argmax below
    table = torch.log_softmax(torch.tensor([[3.0, 0.0, 0.0, 0.0]] * V, dtype=torch.float64), dim=-1)
    tgt = torch.full((B, T), gold)
    out = impl.probe("step_fn_call", impl.function(FN), {"kind": "table", "table": table}, None, tgt, 0, p,
                     torch_generator(rng))
    out = expect_dict(out, ["value", "calls", "tokens"], "the step-function probe")
    check(len(out["tokens"]) == T, f"step_fn should be called T = {T} times")
    fed = torch.stack([expect_tensor(t, (B,), "the fed tokens") for t in out["tokens"][1:]])
    frac = float((fed == gold).double().mean())
    band = 5 * math.sqrt(p * (1 - p) / fed.numel())
    check(abs(frac - p) <= band, f"with p_teacher = {p} a fraction {frac:.3f} of the inputs were gold "
                                 f"(expected {p} +- {band:.3f})")
