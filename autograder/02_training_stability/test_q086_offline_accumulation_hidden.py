"""Hidden grader for q086_offline_accumulation (never shipped to students).

The model is rnnkit.probes.TinyLM (errata 31): the grader sends its Embedding, LSTM and Linear
(float64, random weights) and the probe ``tiny_lm_call`` builds it next to the submission, calls
the function and reports the returned dict, the parameters and .grad afterwards, and the batch
size of every forward call. X and Y hold random valid ids everywhere, pads included (garbage
that a missing mask picks up). The fixed ragged cases give the micro-batches different token
counts for every micro_batch tried, so averaging micro-batch losses is always wrong there
(the catalogue's regression).

Task 1: full_batch_grad equals the reference gradient of the token-mean masked cross-entropy
        (rtol 1e-10, atol 1e-12; every name of named_parameters, each of its parameter's shape),
        on ragged batches, full-length batches, all-length-1 batches and B = 1 with padding.
Task 2: accumulated_grad, micro_batch in {1, 2, 3, B, B + 2} (and 4 where B > 4), equals the
        reference full-batch gradient (rtol 1e-10, atol 1e-12).
Task 3: accumulated_grad (micro_batch 2 and 3) calls the model once per micro-batch, on
        consecutive slices of micro_batch rows: forward batch sizes [m, m, ..., B - m * (k - 1)],
        in that order.
Task 4: after either function every parameter is bitwise unchanged, every .grad is None and X, Y,
        lengths are unchanged (the probe hands the function copies and reports writes into them,
        so no other task is charged for them).
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pytest
import torch
from torch import nn

from rnnkit.probes import TinyLM
from rnnkit.testing import assert_close, check, expect_dict, expect_tensor, trandn

# (V, E, H, num_layers, T, lengths): ragged so micro-batch token counts always differ
FIXED = [
    (5, 3, 4, 1, 5, [1, 5, 2, 4, 3]),
    (4, 2, 3, 2, 6, [3, 3, 1, 6, 2, 6]),
    (3, 2, 2, 1, 4, [4, 4, 4]),            # no padding at all
    (6, 3, 2, 1, 3, [1, 1, 1, 1]),         # one token per sequence
    (4, 2, 3, 1, 3, [2]),                  # B = 1, one pad
]
N_CASES = len(FIXED) + 2


def case_setup(rng: np.random.Generator, case: int) -> tuple[tuple[nn.Module, ...], torch.Tensor, torch.Tensor,
                                                             torch.Tensor]:
    if case < len(FIXED):
        V, E, H, L, T, lens = FIXED[case]
    else:
        V, E, H = int(rng.integers(2, 8)), int(rng.integers(1, 5)), int(rng.integers(1, 5))
        L, T, B = int(rng.integers(1, 3)), int(rng.integers(2, 7)), int(rng.integers(2, 7))
        lens = [int(v) for v in rng.integers(1, T + 1, size=B)]
        lens[int(rng.integers(0, B))] = T
    emb, lstm, head = nn.Embedding(V, E).double(), nn.LSTM(E, H, L, batch_first=True).double(), nn.Linear(H, V).double()
    with torch.no_grad():
        for p in [*emb.parameters(), *lstm.parameters(), *head.parameters()]:
            p.copy_(trandn(rng, *p.shape, scale=0.7))
    B = len(lens)
    X = torch.from_numpy(rng.integers(0, V, size=(B, T)))
    Y = torch.from_numpy(rng.integers(0, V, size=(B, T)))
    for b, n in enumerate(lens):  # the first pad of a row is never id 0 (zeroing pads is a write)
        if n < T:
            X[b, n] = V - 1
    return (emb, lstm, head), X, Y, torch.tensor(lens, dtype=torch.int64)


def micro_sizes(B: int) -> list[int]:
    return sorted({1, 2, 3, B, B + 2} | ({4} if B > 4 else set()))


def run(impl: Any, fn: str, mods: tuple[nn.Module, ...], X: torch.Tensor, Y: torch.Tensor, lengths: torch.Tensor,
        *args: Any) -> dict[str, Any]:
    out = impl.probe("tiny_lm_call", impl.function(fn), *mods, X, Y, lengths, *args)
    return expect_dict(out, ["value", "params", "grads", "forward_batches", "inputs_changed"], "the TinyLM probe")


def reference(ref: Any, mods: tuple[nn.Module, ...], X: torch.Tensor, Y: torch.Tensor,
              lengths: torch.Tensor) -> tuple[TinyLM, dict[str, torch.Tensor]]:
    model = TinyLM(*(copy.deepcopy(m) for m in mods))
    return model, ref.full_batch_grad(model, X.clone(), Y.clone(), lengths.clone())


def check_grads(got: Any, want: dict[str, torch.Tensor], model: TinyLM, fn: str, against: str) -> None:
    grads = expect_dict(got, list(want), f"{fn}(...) (one entry per name of model.named_parameters())")
    shapes = {n: tuple(p.shape) for n, p in model.named_parameters()}
    for name, w in want.items():
        g = expect_tensor(grads[name], shapes[name], f"{fn}(...)[{name!r}]", dtype=torch.float64)
        assert_close(g, w, f"the gradient of {name} from {fn}", against=against)


# --- task 1 -------------------------------------------------------------------------------------

@pytest.mark.task(1)
@pytest.mark.parametrize("case", range(N_CASES))
def test_full_batch_grad(impl, ref, rng, case):
    mods, X, Y, lengths = case_setup(rng, case)
    out = run(impl, "full_batch_grad", mods, X, Y, lengths)
    model, want = reference(ref, mods, X, Y, lengths)
    check_grads(out["value"], want, model, "full_batch_grad",
                "the gradient of the token-mean masked cross-entropy (sum over valid tokens / their count)")


# --- task 2 -------------------------------------------------------------------------------------

@pytest.mark.task(2)
@pytest.mark.parametrize("case", range(N_CASES))
def test_accumulated_equals_full_batch(impl, ref, rng, case):
    mods, X, Y, lengths = case_setup(rng, case)
    model, want = reference(ref, mods, X, Y, lengths)
    for m in micro_sizes(len(lengths)):
        out = run(impl, "accumulated_grad", mods, X, Y, lengths, m)
        check_grads(out["value"], want, model, f"accumulated_grad (micro_batch={m})",
                    "the full-batch gradient (each micro-batch's token sum must be divided by the GLOBAL "
                    "number of valid tokens)")


# --- task 3 -------------------------------------------------------------------------------------

@pytest.mark.task(3)
@pytest.mark.parametrize("case", range(N_CASES))
def test_one_forward_per_micro_batch(impl, rng, case):
    mods, X, Y, lengths = case_setup(rng, case)
    B = len(lengths)
    for m in (2, 3):
        out = run(impl, "accumulated_grad", mods, X, Y, lengths, m)
        want = [min(m, B - start) for start in range(0, B, m)]
        got = out["forward_batches"]
        check(got == want, f"accumulated_grad with B = {B} and micro_batch = {m} should call the model once per "
                           f"micro-batch, on batches of {want} sequences in that order; it called it on {got}")


# --- task 4 -------------------------------------------------------------------------------------

@pytest.mark.task(4)
@pytest.mark.parametrize("case", range(N_CASES))
@pytest.mark.parametrize("fn", ["full_batch_grad", "accumulated_grad"])
def test_model_left_as_found(impl, rng, case, fn):
    mods, X, Y, lengths = case_setup(rng, case)
    args = (2,) if fn == "accumulated_grad" else ()
    out = run(impl, fn, mods, X, Y, lengths, *args)
    before = {n: p.detach() for n, p in TinyLM(*mods).named_parameters()}
    check(isinstance(out["grads"], dict) and set(out["grads"]) == set(before), f"{fn} changed the model's parameters")
    for name, value in before.items():
        check(out["grads"][name] is None, f"after {fn}, {name}.grad should be None: clear what backward() left")
        check(isinstance(out["params"][name], torch.Tensor) and torch.equal(out["params"][name], value),
              f"{fn} must not change the parameter {name}")
    changed = out["inputs_changed"]
    check(changed == [], f"{fn} changed its input(s) {', '.join(['X', 'Y', 'lengths'][i] for i in changed if i < 3)} "
                         f"in place; work on copies")
