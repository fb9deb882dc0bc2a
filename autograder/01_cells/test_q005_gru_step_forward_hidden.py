"""Hidden grader for q005_gru_step_forward (never shipped to students).

Task 1: gru_step_forward against torch.nn.GRUCell with the same float64 arrays (G1),
        rel_error_elem < 1e-8, random shapes and weights, edges N = 1, H = 1, D = 1.
Task 2: a targeted case with a large hidden candidate bias b_hn != 0 and reset gates well below 1,
        where putting b_hn outside r (or resetting before the matmul) changes the output.
Task 3: gru_forward (batch-first, returns every step's hidden state (N, T, H)) against
        torch.nn.GRU(batch_first=True) with the same float64 arrays; edges T = 1, N = 1, H = 1.
Task 4: hygiene: neither function changes its inputs in place. Tasks 1 to 3 grade values only.
"""

import numpy as np
import pytest
import torch

from rnnkit.fair import ValuesOnly
from rnnkit.oracles import gru_cell_from_torch_layout
from rnnkit.testing import assert_rel_error, expect_array

STEP, LAYER = "gru_step_forward", "gru_forward"


@pytest.fixture
def impl(impl):
    """Values only; task 4 (named for it) checks that inputs are left unchanged."""
    return ValuesOnly(impl)


def random_weights(rng: np.random.Generator, D: int, H: int, scale: float = 1.0) -> tuple[np.ndarray, ...]:
    return (rng.standard_normal((3 * H, D)) * scale, rng.standard_normal((3 * H, H)) * scale,
            rng.standard_normal(3 * H) * scale, rng.standard_normal(3 * H) * scale)


def gru_cell_oracle(x, h, W_ih, W_hh, b_ih, b_hh) -> np.ndarray:
    cell = gru_cell_from_torch_layout(W_ih, W_hh, b_ih, b_hh)
    with torch.no_grad():
        return cell(torch.from_numpy(x), torch.from_numpy(h)).numpy()


def gru_layer_oracle(x, h0, W_ih, W_hh, b_ih, b_hh) -> np.ndarray:
    """output of a single-layer nn.GRU(batch_first=True), float64, with these parameters."""
    three_h, D = W_ih.shape
    gru = torch.nn.GRU(D, three_h // 3, batch_first=True).double()
    with torch.no_grad():
        for name, value in (("weight_ih_l0", W_ih), ("weight_hh_l0", W_hh),
                            ("bias_ih_l0", b_ih), ("bias_hh_l0", b_hh)):
            getattr(gru, name).copy_(torch.from_numpy(value))
        out, _ = gru(torch.from_numpy(x), torch.from_numpy(h0)[None])
    return out.numpy()


def call_step(impl, args, N: int, H: int) -> np.ndarray:
    return expect_array(getattr(impl, STEP)(*args), (N, H), f"{STEP}(...)")


STEP_EDGES = [(1, 1, 1), (1, 3, 2), (4, 2, 1), (3, 1, 4)]


@pytest.mark.task(1)
@pytest.mark.parametrize("case", range(7))
def test_step_matches_torch_gru_cell(impl, rng, case):
    if case < len(STEP_EDGES):
        N, D, H = STEP_EDGES[case]
    else:
        N, D, H = int(rng.integers(1, 5)), int(rng.integers(1, 9)), int(rng.integers(1, 9))
    x, h = rng.standard_normal((N, D)), rng.standard_normal((N, H))
    args = (x, h, *random_weights(rng, D, H))
    next_h = call_step(impl, args, N, H)
    assert_rel_error(next_h, gru_cell_oracle(*args), "next_h", against="torch.nn.GRUCell")


@pytest.mark.task(2)
@pytest.mark.parametrize("hidden_weights", ["zero W_hh", "random W_hh"])
@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_large_b_hn_is_reset_by_r(impl, rng, hidden_weights, sign):
    N, D, H = 4, 3, 5
    x, h = rng.standard_normal((N, D)), rng.standard_normal((N, H))
    W_ih, W_hh, b_ih, b_hh = random_weights(rng, D, H, scale=0.5)
    if hidden_weights == "zero W_hh":
        W_hh = np.zeros_like(W_hh)
    # b_hn between 3 and 6 in size: r * b_hn and b_hn then differ by several units inside the tanh.
    b_hh[2 * H:] = sign * rng.uniform(3.0, 6.0, size=H)
    args = (x, h, W_ih, W_hh, b_ih, b_hh)
    next_h = call_step(impl, args, N, H)
    assert_rel_error(next_h, gru_cell_oracle(*args), "next_h",
                     against="torch.nn.GRUCell (case with a large hidden candidate bias b_hn)")


LAYER_EDGES = [(1, 1, 1, 1), (1, 5, 2, 3), (3, 1, 4, 2), (2, 4, 3, 1), (4, 12, 1, 2)]


@pytest.mark.task(3)
@pytest.mark.parametrize("case", range(8))
def test_layer_matches_torch_gru(impl, rng, case):
    if case < len(LAYER_EDGES):
        N, T, D, H = LAYER_EDGES[case]
    else:
        N, T = int(rng.integers(1, 5)), int(rng.integers(1, 13))
        D, H = int(rng.integers(1, 9)), int(rng.integers(1, 9))
    x, h0 = rng.standard_normal((N, T, D)), rng.standard_normal((N, H))
    args = (x, h0, *random_weights(rng, D, H))
    h_all = expect_array(getattr(impl, LAYER)(*args), (N, T, H), f"{LAYER}(...)")
    assert_rel_error(h_all, gru_layer_oracle(*args), "h_all",
                     against="the output of torch.nn.GRU(batch_first=True)")


@pytest.mark.task(4)
@pytest.mark.parametrize("name", [STEP, LAYER])
def test_inputs_left_unchanged(impl, rng, name):
    N, D, H = 3, 4, 5
    x = rng.standard_normal((N, D)) if name == STEP else rng.standard_normal((N, 4, D))
    getattr(impl.checked, name)(x, rng.standard_normal((N, H)), *random_weights(rng, D, H))  # check on
