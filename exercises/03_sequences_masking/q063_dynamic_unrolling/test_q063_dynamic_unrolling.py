"""Public tests for q063: run them with `rnnkit check q063` (or plain pytest on this file).

The cell is a torch.nn.LSTMCell built here and handed to your function (in the graded run it is
rebuilt next to your code). The counting test uses the probe rnnkit.probes.module_rows, which
hooks the cell and records how many rows each call sees. The hidden grader uses random sizes,
weights and lengths, garbage in the padding, and compares with torch.nn.LSTM on a packed batch.
"""

import pytest
import torch

from rnnkit.testing import assert_close, check, expect_tensor, expect_tuple

B, T, D, H = 3, 4, 1, 2


def lin(a: float, b: float, *shape: int) -> torch.Tensor:
    n = 1
    for s in shape:
        n *= s
    return torch.linspace(a, b, n, dtype=torch.float64).reshape(shape)


def worked_cell() -> torch.nn.LSTMCell:
    cell = torch.nn.LSTMCell(D, H).double()
    with torch.no_grad():
        cell.weight_ih.copy_(lin(-0.6, 0.8, 4 * H, D))
        cell.weight_hh.copy_(lin(0.5, -0.4, 4 * H, H))
        cell.bias_ih.copy_(lin(-0.3, 0.3, 4 * H))
        cell.bias_hh.zero_()
    return cell


def worked_inputs() -> tuple[torch.Tensor, torch.Tensor]:
    # lengths 1, 3, 2 (not sorted); the values 77, -55, 9, 33, -44, 12 sit in the padding
    x = torch.tensor([[[0.5], [77.0], [-55.0], [9.0]],
                      [[-1.0], [1.5], [2.0], [33.0]],
                      [[0.25], [-0.75], [-44.0], [12.0]]], dtype=torch.float64)
    return x, torch.tensor([1, 3, 2])


def run(impl, cell, x, lengths):
    out = expect_tuple(impl.dynamic_lstm(cell, x, lengths), 2, "dynamic_lstm")
    state = expect_tuple(out[1], 2, "the state (h_n, c_n) returned by dynamic_lstm")
    b, t, _ = x.shape
    return (expect_tensor(out[0], (b, t, H), "outputs"), expect_tensor(state[0], (b, H), "h_n"),
            expect_tensor(state[1], (b, H), "c_n"))


@pytest.mark.task(1)
def test_worked_example_outputs(impl):
    outputs, _, _ = run(impl, worked_cell(), *worked_inputs())
    want = torch.tensor([
        [[0.03143861795603435, 0.08389601484345764], [0.0, 0.0], [0.0, 0.0], [0.0, 0.0]],
        [[-0.03614221783698515, -0.0542679147635981], [0.029788863809694744, 0.097163492447448],
         [0.07478149631955197, 0.216845976008972], [0.0, 0.0]],
        [[0.021263890831084892, 0.05884979885731781], [-0.01787028158565141, -0.02046318219900799],
         [0.0, 0.0], [0.0, 0.0]],
    ], dtype=torch.float64)
    assert_close(outputs, want, "outputs", against="the worked example")
    check(bool((outputs[0, 1:] == 0).all() and (outputs[2, 2:] == 0).all() and (outputs[:, 3] == 0).all()),
          "outputs past each sequence's length must be exactly 0")


@pytest.mark.task(1)
def test_matches_packed_lstm(impl):
    x, lengths = worked_inputs()
    cell = worked_cell()
    lstm = torch.nn.LSTM(D, H, batch_first=True).double()
    with torch.no_grad():
        for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            getattr(lstm, f"{name}_l0").copy_(getattr(cell, name))
        packed = torch.nn.utils.rnn.pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
        want, _ = torch.nn.utils.rnn.pad_packed_sequence(lstm(packed)[0], batch_first=True, total_length=T)
    outputs, _, _ = run(impl, cell, x, lengths)
    assert_close(outputs, want, "outputs", against="torch.nn.LSTM on the packed batch")


@pytest.mark.task(2)
def test_worked_example_final_states(impl):
    _, h_n, c_n = run(impl, worked_cell(), *worked_inputs())
    # row b holds the state after step lengths[b] - 1 of sequence b (h_n[0] is outputs[0, 0])
    want_h = torch.tensor([[0.03143861795603435, 0.08389601484345764], [0.07478149631955197, 0.216845976008972],
                           [-0.01787028158565141, -0.02046318219900799]], dtype=torch.float64)
    want_c = torch.tensor([[0.050278958400793834, 0.126223647052038], [0.09385967187593768, 0.2563815010816096],
                           [-0.040997318699702696, -0.04898788136101246]], dtype=torch.float64)
    assert_close(h_n, want_h, "h_n", against="the worked example")
    assert_close(c_n, want_c, "c_n", against="the worked example")


@pytest.mark.task(3)
def test_the_cell_sees_a_shrinking_batch(impl):
    x, lengths = worked_inputs()
    got = impl.probe("module_rows", impl.function("dynamic_lstm"), worked_cell(), x, lengths)
    rows = got["rows"]
    check(len(rows) == 3, f"the cell should be called max(lengths) = 3 times, it was called {len(rows)} times")
    check(rows == [3, 2, 1], f"the cell should see 3, 2, 1 rows at steps 0, 1, 2 (the sequences still running), "
                             f"it saw {rows}")


@pytest.mark.task(4)
def test_float32_gives_float32(impl):
    x, lengths = worked_inputs()
    out = expect_tuple(impl.dynamic_lstm.with_options(dtype="float32")(worked_cell(), x.float(), lengths), 2,
                       "dynamic_lstm")
    expect_tensor(out[0], (B, T, H), "outputs for float32 inputs", dtype=torch.float32)
