"""Public tests for q003: run them with `rnnkit check q003` (or plain pytest on this file).

They use small arrays whose entries name their position, so a wrong block is easy to spot.
The hidden grader uses random arrays, all 24 orders and real torch.nn.LSTMCell weights.
"""

import numpy as np
import pytest

from rnnkit.testing import check, expect_array, expect_dict


def stacked_rows() -> np.ndarray:
    """A (4H, D) = (8, 2) weight in the order ifgo: rows 0-1 are i, 2-3 f, 4-5 g, 6-7 o."""
    return np.arange(16.0).reshape(8, 2)


@pytest.mark.task(1)
def test_split_gates_rows(impl):
    blocks = expect_dict(impl.split_gates(stacked_rows(), "ifgo", 0), list("ifgo"), "split_gates")
    expected = {"i": [[0, 1], [2, 3]], "f": [[4, 5], [6, 7]], "g": [[8, 9], [10, 11]], "o": [[12, 13], [14, 15]]}
    for gate, want in expected.items():
        got = expect_array(blocks[gate], (2, 2), f"split_gates(W, 'ifgo')[{gate!r}]")
        check(np.array_equal(got, np.array(want, dtype=float)), f"block {gate!r} holds the wrong rows")


@pytest.mark.task(1)
def test_split_gates_columns_in_another_order(impl):
    W = np.arange(8.0).reshape(2, 4)  # (D, 4H) with H = 1, columns in the order "ifog"
    blocks = expect_dict(impl.split_gates(W, "ifog", 1), list("ifgo"), "split_gates")
    expected = {"i": [[0], [4]], "f": [[1], [5]], "o": [[2], [6]], "g": [[3], [7]]}
    for gate, want in expected.items():
        got = expect_array(blocks[gate], (2, 1), f"split_gates(W, 'ifog', axis=1)[{gate!r}]")
        check(np.array_equal(got, np.array(want, dtype=float)), f"block {gate!r} holds the wrong columns")


@pytest.mark.task(2)
def test_convert_pytorch_to_cs231n(impl):
    got = expect_array(impl.convert_lstm_weights(stacked_rows(), "ifgo", "ifog", 0), (8, 2),
                       "convert_lstm_weights(W, 'ifgo', 'ifog')")
    expected = np.array([[0, 1], [2, 3], [4, 5], [6, 7], [12, 13], [14, 15], [8, 9], [10, 11]], dtype=float)
    check(np.array_equal(got, expected), "ifgo -> ifog should swap the g and o blocks (rows 4-5 and 6-7)")


@pytest.mark.task(2)
def test_round_trip(impl):
    W = np.random.default_rng(3).standard_normal((5, 12))
    for order in ["ifog", "igfo", "iofg", "ogfi"]:
        there = impl.convert_lstm_weights(W, "ifgo", order, 1)
        back = expect_array(impl.convert_lstm_weights(there, order, "ifgo", 1), W.shape, "the round trip")
        check(np.array_equal(back, W), f"ifgo -> {order} -> ifgo on axis 1 must give W back exactly")


@pytest.mark.task(3)
def test_onnx_bias_to_pytorch(impl):
    # An ONNX LSTM stores gates as i, o, f, c ("iofg" here); H = 2.
    onnx_bias = np.array([1.0, 2.0, 30.0, 40.0, 500.0, 600.0, 7000.0, 8000.0])
    got = expect_array(impl.convert_lstm_weights(onnx_bias, "iofg", "ifgo"), (8,),
                       "convert_lstm_weights(bias, 'iofg', 'ifgo')")
    expected = np.array([1.0, 2.0, 500.0, 600.0, 7000.0, 8000.0, 30.0, 40.0])
    check(np.array_equal(got, expected), "the ONNX bias converted to PyTorch's ifgo has its blocks in the wrong order")


@pytest.mark.task(4)
@pytest.mark.parametrize("bad", ["ifgx", "iffo", "IFGO", "ijfo"])
def test_invalid_orders_raise_value_error(impl, bad):
    with pytest.raises(ValueError):
        impl.split_gates(stacked_rows(), bad)
    with pytest.raises(ValueError):
        impl.convert_lstm_weights(stacked_rows(), "ifgo", bad)


@pytest.mark.task(5)
def test_inputs_are_left_unchanged(impl):
    """Every call checks this: writing into W fails with a clear message."""
    impl.split_gates(stacked_rows(), "ifgo", 0)
    impl.convert_lstm_weights(stacked_rows(), "ifgo", "iofg", 0)
