"""Hidden grader for q048_tanh_bounds (never shipped to students).

Errata 83: q001 already grades the unrolled layer against nn.LSTM, so this exercise grades the
trace mainly through properties, and adds saturation statistics graded exactly.

Task 1: tanh_via_sigmoid is within 1e-15 absolute of np.tanh in float64 (errata 33).
Task 2: tanh_via_sigmoid at +-1e4, +-710, 0 under numpy's over/invalid/divide = "raise",
        underflow allowed (errata 2): finite, exact -1/0/1 there; float32 in gives float32 out,
        within float32 rounding of the same function in float64 (accuracy is task 1's); no
        function changes its inputs in place. Tasks 1, 3, 4 and 5 grade values only.
Task 3: lstm_forward_trace: keys and (N, T, H) shapes; the trace is self-consistent
        (c_t = f_t c_{t-1} + i_t g_t, h_t = o_t tanh(c_t)); its h equals nn.LSTM's output and its
        last c equals c_n (the anchor that makes wrongly sliced gates fail). Edge shapes included.
Task 4: state bounds with weights x100 over five draws: i, f, o in [0, 1]; g, h in [-1, 1];
        |h_t| <= o_t; |c_t| <= |c0| + (t + 1) for t = 0 .. T-1; and the same self-consistency.
Task 5: saturation_fractions equals the reference on reference traces (weight scales 1 to 100,
        several thresholds, the default one) and on a hand-built trace with ties at the threshold.
"""

import numpy as np
import pytest
import torch

from rnnkit.fair import ValuesOnly
from rnnkit.oracles import lstm_layer_from_cs231n
from rnnkit.testing import assert_close, assert_rel_error, check, expect_array, expect_dict

TANH_ABS = 1e-15  # errata 33: absolute, not relative
KEYS = ("i", "f", "g", "o", "c", "h")
GATES = ("i", "f", "g", "o")


@pytest.fixture
def impl(impl):
    """Values only; task 2 (named for it) checks that inputs are left unchanged."""
    return ValuesOnly(impl)


def random_case(rng: np.random.Generator, N: int, T: int, D: int, H: int,
                scale: float = 1.0) -> tuple[np.ndarray, ...]:
    return (rng.standard_normal((N, T, D)), rng.standard_normal((N, H)), rng.standard_normal((N, H)),
            rng.standard_normal((D, 4 * H)) * scale, rng.standard_normal((H, 4 * H)) * scale,
            rng.standard_normal(4 * H) * scale)


def random_shape(rng: np.random.Generator) -> tuple[int, int, int, int]:
    N, T, D, H = rng.integers(1, 5), rng.integers(2, 13), rng.integers(1, 9), rng.integers(1, 9)
    return int(N), int(T), int(D), int(H)


def get_trace(impl, args, N, T, H) -> dict[str, np.ndarray]:
    trace = expect_dict(impl.lstm_forward_trace(*args), KEYS, "lstm_forward_trace")
    return {k: expect_array(trace[k], (N, T, H), f'trace["{k}"]', dtype=np.float64) for k in KEYS}


def check_self_consistent(trace: dict[str, np.ndarray], c0: np.ndarray) -> None:
    """c_t = f_t * c_{t-1} + i_t * g_t and h_t = o_t * tanh(c_t), step by step."""
    c_prev = np.concatenate([c0[:, None, :], trace["c"][:, :-1]], axis=1)  # (N, T, H)
    assert_close(trace["c"], trace["f"] * c_prev + trace["i"] * trace["g"], 'trace["c"]', rtol=1e-12,
                 atol=1e-12, against='f * c_prev + i * g computed from the trace\'s own "f", "i", "g"')
    assert_close(trace["h"], trace["o"] * np.tanh(trace["c"]), 'trace["h"]', rtol=1e-12, atol=1e-12,
                 against='o * tanh(c) computed from the trace\'s own "o" and "c"')


# -- tasks 1 and 2: tanh_via_sigmoid --------------------------------------------------------------
@pytest.mark.task(1)
@pytest.mark.parametrize("case", range(3))
def test_tanh_matches_numpy(impl, rng, case):
    if case == 0:
        x = rng.normal(0.0, 3.0, size=(7, 11))
    elif case == 1:
        x = rng.uniform(-25.0, 25.0, size=(3, 4, 5))
    else:  # tiny inputs: the identity holds in absolute terms only
        x = rng.normal(0.0, 1.0, size=40) * 10.0 ** rng.uniform(-15.0, -1.0, size=40)
    y = expect_array(impl.tanh_via_sigmoid(x), x.shape, "tanh_via_sigmoid(x)", dtype=np.float64)
    assert_close(y, np.tanh(x), "tanh_via_sigmoid(x)", rtol=0, atol=TANH_ABS, against="np.tanh")


@pytest.mark.task(2)
def test_tanh_stable_at_extremes(impl, rng):
    x = np.concatenate([[1e4, -1e4, 710.0, -710.0, 0.0, 400.0, -400.0], rng.uniform(-1e4, 1e4, 5)])
    y = expect_array(impl.checked.tanh_via_sigmoid.with_options(errstate=True)(x), x.shape, "tanh_via_sigmoid(x)",
                     dtype=np.float64)
    check(np.all(np.abs(y) <= 1), "tanh_via_sigmoid(x) must lie in [-1, 1]")
    check(y[4] == 0.0, "tanh_via_sigmoid(0) must be exactly 0")
    check(np.all(y[np.abs(x) >= 400] == np.sign(x[np.abs(x) >= 400])),
          "tanh_via_sigmoid(x) must be exactly 1 for x >= 400 and exactly -1 for x <= -400")


@pytest.mark.task(2)
def test_tanh_float32(impl, rng):
    x = np.concatenate([rng.uniform(-6.0, 6.0, 20), [1e4, -1e4, 0.0]]).astype(np.float32)
    y = expect_array(impl.checked.tanh_via_sigmoid.with_options(errstate=True)(x), x.shape,
                     "tanh_via_sigmoid(x) for float32 x", dtype=np.float32)
    same = expect_array(impl.tanh_via_sigmoid(x.astype(np.float64)), x.shape, "tanh_via_sigmoid(x)",
                        dtype=np.float64)
    assert_close(y, same, "tanh_via_sigmoid(x) for float32 x", rtol=0, atol=1e-6,
                 against="tanh_via_sigmoid of the same x in float64")


# -- task 3: the trace, anchored to nn.LSTM -------------------------------------------------------
@pytest.mark.task(3)
@pytest.mark.parametrize("case", range(6))
def test_trace_consistent_and_matches_torch(impl, rng, case):
    N, T, D, H = [(1, 1, 1, 1), (3, 1, 4, 2), (1, 6, 3, 1)][case] if case < 3 else random_shape(rng)
    args = random_case(rng, N, T, D, H)
    trace = get_trace(impl, args, N, T, H)
    check_self_consistent(trace, args[2])
    lstm = lstm_layer_from_cs231n(*args[3:])
    x, h0, c0 = (torch.from_numpy(a) for a in args[:3])
    with torch.no_grad():
        out, (_, c_n) = lstm(x, (h0[None], c0[None]))
    assert_rel_error(trace["h"], out.numpy(), 'trace["h"]', against="torch.nn.LSTM's output")
    assert_rel_error(trace["c"][:, -1], c_n[0].numpy(), 'trace["c"][:, -1]', against="torch.nn.LSTM's c_n")


# -- task 4: bounds with large weights ------------------------------------------------------------
@pytest.mark.task(4)
@pytest.mark.parametrize("draw", range(5))
def test_state_bounds_with_large_weights(impl, rng, draw):
    N, T, D, H = random_shape(rng)
    args = random_case(rng, N, T, D, H, scale=100.0)
    c0 = args[2]
    trace = get_trace(impl, args, N, T, H)
    for k in ("i", "f", "o"):
        check(np.all((trace[k] >= 0) & (trace[k] <= 1)), f'every entry of trace["{k}"] must lie in [0, 1]')
    for k in ("g", "h"):
        check(np.all(np.abs(trace[k]) <= 1), f'every entry of trace["{k}"] must lie in [-1, 1]')
    check(np.all(np.abs(trace["h"]) <= trace["o"]), "|h_t| <= o_t must hold (h_t = o_t * tanh(c_t))")
    steps_taken = np.arange(1, T + 1)[None, :, None]  # trace["c"][:, t] is c after t + 1 steps
    bound = np.abs(c0)[:, None, :] + steps_taken
    check(np.all(np.abs(trace["c"]) <= bound * (1 + 1e-12)), "|c_t| <= |c0| + (t + 1) must hold")
    check_self_consistent(trace, c0)


# -- task 5: saturation fractions -----------------------------------------------------------------
def check_fractions(got, want) -> None:
    got = expect_dict(got, GATES, "saturation_fractions")
    for k in GATES:
        value = got[k]
        if isinstance(value, np.ndarray) and value.shape == ():
            value = value[()]
        check(isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_)),
              f'saturation_fractions(...)["{k}"] should be a float, got a {type(value).__name__}')
        # Counts are exact: any wrong count is off by at least 1 / (number of entries).
        assert_close(np.float64(value), want[k], f'saturation_fractions(...)["{k}"]', rtol=0, atol=1e-12)


@pytest.mark.task(5)
@pytest.mark.parametrize("scale, threshold", [(100.0, None), (3.0, None), (10.0, 0.9), (1.0, 0.75),
                                              (30.0, 0.999)])
def test_saturation_fractions(impl, ref, rng, scale, threshold):
    N, T, D, H = random_shape(rng)
    trace = ref.lstm_forward_trace(*random_case(rng, N, T, D, H, scale=scale))
    if threshold is None:  # the default threshold, 0.99
        got, want = impl.saturation_fractions(trace), ref.saturation_fractions(trace)
    else:
        got, want = impl.saturation_fractions(trace, threshold), ref.saturation_fractions(trace, threshold)
    check_fractions(got, want)


@pytest.mark.task(5)
@pytest.mark.parametrize("threshold", [0.99, 0.9])
def test_saturation_fractions_ties_and_gate_keys_only(impl, ref, rng, threshold):
    shape = (int(rng.integers(2, 4)), int(rng.integers(3, 7)), 4)
    special = np.array([threshold, -threshold, 1.0, 0.0, -1.0, 0.5])
    trace = {}
    for k in GATES:
        low = -1.0 if k == "g" else 0.0
        values = rng.uniform(low, 1.0, size=shape)
        values.flat[: special.size] = rng.permutation(special if k == "g" else np.abs(special))
        trace[k] = rng.permutation(values.ravel()).reshape(shape)
    check_fractions(impl.saturation_fractions(trace, threshold), ref.saturation_fractions(trace, threshold))


@pytest.mark.task(2)
def test_inputs_left_unchanged(impl, rng):
    N, T, D, H = 2, 3, 4, 5
    impl.checked.tanh_via_sigmoid(rng.uniform(-5.0, 5.0, size=(3, 4)))  # the in-place check on
    trace = impl.checked.lstm_forward_trace(*random_case(rng, N, T, D, H))
    impl.checked.saturation_fractions(trace)
