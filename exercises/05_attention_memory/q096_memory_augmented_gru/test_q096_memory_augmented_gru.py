"""Public tests for q096: run them with `rnnkit check q096` (or plain pytest on this file).

MemoryGRU is used through a handle: `m = impl.MemoryGRU(D, H, N, W, gamma=0.5)` builds it in the
submission process (float64 by default), `m.load_state_dict(sd)` and `m.step(x, state)` call it
there. The hidden grader uses random sizes, weights and states, ties in the usage, and compares
with a reference MemoryGRU loaded with the same state_dict.
"""

import pytest
import torch

from rnnkit.testing import assert_close, check, expect_tensor, expect_tuple

F64 = torch.float64
D, H, N, W = 2, 3, 3, 2


def lin(a: float, b: float, *shape: int) -> torch.Tensor:
    n = 1
    for s in shape:
        n *= s
    return torch.linspace(a, b, n, dtype=F64).reshape(shape)


def worked_state_dict() -> dict:
    return {"controller.weight_ih": lin(-0.5, 0.6, 3 * H, D + W), "controller.weight_hh": lin(0.4, -0.3, 3 * H, H),
            "controller.bias_ih": lin(-0.2, 0.2, 3 * H), "controller.bias_hh": lin(0.1, -0.1, 3 * H),
            "key.weight": lin(-1.0, 1.0, W, H), "key.bias": lin(0.5, -0.5, W),
            "alpha.weight": lin(0.3, -0.3, 1, H), "alpha.bias": torch.tensor([0.25], dtype=F64)}


def worked_state() -> tuple:
    return (torch.tensor([[0.1, -0.2, 0.3]], dtype=F64),
            torch.tensor([[[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]], dtype=F64),
            torch.tensor([[0.5, 0.25, 0.25]], dtype=F64),
            torch.tensor([[1.0, 0.5, 2.0]], dtype=F64))       # slot 1 is the least used


def run_step(m, x, state):
    out, new = expect_tuple(m.step(x, state), 2, "MemoryGRU.step")
    h, M, w, u = expect_tuple(new, 4, "the new state (h, M, w_read, usage)")
    return (expect_tensor(out, (1, H + W), "out"), expect_tensor(h, (1, H), "h'"), expect_tensor(M, (1, N, W), "M'"),
            expect_tensor(w, (1, N), "w_read'"), expect_tensor(u, (1, N), "usage'"))


@pytest.mark.task(1)
def test_least_used_with_ties(impl):
    usage = torch.tensor([[0.5, 0.0, 0.0, 2.0], [3.0, 1.0, 1.0, 1.0]], dtype=F64)
    got = expect_tensor(impl.least_used_weights(usage, 2), (2, 4), "least_used_weights(usage, 2)")
    want = torch.tensor([[0.0, 1.0, 1.0, 0.0], [0.0, 1.0, 1.0, 0.0]], dtype=F64)
    check(torch.equal(got, want), f"least_used_weights gave {got.tolist()}, expected {want.tolist()} "
          "(row 1: three slots share usage 1.0, the two lowest indices win)")
    one = expect_tensor(impl.least_used_weights(torch.zeros(1, 3, dtype=F64)), (1, 3), "least_used_weights(zeros)")
    check(torch.equal(one, torch.tensor([[1.0, 0.0, 0.0]], dtype=F64)),
          f"with all usages equal, slot 0 is the least used one; got {one.tolist()}")


@pytest.mark.task(1)
def test_bad_n_reads_raises(impl):
    with pytest.raises(ValueError):
        impl.least_used_weights(torch.zeros(1, 3, dtype=F64), 4)


@pytest.mark.task(2)
def test_parameter_names_and_shapes(impl):
    sd = impl.MemoryGRU(D, H, N, W).state_dict()
    want = {k: tuple(v.shape) for k, v in worked_state_dict().items()}
    check(set(sd) == set(want), f"state_dict keys should be {sorted(want)}, got {sorted(sd)}")
    for name, shape in want.items():
        expect_tensor(sd[name], shape, name)


@pytest.mark.task(3)
def test_step_worked_example(impl):
    m = impl.MemoryGRU(D, H, N, W, gamma=0.5)
    m.load_state_dict(worked_state_dict())
    out, h, M, w, _ = run_step(m, torch.tensor([[1.0, -1.0]], dtype=F64), worked_state())
    want_h = torch.tensor([[0.26989937556661914, 0.16917512722494027, 0.4666988061928185]], dtype=F64)
    assert_close(h, want_h, "h'", against="the worked example")
    # slot 1 (usage 0.5, the least used) is cleared, then every slot gets w_write[i] * k
    want_M = torch.tensor([[[1.0096529550566642, 0.033453637720592615], [0.020776354274856718, 0.07200330106021753],
                            [1.0048264775283322, 1.0167268188602963]]], dtype=F64)
    assert_close(M, want_M, "M'", against="the worked example")
    assert_close(w, torch.tensor([[0.20995041641683862, 0.4190411922845986, 0.37100839129856283]], dtype=F64),
                 "w_read'", against="the worked example")
    assert_close(out, torch.cat([want_h, torch.tensor([[0.5934822615792894, 0.41441013575026076]], dtype=F64)], 1),
                 "out = [h', r']", against="the worked example")


@pytest.mark.task(5)
def test_usage_worked_example(impl):
    m = impl.MemoryGRU(D, H, N, W, gamma=0.5)
    m.load_state_dict(worked_state_dict())
    *_, u = run_step(m, torch.tensor([[1.0, -1.0]], dtype=F64), worked_state())
    assert_close(u, torch.tensor([[0.9837481647137675, 1.2583445698392053, 1.5079072654470274]], dtype=F64),
                 "usage'", against="0.5 * usage + w_read' + w_write")


@pytest.mark.task(4)
def test_alpha_to_minus_infinity_writes_the_least_used_slot(impl):
    sd = worked_state_dict()
    sd["alpha.weight"], sd["alpha.bias"] = torch.zeros(1, H, dtype=F64), torch.tensor([-1000.0], dtype=F64)
    m = impl.MemoryGRU(D, H, N, W, gamma=0.5)
    m.load_state_dict(sd)
    state = worked_state()
    _, _, M, _, _ = run_step(m, torch.tensor([[1.0, -1.0]], dtype=F64), state)
    check(torch.equal(M[0, 0], state[1][0, 0]) and torch.equal(M[0, 2], state[1][0, 2]),
          "with sigmoid(alpha) = 0 only the least used slot (slot 1) may change")
    assert_close(M[0, 1], torch.tensor([0.03525578685985303, 0.12218375764110645], dtype=F64),
                 "the least used slot after the write", against="the key k = key(h')")


@pytest.mark.task(6)
def test_fifty_steps_keep_the_shapes(impl):
    m = impl.MemoryGRU(D, H, N, W, gamma=0.9)
    m.load_state_dict(worked_state_dict())
    state = worked_state()
    for t in range(50):
        out, h, M, w, u = run_step(m, torch.tensor([[1.0, -1.0]], dtype=F64) * (t % 3 - 1), state)
        state = (h, M, w, u)
    assert_close(w.sum(), torch.tensor(1.0, dtype=F64), "the sum of w_read' after 50 steps", against="1")


@pytest.mark.task(7)
def test_state_left_unchanged(impl):
    m = impl.MemoryGRU(D, H, N, W)
    m.load_state_dict(worked_state_dict())
    state = worked_state()
    run_step(m, torch.tensor([[1.0, -1.0]], dtype=F64), state)
    for name, before, now in zip(("h", "M", "w_read", "usage"), worked_state(), state, strict=True):
        check(torch.equal(before, now), f"step changed {name} of the state in place; return new tensors")
