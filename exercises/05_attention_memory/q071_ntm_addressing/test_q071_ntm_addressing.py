"""Public tests for q071: run them with `rnnkit check q071` (or plain pytest on this file).

One memory of N = 4 slots of width M = 3, worked through the four addressing stages by hand.
The hidden grader uses random sizes and head parameters, many shift windows, and compares with
a reference and with loop oracles.
"""

import pytest
import torch

from rnnkit.testing import assert_close, check, expect_tensor

D = torch.float64
MEMORY = torch.tensor([[[1.0, 0.0, 0.0], [0.0, 2.0, 0.0], [1.0, 1.0, 0.0], [0.0, 0.0, 0.0]]], dtype=D)
KEY = torch.tensor([[1.0, 1.0, 0.0]], dtype=D)
BETA, G, GAMMA = (torch.tensor([v], dtype=D) for v in (2.0, 0.5, 2.0))
W_PREV = torch.tensor([[0.0, 0.0, 0.0, 1.0]], dtype=D)
SHIFT = torch.tensor([[0.0, 0.75, 0.25]], dtype=D)          # offsets -1, 0, +1: stay 3/4, move forward 1/4

# cos = [1/sqrt(2), 1/sqrt(2), 1, 0] (the last slot is all zeros): softmax(2 * cos)
W_C = torch.tensor([[0.24755416952364676, 0.24755416952364676, 0.4447070996625434, 0.06018456129016289]], dtype=D)
W_G = torch.tensor([[0.12377708476182338, 0.12377708476182338, 0.2223535498312717, 0.5300922806450814]], dtype=D)
# slot 0 gets 3/4 of its own mass and 1/4 of slot 3's (the shift wraps around)
W_S = torch.tensor([[0.22535588373263787, 0.12377708476182338, 0.19770943356390963, 0.45315759794162896]], dtype=D)
W = torch.tensor([[0.16353497420809773, 0.0493347967895758, 0.12587156377783, 0.6612586652244965]], dtype=D)


def weights(value, name):
    w = expect_tensor(value, (1, 4), name)
    check(abs(float(w.sum()) - 1.0) < 1e-12, f"the row of {name} should sum to 1, it sums to {float(w.sum())}")
    return w


@pytest.mark.task(1)
def test_content_weights_worked_example(impl):
    w_c = weights(impl.content_weights(MEMORY, KEY, BETA), "content_weights(memory, key, beta)")
    assert_close(w_c, W_C, "content_weights", against="softmax(2 * [1/sqrt(2), 1/sqrt(2), 1, 0])")


@pytest.mark.task(1)
def test_beta_zero_gives_uniform(impl):
    w_c = weights(impl.content_weights(MEMORY, KEY, torch.zeros(1, dtype=D)), "content_weights with beta = 0")
    assert_close(w_c, torch.full((1, 4), 0.25, dtype=D), "content_weights with beta = 0", against="1/N")


@pytest.mark.task(2)
def test_interpolate_and_sharpen_worked_example(impl):
    w_g = weights(impl.interpolate(W_C, W_PREV, G), "interpolate(w_c, w_prev, g)")
    assert_close(w_g, W_G, "interpolate with g = 0.5", against="0.5 * w_c + 0.5 * w_prev")
    w = weights(impl.sharpen(W_S, GAMMA), "sharpen(w_s, gamma)")
    assert_close(w, W, "sharpen with gamma = 2", against="w_s ** 2 / sum(w_s ** 2)")


@pytest.mark.task(3)
def test_circular_shift_worked_example(impl):
    w_s = weights(impl.circular_shift(W_G, SHIFT), "circular_shift(w_g, shift)")
    assert_close(w_s, W_S, "circular_shift with shift [0, 0.75, 0.25]", against="the worked example")


@pytest.mark.task(3)
def test_shift_forward_rotates_a_one_hot(impl):
    one_hot = torch.tensor([[0.0, 0.0, 0.0, 1.0]], dtype=D)
    forward = torch.tensor([[0.0, 0.0, 1.0]], dtype=D)
    got = weights(impl.circular_shift(one_hot, forward), "circular_shift(one-hot at slot 3, [0, 0, 1])")
    check(torch.equal(got, torch.tensor([[1.0, 0.0, 0.0, 0.0]], dtype=D)),
          f"shift [0, 0, 1] should move the mass of slot 3 to slot 0 (circularly), got {got.tolist()}")


@pytest.mark.task(4)
def test_ntm_address_worked_example(impl):
    w = weights(impl.ntm_address(MEMORY, KEY, BETA, G, SHIFT, GAMMA, W_PREV), "ntm_address(...)")
    assert_close(w, W, "ntm_address", against="content, interpolate, shift, sharpen in this order")


@pytest.mark.task(5)
def test_read_and_write_worked_example(impl):
    r = expect_tensor(impl.ntm_read(MEMORY, torch.tensor([[0.5, 0.25, 0.25, 0.0]], dtype=D)), (1, 3), "ntm_read")
    assert_close(r, torch.tensor([[0.75, 0.75, 0.0]], dtype=D), "ntm_read", against="0.5 M_0 + 0.25 M_1 + 0.25 M_2")
    w = torch.tensor([[0.0, 1.0, 0.0, 0.5]], dtype=D)
    erase, add = torch.tensor([[1.0, 0.5, 0.0]], dtype=D), torch.tensor([[0.0, 1.0, 2.0]], dtype=D)
    new = expect_tensor(impl.ntm_write(MEMORY, w, erase, add), (1, 4, 3), "ntm_write")
    # slot 1: [0, 2, 0] * (1 - e) = [0, 1, 0], then + a = [0, 2, 2]; slot 3: 0 * (1 - e/2) + a/2
    want = torch.tensor([[[1.0, 0.0, 0.0], [0.0, 2.0, 2.0], [1.0, 1.0, 0.0], [0.0, 0.5, 1.0]]], dtype=D)
    assert_close(new, want, "ntm_write", against="M * (1 - w e^T) + w a^T")


@pytest.mark.task(6)
def test_read_gradient(impl):
    w = torch.tensor([[0.5, 0.25, 0.25, 0.0]], dtype=D)
    upstream = [torch.tensor([[1.0, -1.0, 2.0]], dtype=D)]
    got = impl.probe("output_grads", impl.function("ntm_read"), [MEMORY, w], upstream)
    d_memory = expect_tensor(got["inputs"][0], (1, 4, 3), "d r / d memory")
    d_w = expect_tensor(got["inputs"][1], (1, 4), "d r / d w")
    assert_close(d_w, torch.tensor([[1.0, -2.0, 0.0, 0.0]], dtype=D), "d r / d w", against="M_i . upstream")
    assert_close(d_memory, w[:, :, None] * upstream[0][:, None, :], "d r / d memory", against="w_i * upstream")


@pytest.mark.task(7)
def test_memory_left_unchanged(impl):
    memory = MEMORY.clone()
    impl.ntm_write(memory, torch.tensor([[0.0, 1.0, 0.0, 0.5]], dtype=D), torch.ones(1, 3, dtype=D),
                   torch.ones(1, 3, dtype=D))
    check(torch.equal(memory, MEMORY), "ntm_write must return a new memory and leave its argument unchanged")
