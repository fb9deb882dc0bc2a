"""Hidden grader for q023_reset_gate_variants (never shipped to students).

gru_cell_reset_after is provided (errata 84: q005 already grades "equals nn.GRUCell"), so every
task grades the student's gru_cell_reset_before or reset_gap_bound. G5: gru_cell and gru raise
in the child (exercise.toml forbidden_ops).

Task 1: gru_cell_reset_before against a per-unit Python loop oracle written here (G8), float64,
        random B, D, H <= 8 with edges B = D = H = 1 and a case with a large b_hn (which catches
        b_hn inside the reset); rtol 1e-10, atol 1e-12.
Task 2: equivalence conditions (G9, errata 21): with reset bias +50 (r = 1) reset-before equals
        torch.nn.GRUCell (1e-12); with r the same for every unit and b_hn = 0 it equals
        nn.GRUCell too; with reset and update biases -50 (r, z ~ 0) h' ignores h (perturbing h
        moves h' by < 1e-12) and equals tanh(W_in x + b_in + b_hn) (1e-12).
Task 3: G4 through the probe: autograd gradients of <h', upstream> with respect to x, h and all
        four parameters, computed in the child on the student's function, equal the same
        gradients of the reference (rtol 1e-10, atol 1e-12).
Task 4: reset_gap_bound equals the reference (rtol 1e-10, atol 1e-12); it bounds the real gap
        |nn.GRUCell - reference reset-before| unit by unit; it is ~0 (1e-12) at reset bias +50
        and for a uniform r with b_hn = 0, and it is positive in general.
Task 5: hygiene: neither function changes its inputs in place. Tasks 1 to 4 grade values only.
"""

import math

import pytest
import torch

from rnnkit.fair import ValuesOnly
from rnnkit.oracles import gru_cell_from_torch_layout
from rnnkit.probes import output_grads
from rnnkit.testing import assert_close, check, expect_tensor, trandn

BEFORE = "gru_cell_reset_before"
BOUND = "reset_gap_bound"


@pytest.fixture
def impl(impl):
    """Values only; task 5 (named for it) checks that inputs are left unchanged."""
    return ValuesOnly(impl)


def draw_case(rng, B: int, D: int, H: int, scale: float = 1.0) -> list[torch.Tensor]:
    """[x, h, weight_ih, weight_hh, bias_ih, bias_hh], float64, N(0, 1) (parameters times scale)."""
    return [trandn(rng, B, D), trandn(rng, B, H), trandn(rng, 3 * H, D, scale=scale),
            trandn(rng, 3 * H, H, scale=scale), trandn(rng, 3 * H, scale=scale), trandn(rng, 3 * H, scale=scale)]


def sizes(rng, case: int, fixed: list[tuple[int, int, int]]) -> tuple[int, int, int]:
    if case < len(fixed):
        return fixed[case]
    B, D, H = (int(v) for v in rng.integers(1, 9, size=3))
    return min(B, 4), D, H


def torch_gru_cell(args: list[torch.Tensor]) -> torch.Tensor:
    x, h, *params = args
    cell = gru_cell_from_torch_layout(*(p.numpy() for p in params))
    with torch.no_grad():
        return cell(x, h)


def call(impl, name: str, args: list[torch.Tensor]) -> torch.Tensor:
    B, H = args[1].shape
    return expect_tensor(getattr(impl, name)(*args), (B, H), name, dtype=torch.float64)


def loop_reset_before(x, h, weight_ih, weight_hh, bias_ih, bias_hh) -> torch.Tensor:
    """Reset-before GRU, one unit at a time, from the equations (Cho v1), in Python floats."""
    X, Hs = x.tolist(), h.tolist()
    Wi, Wh, bi, bh = weight_ih.tolist(), weight_hh.tolist(), bias_ih.tolist(), bias_hh.tolist()
    B, H = len(Hs), len(Hs[0])

    def dot(row, vec):
        return sum(w * v for w, v in zip(row, vec, strict=True))

    def sig(a):
        return 1.0 / (1.0 + math.exp(-a)) if a >= 0 else math.exp(a) / (1.0 + math.exp(a))

    out = []
    for b in range(B):
        r = [sig(dot(Wi[j], X[b]) + bi[j] + dot(Wh[j], Hs[b]) + bh[j]) for j in range(H)]
        z = [sig(dot(Wi[H + j], X[b]) + bi[H + j] + dot(Wh[H + j], Hs[b]) + bh[H + j]) for j in range(H)]
        rh = [r[k] * Hs[b][k] for k in range(H)]
        row = []
        for j in range(H):
            n = math.tanh(dot(Wi[2 * H + j], X[b]) + bi[2 * H + j] + dot(Wh[2 * H + j], rh) + bh[2 * H + j])
            row.append((1.0 - z[j]) * n + z[j] * Hs[b][j])
        out.append(row)
    return torch.tensor(out, dtype=torch.float64)


# ---------------------------------------------------------------------------------------------
# Task 1: loop oracle


@pytest.mark.task(1)
@pytest.mark.parametrize("case", range(7))
def test_reset_before_matches_loop_oracle(impl, rng, case):
    B, D, H = sizes(rng, case, [(1, 1, 1), (1, 3, 2), (4, 2, 5), (3, 6, 1)])
    args = draw_case(rng, B, D, H)
    assert_close(call(impl, BEFORE, args), loop_reset_before(*args), "gru_cell_reset_before",
                 against="a per-unit reset-before oracle")


@pytest.mark.task(1)
@pytest.mark.parametrize("case", range(2))
def test_reset_before_with_large_b_hn(impl, rng, case):
    B, D, H = 3, 4, 5
    args = draw_case(rng, B, D, H, scale=0.5)
    args[5][2 * H:] = 3.0 * torch.sign(args[5][2 * H:])  # |b_hn| = 3: where it sits matters
    assert_close(call(impl, BEFORE, args), loop_reset_before(*args), "gru_cell_reset_before",
                 against="a per-unit reset-before oracle")


# ---------------------------------------------------------------------------------------------
# Task 2: when the variants agree, and the -50 limit


@pytest.mark.task(2)
@pytest.mark.parametrize("case", range(4))
def test_reset_bias_plus_50_equals_gru_cell(impl, rng, case):
    B, D, H = sizes(rng, case, [(1, 1, 1), (2, 3, 4)])
    args = draw_case(rng, B, D, H, scale=0.5)
    args[4][:H] = 50.0  # b_ir: r = sigmoid(50 + ...) = 1 in float64
    args[5][:H] = 0.0
    assert_close(call(impl, BEFORE, args), torch_gru_cell(args), "gru_cell_reset_before with reset bias +50",
                 rtol=0, atol=1e-12, against="torch.nn.GRUCell (reset-after)")


@pytest.mark.task(2)
@pytest.mark.parametrize("case", range(3))
def test_uniform_reset_and_zero_b_hn_equals_gru_cell(impl, rng, case):
    B, D, H = sizes(rng, case, [(2, 3, 4)])
    args = draw_case(rng, B, D, H)
    args[2][:H] = 0.0  # W_ir
    args[3][:H] = 0.0  # W_hr
    args[4][:H] = float(rng.standard_normal())  # one b_ir for every unit: r is the same everywhere
    args[5][:H] = 0.0
    args[5][2 * H:] = 0.0  # b_hn
    assert_close(call(impl, BEFORE, args), torch_gru_cell(args),
                 "gru_cell_reset_before with a uniform reset gate and b_hn = 0", rtol=0, atol=1e-12,
                 against="torch.nn.GRUCell (reset-after)")


@pytest.mark.task(2)
@pytest.mark.parametrize("case", range(4))
def test_reset_and_update_bias_minus_50_ignore_h(impl, rng, case):
    B, D, H = sizes(rng, case, [(1, 1, 1), (2, 3, 4)])
    args = draw_case(rng, B, D, H, scale=0.5)
    args[4][:2 * H] = -50.0  # b_ir and b_iz: r ~ 0 and z ~ 0, so h' ~ n and n ignores h
    args[5][:2 * H] = 0.0
    first = call(impl, BEFORE, args)
    moved = list(args)
    moved[1] = args[1] + trandn(rng, B, H)
    second = call(impl, BEFORE, moved)
    assert_close(second, first, "h' after changing h (reset and update biases -50)", rtol=0, atol=1e-12,
                 against="h' before the change")
    x, _, weight_ih, _, bias_ih, bias_hh = args
    limit = torch.tanh(x @ weight_ih[2 * H:].T + bias_ih[2 * H:] + bias_hh[2 * H:])
    assert_close(first, limit, "gru_cell_reset_before with r = z = 0", rtol=0, atol=1e-12,
                 against="tanh(W_in x + b_in + b_hn) (reset-before keeps b_hn when r = 0)")


# ---------------------------------------------------------------------------------------------
# Task 3: gradients through the probe (G4)


@pytest.mark.task(3)
@pytest.mark.parametrize("case", range(4))
def test_reset_before_gradients(impl, ref, rng, case):
    B, D, H = sizes(rng, case, [(1, 1, 1), (3, 4, 2)])
    args = draw_case(rng, B, D, H)
    upstream = [trandn(rng, B, H)]
    got = impl.probe("output_grads", impl.function(BEFORE), args, upstream)
    want = output_grads(ref.gru_cell_reset_before, [a.clone() for a in args], upstream)
    names = ["x", "h", "weight_ih", "weight_hh", "bias_ih", "bias_hh"]
    check(isinstance(got, dict) and len(got.get("inputs") or []) == len(names),
          "gru_cell_reset_before must return one tensor that autograd can differentiate")
    for name, g, w in zip(names, got["inputs"], want["inputs"], strict=True):
        check(g is not None, f"the output of gru_cell_reset_before does not depend on {name} through autograd "
                             "(was something detached or computed outside torch?)")
        g = expect_tensor(g, tuple(w.shape), f"the gradient with respect to {name}")
        assert_close(g, w, f"the gradient with respect to {name}", rtol=1e-10, atol=1e-12)


# ---------------------------------------------------------------------------------------------
# Task 4: the gap bound


def reference_gap(ref, args: list[torch.Tensor]) -> torch.Tensor:
    return (torch_gru_cell(args) - ref.gru_cell_reset_before(*args)).abs()


@pytest.mark.task(4)
@pytest.mark.parametrize("case", range(6))
def test_bound_matches_reference_and_bounds_the_gap(impl, ref, rng, case):
    B, D, H = sizes(rng, case, [(1, 1, 1), (2, 3, 5)])
    args = draw_case(rng, B, D, H)
    got = call(impl, BOUND, args)
    assert_close(got, ref.reset_gap_bound(*args), "reset_gap_bound", rtol=1e-10, atol=1e-12)
    check(bool((reference_gap(ref, args) <= got + 1e-12).all()),
          "reset_gap_bound is smaller than the real gap between the two cells for some unit")


@pytest.mark.task(4)
def test_bound_is_positive_in_general(impl, rng):
    args = draw_case(rng, 4, 5, 6)
    args[5][2 * 6:] = 2.0  # a nonzero b_hn makes every unit's gap nonzero when r < 1
    got = call(impl, BOUND, args)
    check(bool((got > 0).all()), "reset_gap_bound should be positive when r < 1 and b_hn != 0")


@pytest.mark.task(4)
@pytest.mark.parametrize("setting", ["reset_bias_plus_50", "uniform_reset_zero_b_hn"])
def test_bound_vanishes_when_the_variants_agree(impl, rng, setting):
    B, D, H = 3, 4, 5
    args = draw_case(rng, B, D, H, scale=0.5)
    if setting == "reset_bias_plus_50":
        args[4][:H] = 50.0
    else:
        args[2][:H] = 0.0
        args[3][:H] = 0.0
        args[4][:H] = float(rng.standard_normal())
        args[5][2 * H:] = 0.0
    args[5][:H] = 0.0
    got = call(impl, BOUND, args)
    assert_close(got, torch.zeros(B, H, dtype=torch.float64), f"reset_gap_bound ({setting.replace('_', ' ')})",
                 rtol=0, atol=1e-12, against="0")


@pytest.mark.task(5)
@pytest.mark.parametrize("name", [BEFORE, BOUND])
def test_inputs_left_unchanged(impl, rng, name):
    getattr(impl.checked, name)(*draw_case(rng, 3, 4, 5))  # the in-place check on
