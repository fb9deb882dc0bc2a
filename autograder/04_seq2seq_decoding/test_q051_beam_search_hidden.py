"""Hidden grader for q051_beam_search (never shipped to students).

beam_search is called through the probe rnnkit.probes.step_fn_call: the grader sends a model spec
(rnnkit.stepfns TableLM, HistoryLM or LSTMLM), the probe builds it in the child and calls
beam_search(step_fn, init_state, bos, eos, beam_size, max_len, alpha). The crafted tables below
(greedy is not the optimum, a finished hypothesis that must keep its slot, alpha flipping the
ranking, exact ties) are hidden data handed to the public TableLM. Expected values come from
oracles run here on the grader's own copy of the model: a greedy loop (task 1), exhaustive
enumeration of every sequence (tasks 2 and 5), and the reference beam search (tasks 3, 4, 6). Token
lists must match exactly, scores to 1e-12 (relative) / 1e-12 (absolute).

Task 1: beam_size = 1 equals the greedy argmax chain (with its log-probability): the greedy trap,
        max_len = 1, random tables.
Task 2: beam_size >= V ** max_len equals the exhaustive ranking of every eos-terminated sequence
        of up to max_len tokens and every open one of exactly max_len tokens (alpha = 0): the
        greedy trap (V = 4, max_len = 4), random tables (V = 3, 4; max_len 3, 4).
Task 3: narrow beams (2 to 4) equal the reference on random tables (alpha = 0, max_len = 3: no
        two sequences share their transitions, so no score ties by permutation), fixed cases:
        a finished hypothesis keeps its slot (a search that refills the beam returns another
        pair), max_len = 1 (only open hypotheses), beams wider than the vocabulary.
Task 4: narrow beams against the reference with step functions whose scores depend on the
        state, with eos 30 nats down (nothing finishes, so only the state handling matters):
        HistoryLM (fixed tables in which a beam whose state is not reordered by parent scores
        other sequences) and LSTMLM (state (h, c), one row at the start), random weights.
Task 5: alpha > 0 with beams as wide as V ** max_len, against the exhaustive ranking: the
        crafted flip (alpha = 1 ranks the longer sequence first, with scores logp / lp), and
        random alphas on random tables.
Task 6: exact ties (dyadic probabilities): among candidates inside the search and in the final
        ranking, the lower token sequence comes first.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

from rnnkit import stepfns
from rnnkit.testing import assert_close, check, expect_dict, expect_tuple, trandn

FN = "beam_search"


def probs_table(rows: list[list[float]]) -> torch.Tensor:
    return torch.tensor(rows, dtype=torch.float64).log()


def random_table(rng: np.random.Generator, V: int, rows: int | None = None, scale: float = 1.5) -> torch.Tensor:
    return torch.log_softmax(trandn(rng, rows or V, V, scale=scale), dim=-1)


class Case:
    def __init__(self, spec: dict[str, Any], state: Any, bos: int, eos: int, beam: int, max_len: int,
                 alpha: float = 0.0):
        self.spec, self.state, self.bos, self.eos = spec, state, bos, eos
        self.beam, self.max_len, self.alpha = beam, max_len, alpha

    def model(self) -> stepfns.StepFn:
        return stepfns.build(self.spec)

    def run(self, impl: Any) -> list[tuple[list[int], float]]:
        out = impl.probe("step_fn_call", impl.function(FN), self.spec, self.state, self.bos, self.eos, self.beam,
                         self.max_len, self.alpha)
        out = expect_dict(out, ["value", "calls", "tokens"], "the step-function probe")
        check(isinstance(out["value"], (list, tuple)), "beam_search should return a list of (tokens, score)")
        result = []
        for hyp in out["value"]:
            toks, score = expect_tuple(hyp, 2, "each hypothesis (tokens, score)")
            check(isinstance(toks, (list, tuple)) and all(isinstance(t, int) for t in toks),
                  "the tokens of a hypothesis should be a list of ints")
            check(isinstance(score, (int, float)), "the score of a hypothesis should be a float")
            result.append((list(toks), float(score)))
        return result


def compare(got: list[tuple[list[int], float]], want: list[tuple[list[int], float]], what: str) -> None:
    check(len(got) == len(want), f"{what}: beam_search returned {len(got)} hypotheses, expected {len(want)}")
    for rank, ((toks, _), (want_toks, _)) in enumerate(zip(got, want, strict=True)):
        check(toks == want_toks, f"{what}: the hypothesis ranked {rank + 1} has other tokens than expected")
    assert_close(torch.tensor([s for _, s in got]), torch.tensor([s for _, s in want]), f"{what}: the scores",
                 rtol=1e-12, atol=1e-12, against="logp / lp of the expected hypotheses")


# --- oracles -------------------------------------------------------------------------------------

def greedy_oracle(case: Case) -> list[tuple[list[int], float]]:
    model, state, tok, seq, logp = case.model(), case.state, case.bos, [], 0.0
    for _ in range(case.max_len):
        scores, state = model(torch.tensor([tok]), state)
        tok = int(torch.argmax(scores[0]))
        logp += float(scores[0, tok])
        seq.append(tok)
        if tok == case.eos:
            break
    return [(seq, logp / ((5 + len(seq)) / 6) ** case.alpha)]


def exhaustive_oracle(case: Case) -> list[tuple[list[int], float]]:
    """Every sequence, by depth-first search over a stateless table: eos-terminated ones of up to
    max_len tokens and open ones of exactly max_len tokens, ranked by (-score, tokens)."""
    model, found = case.model(), []

    def walk(seq: list[int], logp: float) -> None:
        if (seq and seq[-1] == case.eos) or len(seq) == case.max_len:
            found.append((seq, logp / ((5 + len(seq)) / 6) ** case.alpha))
            return
        scores, _ = model(torch.tensor([seq[-1] if seq else case.bos]), None)
        for v, lp in enumerate(scores[0].tolist()):
            walk(seq + [v], logp + lp)

    walk([], 0.0)
    found.sort(key=lambda r: (-r[1], r[0]))
    return found


def reference(ref: Any, case: Case) -> list[tuple[list[int], float]]:
    return [(list(t), float(s)) for t, s in ref.beam_search(case.model(), case.state, case.bos, case.eos,
                                                           case.beam, case.max_len, case.alpha)]


# --- crafted tables (hidden data for the public TableLM) -----------------------------------------

# V = 4: eos = 0, words 1 and 2, bos = 3: greedy takes 1 (0.5) then eos (0.3); the best is 2, eos
GREEDY_TRAP = probs_table([[0.25, 0.25, 0.25, 0.25], [0.30, 0.26, 0.24, 0.20], [0.90, 0.04, 0.04, 0.02],
                           [0.06, 0.50, 0.40, 0.04]])
# V = 5: eos = 0, bos = 4: beam 2 finishes [0] at step 0 and keeps one slot: [1, 3, 0]; a search
# that gives every step beam_size slots returns [1, 0] instead
KEEP_SLOT = probs_table([[0.2] * 5, [0.3, 0.1, 0.1, 0.4, 0.1], [0.9, 0.025, 0.025, 0.025, 0.025],
                         [0.5, 0.2, 0.1, 0.1, 0.1], [0.4, 0.3, 0.25, 0.04, 0.01]])
# V = 3: eos = 0, word 1, bos = 2: alpha = 0 ranks [0] first, alpha = 1 ranks [1, 0] first
FLIP = probs_table([[1 / 3] * 3, [0.7, 0.18, 0.12], [0.4, 0.55, 0.05]])
# exact ties (powers of two): V = 5, eos = 0, bos = 4
AFTER_WORD = [0.5, 0.25, 0.125, 0.0625, 0.0625]
TIES = probs_table([[0.2] * 5, AFTER_WORD, AFTER_WORD, AFTER_WORD, [0.125, 0.25, 0.25, 0.25, 0.125]])
# ties inside the search between different parents: after bos, 1 and 3 tie (0.25) above 2
# (0.125); the continuations of 1 and 3 tie again; beam 3 must keep the lower sequences
TIES_PARENTS = probs_table([[0.2] * 5, [0.0625, 0.25, 0.25, 0.25, 0.1875], [0.5, 0.125, 0.125, 0.125, 0.125],
                            [0.0625, 0.25, 0.25, 0.25, 0.1875], [0.25, 0.25, 0.125, 0.25, 0.125]])


def table(t: torch.Tensor) -> dict[str, Any]:
    return {"kind": "table", "table": t}


def random_ids(rng: np.random.Generator, V: int) -> tuple[int, int]:
    bos, eos = (int(v) for v in rng.choice(V, size=2, replace=False))
    return bos, eos


# --- task 1 --------------------------------------------------------------------------------------

def greedy_case(rng: np.random.Generator, case: int) -> Case:
    if case == 0:
        return Case(table(GREEDY_TRAP), None, 3, 0, 1, 4)
    if case == 1:
        return Case(table(GREEDY_TRAP), None, 3, 0, 1, 1)
    V = int(rng.integers(3, 9))
    bos, eos = random_ids(rng, V)
    return Case(table(random_table(rng, V)), None, bos, eos, 1, int(rng.integers(1, 7)))


@pytest.mark.task(1)
@pytest.mark.parametrize("case", range(5))
def test_beam_one_is_greedy(impl, rng, case):
    c = greedy_case(rng, case)
    compare(c.run(impl), greedy_oracle(c), "beam_size = 1")


# --- task 2 --------------------------------------------------------------------------------------

def exhaustive_case(rng: np.random.Generator, case: int) -> Case:
    if case == 0:
        return Case(table(GREEDY_TRAP), None, 3, 0, 4 ** 4, 4)
    V, L = [(4, 3), (3, 4), (4, 4)][case - 1]
    bos, eos = random_ids(rng, V)
    return Case(table(random_table(rng, V)), None, bos, eos, V ** L, L)


@pytest.mark.task(2)
@pytest.mark.parametrize("case", range(4))
def test_wide_beam_is_exhaustive(impl, rng, case):
    c = exhaustive_case(rng, case)
    compare(c.run(impl), exhaustive_oracle(c), f"a beam of {c.beam} over V ** max_len sequences")


# --- task 3 --------------------------------------------------------------------------------------

def narrow_case(rng: np.random.Generator, case: int) -> Case:
    if case == 0:
        return Case(table(KEEP_SLOT), None, 4, 0, 2, 3)
    if case == 1:
        return Case(table(KEEP_SLOT), None, 4, 0, 3, 4)
    if case == 2:
        return Case(table(GREEDY_TRAP), None, 3, 0, 2, 1)     # max_len = 1: open hypotheses only
    if case == 3:
        return Case(table(FLIP), None, 2, 0, 5, 3)            # wider than V at the first step
    V = int(rng.integers(5, 9))
    bos, eos = random_ids(rng, V)
    # max_len <= 3: no two different sequences share their transitions (a bigram table gives
    # such sequences equal scores in exact arithmetic; longer cases are the crafted ones above)
    return Case(table(random_table(rng, V)), None, bos, eos, int(rng.integers(2, 5)), 3)


@pytest.mark.task(3)
@pytest.mark.parametrize("case", range(7))
def test_narrow_beams(impl, ref, rng, case):
    c = narrow_case(rng, case)
    compare(c.run(impl), reference(ref, c), f"a beam of {c.beam}")


# --- task 4 --------------------------------------------------------------------------------------

# HistoryLM tables from fixed generators (not the run's rng): in each, a beam whose state is not
# reordered by parent (row j kept for beam j) returns other hypotheses than the right search.
HISTORY_FIXED = [  # (generator seed, V, R, bos, eos, beam, max_len)
    (10, 4, 23, 1, 0, 2, 5),
    (10, 5, 31, 4, 0, 3, 5),
    (10, 3, 17, 2, 0, 2, 6),
]


def no_eos(logits: torch.Tensor, eos: int) -> torch.Tensor:
    """Log-probabilities with eos 30 nats below the rest: no hypothesis finishes, so this task sees
    the state handling alone (tasks 2 and 3 grade what happens at eos)."""
    logits = logits.clone()
    logits[:, eos] -= 30.0
    return torch.log_softmax(logits, dim=-1)


def history_fixed(i: int) -> Case:
    seed, V, R, bos, eos, beam, max_len = HISTORY_FIXED[i]
    gen = np.random.default_rng(seed)
    return Case({"kind": "history", "table": no_eos(trandn(gen, R, V, scale=1.5), eos)},
                torch.tensor([int(gen.integers(0, R))]), bos, eos, beam, max_len)


def stateful_case(rng: np.random.Generator, case: int) -> Case:
    if case < len(HISTORY_FIXED):
        return history_fixed(case)
    beam = int(rng.integers(2, 5))
    if case == len(HISTORY_FIXED):
        V, R = int(rng.integers(beam + 1, 8)), 41
        bos, eos = random_ids(rng, V)
        return Case({"kind": "history", "table": no_eos(trandn(rng, R, V, scale=1.5), eos)},
                    torch.tensor([int(rng.integers(0, R))]), bos, eos, beam, int(rng.integers(3, 7)))
    V, E, H = int(rng.integers(beam + 1, 8)), int(rng.integers(1, 4)), int(rng.integers(1, 5))
    emb, cell, head = torch.nn.Embedding(V, E).double(), torch.nn.LSTMCell(E, H).double(), torch.nn.Linear(H, V).double()
    bos, eos = random_ids(rng, V)
    with torch.no_grad():
        for p in [*emb.parameters(), *cell.parameters(), *head.parameters()]:
            p.copy_(trandn(rng, *p.shape, scale=1.5))
        head.bias[eos] -= 30.0      # |head.weight @ h| <= 1.5 * 4 * max|w| is far below 30 here
    state = (trandn(rng, 1, H), trandn(rng, 1, H))
    return Case({"kind": "lstm", "emb": emb, "cell": cell, "head": head}, state, bos, eos, beam,
                int(rng.integers(3, 7)))


@pytest.mark.task(4)
@pytest.mark.parametrize("case", range(len(HISTORY_FIXED) + 3))
def test_state_reordered(impl, ref, rng, case):
    c = stateful_case(rng, case)
    compare(c.run(impl), reference(ref, c), f"a beam of {c.beam} over a model with state")


# --- task 5 --------------------------------------------------------------------------------------

def penalty_case(rng: np.random.Generator, case: int) -> Case:
    """Beams as wide as V ** max_len (no hypothesis is ever cut): only the final ranking and the
    scores depend on alpha."""
    if case == 0:
        return Case(table(FLIP), None, 2, 0, 3 ** 3, 3, 1.0)
    if case == 1:
        return Case(table(GREEDY_TRAP), None, 3, 0, 4 ** 3, 3, 0.6)
    V, L = [(3, 3), (4, 3)][case - 2]
    bos, eos = random_ids(rng, V)
    return Case(table(random_table(rng, V)), None, bos, eos, V ** L, L, float(rng.uniform(0.3, 2.0)))


@pytest.mark.task(5)
@pytest.mark.parametrize("case", range(4))
def test_length_penalty(impl, rng, case):
    c = penalty_case(rng, case)
    want = exhaustive_oracle(c)
    if case == 0:
        check([t for t, _ in want[:2]] == [[1, 0], [0]], "grader self-check: the flip table")
    compare(c.run(impl), want, f"alpha = {c.alpha:.2f}")


# --- task 6 --------------------------------------------------------------------------------------

TIE_CASES = [
    Case(table(TIES), None, 4, 0, 2, 2),          # [1] and [2] kept over [3]; [1, 0] before [2, 0]
    Case(table(TIES), None, 4, 0, 1, 3),          # beam 1: the lowest id, 1
    Case(table(TIES), None, 4, 0, 3, 2),          # three tied finished hypotheses, in order
    Case(table(TIES_PARENTS), None, 4, 0, 3, 3),  # ties across parents
]


@pytest.mark.task(6)
@pytest.mark.parametrize("case", range(len(TIE_CASES)))
def test_ties_by_lower_sequence(impl, ref, case):
    c = TIE_CASES[case]
    compare(c.run(impl), reference(ref, c), "tied candidates")
