"""Hidden grader for q014_constant_error_carousel (never shipped to students).

Task 1: cell_path_jacobian: shape (B, H, H), equal to diag_embed(prod_t f_t) (rtol 1e-13) with
        off-diagonal entries exactly 0, edges T = 1, B = 1, H = 1; and (G7) for an LSTM run here
        with W_hh = 0, the student's Jacobian of the grader's forget gates equals the autograd
        dc_T/dc_0 per batch row (rtol 1e-12). Values only (rnnkit.fair.ValuesOnly).
Task 2: gradient_norm_profile equals the reference profile computed here (errata 7: the full draw
        recipe is in the docstring; rtol 1e-8, atol 0, because most RNN entries are far below
        1e-8) for "rnn" and "lstm", the fixed seeds 0..2 at T = 30, H = 8 (forget_bias 0 and 5,
        the default included) plus drawn seeds, T, H and forget biases, T = 1 and H = 1 edges.
Task 3: the phenomenon on the student's own profiles at T = 30, H = 8, seeds 0..2 (errata 7: fixed
        seeds, where the reference gives LSTM ratios 0.05 to 0.94 and RNN ratios 3e-11 to 2e-7):
        first/last > 1e-2 for the LSTM with forget_bias = 5, < 1e-6 for the RNN; an unknown cell
        name raises ValueError.
Task 4: hygiene of cell_path_jacobian: float32 in gives float32 out, close to the same function's
        float64 result (the function against itself), and the forget gates are left unchanged.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from rnnkit.fair import ValuesOnly
from rnnkit.testing import assert_close, check, expect_tensor, trandn

CPJ, PROFILE = "cell_path_jacobian", "gradient_norm_profile"
FIXED = [(1, 1, 1), (1, 3, 2), (5, 1, 1), (4, 2, 3)]  # (T, B, H)


@pytest.fixture
def impl(impl):
    """Values only: writing into the forget gates costs the hygiene task (task 4), not these."""
    return ValuesOnly(impl)


def sizes(rng: np.random.Generator, case: int) -> tuple[int, int, int]:
    if case < len(FIXED):
        return FIXED[case]
    return int(rng.integers(2, 13)), int(rng.integers(1, 5)), int(rng.integers(1, 7))


def forget_gates(rng: np.random.Generator, T: int, B: int, H: int) -> torch.Tensor:
    return torch.sigmoid(trandn(rng, T, B, H, scale=2.0) + 1.0)


def student_jacobian(impl, f: torch.Tensor, B: int, H: int) -> torch.Tensor:
    return expect_tensor(getattr(impl, CPJ)(f), (B, H, H), f"{CPJ}(forget_gates)", dtype=f.dtype)


# --- task 1 -------------------------------------------------------------------------------------

@pytest.mark.task(1)
@pytest.mark.parametrize("case", range(len(FIXED) + 2))
def test_diagonal_of_the_product(impl, rng, case):
    T, B, H = sizes(rng, case)
    f = forget_gates(rng, T, B, H)
    got = student_jacobian(impl, f.clone(), B, H)
    want = torch.diag_embed(f.prod(dim=0))
    off = ~torch.eye(H, dtype=torch.bool).expand(B, H, H)
    check(bool((got[off] == 0).all()), f"{CPJ}: every off-diagonal entry should be exactly 0")
    assert_close(got, want, CPJ, rtol=1e-13, atol=0.0, against="diag(prod over t of the forget gates)")


def lstm_with_zero_recurrence(rng: np.random.Generator, T: int, B: int, D: int, H: int):
    """The forget gates of an LSTM with W_hh = 0 and the autograd dc_T/dc_0 per batch row."""
    W_ih, b = trandn(rng, 4 * H, D), trandn(rng, 4 * H)
    x, c0 = trandn(rng, T, B, D), trandn(rng, B, H)

    def run(c: torch.Tensor) -> torch.Tensor:
        for t in range(T):
            a = x[t] @ W_ih.T + b            # W_hh = 0: the gates never see h (h_t = o * tanh(c_t))
            i, f = torch.sigmoid(a[:, :H]), torch.sigmoid(a[:, H:2 * H])
            c = f * c + i * torch.tanh(a[:, 2 * H:3 * H])
        return c

    gates = torch.sigmoid(x @ W_ih[H:2 * H].T + b[H:2 * H])                # (T, B, H)
    full = torch.autograd.functional.jacobian(run, c0)                      # (B, H, B, H)
    blocks = torch.stack([full[k, :, k, :] for k in range(B)])             # (B, H, H)
    return gates, blocks


@pytest.mark.task(1)
@pytest.mark.parametrize("case", range(4))
def test_equals_autograd_cell_jacobian(impl, rng, case):
    T, B, H = [(1, 1, 1), (6, 3, 4), (10, 2, 2), (int(rng.integers(2, 9)), 2, int(rng.integers(1, 6)))][case]
    gates, want = lstm_with_zero_recurrence(rng, T, B, int(rng.integers(1, 5)), H)
    got = student_jacobian(impl, gates.clone(), B, H)
    assert_close(got, want, CPJ, rtol=1e-12, atol=1e-300,
                 against="the autograd Jacobian dc_T/dc_0 of an LSTM with W_hh = 0")


# --- task 2 -------------------------------------------------------------------------------------

def student_profile(impl, cell: str, T: int, H: int, seed: int, forget_bias: float | None) -> torch.Tensor:
    fn = getattr(impl, PROFILE)
    out = fn(cell, T, H, seed) if forget_bias is None else fn(cell, T, H, seed, forget_bias)
    return expect_tensor(out, (T,), f"{PROFILE}({cell!r}, T={T}, H={H})", dtype=torch.float64)


PROFILE_CASES = [("rnn", 30, 8, 0, None), ("rnn", 30, 8, 1, None), ("rnn", 30, 8, 2, None),
                 ("lstm", 30, 8, 0, 5.0), ("lstm", 30, 8, 1, None), ("lstm", 30, 8, 2, 5.0),
                 ("lstm", 1, 3, 4, 1.0), ("rnn", 4, 1, 5, None), ("lstm", 5, 1, 6, -1.0)]


@pytest.mark.task(2)
@pytest.mark.parametrize("case", range(len(PROFILE_CASES) + 3))
def test_profile_matches_reference(impl, ref, rng, case):
    if case < len(PROFILE_CASES):
        cell, T, H, seed, fb = PROFILE_CASES[case]
    else:
        cell = ["rnn", "lstm", "lstm"][case - len(PROFILE_CASES)]
        T, H, seed = int(rng.integers(2, 16)), int(rng.integers(1, 9)), int(rng.integers(0, 2**31))
        fb = float(rng.uniform(-2.0, 5.0))
    got = student_profile(impl, cell, T, H, seed, fb)
    want = ref.gradient_norm_profile(cell, T, H, seed, 0.0 if fb is None else fb)
    assert_close(got, want, f"the {cell} profile (T={T}, H={H})", rtol=1e-8, atol=0.0,
                 against="the profile of the documented recipe (draws, order, bias, loss)")


# --- task 3 -------------------------------------------------------------------------------------

@pytest.mark.task(3)
@pytest.mark.parametrize("seed", range(3))
def test_lstm_keeps_the_gradient_rnn_loses_it(impl, seed):
    lstm = student_profile(impl, "lstm", 30, 8, seed, 5.0)
    rnn = student_profile(impl, "rnn", 30, 8, seed, None)
    check(bool((lstm > 0).all()) and bool((rnn > 0).all()), "every gradient norm should be positive")
    check(float(lstm[0] / lstm[-1]) > 1e-2,
          f"seed {seed}: for the LSTM with forget_bias = 5 the first/last gradient ratio should stay "
          f"above 1e-2 (the cell path carries it)")
    check(float(rnn[0] / rnn[-1]) < 1e-6,
          f"seed {seed}: for the RNN the first/last gradient ratio should fall below 1e-6 (it vanishes)")


@pytest.mark.task(3)
def test_unknown_cell_raises(impl):
    student_profile(impl, "rnn", 3, 2, 0, None)  # valid input must work first
    with pytest.raises(ValueError):
        getattr(impl, PROFILE)("gru", 3, 2, 0)


# --- task 4 -------------------------------------------------------------------------------------

@pytest.mark.task(4)
@pytest.mark.parametrize("case", range(3))
def test_float32_kept_and_input_unchanged(impl, rng, case):
    T, B, H = [(3, 2, 2), (1, 1, 1), (6, 3, 4)][case]
    f = forget_gates(rng, T, B, H)
    wide = student_jacobian(impl.checked, f.clone(), B, H)              # the in-place check on
    narrow = student_jacobian(impl.checked, f.float(), B, H)            # float32 in, float32 out
    assert_close(narrow, wide, f"{CPJ} in float32", rtol=1e-5, atol=1e-7,
                 against="the same function's float64 result")
