"""Hidden grader for q021_lstm_step_forward (never shipped to students).

Task 1: a CS231n-style linspace case (N, D, H = 3, 4, 5), values from the reference (G2).
Task 2: random shapes and weights against torch.nn.LSTMCell with copied weights (G1), edges
        N = 1, H = 1, D = 1 included.
Task 3: hygiene: pre-activations of about 1000 under numpy's over/invalid/divide = "raise"
        (errata 2), with the in-place check on (inputs left unchanged).
Tasks 1 and 2 grade values only: a numerically right step that overflows (a warning, no wrong
value) or writes into its inputs loses task 3 alone.
"""

import numpy as np
import pytest

from rnnkit.fair import ValuesOnly
from rnnkit.oracles import lstm_step_oracle
from rnnkit.testing import assert_close, assert_rel_error, expect_array, expect_tuple

NAME = "lstm_step_forward"


@pytest.fixture
def impl(impl):
    """Values only; task 3 (named for it) checks that inputs are left unchanged."""
    return ValuesOnly(impl)


def linspace_case(N: int, D: int, H: int) -> tuple[np.ndarray, ...]:
    x = np.linspace(-0.4, 1.2, num=N * D).reshape(N, D)
    prev_h = np.linspace(-0.3, 0.7, num=N * H).reshape(N, H)
    prev_c = np.linspace(-0.4, 0.9, num=N * H).reshape(N, H)
    Wx = np.linspace(-2.1, 1.3, num=4 * D * H).reshape(D, 4 * H)
    Wh = np.linspace(-0.7, 2.2, num=4 * H * H).reshape(H, 4 * H)
    b = np.linspace(0.3, 0.7, num=4 * H)
    return x, prev_h, prev_c, Wx, Wh, b


def random_case(rng: np.random.Generator, N: int, D: int, H: int, scale: float = 1.0) -> tuple[np.ndarray, ...]:
    return (rng.standard_normal((N, D)), rng.standard_normal((N, H)), rng.standard_normal((N, H)),
            rng.standard_normal((D, 4 * H)) * scale, rng.standard_normal((H, 4 * H)) * scale,
            rng.standard_normal(4 * H) * scale)


def call(impl, args, N, H, **options):
    fn = getattr(impl, NAME).with_options(**options) if options else getattr(impl, NAME)
    next_h, next_c = expect_tuple(fn(*args), 2, NAME)
    return expect_array(next_h, (N, H), "next_h"), expect_array(next_c, (N, H), "next_c")


@pytest.mark.task(1)
def test_linspace_case(impl, ref):
    args = linspace_case(3, 4, 5)
    next_h, next_c = call(impl, args, 3, 5)
    want_h, want_c = ref.lstm_step_forward(*args)
    assert_rel_error(next_h, want_h, "next_h")
    assert_rel_error(next_c, want_c, "next_c")


@pytest.mark.task(2)
@pytest.mark.parametrize("case", range(6))
def test_matches_torch_lstm_cell(impl, rng, case):
    N, D, H = [(1, 1, 1), (1, 3, 2), (4, 2, 1)][case] if case < 3 else map(int, rng.integers(1, 9, size=3))
    args = random_case(rng, N, D, H)
    next_h, next_c = call(impl, args, N, H)
    want_h, want_c = lstm_step_oracle(*args)
    assert_rel_error(next_h, want_h, "next_h", against="torch.nn.LSTMCell")
    assert_rel_error(next_c, want_c, "next_c", against="torch.nn.LSTMCell")


@pytest.mark.task(3)
@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_large_preactivations(impl, ref, rng, sign):
    N, D, H = 3, 4, 5
    x, prev_h, prev_c, Wx, Wh, b = random_case(rng, N, D, H)
    # Every pre-activation is about +-1000: zero the weights, put it all in the bias.
    Wx, Wh = np.zeros_like(Wx), np.zeros_like(Wh)
    b = sign * 1000.0 * (1.0 + 0.1 * np.abs(b))
    next_h, next_c = call(impl.checked, (x, prev_h, prev_c, Wx, Wh, b), N, H, errstate=True)
    want_h, want_c = ref.lstm_step_forward(x, prev_h, prev_c, Wx, Wh, b)
    assert_close(next_h, want_h, "next_h", rtol=1e-12, atol=1e-15)
    assert_close(next_c, want_c, "next_c", rtol=1e-12, atol=1e-15)
