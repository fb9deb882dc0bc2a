"""Public tests for q035: run them with `rnnkit check q035` (or plain pytest on this file).

sample is called through the probe rnnkit.probes.step_fn_call with an rnnkit.stepfns.TableLM
(scores = table[previous token]); the probe returns your result with the number of step_fn
calls and the tokens fed at each call. The hidden grader uses random texts, streams, tables,
LSTM models, temperatures and generator states.
"""

import pytest
import torch

from rnnkit.testing import check, expect_tensor, expect_tuple


@pytest.mark.task(1)
def test_vocab_and_encode(impl):
    stoi, itos = expect_tuple(impl.build_char_vocab("hello world"), 2, "build_char_vocab")
    check(itos == [" ", "d", "e", "h", "l", "o", "r", "w"], f"itos is {itos}, expected the sorted distinct characters")
    check(stoi == {" ": 0, "d": 1, "e": 2, "h": 3, "l": 4, "o": 5, "r": 6, "w": 7}, f"stoi is {stoi}")
    ids = expect_tensor(impl.encode("hello", stoi), (5,), "encode('hello')", dtype=torch.int64)
    check(ids.tolist() == [3, 2, 4, 4, 5], f"encode('hello') is {ids.tolist()}, expected [3, 2, 4, 4, 5]")


@pytest.mark.task(2)
def test_batches(impl):
    # 10 ids, B = 2: n = 9 // 2 = 4; lanes [0 1 2 3] and [4 5 6 7], targets shifted by one
    batches = impl.make_char_batches(torch.arange(10), 2, 3)
    check(isinstance(batches, list) and len(batches) == 2, "expected 2 batches (windows of 3 and then 1 columns)")
    got = [(expect_tuple(b, 2, "a batch")[0].tolist(), b[1].tolist()) for b in batches]
    want = [([[0, 1, 2], [4, 5, 6]], [[1, 2, 3], [5, 6, 7]]), ([[3], [7]], [[4], [8]])]
    check(got == want, f"the batches are {got}, expected {want}")
    with pytest.raises(ValueError):
        impl.make_char_batches(torch.arange(2), 2, 3)     # fewer than B + 1 ids


def run_sample(impl, table, start, n, temperature, seed):
    g = torch.Generator().manual_seed(seed)
    out = impl.probe("step_fn_call", impl.function("sample"), {"kind": "table", "table": table}, None, start, n,
                     temperature, g)
    return out["value"], [t.tolist() for t in out["tokens"]]


@pytest.mark.task(3)
def test_sample_replays_the_generator(impl):
    # every row is log [0.5, 0.25, 0.25]; from torch.Generator().manual_seed(5) the draws of
    # torch.multinomial(probs, 1, generator=g) are 1, 0, 0, 0 (at temperature 1) and
    # 1, 0, 0, 2 at temperature 2 (probs = softmax(log p / 2) = [0.4142, 0.2929, 0.2929])
    table = torch.tensor([[0.5, 0.25, 0.25]] * 3, dtype=torch.float64).log()
    got, fed = run_sample(impl, table, 2, 4, 1.0, seed=5)
    check(got == [1, 0, 0, 0], f"sample at temperature 1 gave {got}, expected [1, 0, 0, 0]")
    check(fed == [[2], [1], [0], [0]], f"step_fn was fed {fed}, expected [[2], [1], [0], [0]] (start_id first)")
    got, _ = run_sample(impl, table, 2, 4, 2.0, seed=5)
    check(got == [1, 0, 0, 2], f"sample at temperature 2 gave {got}, expected [1, 0, 0, 2]")


@pytest.mark.task(4)
def test_tiny_temperature_is_greedy(impl):
    table = torch.tensor([[0.2, 0.3, 0.5], [0.4, 0.35, 0.25], [0.3, 0.45, 0.25]], dtype=torch.float64).log()
    got, _ = run_sample(impl, table, 0, 5, 1e-8, seed=1)
    check(got == [2, 1, 0, 2, 1], f"sample at temperature 1e-8 gave {got}, expected the argmax chain [2, 1, 0, 2, 1]")
