"""Hidden grader for q003_gate_layouts (never shipped to students).

Task 1: split_gates returns exactly the keys i, f, g, o, blocks of the right shape, equal
        (np.array_equal) to the reference, for (4H, D) weights on axis 0, (D, 4H) on axis 1 and
        axis -1, and (4H,) biases; H = 1 included; float32 keeps its dtype.
Task 2: convert_lstm_weights equals the reference permutation exactly for every (src, dst) pair
        of the 24 orders as src (a random dst each), and src -> dst -> src is the identity for
        all 24 orders, on weights (both axes) and biases.
Task 3: ONNX-ordered (iofg) weights built from a float64 torch.nn.LSTMCell with the reference,
        converted to ifgo by the student, equal the cell's parameters exactly and drive an LSTM
        step equal to the cell's (1e-12); the same for a TF1 (igfo) kernel (D+H, 4H) on axis 1.
Task 4: ValueError for orders that are not permutations of "ifgo" (wrong letter, repeated letter,
        upper case, wrong length, framework alias names), in split_gates and in either argument
        of convert_lstm_weights, and for a 4H axis that is not a multiple of 4.
Task 5: hygiene: neither function changes its inputs in place. Tasks 1 to 4 grade values only.
"""

from itertools import permutations

import numpy as np
import pytest
import torch

from rnnkit.fair import ValuesOnly
from rnnkit.oracles import lstm_step_oracle
from rnnkit.testing import assert_close, check, expect_array, expect_dict


@pytest.fixture
def impl(impl):
    """Values only; task 5 (named for it) checks that inputs are left unchanged."""
    return ValuesOnly(impl)


ORDERS = ["".join(p) for p in permutations("ifgo")]
INVALID = ["ifgx", "iffo", "IFGO", "Ifgo", "ifg", "ifgoo", "", "ijfo", "iofc", "i f g o", "pytorch"]


def draw_weight(rng: np.random.Generator, case: int) -> tuple[np.ndarray, int]:
    """One array holding a 4H axis, and that axis: cycles through the three layouts."""
    H, D = int(rng.integers(1, 9)), int(rng.integers(1, 9))
    kind = case % 4
    if kind == 0:
        return rng.standard_normal((4 * H, D)), 0
    if kind == 1:
        return rng.standard_normal((D, 4 * H)), 1
    if kind == 2:
        return rng.standard_normal((D, 4 * H)), -1
    return rng.standard_normal(4 * H), 0


def block_shape(W: np.ndarray, axis: int) -> tuple[int, ...]:
    shape = list(W.shape)
    shape[axis] //= 4
    return tuple(shape)


# ---------------------------------------------------------------------------------------------
# Task 1: split_gates


@pytest.mark.task(1)
@pytest.mark.parametrize("case", range(8))
def test_split_gates_matches_reference(impl, ref, rng, case):
    W, axis = draw_weight(rng, case)
    if case == 0:
        W = rng.standard_normal((4, 3))  # H = 1
    order = ORDERS[int(rng.integers(len(ORDERS)))]
    got = expect_dict(impl.split_gates(W, order, axis), list("ifgo"), "split_gates")
    want = ref.split_gates(W, order, axis)
    for gate in "ifgo":
        block = expect_array(got[gate], block_shape(W, axis), f"split_gates(...)[{gate!r}]", dtype=W.dtype)
        check(np.array_equal(block, want[gate]),
              f"split_gates(...)[{gate!r}] is not the block of gate {gate!r} (order {order!r}, axis {axis})")


@pytest.mark.task(1)
def test_split_gates_keeps_float32(impl, ref, rng):
    W = rng.standard_normal((8, 3)).astype(np.float32)
    got = expect_dict(impl.split_gates(W, "ifog", 0), list("ifgo"), "split_gates")
    want = ref.split_gates(W, "ifog", 0)
    for gate in "ifgo":
        block = expect_array(got[gate], (2, 3), f"split_gates(...)[{gate!r}]", dtype=np.float32)
        check(np.array_equal(block, want[gate]), f"split_gates(...)[{gate!r}] is not the block of gate {gate!r}")


# ---------------------------------------------------------------------------------------------
# Task 2: convert_lstm_weights


@pytest.mark.task(2)
@pytest.mark.parametrize("layout", range(4))
def test_convert_matches_reference_for_all_pairs(impl, ref, rng, layout):
    W, axis = draw_weight(rng, layout)
    for src in ORDERS:
        # one dst per src per layout keeps the call count small; over the 4 layouts each src
        # meets 4 different dst, and the round-trip test below covers every order both ways
        dst = ORDERS[int(rng.integers(len(ORDERS)))]
        got = expect_array(impl.convert_lstm_weights(W, src, dst, axis), W.shape,
                           "convert_lstm_weights(W, src, dst, axis)", dtype=W.dtype)
        check(np.array_equal(got, ref.convert_lstm_weights(W, src, dst, axis)),
              f"convert_lstm_weights(W, {src!r}, {dst!r}, axis={axis}) puts the gate blocks in the wrong places")


@pytest.mark.task(2)
@pytest.mark.parametrize("layout", range(4))
def test_round_trip_is_identity_for_all_orders(impl, rng, layout):
    W, axis = draw_weight(rng, layout)
    for order in ORDERS:
        other = ORDERS[int(rng.integers(len(ORDERS)))]
        there = expect_array(impl.convert_lstm_weights(W, order, other, axis), W.shape,
                             f"convert_lstm_weights(W, {order!r}, {other!r})")
        back = expect_array(impl.convert_lstm_weights(there, other, order, axis), W.shape,
                            f"convert_lstm_weights(W, {other!r}, {order!r})")
        check(np.array_equal(back, W), f"{order} -> {other} -> {order} (axis {axis}) does not give W back exactly")


@pytest.mark.task(2)
def test_same_order_is_a_copy_of_W(impl, rng):
    W = rng.standard_normal((12, 5))
    got = expect_array(impl.convert_lstm_weights(W, "iofg", "iofg", 0), W.shape, "convert_lstm_weights")
    check(np.array_equal(got, W), "converting from an order to itself must return W unchanged")


# ---------------------------------------------------------------------------------------------
# Task 3: real layouts drive a real cell


def torch_cell(rng: np.random.Generator, D: int, H: int) -> torch.nn.LSTMCell:
    cell = torch.nn.LSTMCell(D, H).double()
    with torch.no_grad():
        for p in cell.parameters():
            p.copy_(torch.from_numpy(rng.standard_normal(tuple(p.shape))))
    return cell


def cell_step(cell: torch.nn.LSTMCell, x: np.ndarray, h: np.ndarray, c: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    with torch.no_grad():
        h1, c1 = cell(torch.from_numpy(x), (torch.from_numpy(h), torch.from_numpy(c)))
    return h1.numpy(), c1.numpy()


@pytest.mark.task(3)
@pytest.mark.parametrize("case", range(4))
def test_onnx_weights_drive_lstm_cell(impl, ref, rng, case):
    B, D, H = [(1, 1, 1), (2, 3, 4)][case] if case < 2 else map(int, rng.integers(1, 9, size=3))
    cell = torch_cell(rng, D, H)
    params = {n: p.detach().numpy().copy() for n, p in cell.named_parameters()}
    converted = {}
    for name, value in params.items():
        onnx = ref.convert_lstm_weights(value, "ifgo", "iofg", 0)  # what an ONNX file stores
        converted[name] = expect_array(impl.convert_lstm_weights(onnx, "iofg", "ifgo", 0), value.shape,
                                       f"convert_lstm_weights(ONNX {name}, 'iofg', 'ifgo')")
        check(np.array_equal(converted[name], value),
              f"ONNX {name} converted to ifgo differs from the nn.LSTMCell parameter it came from")
    x, h, c = rng.standard_normal((B, D)), rng.standard_normal((B, H)), rng.standard_normal((B, H))
    got_h, got_c = lstm_step_oracle(x, h, c, converted["weight_ih"].T, converted["weight_hh"].T,
                                    converted["bias_ih"] + converted["bias_hh"])
    want_h, want_c = cell_step(cell, x, h, c)
    assert_close(got_h, want_h, "h of an LSTM step with the converted weights", rtol=0, atol=1e-12,
                 against="torch.nn.LSTMCell")
    assert_close(got_c, want_c, "c of an LSTM step with the converted weights", rtol=0, atol=1e-12,
                 against="torch.nn.LSTMCell")


@pytest.mark.task(3)
@pytest.mark.parametrize("case", range(3))
def test_tf1_kernel_on_axis_1_drives_lstm_cell(impl, ref, rng, case):
    B, D, H = (1, 2, 1) if case == 0 else map(int, rng.integers(1, 9, size=3))
    cell = torch_cell(rng, D, H)
    p = {n: q.detach().numpy().copy() for n, q in cell.named_parameters()}
    # A TF1 kernel is [W_ih; W_hh] transposed: (D + H, 4H), gate blocks along axis 1 in i, j, f, o.
    kernel = np.concatenate([p["weight_ih"].T, p["weight_hh"].T], axis=0)
    tf_kernel = ref.convert_lstm_weights(kernel, "ifgo", "igfo", 1)
    got = expect_array(impl.convert_lstm_weights(tf_kernel, "igfo", "ifgo", 1), kernel.shape,
                       "convert_lstm_weights(TF1 kernel, 'igfo', 'ifgo', axis=1)")
    check(np.array_equal(got, kernel), "the TF1 kernel converted to ifgo on axis 1 differs from nn.LSTMCell's weights")
    x, h, c = rng.standard_normal((B, D)), rng.standard_normal((B, H)), rng.standard_normal((B, H))
    got_h, got_c = lstm_step_oracle(x, h, c, got[:D], got[D:], p["bias_ih"] + p["bias_hh"])
    want_h, want_c = cell_step(cell, x, h, c)
    assert_close(got_h, want_h, "h of an LSTM step with the converted kernel", rtol=0, atol=1e-12,
                 against="torch.nn.LSTMCell")
    assert_close(got_c, want_c, "c of an LSTM step with the converted kernel", rtol=0, atol=1e-12,
                 against="torch.nn.LSTMCell")


# ---------------------------------------------------------------------------------------------
# Task 4: invalid orders and shapes


@pytest.mark.task(4)
@pytest.mark.parametrize("bad", INVALID)
def test_split_gates_rejects_invalid_order(impl, rng, bad):
    W = rng.standard_normal((8, 3))
    with pytest.raises(ValueError):
        impl.split_gates(W, bad, 0)


@pytest.mark.task(4)
@pytest.mark.parametrize("bad", INVALID)
def test_convert_rejects_invalid_src_and_dst(impl, rng, bad):
    W = rng.standard_normal((3, 8))
    with pytest.raises(ValueError):
        impl.convert_lstm_weights(W, bad, "ifgo", 1)
    with pytest.raises(ValueError):
        impl.convert_lstm_weights(W, "ifgo", bad, 1)


@pytest.mark.task(4)
@pytest.mark.parametrize("shape,axis", [((6, 3), 0), ((3, 10), 1), ((7,), 0), ((4, 5), 1)])
def test_rejects_axis_not_multiple_of_4(impl, rng, shape, axis):
    W = rng.standard_normal(shape)
    with pytest.raises(ValueError):
        impl.split_gates(W, "ifgo", axis)
    with pytest.raises(ValueError):
        impl.convert_lstm_weights(W, "ifgo", "ifog", axis)


@pytest.mark.task(4)
@pytest.mark.parametrize("shape,axis,order", [((8, 3), 0, "ofgi"), ((4, 5), 0, "ifgo"), ((6, 8), 1, "gifo"),
                                              ((8,), 0, "iogf"), ((3, 12), -1, "fgoi")])
def test_valid_input_beside_the_invalid_is_accepted(impl, ref, rng, shape, axis, order):
    """Task 4's positive control: raising ValueError for every input is not validation."""
    W = rng.standard_normal(shape)
    got = expect_dict(impl.split_gates(W, order, axis), list("ifgo"), f"split_gates(W of shape {shape}, {order!r})")
    want = ref.split_gates(W, order, axis)
    for gate in "ifgo":
        check(np.array_equal(np.asarray(got[gate]), want[gate]),
              f"split_gates(W of shape {shape}, {order!r}, {axis})[{gate!r}] is not the right block")
    converted = expect_array(impl.convert_lstm_weights(W, order, "ifgo", axis), W.shape,
                             f"convert_lstm_weights(W of shape {shape}, {order!r}, 'ifgo', {axis})")
    check(np.array_equal(converted, ref.convert_lstm_weights(W, order, "ifgo", axis)),
          f"convert_lstm_weights(W of shape {shape}, {order!r}, 'ifgo', {axis}) is not the permuted W")


@pytest.mark.task(5)
@pytest.mark.parametrize("axis", [0, 1])
def test_inputs_left_unchanged(impl, rng, axis):
    W = rng.standard_normal((12, 5) if axis == 0 else (5, 12))
    impl.checked.split_gates(W, "ifog", axis)  # the in-place check on
    impl.checked.convert_lstm_weights(W, "iofg", "ifgo", axis)
    impl.checked.convert_lstm_weights(W, "ifgo", "ifgo", axis)
