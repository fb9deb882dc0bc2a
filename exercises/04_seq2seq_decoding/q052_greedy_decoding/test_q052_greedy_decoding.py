"""Public tests for q052: run them with `rnnkit check q052` (or plain pytest on this file).

The step functions are rnnkit.stepfns models (read that module: TableLM, HistoryLM). The probe
rnnkit.probes.step_fn_call builds one next to your code, wraps it in a recorder and calls
greedy_decode(step_fn, *args); it returns your result with the number of step_fn calls and the
tokens fed at each call. The hidden grader uses random tables, LSTM language models, random
special ids, batch sizes and max_len.
"""

import pytest
import torch

from rnnkit.testing import check, expect_dict, expect_tensor, expect_tuple

PAD, BOS, EOS, A = 0, 1, 2, 3   # V = 4: token 3 is an ordinary word


def lm(successors: dict[int, int]) -> torch.Tensor:
    """A (4, 4) log-probability table: after token v the likeliest next token is successors[v]."""
    probs = torch.full((4, 4), 0.1, dtype=torch.float64)
    for v, nxt in successors.items():
        probs[v, nxt] = 0.7
    return probs.log()


def decode(impl, model, init_state, max_len, batch_size):
    out = impl.probe("step_fn_call", impl.function("greedy_decode"), model, init_state, BOS, EOS, PAD,
                     max_len, batch_size)
    out = expect_dict(out, ["value", "calls", "tokens"], "the step-function probe")
    tokens, lengths = expect_tuple(out["value"], 2, "greedy_decode")
    tokens = expect_tensor(tokens, (batch_size, max_len), "tokens", dtype=torch.int64)
    lengths = expect_tensor(lengths, (batch_size,), "lengths", dtype=torch.int64)
    return tokens, lengths, out


def two_rows(impl):
    # row 0's model: bos -> 3 -> eos; row 1's model: bos -> 3 -> 3 -> 3 ... (never eos)
    tables = torch.stack([lm({BOS: A, A: EOS, PAD: A, EOS: A}), lm({BOS: A, A: A, PAD: A, EOS: A})])
    ids = torch.tensor([0, 1])   # the state: which table each row uses (TableLM with a (2, 4, 4) table)
    return decode(impl, {"kind": "table", "table": tables}, ids, max_len=4, batch_size=2)


@pytest.mark.task(1)
def test_argmax_chain_of_two_rows(impl):
    tokens, _, out = two_rows(impl)
    check(tokens[0, :2].tolist() == [3, 2] and tokens[1].tolist() == [3, 3, 3, 3],
          f"tokens are {tokens.tolist()}, expected [3, 2, ...] in row 0 and [3, 3, 3, 3] in row 1 (no bos)")
    fed = [t.tolist() for t in out["tokens"]]
    check(fed[:2] == [[1, 1], [3, 3]], f"the first two calls were fed {fed[:2]}, expected [[1, 1], [3, 3]] "
                                       "(bos first, then the argmax)")


@pytest.mark.task(2)
def test_pad_after_eos_and_lengths(impl):
    tokens, lengths, _ = two_rows(impl)
    check(tokens.tolist() == [[3, 2, 0, 0], [3, 3, 3, 3]],
          f"tokens are {tokens.tolist()}, expected [[3, 2, 0, 0], [3, 3, 3, 3]] (eos kept, pad after it)")
    check(lengths.tolist() == [2, 4], f"lengths are {lengths.tolist()}, expected [2, 4] (the eos counts; "
                                      "a row without eos has length max_len)")


@pytest.mark.task(4)
def test_stops_when_every_row_has_ended(impl):
    # row 0: bos -> 3 -> eos; row 1: bos -> eos at once
    tables = torch.stack([lm({BOS: A, A: EOS, PAD: A, EOS: A}), lm({BOS: EOS, A: A, PAD: A, EOS: A})])
    _, _, out = decode(impl, {"kind": "table", "table": tables}, torch.tensor([0, 1]), max_len=5,
                                  batch_size=2)
    check(out["calls"] == 2, f"step_fn was called {out['calls']} times, expected 2: stop once every row has ended")


@pytest.mark.task(1)
def test_ties_go_to_the_lowest_id(impl):
    probs = torch.full((4, 4), 0.1, dtype=torch.float64)
    probs[BOS, EOS] = probs[BOS, A] = 0.4     # eos (2) and 3 tie after bos
    tokens, _, _ = decode(impl, {"kind": "table", "table": probs.log()}, None, max_len=3, batch_size=1)
    check(tokens[0, 0].item() == 2, f"the first token is {tokens[0, 0].item()}, expected 2 "
          "(a tie goes to the lowest token id)")


@pytest.mark.task(3)
def test_the_state_is_handed_on(impl):
    # HistoryLM: code' = (code * 5 + token + 1) % 7, scores = table[code']. From code 0, feeding
    # bos gives code 2 -> 3; feeding 3 gives code 0 -> 3; feeding 3 gives code 4 -> eos.
    argmax = [A, EOS, A, A, EOS, A, A]
    probs = torch.full((7, 4), 0.1, dtype=torch.float64)
    probs[torch.arange(7), torch.tensor(argmax)] = 0.7
    tokens, _, _ = decode(impl, {"kind": "history", "table": probs.log()}, torch.tensor([0]), max_len=5,
                                batch_size=1)
    check(tokens[0, :3].tolist() == [3, 3, 2], f"the tokens start {tokens[0, :3].tolist()}, expected "
          "[3, 3, 2] (pass the state step_fn returned to the next call)")
