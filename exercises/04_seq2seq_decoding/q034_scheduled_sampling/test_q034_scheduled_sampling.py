"""Public tests for q034: run them with `rnnkit check q034` (or plain pytest on this file).

The step function is an rnnkit.stepfns.TableLM: scores = table[previous token]. The probe
rnnkit.probes.step_fn_call builds it next to your code and calls your function with it; it
returns your result with the number of step_fn calls and the tokens fed at each call. The hidden
grader replays random generators on random tables and LSTM models.
"""

import math

import pytest
import torch

from rnnkit.testing import assert_close, check, expect_dict, expect_tensor

BOS = 3
TABLE = torch.tensor([                      # rows = previous token; V = 4
    [0.1, 0.3, 0.3, 0.3],                   # after 0: argmax 1
    [0.5, 0.1, 0.3, 0.1],                   # after 1: argmax 0
    [0.2, 0.2, 0.2, 0.4],                   # after 2: argmax 3
    [0.1, 0.6, 0.2, 0.1],                   # after bos (3): argmax 1
], dtype=torch.float64).log()
TGT = torch.tensor([[1, 2, 0], [2, 3, 1]])


def mix(impl, p_teacher, seed):
    g = torch.Generator().manual_seed(seed)
    out = impl.probe("step_fn_call", impl.function("scheduled_sampling_logits"), {"kind": "table", "table": TABLE},
                     None, TGT, BOS, p_teacher, g)
    out = expect_dict(out, ["value", "calls", "tokens"], "the step-function probe")
    logits = expect_tensor(out["value"], (2, 3, 4), "scheduled_sampling_logits", dtype=torch.float64)
    return logits, [t.tolist() for t in out["tokens"]]


@pytest.mark.task(1)
def test_schedules(impl):
    cases = [((3, "linear", 1.0, 0.1, 0.05), 0.7), ((20, "linear", 1.0, 0.1, 0.05), 0.05),
             ((2, "exponential", 0.9), 0.81), ((0, "inverse_sigmoid", 5.0), 5 / 6),
             ((5, "inverse_sigmoid", 5.0), 5 / (5 + math.e))]
    for args, want in cases:
        got = impl.teacher_prob(*args)
        check(isinstance(got, float), f"teacher_prob{args} should return a float, got {type(got).__name__}")
        assert_close(torch.tensor(got), torch.tensor(want), f"teacher_prob{args}", rtol=1e-14,
                     against="the schedule's formula")
    with pytest.raises(ValueError):
        impl.teacher_prob(1, "cosine", 1.0)


@pytest.mark.task(2)
def test_the_draws_pick_gold_or_greedy(impl):
    # torch.Generator().manual_seed(7): torch.rand(2, dtype=float64) gives [0.2794, 0.2737] at
    # step 1 (both < 0.7: gold) and [0.8621, 0.6567] at step 2 (row 0 >= 0.7: the model's argmax
    # after 1, which is 0; row 1 < 0.7: gold tgt[1, 1] = 3)
    logits, fed = mix(impl, 0.7, seed=7)
    check(fed == [[3, 3], [1, 2], [0, 3]], f"step_fn was fed {fed}, expected [[3, 3], [1, 2], [0, 3]]")
    want = torch.stack([TABLE[[3, 1, 0]], TABLE[[3, 2, 3]]])
    assert_close(logits, want, "the stacked log-probs", against="the rows of the table for the fed tokens")


@pytest.mark.task(3)
def test_p_one_and_p_zero(impl):
    _, fed = mix(impl, 1.0, seed=1)
    check(fed == [[3, 3], [1, 2], [2, 3]], f"with p_teacher = 1 step_fn was fed {fed}, expected the gold "
                                           "previous tokens [[3, 3], [1, 2], [2, 3]]")
    _, fed = mix(impl, 0.0, seed=1)
    check(fed == [[3, 3], [1, 1], [0, 0]], f"with p_teacher = 0 step_fn was fed {fed}, expected the model's own "
                                           "argmax [[3, 3], [1, 1], [0, 0]]")


@pytest.mark.task(4)
def test_about_half_gold(impl):
    # after any token the argmax is token 0, which is never gold here: a gold input is visible
    table = torch.tensor([[0.7, 0.1, 0.1, 0.1]] * 4, dtype=torch.float64).log()
    tgt = torch.full((100, 41), 2)
    g = torch.Generator().manual_seed(3)
    out = impl.probe("step_fn_call", impl.function("scheduled_sampling_logits"), {"kind": "table", "table": table},
                     None, tgt, BOS, 0.5, g)
    fed = torch.stack(out["tokens"][1:])                 # (40, 100): 4000 draws
    frac = float((fed == 2).double().mean())
    check(abs(frac - 0.5) < 5 * math.sqrt(0.25 / 4000), f"{frac:.3f} of the inputs were gold, expected about 0.5")
