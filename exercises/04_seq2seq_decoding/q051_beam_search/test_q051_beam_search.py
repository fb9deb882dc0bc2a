"""Public tests for q051: run them with `rnnkit check q051` (or plain pytest on this file).

The step functions are rnnkit.stepfns models (TableLM: scores = table[previous token]; HistoryLM:
scores depend on the whole history through the state). The probe rnnkit.probes.step_fn_call
builds one next to your code and calls beam_search(step_fn, *args); it returns your result with
the number of step_fn calls and the tokens fed at each call. Probabilities are written out;
scores are sums of their logs. The hidden grader uses random tables, LSTM language models,
random ids, widths, lengths and alphas, and compares with exhaustive enumeration.
"""

import math

import pytest
import torch

from rnnkit.testing import assert_close, check, expect_dict, expect_tuple

log = math.log


def search(impl, model, init_state, bos, eos, beam_size, max_len, alpha=0.0):
    out = impl.probe("step_fn_call", impl.function("beam_search"), model, init_state, bos, eos, beam_size,
                     max_len, alpha)
    out = expect_dict(out, ["value", "calls", "tokens"], "the step-function probe")
    check(isinstance(out["value"], (list, tuple)), "beam_search should return a list of (tokens, score)")
    result = [expect_tuple(h, 2, "each hypothesis") for h in out["value"]]
    return [(list(toks), score) for toks, score in result], out


def check_result(got, want, what):
    check([t for t, _ in got] == [t for t, _ in want],
          f"{what}: got the hypotheses {[t for t, _ in got]}, expected {[t for t, _ in want]} (best first)")
    for (toks, score), (_, expected) in zip(got, want, strict=True):
        assert_close(torch.tensor(float(score)), torch.tensor(expected), f"the score of {toks}",
                     against="the sum of the log-probabilities (over lp)")


# V = 4: eos = 0, words 1 and 2, bos = 3. Rows are the previous token.
GREEDY_TRAP = torch.tensor([
    [0.25, 0.25, 0.25, 0.25],   # after eos (never used)
    [0.30, 0.26, 0.24, 0.20],   # after 1: eos is likeliest, but only 0.3
    [0.90, 0.04, 0.04, 0.02],   # after 2: eos 0.9
    [0.06, 0.50, 0.40, 0.04],   # after bos: 1 (0.5) beats 2 (0.4)
], dtype=torch.float64).log()


@pytest.mark.task(1)
def test_beam_one_is_greedy(impl):
    got, out = search(impl, {"kind": "table", "table": GREEDY_TRAP}, None, 3, 0, beam_size=1, max_len=3)
    check_result(got, [([1, 0], log(0.5) + log(0.3))], "beam_size = 1")
    check(out["calls"] == 2, f"step_fn was called {out['calls']} times, expected 2 (the search stops once "
                             "the beam has finished)")


@pytest.mark.task(2)
def test_a_beam_of_two_finds_the_better_sequence(impl):
    # step 0 keeps [1] and [2]; step 1: [2, 0] (0.4 * 0.9) and [1, 0] (0.5 * 0.3) are the two best
    # candidates; both finish, the beam is full of finished hypotheses and the search stops
    got, out = search(impl, {"kind": "table", "table": GREEDY_TRAP}, None, 3, 0, beam_size=2, max_len=3)
    check_result(got, [([2, 0], log(0.4) + log(0.9)), ([1, 0], log(0.5) + log(0.3))], "beam_size = 2")
    fed = [t.tolist() for t in out["tokens"]]
    check(fed == [[3], [1, 2]], f"step_fn was fed {fed}, expected [[3], [1, 2]] (bos, then the last token "
                                "of each open hypothesis, best first)")


@pytest.mark.task(3)
def test_open_hypotheses_at_max_len_are_returned(impl):
    # max_len = 1: [1] and [2] never finish; they are returned (1 token, no eos)
    got, _ = search(impl, {"kind": "table", "table": GREEDY_TRAP}, None, 3, 0, beam_size=2, max_len=1)
    check_result(got, [([1], log(0.5)), ([2], log(0.4))], "max_len = 1")


@pytest.mark.task(3)
def test_a_finished_hypothesis_keeps_its_slot(impl):
    # V = 3: eos = 0, word 1, bos = 2. Step 0 keeps [1] (open) and [0] (finished): one slot is
    # left, so step 1 keeps only the best extension of [1], which is [1, 0].
    table = torch.tensor([[1 / 3] * 3, [0.7, 0.18, 0.12], [0.4, 0.55, 0.05]], dtype=torch.float64).log()
    got, out = search(impl, {"kind": "table", "table": table}, None, 2, 0, beam_size=2, max_len=3)
    check_result(got, [([0], log(0.4)), ([1, 0], log(0.55) + log(0.7))], "beam_size = 2")
    check(out["calls"] == 2, f"step_fn was called {out['calls']} times, expected 2")


@pytest.mark.task(4)
def test_the_state_follows_its_hypothesis(impl):
    # HistoryLM: code' = (code * 4 + token + 1) % 11 and scores = table[code'], so a hypothesis
    # fed another hypothesis' state gets other scores. eos = 0, bos = 1, word 2 (V = 3).
    base = [[0.2, 0.5, 0.3], [0.5, 0.3, 0.2], [0.3, 0.2, 0.5], [0.6, 0.1, 0.3], [0.1, 0.3, 0.6]]
    table = torch.tensor([base[(3 * r) % 5] for r in range(11)], dtype=torch.float64).log()
    got, _ = search(impl, {"kind": "history", "table": table}, torch.tensor([0]), 1, 0, beam_size=2, max_len=4)
    # [0]: 0.5 at code 2; [1, 1, 2, 0]: 0.3 (code 2) * 0.5 (code 10) * 0.5 (code 9) * 0.6 (code 6)
    check_result(got, [([0], log(0.5)), ([1, 1, 2, 0], log(0.3) + log(0.5) + log(0.5) + log(0.6))],
                 "beam_size = 2 with a history-dependent model")


@pytest.mark.task(5)
def test_the_length_penalty_flips_the_ranking(impl):
    table = torch.tensor([[1 / 3] * 3, [0.7, 0.18, 0.12], [0.4, 0.55, 0.05]], dtype=torch.float64).log()
    got, _ = search(impl, {"kind": "table", "table": table}, None, 2, 0, beam_size=2, max_len=3, alpha=1.0)
    # lp([0]) = (5 + 1) / 6 = 1, lp([1, 0]) = 7 / 6
    check_result(got, [([1, 0], (log(0.55) + log(0.7)) / (7 / 6)), ([0], log(0.4))], "alpha = 1")


@pytest.mark.task(6)
def test_ties_go_to_the_lower_sequence(impl):
    # V = 5: eos = 0, bos = 4. After bos, 1, 2 and 3 tie (0.25 each): the beam keeps [1] and [2].
    # Then [1, 0] and [2, 0] tie again (0.25 * 0.5): [1, 0] comes first.
    after_word = [0.5, 0.25, 0.125, 0.0625, 0.0625]
    table = torch.tensor([[0.2] * 5, after_word, after_word, after_word, [0.125, 0.25, 0.25, 0.25, 0.125]],
                         dtype=torch.float64).log()
    got, _ = search(impl, {"kind": "table", "table": table}, None, 4, 0, beam_size=2, max_len=2)
    check_result(got, [([1, 0], log(0.125)), ([2, 0], log(0.125))], "tied candidates")
