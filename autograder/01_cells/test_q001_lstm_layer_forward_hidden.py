"""Hidden grader for q001_lstm_layer_forward (never shipped to students).

Task 1: a linspace case (N, T, D, H = 2, 3, 4, 5), values from the reference (G2), and edge shapes
        (T = 1, N = 1, H = 1, D = 1) against nn.LSTM.
Task 2: random shapes and weights against torch.nn.LSTM(batch_first=True) in float64 with
        copied weights (G1): rel_error < 1e-8 on output, h_n and c_n.
Task 3: hygiene: pre-activations of about +-1000 under numpy's over/invalid/divide = "raise"
        (errata 2) against the reference, with the in-place check on (inputs left unchanged).
Tasks 1 and 2 grade values only: a numerically right forward pass that overflows (a warning, no
wrong value) or writes into its inputs loses task 3 alone.
"""

import numpy as np
import pytest
import torch

from rnnkit.fair import ValuesOnly
from rnnkit.oracles import lstm_layer_from_cs231n
from rnnkit.testing import assert_close, assert_rel_error, expect_array, expect_tuple

NAME = "lstm_forward"


@pytest.fixture
def impl(impl):
    """Values only; task 3 (named for it) checks that inputs are left unchanged."""
    return ValuesOnly(impl)


def linspace_case(N: int, T: int, D: int, H: int) -> tuple[np.ndarray, ...]:
    x = np.linspace(-0.4, 0.6, num=N * T * D).reshape(N, T, D)
    h0 = np.linspace(-0.3, 0.7, num=N * H).reshape(N, H)
    c0 = np.linspace(-0.5, 0.4, num=N * H).reshape(N, H)
    Wx = np.linspace(-0.2, 0.9, num=4 * D * H).reshape(D, 4 * H)
    Wh = np.linspace(-0.3, 0.6, num=4 * H * H).reshape(H, 4 * H)
    b = np.linspace(0.2, 0.4, num=4 * H)
    return x, h0, c0, Wx, Wh, b


def random_case(rng: np.random.Generator, N: int, T: int, D: int, H: int,
                scale: float = 1.0) -> tuple[np.ndarray, ...]:
    return (rng.standard_normal((N, T, D)), rng.standard_normal((N, H)), rng.standard_normal((N, H)),
            rng.standard_normal((D, 4 * H)) * scale, rng.standard_normal((H, 4 * H)) * scale,
            rng.standard_normal(4 * H) * scale)


def torch_lstm(x, h0, c0, Wx, Wh, b) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(output, h_n[0], c_n[0]) of nn.LSTM(batch_first=True), float64, CS231n weights copied in."""
    lstm = lstm_layer_from_cs231n(Wx, Wh, b)
    with torch.no_grad():
        out, (h_n, c_n) = lstm(torch.from_numpy(x), (torch.from_numpy(h0)[None], torch.from_numpy(c0)[None]))
    return out.numpy(), h_n[0].numpy(), c_n[0].numpy()


def call(impl, args, N, T, H, **options):
    fn = getattr(impl, NAME).with_options(**options) if options else getattr(impl, NAME)
    h_all, h_T, c_T = expect_tuple(fn(*args), 3, NAME)
    return (expect_array(h_all, (N, T, H), "h_all"), expect_array(h_T, (N, H), "h_T"),
            expect_array(c_T, (N, H), "c_T"))


def check_against_torch(impl, args, N, T, H):
    h_all, h_T, c_T = call(impl, args, N, T, H)
    want_all, want_h, want_c = torch_lstm(*args)
    assert_rel_error(h_all, want_all, "h_all", against="torch.nn.LSTM's output")
    assert_rel_error(h_T, want_h, "h_T", against="torch.nn.LSTM's h_n")
    assert_rel_error(c_T, want_c, "c_T", against="torch.nn.LSTM's c_n")


@pytest.mark.task(1)
def test_linspace_case(impl, ref):
    args = linspace_case(2, 3, 4, 5)
    got = call(impl, args, 2, 3, 5)
    want = ref.lstm_forward(*args)
    for name, g, w in zip(("h_all", "h_T", "c_T"), got, want, strict=True):
        assert_rel_error(g, w, name)


@pytest.mark.task(2)
@pytest.mark.parametrize("case", range(6))
def test_matches_torch_lstm(impl, rng, case):
    if case < 2:
        N, T, D, H = [(3, 4, 2, 3), (2, 6, 5, 4)][case]
    else:
        N, T = int(rng.integers(2, 5)), int(rng.integers(2, 13))
        D, H = int(rng.integers(1, 9)), int(rng.integers(1, 9))
    scale = 3.0 if case == 5 else 1.0
    check_against_torch(impl, random_case(rng, N, T, D, H, scale), N, T, H)


@pytest.mark.task(1)
@pytest.mark.parametrize("shape", [(1, 1, 1, 1), (3, 1, 4, 2), (1, 7, 3, 5), (2, 5, 1, 1), (1, 4, 2, 1)])
def test_edge_shapes(impl, rng, shape):
    N, T, D, H = shape
    check_against_torch(impl, random_case(rng, N, T, D, H), N, T, H)


@pytest.mark.task(3)
@pytest.mark.parametrize("sign", ["plus", "minus", "mixed"])
def test_large_preactivations(impl, ref, rng, sign):
    N, T, D, H = 3, 4, 2, 3
    x, h0, c0, Wx, Wh, b = random_case(rng, N, T, D, H)
    # Every pre-activation is about +-1000: zero the weights, put it all in the bias.
    Wx, Wh = np.zeros_like(Wx), np.zeros_like(Wh)
    signs = {"plus": 1.0, "minus": -1.0, "mixed": rng.choice([-1.0, 1.0], size=4 * H)}[sign]
    b = signs * 1000.0 * (1.0 + 0.1 * np.abs(b))
    args = (x, h0, c0, Wx, Wh, b)
    got = call(impl.checked, args, N, T, H, errstate=True)
    want = ref.lstm_forward(*args)
    for name, g, w in zip(("h_all", "h_T", "c_T"), got, want, strict=True):
        assert_close(g, w, name, rtol=1e-12, atol=1e-15)
