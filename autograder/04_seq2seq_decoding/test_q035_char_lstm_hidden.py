"""Hidden grader for q035_char_lstm (never shipped to students).

build_char_vocab, encode and make_char_batches are called directly (values in and out, the
in-place check off: fair.ValuesOnly). sample is called through the probe
rnnkit.probes.step_fn_call with a model spec (rnnkit.stepfns TableLM, LSTMLM from random
weights) and a torch.Generator that crosses as its state; the grader replays the documented draw
(torch.multinomial(softmax(log_probs[0] / temperature), 1, generator)) from a copy of it.

Task 1: build_char_vocab: itos == sorted(set(text)), stoi its inverse; encode exact int64 ids and
        the round trip through itos; fixed texts (one character, repeats, punctuation, non-ASCII,
        upper before lower case) and random ones; encode of a character missing from stoi
        raises KeyError (after a valid call).
Task 2: make_char_batches equals an index oracle (exact): n divisible by seq_len or not,
        seq_len > n, B = 1, exactly B + 1 ids, a tail that is dropped, random streams; every
        batch's y is its x shifted by one within the stream; ValueError for fewer than B + 1 ids
        and for seq_len = 0 (after a valid call).
Task 3: sample equals the replay (exact ids), temperatures in [0.3, 3], TableLM, HistoryLM and
        LSTMLM (the state handed on), n = 1 and random n; the Recorder saw start_id first, then each
        sampled id, n calls.
Task 4: at temperature 1e-8 sample equals the greedy argmax chain (TableLM with a margin of at
        least 0.1 between the best and second-best next token, HistoryLM, LSTMLM).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

from rnnkit import stepfns
from rnnkit.fair import ValuesOnly
from rnnkit.testing import (
    check,
    expect_dict,
    expect_tensor,
    expect_tuple,
    random_lstm_lm,
    torch_generator,
    trandn,
)


@pytest.fixture
def impl(impl):
    return ValuesOnly(impl)


# --- task 1 --------------------------------------------------------------------------------------

TEXTS = ["a", "aaaa", "hello, world!", "Zebra zoo ABC abc", "naïve café – déjà vu", "1+1=2\n2*2=4\n", "ba"]
ALPHABET = list("abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123456789 .,;:!?-\n") + ["é", "ß", "λ", "中"]


def a_text(rng: np.random.Generator, case: int) -> str:
    if case < len(TEXTS):
        return TEXTS[case]
    k = int(rng.integers(1, 15))
    letters = rng.choice(len(ALPHABET), size=k, replace=False)
    return "".join(ALPHABET[int(i)] for i in rng.choice(letters, size=int(rng.integers(1, 60))))


@pytest.mark.task(1)
@pytest.mark.parametrize("case", range(len(TEXTS) + 3))
def test_vocab_and_encode(impl, rng, case):
    text = a_text(rng, case)
    stoi, itos = expect_tuple(impl.build_char_vocab(text), 2, "build_char_vocab")
    check(isinstance(itos, list) and itos == sorted(set(text)),
          "itos should be the list of the distinct characters in sorted order")
    check(isinstance(stoi, dict) and stoi == {ch: i for i, ch in enumerate(itos)}, "stoi should map itos[i] to i")
    ids = expect_tensor(impl.encode(text, stoi), (len(text),), "encode(text, stoi)", dtype=torch.int64)
    check(ids.tolist() == [stoi[ch] for ch in text], "encode should give stoi[ch] for every character, in order")
    check("".join(itos[i] for i in ids.tolist()) == text, "decoding the ids through itos should give the text back")


@pytest.mark.task(1)
def test_unknown_character_raises(impl):
    stoi = {"a": 0, "b": 1}
    check(impl.encode("ab", stoi).tolist() == [0, 1], "encode('ab', {'a': 0, 'b': 1}) should be [0, 1]")
    with pytest.raises(KeyError):
        impl.encode("abc", stoi)


# --- task 2 --------------------------------------------------------------------------------------

def batches_oracle(ids: torch.Tensor, B: int, seq_len: int) -> list[tuple[list[list[int]], list[list[int]]]]:
    n = (len(ids) - 1) // B
    out = []
    for s in range(0, n, seq_len):
        e = min(s + seq_len, n)
        x = [[int(ids[b * n + j]) for j in range(s, e)] for b in range(B)]
        y = [[int(ids[b * n + j + 1]) for j in range(s, e)] for b in range(B)]
        out.append((x, y))
    return out


BATCH_FIXED = [  # (len(ids), B, seq_len)
    (13, 3, 2), (13, 3, 4), (10, 2, 3), (9, 4, 5), (7, 1, 3), (5, 4, 1), (5, 4, 3), (21, 5, 2), (30, 4, 7),
]


@pytest.mark.task(2)
@pytest.mark.parametrize("case", range(len(BATCH_FIXED) + 3))
def test_batches(impl, rng, case):
    if case < len(BATCH_FIXED):
        N, B, seq_len = BATCH_FIXED[case]
    else:
        B, seq_len = int(rng.integers(1, 6)), int(rng.integers(1, 9))
        N = int(rng.integers(B + 1, 60))
    ids = torch.from_numpy(rng.integers(0, 50, size=N))
    got = impl.make_char_batches(ids, B, seq_len)
    want = batches_oracle(ids, B, seq_len)
    check(isinstance(got, list), "make_char_batches should return a list of (x, y) pairs")
    check(len(got) == len(want), f"expected {len(want)} batches, got {len(got)}: windows of seq_len columns over "
                                 "n = (len(ids) - 1) // batch_size columns, the last one shorter")
    for k, (pair, (wx, wy)) in enumerate(zip(got, want, strict=True)):
        x, y = expect_tuple(pair, 2, f"batch {k}")
        x = expect_tensor(x, (B, len(wx[0])), f"x of batch {k}", dtype=torch.int64)
        y = expect_tensor(y, (B, len(wy[0])), f"y of batch {k}", dtype=torch.int64)
        check(x.tolist() == wx, f"x of batch {k} is not lane b = ids[b*n:(b+1)*n] cut at the window's columns")
        check(y.tolist() == wy, f"y of batch {k} is not the inputs shifted by one (the next id of the stream)")


@pytest.mark.task(2)
def test_batches_raise(impl, rng):
    ids = torch.from_numpy(rng.integers(0, 9, size=4))
    check(len(impl.make_char_batches(ids, 3, 1)) == 1, "4 ids with batch_size 3 give n = 1: one batch")
    for args in ((ids, 4, 1), (ids[:1], 1, 1), (ids, 1, 0)):
        with pytest.raises(ValueError):
            impl.make_char_batches(*args)


# --- tasks 3 and 4: sampling ---------------------------------------------------------------------

def replay(spec: dict[str, Any], state: Any, start: int, n: int, temperature: float,
           g: torch.Generator) -> list[int]:
    model, tok, out = stepfns.build(spec), start, []
    for _ in range(n):
        scores, state = model(torch.tensor([tok]), state)
        probs = torch.softmax(scores[0] / temperature, dim=-1)
        tok = int(torch.multinomial(probs, 1, generator=g))
        out.append(tok)
    return out


def greedy(spec: dict[str, Any], state: Any, start: int, n: int) -> list[int]:
    model, tok, out = stepfns.build(spec), start, []
    for _ in range(n):
        scores, state = model(torch.tensor([tok]), state)
        tok = int(torch.argmax(scores[0]))
        out.append(tok)
    return out


def model_case(rng: np.random.Generator, kind: str, V: int) -> tuple[dict[str, Any], Any]:
    if kind == "table":
        return {"kind": "table", "table": torch.log_softmax(trandn(rng, V, V, scale=1.5), dim=-1)}, None
    if kind == "history":
        return ({"kind": "history", "table": torch.log_softmax(trandn(rng, 61, V, scale=1.5), dim=-1)},
                torch.tensor([int(rng.integers(0, 61))]))
    E, H = int(rng.integers(1, 4)), int(rng.integers(1, 5))
    lm = random_lstm_lm(rng, V, E, H, scale=1.0)
    return lm, (trandn(rng, 1, H), trandn(rng, 1, H))


def call_sample(impl: Any, spec: dict[str, Any], state: Any, start: int, n: int, temperature: float,
                g: torch.Generator) -> tuple[list[int], list[torch.Tensor]]:
    out = impl.probe("step_fn_call", impl.function("sample"), spec, state, start, n, temperature, g)
    out = expect_dict(out, ["value", "calls", "tokens"], "the step-function probe")
    got = out["value"]
    check(isinstance(got, list) and all(isinstance(v, int) for v in got), "sample should return a list of ints")
    check(len(got) == n, f"sample should return n = {n} ids (start_id not included), got {len(got)}")
    return got, out["tokens"]


@pytest.mark.task(3)
@pytest.mark.parametrize("case", range(6))
def test_sample_replays_multinomial(impl, rng, case):
    kind = ["table", "lstm", "history"][case % 3]
    V = int(rng.integers(3, 10))
    spec, state = model_case(rng, kind, V)
    start, n = int(rng.integers(0, V)), (1 if case == 0 else int(rng.integers(15, 25)))
    temperature = float(rng.uniform(0.3, 3.0)) if case > 1 else [1.0, 2.5][case]
    g = torch_generator(rng)
    twin = torch.Generator()
    twin.set_state(g.get_state())
    want = replay(spec, state, start, n, temperature, twin)
    got, fed = call_sample(impl, spec, state, start, n, temperature, g)
    check(got == want, "the sampled ids differ from a replay of the generator: draw "
                       "torch.multinomial(torch.softmax(log_probs[0] / temperature, dim=-1), 1, generator=generator) "
                       "once per step, feeding the sampled id back")
    check([t.tolist() for t in fed] == [[v] for v in [start, *want[:-1]]],
          "step_fn should be fed start_id first, then each sampled id, once per step")


@pytest.mark.task(4)
@pytest.mark.parametrize("case", range(4))
def test_tiny_temperature_is_greedy(impl, rng, case):
    V = int(rng.integers(3, 10))
    spec, state = model_case(rng, ["table", "table", "history", "lstm"][case], V)
    if spec["kind"] == "table":                  # a margin: the greedy token is never a near-tie
        logits = trandn(rng, V, V, scale=1.5)
        best = logits.argmax(dim=-1)
        logits[torch.arange(V), best] += 0.1
        spec = {"kind": "table", "table": torch.log_softmax(logits, dim=-1)}
    start, n = int(rng.integers(0, V)), int(rng.integers(3, 15))
    want = greedy(spec, state, start, n)
    got, _ = call_sample(impl, spec, state, start, n, 1e-8, torch_generator(rng))
    check(got == want, "at temperature 1e-8 sample should pick the argmax at every step (greedy decoding)")
