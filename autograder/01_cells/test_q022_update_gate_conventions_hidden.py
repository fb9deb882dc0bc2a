"""Hidden grader for q022_update_gate_conventions (never shipped to students).

Task 1: gru_interpolate on dyadic hand values (z in {0, 0.25, 0.5, 1}, h_prev and n multiples of
        1/8), where every correct formula is exact (errata 17): torch.equal with the reference,
        for both conventions; a fixed hand case and random dyadic draws.
Task 2: gru_interpolate on random GRU-range values (n = tanh(.), |h_prev| < 1, z = sigmoid(.)):
        rtol = atol = 1e-15 against the reference, so n + z(h - n) and torch.lerp are accepted;
        float32 inputs give float32; ValueError for any other convention.
Task 3: a "chung" GRU cell written here (not the student's gru_interpolate) run with the
        converted parameters equals torch.nn.GRUCell with the originals (atol 1e-12), float64,
        random B, D, H <= 8 with the edges B = H = 1 and D != H.
Task 4: the conversion is its own inverse (exact), rows H:2H come back exactly negated and every
        other entry bitwise unchanged, with shapes and dtype kept.
Task 2 also checks, for both functions, that inputs are left unchanged (the in-place check on);
every other test grades values only.
"""

import pytest
import torch

from rnnkit.fair import ValuesOnly
from rnnkit.oracles import gru_cell_from_torch_layout
from rnnkit.testing import assert_close, check, expect_tensor, expect_tuple, trandn

CONVENTIONS = ["torch", "chung"]


@pytest.fixture
def impl(impl):
    """Values only; task 2 (named for it) checks that inputs are left unchanged."""
    return ValuesOnly(impl)
PARAM_NAMES = ["weight_ih", "weight_hh", "bias_ih", "bias_hh"]


def dyadic(rng, *shape: int) -> torch.Tensor:
    """Multiples of 1/8 in [-2, 2]: every product with z in {0, 1/4, 1/2, 1} is exact."""
    return torch.from_numpy(rng.integers(-16, 17, size=shape) / 8.0)


def dyadic_z(rng, *shape: int) -> torch.Tensor:
    return torch.from_numpy(rng.choice([0.0, 0.25, 0.5, 1.0], size=shape))


# ---------------------------------------------------------------------------------------------
# Task 1: exact on dyadic hand values


@pytest.mark.task(1)
@pytest.mark.parametrize("convention", CONVENTIONS)
def test_hand_values_exact(impl, ref, convention):
    h_prev = torch.tensor([[1.0, -2.0, 0.5, 0.0], [0.25, 1.5, -1.0, 2.0]], dtype=torch.float64)
    n = torch.tensor([[-1.0, 0.5, 0.5, 1.0], [0.75, -0.5, 1.0, -2.0]], dtype=torch.float64)
    z = torch.tensor([[0.0, 1.0, 0.5, 0.25], [1.0, 0.0, 0.25, 0.5]], dtype=torch.float64)
    got = expect_tensor(impl.gru_interpolate(h_prev, n, z, convention), (2, 4),
                        f"gru_interpolate(..., {convention!r})", dtype=torch.float64)
    check(torch.equal(got, ref.gru_interpolate(h_prev, n, z, convention)),
          f"gru_interpolate(..., {convention!r}) is wrong on exactly representable hand values")


@pytest.mark.task(1)
@pytest.mark.parametrize("case", range(4))
def test_random_dyadic_values_exact(impl, ref, rng, case):
    B, H = (1, 1) if case == 0 else map(int, rng.integers(1, 9, size=2))
    h_prev, n, z = dyadic(rng, B, H), dyadic(rng, B, H), dyadic_z(rng, B, H)
    for convention in CONVENTIONS:
        got = expect_tensor(impl.gru_interpolate(h_prev, n, z, convention), (B, H),
                            f"gru_interpolate(..., {convention!r})", dtype=torch.float64)
        check(torch.equal(got, ref.gru_interpolate(h_prev, n, z, convention)),
              f"gru_interpolate(..., {convention!r}) is wrong on exactly representable values")


@pytest.mark.task(1)
def test_default_convention_is_torch(impl, ref, rng):
    h_prev, n, z = dyadic(rng, 3, 5), dyadic(rng, 3, 5), dyadic_z(rng, 3, 5)
    got = expect_tensor(impl.gru_interpolate(h_prev, n, z), (3, 5), "gru_interpolate(h_prev, n, z)")
    check(torch.equal(got, ref.gru_interpolate(h_prev, n, z, "torch")),
          'gru_interpolate without a convention must use "torch"')


# ---------------------------------------------------------------------------------------------
# Task 2: random values, dtype, ValueError


def gru_range(rng, B: int, H: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    h_prev = torch.from_numpy(rng.uniform(-1.0, 1.0, size=(B, H)))
    n = torch.tanh(trandn(rng, B, H))
    z = torch.sigmoid(trandn(rng, B, H, scale=2.0))
    return h_prev, n, z


@pytest.mark.task(2)
@pytest.mark.parametrize("case", range(5))
def test_random_values_close(impl, ref, rng, case):
    B, H = map(int, rng.integers(1, 9, size=2))
    h_prev, n, z = gru_range(rng, B, H)
    for convention in CONVENTIONS:
        got = expect_tensor(impl.gru_interpolate(h_prev, n, z, convention), (B, H),
                            f"gru_interpolate(..., {convention!r})", dtype=torch.float64)
        assert_close(got, ref.gru_interpolate(h_prev, n, z, convention), f"gru_interpolate(..., {convention!r})",
                     rtol=1e-15, atol=1e-15)


@pytest.mark.task(2)
def test_float32_stays_float32(impl, ref, rng):
    h_prev, n, z = (t.float() for t in gru_range(rng, 3, 4))
    for convention in CONVENTIONS:
        got = expect_tensor(impl.gru_interpolate(h_prev, n, z, convention), (3, 4),
                            f"gru_interpolate(float32 tensors, {convention!r})", dtype=torch.float32)
        assert_close(got, ref.gru_interpolate(h_prev, n, z, convention), "the float32 result",
                     rtol=1e-6, atol=1e-6)


@pytest.mark.task(2)
@pytest.mark.parametrize("bad", ["Torch", "CHUNG", "keras", "cho", "", "chung "])
def test_unknown_convention_raises(impl, rng, bad):
    h_prev, n, z = gru_range(rng, 2, 3)
    with pytest.raises(ValueError):
        impl.gru_interpolate(h_prev, n, z, bad)


# ---------------------------------------------------------------------------------------------
# Task 3: a Chung cell with converted parameters equals nn.GRUCell


def chung_gru_cell(x, h, weight_ih, weight_hh, bias_ih, bias_hh):
    """Reset-after GRU cell with the Chung update: h' = z * n + (1 - z) * h (grader's own code)."""
    H = h.shape[1]
    gi = x @ weight_ih.T + bias_ih  # (B, 3H)
    gh = h @ weight_hh.T + bias_hh  # (B, 3H)
    r = torch.sigmoid(gi[:, :H] + gh[:, :H])
    z = torch.sigmoid(gi[:, H:2 * H] + gh[:, H:2 * H])
    n = torch.tanh(gi[:, 2 * H:] + r * gh[:, 2 * H:])
    return z * n + (1 - z) * h


def draw_params(rng, D: int, H: int) -> list[torch.Tensor]:
    return [trandn(rng, 3 * H, D), trandn(rng, 3 * H, H), trandn(rng, 3 * H), trandn(rng, 3 * H)]


def convert(impl, params: list[torch.Tensor]) -> list[torch.Tensor]:
    out = expect_tuple(impl.convert_update_gate_convention(*params), 4, "convert_update_gate_convention")
    return [expect_tensor(o, tuple(p.shape), f"the returned {name}", dtype=p.dtype)
            for o, p, name in zip(out, params, PARAM_NAMES, strict=True)]


@pytest.mark.task(3)
@pytest.mark.parametrize("case", range(6))
def test_chung_cell_with_converted_params_equals_gru_cell(impl, rng, case):
    B, D, H = [(1, 1, 1), (2, 5, 3), (3, 2, 6)][case] if case < 3 else map(int, rng.integers(1, 9, size=3))
    params = draw_params(rng, D, H)
    converted = convert(impl, params)
    x, h = trandn(rng, B, D), trandn(rng, B, H)
    cell = gru_cell_from_torch_layout(*(p.numpy() for p in params))
    with torch.no_grad():
        want = cell(x, h)
    got = chung_gru_cell(x, h, *converted)
    assert_close(got, want, "a Chung-convention cell run with the converted parameters", rtol=0, atol=1e-12,
                 against="torch.nn.GRUCell with the original parameters")


# ---------------------------------------------------------------------------------------------
# Task 4: exact structure of the conversion


@pytest.mark.task(4)
@pytest.mark.parametrize("case", range(4))
def test_only_z_rows_change_and_twice_is_identity(impl, rng, case):
    D, H = [(1, 1), (5, 2)][case] if case < 2 else map(int, rng.integers(1, 9, size=2))
    params = draw_params(rng, D, H)
    once = convert(impl, params)
    for p, q, name in zip(params, once, PARAM_NAMES, strict=True):
        check(torch.equal(q[:H], p[:H]), f"rows 0:H (the reset gate) of {name} must not change")
        check(torch.equal(q[2 * H:], p[2 * H:]), f"rows 2H:3H (the candidate) of {name} must not change")
        check(torch.equal(q[H:2 * H], -p[H:2 * H]), f"rows H:2H (the update gate) of {name} must be negated")
    twice = convert(impl, once)
    for p, q, name in zip(params, twice, PARAM_NAMES, strict=True):
        check(torch.equal(q, p), f"converting twice must give {name} back exactly")


@pytest.mark.task(2)
def test_inputs_left_unchanged(impl, rng):
    h_prev, n, z = gru_range(rng, 3, 4)
    for convention in CONVENTIONS:
        impl.checked.gru_interpolate(h_prev, n, z, convention)  # the in-place check on
    impl.checked.convert_update_gate_convention(*draw_params(rng, 3, 4))
