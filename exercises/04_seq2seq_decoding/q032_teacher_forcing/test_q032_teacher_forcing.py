"""Public tests for q032: run them with `rnnkit check q032` (or plain pytest on this file).

teacher_forced_logits is called through the probe rnnkit.probes.step_fn_call with an
rnnkit.stepfns model (TableLM: scores = table[previous token]; HistoryLM: scores depend on the
state); the probe returns your result with the number of step_fn calls and the tokens fed at
each call. The hidden grader uses random sizes, ids, garbage in the padding and LSTM models.
"""

import pytest
import torch

from rnnkit.testing import assert_close, check, expect_dict, expect_tensor, expect_tuple

BOS, EOS, PAD = 1, 2, 0


@pytest.mark.task(1)
def test_decoder_io(impl):
    tgt = torch.tensor([[5, 6, 7], [8, -100, 99], [4, 4, 4]])   # lengths 3, 1, 0: the rest is padding
    out = expect_tuple(impl.make_decoder_io(tgt, torch.tensor([3, 1, 0]), BOS, EOS, PAD), 2, "make_decoder_io")
    dec_in = expect_tensor(out[0], (3, 4), "dec_in", dtype=torch.int64)
    dec_out = expect_tensor(out[1], (3, 4), "dec_out", dtype=torch.int64)
    check(dec_in.tolist() == [[1, 5, 6, 7], [1, 8, 0, 0], [1, 0, 0, 0]],
          f"dec_in is {dec_in.tolist()}, expected [[1, 5, 6, 7], [1, 8, 0, 0], [1, 0, 0, 0]]")
    check(dec_out.tolist() == [[5, 6, 7, 2], [8, 2, 0, 0], [2, 0, 0, 0]],
          f"dec_out is {dec_out.tolist()}, expected [[5, 6, 7, 2], [8, 2, 0, 0], [2, 0, 0, 0]]")


TABLE = torch.log_softmax(torch.arange(16, dtype=torch.float64).reshape(4, 4).sin(), dim=-1)


@pytest.mark.task(2)
def test_outputs_are_the_stacked_steps(impl):
    dec_in = torch.tensor([[1, 3, 0], [1, 2, 3]])
    out = impl.probe("step_fn_call", impl.function("teacher_forced_logits"), {"kind": "table", "table": TABLE},
                     None, dec_in)
    out = expect_dict(out, ["value", "calls", "tokens"], "the step-function probe")
    logits = expect_tensor(out["value"], (2, 3, 4), "teacher_forced_logits", dtype=torch.float64)
    assert_close(logits, TABLE[dec_in], "the stacked log-probs", against="table[dec_in[:, t]] at step t")


@pytest.mark.task(2)
def test_the_state_is_handed_on(impl):
    # HistoryLM: code' = (code * 5 + token + 1) % 3, scores = table[code']; from code 0, feeding
    # 1, 3, 3 visits the codes 2, (2 * 5 + 4) % 3 = 2 and 2 again
    table = torch.log(torch.tensor([[0.7, 0.1, 0.1, 0.1], [0.1, 0.7, 0.1, 0.1], [0.1, 0.1, 0.7, 0.1]],
                                   dtype=torch.float64))
    out = impl.probe("step_fn_call", impl.function("teacher_forced_logits"), {"kind": "history", "table": table},
                     torch.tensor([0]), torch.tensor([[1, 3, 3]]))
    logits = expect_tensor(out["value"], (1, 3, 4), "teacher_forced_logits", dtype=torch.float64)
    assert_close(logits[0], table[[2, 2, 2]], "the stacked log-probs", against="the rows of codes 2, 2, 2")


@pytest.mark.task(3)
def test_gold_columns_fed_once_each(impl):
    dec_in = torch.tensor([[1, 3, 0, 0], [1, 2, 3, 3]])
    out = impl.probe("step_fn_call", impl.function("teacher_forced_logits"), {"kind": "table", "table": TABLE},
                     None, dec_in)
    fed = [t.tolist() for t in out["tokens"]]
    check(out["calls"] == 4, f"step_fn was called {out['calls']} times, expected 4 (one per column of dec_in)")
    check(fed == [[1, 1], [3, 2], [0, 3], [0, 3]], f"step_fn was fed {fed}, expected the columns of dec_in")


@pytest.mark.task(4)
def test_tgt_left_unchanged(impl):
    impl.make_decoder_io(torch.tensor([[5, 6], [7, -1]]), torch.tensor([2, 1]), BOS, EOS, PAD)
