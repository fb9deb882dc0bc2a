"""Hidden grader for q011_seq2seq_sutskever (never shipped to students).

The oracle is written here from torch's own modules (catalogue G1, errata 8 for the names
src_emb, tgt_emb, encoder, decoder, out): a Python loop reverses each source row within its
length, nn.LSTM encodes it packed (pack_padded_sequence, enforce_sorted=False), the decoder
starts from the encoder's (h_n, c_n) of every layer. The submission is loaded with the oracle's
random state_dict (strict) and called in float64. Source pads hold garbage ids drawn from a set
of ids used nowhere else; lengths are unsorted and include 1 and S. Value tasks call with the
in-place check off; task 1 calls with it on.

Task 1: a fresh Seq2Seq's state_dict has exactly the oracle's keys and shapes (float64), the
        logits are (B, T, tgt_vocab), src, src_len and tgt_in are left unchanged.
Task 2: reverse_source=True (the default): logits equal the oracle's (1e-10). Fixed cases: B = 1,
        S = 1, num_layers 1 to 3, rows of length 1 and of length S.
Task 3: reverse_source=False: logits equal the oracle reading the source in order (1e-10).
Task 4: padding invariance (G6 with errata 20's tolerance): other garbage ids in the source pads
        leave the logits unchanged (rtol 1e-12, atol 1e-14), both settings of reverse_source.
Task 5: state hand-off (G7 through the embedding, errata 60): rnnkit.probes.output_grads with an
        upstream gradient on the step-0 logits only. Token ids cannot be differentiated, so the
        check reads the gradient of src_emb.weight: the rows of the pad-only ids are exactly 0,
        the row of each sequence's last real token (an id unique to it) is nonzero, and every
        parameter's gradient equals the oracle's (1e-10).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence

from rnnkit.fair import ValuesOnly
from rnnkit.testing import assert_close, check, expect_dict, expect_tensor, trandn

# (B, S, T, emb, hidden, layers, src_len)
FIXED = [(1, 1, 1, 1, 1, 1, [1]), (3, 5, 4, 3, 4, 2, [5, 2, 3]), (4, 6, 3, 2, 3, 1, [1, 6, 1, 4]),
         (2, 4, 5, 3, 2, 3, [3, 1]), (3, 3, 2, 2, 2, 2, [1, 1, 3])]
N_CASES = len(FIXED) + 2
SRC_V, TGT_V = 40, 7
COMMON = range(0, 20)     # ids of real source tokens
LAST = range(20, 30)      # the last real token of row b is 20 + b (unique to it)
PADS = range(30, 40)      # garbage ids used only in pads


@pytest.fixture
def impl(impl):
    return ValuesOnly(impl)


class Oracle(nn.Module):
    def __init__(self, E: int, H: int, L: int) -> None:
        super().__init__()
        self.src_emb = nn.Embedding(SRC_V, E)
        self.tgt_emb = nn.Embedding(TGT_V, E)
        self.encoder = nn.LSTM(E, H, L, batch_first=True)
        self.decoder = nn.LSTM(E, H, L, batch_first=True)
        self.out = nn.Linear(H, TGT_V)

    def forward(self, src: torch.Tensor, src_len: torch.Tensor, tgt_in: torch.Tensor, reverse: bool) -> torch.Tensor:
        src = src.clone()
        if reverse:
            for b in range(src.shape[0]):
                n = int(src_len[b])
                src[b, :n] = src[b, :n].flip(0)
        packed = pack_padded_sequence(self.src_emb(src), src_len, batch_first=True, enforce_sorted=False)
        _, state = self.encoder(packed)
        dec, _ = self.decoder(self.tgt_emb(tgt_in), state)
        logits: torch.Tensor = self.out(dec)
        return logits


def case_of(rng: np.random.Generator, case: int) -> tuple[int, int, int, int, int, int, torch.Tensor]:
    if case < len(FIXED):
        B, S, T, E, H, L, lengths = FIXED[case]
        return B, S, T, E, H, L, torch.tensor(lengths, dtype=torch.int64)
    B, S, T = int(rng.integers(2, 5)), int(rng.integers(2, 8)), int(rng.integers(1, 6))
    E, H = (int(v) for v in rng.integers(1, 6, size=2))
    L = int(rng.integers(1, 4))
    values = rng.integers(1, S + 1, size=B)
    values[0] = 1
    values[-1] = S
    return B, S, T, E, H, L, torch.as_tensor(rng.permutation(values), dtype=torch.int64)


def oracle_of(rng: np.random.Generator, E: int, H: int, L: int) -> Oracle:
    oracle = Oracle(E, H, L).double()
    with torch.no_grad():
        for p in oracle.parameters():
            p.copy_(trandn(rng, *p.shape, scale=0.6))
    return oracle


def source(rng: np.random.Generator, src_len: torch.Tensor, S: int) -> torch.Tensor:
    B = src_len.shape[0]
    src = torch.as_tensor(rng.integers(COMMON.start, COMMON.stop, size=(B, S)), dtype=torch.int64)
    for b in range(B):
        n = int(src_len[b])
        src[b, n - 1] = LAST.start + b
        src[b, n:] = torch.as_tensor(rng.integers(PADS.start, PADS.stop, size=S - n), dtype=torch.int64)
    return src


def new_pads(rng: np.random.Generator, src: torch.Tensor, src_len: torch.Tensor) -> torch.Tensor:
    other = src.clone()
    for b in range(src.shape[0]):
        n = int(src_len[b])
        other[b, n:] = torch.as_tensor(rng.integers(PADS.start, PADS.stop, size=src.shape[1] - n), dtype=torch.int64)
    return other


def student(impl: Any, oracle: Oracle, E: int, H: int, L: int, reverse: bool | None) -> Any:
    model = impl.Seq2Seq(SRC_V, TGT_V, E, H, L) if reverse is None else impl.Seq2Seq(SRC_V, TGT_V, E, H, L, reverse)
    model.load_state_dict(oracle.state_dict())
    return model


def logits_of(model: Any, src: torch.Tensor, src_len: torch.Tensor, tgt_in: torch.Tensor) -> torch.Tensor:
    B, T = tgt_in.shape
    return expect_tensor(model(src, src_len, tgt_in), (B, T, TGT_V), "Seq2Seq.forward(src, src_len, tgt_in)",
                         dtype=torch.float64)


def inputs(rng: np.random.Generator, case: int) -> tuple[Any, ...]:
    B, S, T, E, H, L, src_len = case_of(rng, case)
    oracle = oracle_of(rng, E, H, L)
    src = source(rng, src_len, S)
    tgt_in = torch.as_tensor(rng.integers(0, TGT_V, size=(B, T)), dtype=torch.int64)
    return E, H, L, oracle, src, src_len, tgt_in


# --- task 1 -------------------------------------------------------------------------------------

@pytest.mark.task(1)
@pytest.mark.parametrize("case", range(3))
def test_parameters_shapes_and_inputs_unchanged(impl, rng, case):
    E, H, L, oracle, src, src_len, tgt_in = inputs(rng, case + 1)
    model = impl.checked.Seq2Seq(SRC_V, TGT_V, E, H, L)
    want = oracle.state_dict()
    sd = expect_dict(model.state_dict(), list(want), "Seq2Seq.state_dict()")
    for name, value in want.items():
        expect_tensor(sd[name], tuple(value.shape), name, dtype=torch.float64)
    logits_of(model, src, src_len, tgt_in)      # the in-place check is on


# --- tasks 2 and 3 ------------------------------------------------------------------------------

@pytest.mark.task(2)
@pytest.mark.parametrize("case", range(N_CASES))
def test_reversed_source_matches_oracle(impl, rng, case):
    E, H, L, oracle, src, src_len, tgt_in = inputs(rng, case)
    reverse_arg = None if case % 2 == 0 else True
    got = logits_of(student(impl, oracle, E, H, L, reverse_arg), src, src_len, tgt_in)
    with torch.no_grad():
        want = oracle(src, src_len, tgt_in, reverse=True)
    assert_close(got, want, "the logits (reverse_source=True)",
                 against="the reference seq2seq (source reversed within each length, packed encoder)")


@pytest.mark.task(3)
@pytest.mark.parametrize("case", range(1, N_CASES))
def test_source_in_order_matches_oracle(impl, rng, case):
    E, H, L, oracle, src, src_len, tgt_in = inputs(rng, case)
    got = logits_of(student(impl, oracle, E, H, L, False), src, src_len, tgt_in)
    with torch.no_grad():
        want = oracle(src, src_len, tgt_in, reverse=False)
    assert_close(got, want, "the logits (reverse_source=False)", against="the reference seq2seq reading the source in order")


# --- task 4 -------------------------------------------------------------------------------------

@pytest.mark.task(4)
@pytest.mark.parametrize("case", range(1, N_CASES))
def test_garbage_in_source_pads_changes_nothing(impl, rng, case):
    E, H, L, oracle, src, src_len, tgt_in = inputs(rng, case)
    for reverse in (True, False):
        model = student(impl, oracle, E, H, L, reverse)
        first = logits_of(model, src, src_len, tgt_in)
        second = logits_of(model, new_pads(rng, src, src_len), src_len, tgt_in)
        assert_close(second, first, f"the logits after changing only the source pads (reverse_source={reverse})",
                     rtol=1e-12, atol=1e-14, against="the logits before (pads must not matter)")


# --- task 5 -------------------------------------------------------------------------------------

@pytest.mark.task(5)
@pytest.mark.parametrize("case", [1, 2, 3, len(FIXED)])
def test_step0_logits_depend_on_the_source_through_the_state(impl, rng, case):
    E, H, L, oracle, src, src_len, tgt_in = inputs(rng, case)
    B, T = tgt_in.shape
    upstream = torch.zeros(B, T, TGT_V, dtype=torch.float64)
    upstream[:, 0] = trandn(rng, B, TGT_V)                  # only the step-0 logits
    model = student(impl, oracle, E, H, L, True)
    got = expect_dict(impl.probe("output_grads", model, [src, src_len, tgt_in], [upstream]),
                      ["outputs", "inputs", "params"], "the gradient probe")
    params = got["params"]
    want_names = [n for n, _ in oracle.named_parameters()]
    check(isinstance(params, dict) and sorted(params) == sorted(want_names),
          "the model's parameters (named_parameters) should be src_emb, tgt_emb, encoder, decoder and out's")
    oracle.zero_grad()
    (oracle(src, src_len, tgt_in, reverse=True) * upstream).sum().backward()
    g = params["src_emb.weight"]
    check(g is not None, "the step-0 logits get no gradient from the source embedding: "
          "the decoder must start from the encoder's final (h, c)")
    g = expect_tensor(g, (SRC_V, E), "d/d src_emb.weight")
    check(bool((g[PADS.start:PADS.stop] == 0).all()),
          "the step-0 logits depend on source pads: the encoder must stop at each row's last real token")
    for b in range(B):
        check(bool((g[LAST.start + b] != 0).any()),
              "the step-0 logits do not depend on a sequence's last real source token")
    for name, p in oracle.named_parameters():
        grad = params[name]
        check(grad is not None, f"no gradient reaches the parameter {name}")
        assert_close(expect_tensor(grad, tuple(p.shape), f"d/d{name}"), p.grad,
                     f"the gradient of the step-0 logits with respect to {name}", against="the reference seq2seq")
