"""Public tests for q038: run them with `rnnkit check q038` (or plain pytest on this file).

The hidden grader compares with a slot-by-slot loop on random sizes, masks and hop counts, puts
garbage in the empty slots and reorders the slots.
"""

import math

import pytest
import torch

from rnnkit.testing import assert_close, check, expect_tensor, expect_tuple


def t64(rows) -> torch.Tensor:
    return torch.tensor(rows, dtype=torch.float64)


U = t64([[1.0, 0.0]])
MEM_IN = t64([[[1.0, 0.0], [0.0, 1.0], [5.0, 5.0]]])     # slot 2 is empty: garbage
MEM_OUT = t64([[[1.0, 1.0], [-1.0, 2.0], [9.0, 9.0]]])
MASK = torch.tensor([[True, True, False]])


def run(impl, u, mem_in, mem_out, mask, hops):
    got = expect_tuple(impl.memn2n_hops(u, mem_in, mem_out, mask, hops), 2, "memn2n_hops")
    u_final = expect_tensor(got[0], tuple(u.shape), "u_final")
    check(isinstance(got[1], (list, tuple)) and len(got[1]) == hops,
          f"memn2n_hops(..., hops={hops}) should return a list of {hops} attention tensors")
    return u_final, [expect_tensor(p, tuple(mask.shape), f"the attention of hop {i + 1}") for i, p in enumerate(got[1])]


@pytest.mark.task(1)
def test_one_hop_by_hand(impl):
    u, (p,) = run(impl, U, MEM_IN, MEM_OUT, MASK, 1)
    # scores u . m = [1, 0] over the two real slots: p = [e, 1] / (e + 1)
    p0 = math.e / (math.e + 1)
    assert_close(p, t64([[p0, 1 - p0, 0.0]]), "the attention of hop 1", against="softmax([1, 0]) and 0 at the empty slot")
    assert_close(u, t64([[1 + p0 - (1 - p0), 2 - p0]]), "u after one hop", against="u + p0 c_0 + p1 c_1")


@pytest.mark.task(1)
def test_two_hops_worked_example(impl):
    u, ps = run(impl, U, MEM_IN, MEM_OUT, MASK, 2)
    assert_close(ps[0], t64([[0.7310585786300049, 0.26894142136999516, 0.0]]), "the attention of hop 1",
                 against="the worked example")
    assert_close(ps[1], t64([[0.5481443107769581, 0.45185568922304187, 0.0]]), "the attention of hop 2",
                 against="the worked example (hop 2 scores with the updated u)")
    assert_close(u, t64([[1.558405778813926, 2.720797110593037]]), "u after two hops", against="the worked example")


@pytest.mark.task(2)
def test_empty_slots_and_empty_memories(impl):
    mem_in, mem_out = MEM_IN.repeat(2, 1, 1), MEM_OUT.repeat(2, 1, 1)
    mask = torch.tensor([[True, True, False], [False, False, False]])    # row 1 has no real slot
    u, (p,) = run(impl, U.repeat(2, 1), mem_in, mem_out, mask, 1)
    check(bool((p[0, 2] == 0) & (p[1] == 0).all()), "empty slots must get attention exactly 0")
    assert_close(u[1], U[0], "u of a row without a real slot", against="u before the hop (nothing to read)")


@pytest.mark.task(3)
def test_zero_hops_return_u(impl):
    u, ps = run(impl, U, MEM_IN, MEM_OUT, MASK, 0)
    assert_close(u, U, "u_final with hops = 0", against="u")
    with pytest.raises(ValueError):
        impl.memn2n_hops(U, MEM_IN, MEM_OUT, MASK, -1)


@pytest.mark.task(4)
def test_reordered_slots(impl):
    order = torch.tensor([2, 0, 1])
    u, ps = run(impl, U, MEM_IN[:, order], MEM_OUT[:, order], MASK[:, order], 2)
    assert_close(u, t64([[1.558405778813926, 2.720797110593037]]), "u after two hops over reordered slots",
                 against="u over the slots in their first order")
    assert_close(ps[1], t64([[0.0, 0.5481443107769581, 0.45185568922304187]]), "the attention of hop 2 (reordered)",
                 against="the first order's attention, reordered the same way")


@pytest.mark.task(5)
def test_float32_in_float32_out(impl):
    got = expect_tuple(impl.memn2n_hops(U.float(), MEM_IN.float(), MEM_OUT.float(), MASK, 1), 2, "memn2n_hops")
    expect_tensor(got[0], (1, 2), "u_final of float32 inputs", dtype=torch.float32)
    expect_tensor(got[1][0], (1, 3), "the attention of float32 inputs", dtype=torch.float32)
