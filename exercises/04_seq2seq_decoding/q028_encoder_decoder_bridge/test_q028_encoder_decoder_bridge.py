"""Public tests for q028: run them with `rnnkit check q028` (or plain pytest on this file).

The hidden grader uses random sizes (1 to 3 layers, batches of 2 or more), the states and
outputs of real bidirectional nn.LSTM runs on packed batches with unsorted lengths, and random
Bridge weights.
"""

import pytest
import torch

from rnnkit.testing import assert_close, check, expect_tensor, expect_tuple


def lin(a: float, b: float, *shape: int) -> torch.Tensor:
    n = 1
    for s in shape:
        n *= s
    return torch.linspace(a, b, n, dtype=torch.float64).reshape(shape)


@pytest.mark.task(1)
def test_two_layers_two_rows(impl):
    # h_n (2L = 4, B = 2, H = 1): rows 0, 2 are the forward directions of layers 0, 1; rows 1, 3 backward
    h_n = torch.tensor([[[0.0], [1.0]], [[2.0], [3.0]], [[4.0], [5.0]], [[6.0], [7.0]]], dtype=torch.float64)
    h, c = expect_tuple(impl.bridge_states(h_n, -h_n, 2), 2, "bridge_states(h_n, c_n, 2)")
    h = expect_tensor(h, (2, 2, 2), "h (L, B, 2H)")
    c = expect_tensor(c, (2, 2, 2), "c (L, B, 2H)")
    want = torch.tensor([[[0.0, 2.0], [1.0, 3.0]], [[4.0, 6.0], [5.0, 7.0]]], dtype=torch.float64)
    check(torch.equal(h, want), f"bridge_states gave h = {h.tolist()}, expected {want.tolist()}")
    check(torch.equal(c, -want), f"bridge_states gave c = {c.tolist()}, expected {(-want).tolist()}")


@pytest.mark.task(2)
def test_final_from_outputs_worked_example(impl):
    # out (B = 2, T = 3, 2H = 4); row 1 has length 2, so out[1, 2] is padding (0)
    out = torch.tensor([[[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12]],
                        [[13, 14, 15, 16], [17, 18, 19, 20], [0, 0, 0, 0]]], dtype=torch.float64)
    got = expect_tensor(impl.final_from_outputs(out, torch.tensor([3, 2])), (2, 4), "final_from_outputs(out, lengths)")
    want = torch.tensor([[9, 10, 3, 4], [17, 18, 15, 16]], dtype=torch.float64)
    check(torch.equal(got, want), f"final_from_outputs gave {got.tolist()}, expected {want.tolist()}: "
          "forward half from step lengths[b] - 1, backward half from step 0")


WORKED = {"h_proj.weight": lin(-1, 1, 3, 4), "h_proj.bias": lin(0.1, -0.1, 3),
          "c_proj.weight": lin(0.5, -0.5, 3, 4), "c_proj.bias": lin(-0.2, 0.2, 3)}


@pytest.mark.task(3)
def test_bridge_parameters(impl):
    sd = impl.Bridge(4, 3).state_dict()
    check(sorted(map(str, sd)) == sorted(WORKED), f"the state_dict keys should be {sorted(WORKED)}, got {sorted(map(str, sd))}")
    for name, value in WORKED.items():
        expect_tensor(sd[name], tuple(value.shape), name, dtype=torch.float64)


@pytest.mark.task(4)
def test_bridge_worked_example(impl):
    model = impl.Bridge(4, 3)
    model.load_state_dict(WORKED)
    h, c = expect_tuple(model(lin(-2, 2, 1, 2, 4), lin(3, -3, 1, 2, 4)), 2, "Bridge.forward(h, c)")
    assert_close(expect_tensor(h, (1, 2, 3), "the decoder h"), torch.tensor(
        [[[0.9992500766373204, 0.47729897621846723, -0.9940253766000704],
          [-0.9910999854539461, 0.47729897621846734, 0.9988814520836952]]], dtype=torch.float64),
        "the decoder h", against="the worked example, tanh(h_proj(h))")
    assert_close(expect_tensor(c, (1, 2, 3), "the decoder c"), torch.tensor(
        [[[0.9907000606475912, 0.37102429945261917, -0.9565697635661827],
          [-0.9802493609489309, 0.37102429945261917, 0.9958105403388616]]], dtype=torch.float64),
        "the decoder c", against="the worked example, tanh(c_proj(c))")
