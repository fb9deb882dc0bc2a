"""Hidden grader for q066_luong_attention_decoder (never shipped to students).

The reference is the kit's LuongDecoderStep (ref), built here in float64 and loaded with the same
random state_dict as the submission's handle (catalogue: "a reference with the copied
state_dict"); its LSTM is torch's nn.LSTMCell. Parameter names follow errata 8 (embedding, cell,
W_a, v_a, W_c, out); errata 70 fixed the return order (logits, h_tilde, (h, c), attn), the concat
sizes, the biases (only out has one) and ValueError for dot with enc_dim != hidden. Weights are
N(0, 0.7) draws; padded encoder positions hold finite garbage (100 * N(0, 1), errata 20). Sizes
B <= 4, S <= 6, V <= 7, E, H, enc_dim <= 5, with B = S = 1, H = 1 and enc_dim != hidden among the
fixed cases. Tasks 1-4 call with the in-place check off (ValuesOnly).

Task 1: a fresh module's state_dict has exactly the keys and shapes of its score (float64) and
        loads into the reference with strict=True; "dot" with enc_dim != hidden and unknown
        scores raise ValueError (after a valid construction in the same test).
Task 2: no padding: logits, h_tilde, h, c and attn equal the reference (1e-10) for dot, general
        and concat.
Task 3: padded sources: attn is exactly 0 at every pad and the outputs equal the reference
        (1e-10); other garbage at the pads leaves every output unchanged (rtol 1e-12, atol 1e-14).
Task 4: rnnkit.probes.output_grads with random upstream gradients on all five outputs: the
        gradients of h_tilde_prev, h_prev, c_prev, enc and of every parameter equal autograd
        through the reference (1e-10); d logits / d h_tilde_prev is non-zero (input feeding).
Task 5: forward, called with the in-place check on, leaves every argument unchanged.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

from rnnkit.fair import ValuesOnly
from rnnkit.testing import assert_close, check, expect_dict, expect_tensor, expect_tuple, trandn

F64 = torch.float64
SCORES = ("dot", "general", "concat")
GARBAGE = 100.0


@pytest.fixture
def impl(impl):
    return ValuesOnly(impl)


def shapes(V: int, E: int, H: int, C: int, score: str) -> dict[str, tuple[int, ...]]:
    out = {"embedding.weight": (V, E), "cell.weight_ih": (4 * H, E + H), "cell.weight_hh": (4 * H, H),
           "cell.bias_ih": (4 * H,), "cell.bias_hh": (4 * H,), "W_c.weight": (H, C + H), "out.weight": (V, H),
           "out.bias": (V,)}
    if score == "general":
        out["W_a.weight"] = (H, C)
    if score == "concat":
        out["W_a.weight"] = (H, H + C)
        out["v_a.weight"] = (1, H)
    return out


def dims(rng: np.random.Generator, case: int, score: str) -> tuple[int, ...]:
    fixed = [(1, 1, 3, 2, 1, 1), (2, 3, 5, 3, 1, 1), (3, 4, 4, 2, 3, 2)]   # (B, S, V, E, H, C)
    if case < len(fixed):
        B, S, V, E, H, C = fixed[case]
    else:
        B, S, V = int(rng.integers(1, 5)), int(rng.integers(1, 7)), int(rng.integers(2, 8))
        E, H, C = (int(v) for v in rng.integers(1, 6, size=3))
    if score == "dot":
        C = H
    return B, S, V, E, H, C


def random_sd(rng: np.random.Generator, V: int, E: int, H: int, C: int, score: str) -> dict[str, torch.Tensor]:
    return {k: trandn(rng, *s, scale=0.7) for k, s in shapes(V, E, H, C, score).items()}


def inputs(rng: np.random.Generator, B: int, S: int, V: int, H: int, C: int,
           mask: torch.Tensor | None = None) -> tuple[Any, ...]:
    if mask is None:
        mask = torch.ones(B, S, dtype=torch.bool)
    enc = trandn(rng, B, S, C)
    enc[~mask] = trandn(rng, int((~mask).sum()), C, scale=GARBAGE)
    return (torch.from_numpy(rng.integers(0, V, size=B)), trandn(rng, B, H, scale=0.5),
            (trandn(rng, B, H, scale=0.5), trandn(rng, B, H, scale=0.5)), enc, mask)


def padded_mask(rng: np.random.Generator, B: int, S: int) -> torch.Tensor:
    mask = torch.from_numpy(rng.random((B, S)) < 0.6)
    mask[:, int(rng.integers(0, S))] = True                     # every row has a real position
    return mask


def reference_model(ref: Any, sd: dict[str, torch.Tensor], V: int, E: int, H: int, C: int, score: str) -> Any:
    model = ref.LuongDecoderStep(V, E, H, C, score).double()
    model.load_state_dict(sd, strict=True)
    return model


def reference_forward(ref: Any, sd: dict[str, torch.Tensor], dims_: tuple[int, ...], score: str,
                      args: tuple[Any, ...]) -> tuple[torch.Tensor, ...]:
    model = reference_model(ref, sd, *dims_, score)
    y, ht, (h, c), enc, mask = args
    with torch.no_grad():
        logits, h_tilde, (h2, c2), attn = model(y.clone(), ht.clone(), (h.clone(), c.clone()), enc.clone(), mask.clone())
    return logits, h_tilde, h2, c2, attn


def submission(impl: Any, sd: dict[str, torch.Tensor], V: int, E: int, H: int, C: int, score: str) -> Any:
    model = impl.LuongDecoderStep(V, E, H, C, score)
    model.load_state_dict(sd)
    return model


def run(model: Any, args: tuple[Any, ...], V: int, H: int, checked: bool = False) -> tuple[torch.Tensor, ...]:
    B, S = args[4].shape
    result = model(*args) if checked else model.forward.with_options(check_mutation=False)(*args)
    logits, h_tilde, state, attn = expect_tuple(result, 4, "LuongDecoderStep.forward")
    h, c = expect_tuple(state, 2, "the state (h, c) returned by forward")
    return (expect_tensor(logits, (B, V), "logits", dtype=F64), expect_tensor(h_tilde, (B, H), "h_tilde", dtype=F64),
            expect_tensor(h, (B, H), "h", dtype=F64), expect_tensor(c, (B, H), "c", dtype=F64),
            expect_tensor(attn, (B, S), "attn", dtype=F64))


NAMES = ("logits", "h_tilde", "h", "c", "attn")


# --- task 1 --------------------------------------------------------------------------------------

@pytest.mark.task(1)
@pytest.mark.parametrize("score", SCORES)
@pytest.mark.parametrize("case", range(2))
def test_parameters(impl, ref, rng, score, case):
    _, _, V, E, H, C = dims(rng, 2 + case, score)
    want = shapes(V, E, H, C, score)
    sd = expect_dict(impl.LuongDecoderStep(V, E, H, C, score).state_dict(), list(want),
                     f"LuongDecoderStep(..., {score!r}).state_dict()")
    for name, shape in want.items():
        expect_tensor(sd[name], shape, name, dtype=F64)
    reference_model(ref, dict(sd), V, E, H, C, score)


@pytest.mark.task(1)
def test_bad_scores_raise(impl, rng):
    impl.LuongDecoderStep(5, 3, 4, 4, "dot")                     # positive control: equal sizes are fine
    with pytest.raises(ValueError):
        impl.LuongDecoderStep(5, 3, 4, 3, "dot")
    for bad in ("additive", "Dot", "location"):
        with pytest.raises(ValueError):
            impl.LuongDecoderStep(5, 3, 4, 3, bad)


# --- task 2 --------------------------------------------------------------------------------------

@pytest.mark.task(2)
@pytest.mark.parametrize("score", SCORES)
@pytest.mark.parametrize("case", range(5))
def test_matches_reference(impl, ref, rng, score, case):
    B, S, V, E, H, C = dims(rng, case, score)
    sd = random_sd(rng, V, E, H, C, score)
    args = inputs(rng, B, S, V, H, C)
    got = run(submission(impl, sd, V, E, H, C, score), args, V, H)
    want = reference_forward(ref, sd, (V, E, H, C), score, args)
    for name, g, w in zip(NAMES, got, want, strict=True):
        assert_close(g, w, f"{name} ({score})", against="a reference step with the same state_dict")


# --- task 3 --------------------------------------------------------------------------------------

@pytest.mark.task(3)
@pytest.mark.parametrize("score", SCORES)
@pytest.mark.parametrize("case", range(1, 4))
def test_padding(impl, ref, rng, score, case):
    B, S, V, E, H, C = dims(rng, case + 1, score)
    S = max(S, 2)
    sd = random_sd(rng, V, E, H, C, score)
    mask = padded_mask(rng, B, S)
    mask[0, -1] = False
    mask[0, 0] = True
    args = inputs(rng, B, S, V, H, C, mask)
    model = submission(impl, sd, V, E, H, C, score)
    got = run(model, args, V, H)
    check(bool((got[4][~mask] == 0).all()), "the attention weight of every padded source position must be exactly 0")
    want = reference_forward(ref, sd, (V, E, H, C), score, args)
    for name, g, w in zip(NAMES, got, want, strict=True):
        assert_close(g, w, f"{name} ({score}, padded source)", against="a reference step with the same state_dict")
    enc2 = args[3].clone()
    enc2[~mask] = trandn(rng, int((~mask).sum()), C, scale=GARBAGE)
    again = run(model, (*args[:3], enc2, mask), V, H)
    for name, a, b in zip(NAMES, got, again, strict=True):
        assert_close(b, a, f"{name} after changing only the padded encoder states", rtol=1e-12, atol=1e-14,
                     against=f"{name} before (pads must not matter)")


# --- task 4 --------------------------------------------------------------------------------------

@pytest.mark.task(4)
@pytest.mark.parametrize("score", SCORES)
def test_gradients(impl, ref, rng, score):
    B, S, V, E, H, C = dims(rng, 2, score)
    sd = random_sd(rng, V, E, H, C, score)
    mask = padded_mask(rng, B, S)
    args = inputs(rng, B, S, V, H, C, mask)
    upstream = [trandn(rng, B, V), trandn(rng, B, H), trandn(rng, B, H), trandn(rng, B, H), trandn(rng, B, S)]
    got = expect_dict(impl.probe("output_grads", submission(impl, sd, V, E, H, C, score), list(args), upstream),
                      ["outputs", "inputs", "params"], "the gradient probe")
    model = reference_model(ref, sd, V, E, H, C, score)
    y, ht, (h, c), enc, _ = args
    leaves = [t.clone().requires_grad_(True) for t in (ht, h, c, enc)]
    logits, h_tilde, (h2, c2), attn = model(y, leaves[0], (leaves[1], leaves[2]), leaves[3], mask)
    total = sum((o * u).sum() for o, u in zip((logits, h_tilde, h2, c2, attn), upstream, strict=True))
    total.backward()
    grads = got["inputs"]
    check(isinstance(grads, list) and len(grads) == 4, "the probe should see four float tensor arguments")
    for name, g, leaf in zip(("h_tilde_prev", "h_prev", "c_prev", "enc"), grads, leaves, strict=True):
        check(g is not None, f"no gradient reaches {name}")
        assert_close(expect_tensor(g, tuple(leaf.shape), f"d/d {name}", dtype=F64), leaf.grad,
                     f"the gradient with respect to {name}", against="autograd through the reference")
    only_logits = [upstream[0]] + [torch.zeros_like(u) for u in upstream[1:]]
    fed = expect_dict(impl.probe("output_grads", submission(impl, sd, V, E, H, C, score), list(args), only_logits),
                      ["outputs", "inputs", "params"], "the gradient probe")["inputs"][0]
    check(fed is not None and bool((expect_tensor(fed, (B, H), "d logits / d h_tilde_prev") != 0).any()),
          "d logits / d h_tilde_prev is 0: the previous attentional vector must feed the LSTM input")
    params = got["params"]
    check(isinstance(params, dict) and set(params) == set(sd), "the module's parameters should be exactly its state_dict's")
    for name, p in model.named_parameters():
        check(params[name] is not None, f"no gradient reaches the parameter {name}")
        assert_close(expect_tensor(params[name], tuple(p.shape), f"d/d {name}", dtype=F64), p.grad,
                     f"the gradient with respect to {name}", against="autograd through the reference")


# --- task 5 --------------------------------------------------------------------------------------

@pytest.mark.task(5)
@pytest.mark.parametrize("score", SCORES)
def test_arguments_unchanged(impl, rng, score):
    B, S, V, E, H, C = dims(rng, 2, score)
    sd = random_sd(rng, V, E, H, C, score)
    model = impl.checked.LuongDecoderStep(V, E, H, C, score)
    model.load_state_dict(sd)
    run(model, inputs(rng, B, S, V, H, C, padded_mask(rng, B, S)), V, H, checked=True)
