"""Public tests for q055: run them with `rnnkit check q055` (or plain pytest on this file).

pointer_greedy_decode gets its score_fn from rnnkit.callables, built next to your code by the
probe "callable_call", which also records every call score_fn receives:
    impl.probe("callable_call", impl.function("pointer_greedy_decode"), "table_scores",
               {"table": table}, [n, batch_size])
calls pointer_greedy_decode(TableScoreFn(table), n, batch_size) and returns
{"value": what it returned, "calls": [[prev_idx, chosen_mask] of each call]}.
The hidden grader uses random sizes and tables and checks every call.
"""

import pytest
import torch

from rnnkit.testing import assert_close, check, expect_tensor, expect_tuple

F64 = torch.float64
NEG = float("-inf")


def decode(impl, name, spec, n, B):
    out = impl.probe("callable_call", impl.function("pointer_greedy_decode"), name, spec, [n, B])
    indices, log_probs = expect_tuple(out["value"], 2, "pointer_greedy_decode")
    return (expect_tensor(indices, (B, n), "indices", dtype=torch.int64),
            expect_tensor(log_probs, (B, n, n), "log_probs", finite=False), out["calls"])


@pytest.mark.task(1)
def test_log_probs_worked_example(impl):
    scores = torch.tensor([[1.0, 2.0, 3.0], [0.5, -0.5, 0.0]], dtype=F64)
    mask = torch.tensor([[False, True, False], [False, False, False]])
    got = expect_tensor(impl.pointer_log_probs(scores, mask), (2, 3), "pointer_log_probs", finite=False)
    check(got[0, 1] == NEG, "a chosen position must get log-probability -inf (probability exactly 0)")
    # row 0: log-softmax of [1, 3] over the two unchosen positions; row 1: of all three
    want = torch.tensor([[-2.1269280110429727, 0.0, -0.1269280110429726],
                         [-0.6802696706417346, -1.6802696706417346, -1.1802696706417346]], dtype=F64)
    keep = ~mask
    assert_close(got[keep], want[keep], "log_probs at the unchosen positions", against="the worked example")


@pytest.mark.task(1)
def test_large_scores_stay_finite(impl):
    scores = torch.tensor([[1e4, -1e4, 0.0]], dtype=F64)
    got = expect_tensor(impl.pointer_log_probs(scores, torch.tensor([[False, False, True]])), (1, 3),
                        "pointer_log_probs", finite=False)
    assert_close(got[0, :2], torch.tensor([0.0, -2e4], dtype=F64), "log_probs for scores of +-1e4",
                 against="[0, -2e4]")


@pytest.mark.task(2)
def test_sort_ascending(impl):
    values = torch.tensor([[0.3, -1.0, 2.0, 0.0], [5.0, 4.0, 3.0, 6.0]], dtype=F64)
    indices, _, _ = decode(impl, "sort_scores", {"values": values}, 4, 2)
    check(indices.tolist() == [[1, 3, 0, 2], [2, 1, 0, 3]],
          f"a score function of -values should make greedy decoding sort each row ascending; got {indices.tolist()}")


@pytest.mark.task(3)
def test_table_worked_example(impl):
    # row 0 scores the first step; row j + 1 the step after position j was chosen
    table = torch.tensor([[[0.0, 1.0, 2.0], [5.0, 0.0, 1.0], [0.0, 0.0, 0.0], [3.0, 4.0, 0.0]]], dtype=F64)
    indices, log_probs, calls = decode(impl, "table_scores", {"table": table}, 3, 1)
    check(indices.tolist() == [[2, 1, 0]], f"expected the positions [[2, 1, 0]], got {indices.tolist()}")
    check(len(calls) == 3, f"score_fn should be called once per step (3 times), it was called {len(calls)} times")
    check([c[0].tolist() for c in calls] == [[-1], [2], [1]],
          f"prev_idx should be [-1], [2], [1] at the three calls, got {[c[0].tolist() for c in calls]}")
    check([c[1].tolist() for c in calls] == [[[False, False, False]], [[False, False, True]], [[False, True, True]]],
          "chosen_mask at each call should mark the positions chosen before that step")
    want = torch.tensor([[[-2.4076059644443806, -1.4076059644443804, -0.4076059644443804],
                          [-1.3132616875182228, -0.31326168751822286, NEG], [0.0, NEG, NEG]]], dtype=F64)
    check(bool((log_probs.isinf() == want.isinf()).all()), "log_probs should be -inf exactly at the positions chosen earlier")
    assert_close(log_probs[~want.isinf()], want[~want.isinf()], "log_probs", against="the worked example")


@pytest.mark.task(4)
def test_rows_are_permutations(impl):
    table = torch.zeros(2, 6, 5, dtype=F64)        # all scores tie: the lowest free index wins
    indices, log_probs, _ = decode(impl, "table_scores", {"table": table}, 5, 2)
    check(indices.tolist() == [[0, 1, 2, 3, 4]] * 2, f"with tied scores expect 0, 1, 2, 3, 4; got {indices.tolist()}")
    check(bool((log_probs[:, 4, :4].exp() == 0).all()), "positions chosen earlier must get probability exactly 0")


@pytest.mark.task(5)
def test_arguments_unchanged(impl):
    scores = torch.tensor([[1.0, 2.0, 3.0]], dtype=F64)
    mask = torch.tensor([[False, True, False]])
    impl.pointer_log_probs(scores, mask)
    check(torch.equal(scores, torch.tensor([[1.0, 2.0, 3.0]], dtype=F64)), "pointer_log_probs changed scores in place")
