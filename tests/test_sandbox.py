"""The submission proxy (`impl`), the same in the sandbox and in trusted local mode."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import torch

from rnnkit import wire
from rnnkit.errors import (
    InputMutated,
    SubmissionCrashed,
    SubmissionForbidden,
    SubmissionRaised,
    SubmissionTimeout,
)
from rnnkit.probes import output_grads
from rnnkit.sandbox.cgroups import PIDS_MAX
from rnnkit.sandbox.client import shared_zygote
from rnnkit.sandbox.local import LocalSubmission
from rnnkit.sandbox.sandboxed import SandboxedSubmission
from rnnkit.sandbox.submission import Submission, SubmissionSpec

SOURCE = '''
import os
import numpy as np
import torch


class Scale(torch.nn.Module):
    def __init__(self, n):
        super().__init__()
        self.w = torch.nn.Parameter(torch.linspace(1.0, 2.0, n))
        self.calls = 0

    def forward(self, x, state):
        self.calls += 1
        h, c = state
        return x * self.w + h, c * self.w


def bump_state(x, state):
    h, c = state
    c.add_(1.0)            # changes an argument nested in a tuple
    return x


def picky(x):
    if x < 0:
        raise ValueError("x must be >= 0")
    return x


class OrderError(ValueError):
    pass


class OwnError(Exception):
    pass


def raise_kind(kind):
    if kind == "subclass":
        raise OrderError("bad order")
    if kind == "numpy":
        np.add(np.zeros(2), "text")  # numpy's UFuncTypeError, a TypeError
    raise OwnError("not a builtin")


def uses_lstm(x):
    return torch.nn.LSTM(3, 2)(x)[0]


def lstm_with_guard_disarmed(x, how):
    if how == "disable":
        with torch._C.DisableTorchFunction():
            return torch.nn.LSTM(3, 2)(x)[0]
    guard = torch.overrides._get_current_function_mode()
    if how == "unban":
        guard.banned = frozenset()
    else:  # "patch the class"
        type(guard).__torch_function__ = lambda self, func, types, args=(), kwargs=None: func(*args, **(kwargs or {}))
    return torch.nn.LSTM(3, 2)(x)[0]


def draw(gen, n):
    return torch.rand(n, generator=gen)


def freeze_first(lstm):
    return [p.requires_grad for p in lstm.parameters()], str(next(lstm.parameters()).dtype)


def shout(n):
    os.write(1, b"x" * n)
    print("done")
    return n


def nap(seconds):
    import time
    time.sleep(seconds)
    return seconds


def spawn(n):
    import time
    started = 0
    try:
        for _ in range(n):
            if os.fork() == 0:
                time.sleep(60)
                os._exit(0)
            started += 1
    except OSError as exc:
        return started, type(exc).__name__
    return started, None


def fork_bomb():
    while True:
        try:
            os.fork()
        except OSError:
            pass


def die():
    os._exit(3)


def default_dtype():
    return str(torch.get_default_dtype())
'''


def probe_file(folder: Path) -> Path:
    """SOURCE written as the submission file of the made-up exercise q900_probe."""
    path = folder / "q900_probe.py"
    path.write_text(SOURCE)
    return path


@pytest.fixture(params=["sandbox", "local"])
def sub(request: pytest.FixtureRequest, tmp_path: Path) -> Submission:
    path = probe_file(tmp_path)
    spec = SubmissionSpec("q900_probe", path, forbidden_ops=frozenset({"lstm"}), default_dtype="float64",
                          call_timeout_s=20)
    made = SandboxedSubmission(spec, shared_zygote()) if request.param == "sandbox" else LocalSubmission(spec)
    yield made
    made.close()


def test_handles_methods_attributes_and_probes(sub: Submission) -> None:
    cell = sub.Scale(3)
    x, h, c = (torch.randn(2, 3, dtype=torch.float64) for _ in range(3))
    out_h, out_c = cell(x, (h, c))
    w = torch.linspace(1.0, 2.0, 3, dtype=torch.float64)
    assert torch.allclose(out_h, x * w + h) and torch.allclose(out_c, c * w)
    assert cell.get("calls") == 1 and set(cell.state_dict()) == {"w"}
    grads = sub.probe("output_grads", cell, [x, (h, c)], [torch.ones(2, 3), torch.ones(2, 3)])
    assert torch.allclose(grads["params"]["w"], (x + c).sum(0))
    reference = output_grads(lambda x, s: (x * w + s[0], s[1] * w), [x.clone(), (h.clone(), c.clone())],
                             [torch.ones(2, 3), torch.ones(2, 3)])
    for got, want in zip(grads["inputs"], reference["inputs"], strict=True):
        assert torch.allclose(got, want)


def test_nested_in_place_change_is_reported(sub: Submission) -> None:
    with pytest.raises(InputMutated, match="argument #2"):
        sub.bump_state(torch.zeros(2), (torch.zeros(2), torch.zeros(2)))


def test_exceptions_cross_as_builtin_types(sub: Submission) -> None:
    with pytest.raises(ValueError, match="picky raised ValueError") as info:
        sub.picky(-1)
    assert isinstance(info.value, SubmissionRaised)
    assert sub.picky(2) == 2


def test_subclasses_of_builtins_cross_as_their_builtin(sub: Submission) -> None:
    with pytest.raises(ValueError, match="raise_kind raised OrderError"):
        sub.raise_kind("subclass")
    with pytest.raises(TypeError, match="raise_kind raised UFuncTypeError"):
        sub.raise_kind("numpy")
    with pytest.raises(SubmissionRaised, match="raise_kind raised OwnError") as info:
        sub.raise_kind("own")
    assert not isinstance(info.value, (ValueError, TypeError, RuntimeError, LookupError, ArithmeticError))


def test_forbidden_op_is_caught_however_reached(sub: Submission) -> None:
    with pytest.raises(SubmissionForbidden, match="torch.lstm"):
        sub.uses_lstm(torch.zeros(4, 1, 3, dtype=torch.float64))


@pytest.mark.parametrize("how", ["disable", "unban", "patch"])
def test_a_disarmed_guard_is_still_a_violation(tmp_path: Path, how: str) -> None:
    path = probe_file(tmp_path)
    spec = SubmissionSpec("q900_probe", path, forbidden_ops=frozenset({"lstm"}), default_dtype="float64",
                          call_timeout_s=20)
    sub = SandboxedSubmission(spec, shared_zygote())  # the sandbox only: "patch" changes a class for good
    with pytest.raises(SubmissionForbidden, match="torch._C.DisableTorchFunction|changes to rnnkit's guard"):
        sub.lstm_with_guard_disarmed(torch.zeros(4, 1, 3, dtype=torch.float64), how)
    sub.close()


def test_generator_state_comes_back_after_in_place_use(sub: Submission) -> None:
    gen = torch.Generator().manual_seed(3)
    values, (gen_after, _) = sub.draw.inplace(gen, 5)
    replay = torch.Generator().manual_seed(3)
    assert torch.equal(values, torch.rand(5, generator=replay, dtype=torch.float64))
    assert torch.equal(torch.rand(2, generator=gen_after), torch.rand(2, generator=replay))


def test_modules_keep_flags_and_follow_the_call_dtype(sub: Submission) -> None:
    lstm = torch.nn.LSTM(3, 2)
    lstm.weight_ih_l0.requires_grad_(False)
    flags, dtype = sub.freeze_first(lstm)
    assert flags[0] is False and all(flags[1:]) and dtype == "torch.float64"
    _, dtype32 = sub.freeze_first.with_options(dtype="float32")(lstm)
    assert dtype32 == "torch.float32"
    assert sub.default_dtype() == "torch.float64"
    assert torch.get_default_dtype() == torch.float32, "the grader's own default dtype is untouched"


def test_values_are_plain_and_outputs_are_captured(sub: Submission) -> None:
    assert sub.shout(10) == 10
    if isinstance(sub, SandboxedSubmission):
        assert sub.take_output() == "x" * 10 + "done\n"
        assert sub.shout(5_000_000) == 5_000_000  # a flood: graded on its value, output truncated
        text = sub.take_output()
        assert len(text) < 70_000 and "more bytes of output not kept" in text


def test_output_printed_before_a_reply_is_never_late(sub: Submission) -> None:
    """The reply and the output travel on different pipes; what a call printed is in the next take."""
    if isinstance(sub, SandboxedSubmission):
        for n in range(1, 200):
            assert sub.shout(n) == n
            assert sub.take_output() == "x" * n + "done\n"


def test_crash_fails_the_call_and_the_next_call_restarts(tmp_path: Path) -> None:
    path = probe_file(tmp_path)
    sub = SandboxedSubmission(SubmissionSpec("q900_probe", path, call_timeout_s=20), shared_zygote())
    cell = sub.Scale(2)
    with pytest.raises(SubmissionCrashed):
        sub.die()
    assert sub.picky(1) == 1
    with pytest.raises(SubmissionCrashed, match="lost when the submission process restarted"):
        cell.get("calls")
    sub.close()


def test_wire_handles_do_not_resolve_across_processes() -> None:
    with pytest.raises(wire.WireError):
        wire.decode(wire.encode(wire.HandleRef(1, "X")))
    assert np.array_equal(wire.decode(wire.encode(np.eye(2))), np.eye(2))


def test_finished_children_leave_no_fds_or_threads(tmp_path: Path) -> None:
    path = probe_file(tmp_path)
    spec = SubmissionSpec("q900_probe", path, call_timeout_s=20)

    def one_child() -> None:
        sub = SandboxedSubmission(spec, shared_zygote())
        assert sub.shout(3) == 3
        sub.close()

    one_child()  # the warm parent and its socket exist from here on
    fds, threads = len(os.listdir("/proc/self/fd")), threading.active_count()
    for _ in range(20):
        one_child()
    deadline = time.monotonic() + 5  # drain threads end when they read the children's EOF
    while threading.active_count() > threads and time.monotonic() < deadline:
        time.sleep(0.05)
    assert (len(os.listdir("/proc/self/fd")), threading.active_count()) == (fds, threads)


def test_an_exercise_cannot_spend_more_than_its_time_budget(tmp_path: Path) -> None:
    """Calls just under the call timeout add up to at most the budget; later calls fail at once."""
    path = probe_file(tmp_path)
    sub = SandboxedSubmission(SubmissionSpec("q900_probe", path, call_timeout_s=5, budget_s=1.5), shared_zygote())
    outcomes = []
    for _ in range(8):
        try:
            outcomes.append(sub.nap(0.4))
        except SubmissionTimeout as exc:
            outcomes.append(str(exc))
    sub.close()
    finished = [o for o in outcomes if o == 0.4]
    assert 1 <= len(finished) <= 3, outcomes  # each takes >= 0.4 s of the 1.5 s (the first also imports)
    assert outcomes[:len(finished)] == finished
    assert outcomes[-1] == "nap was not called: this exercise used up its 1.5 s time budget"


def test_a_call_stopped_by_the_budget_leaves_later_calls_refused_by_their_own_name(tmp_path: Path) -> None:
    """The stopped call's child is gone: the next call starts no new one (no import) and is refused as itself."""
    sub = SandboxedSubmission(SubmissionSpec("q900_probe", probe_file(tmp_path), call_timeout_s=5, budget_s=0.5),
                              shared_zygote())
    try:
        with pytest.raises(SubmissionTimeout, match="was stopped: this exercise used up its 0.5 s time budget"):
            sub.nap(2.0)
        for _ in range(2):
            with pytest.raises(SubmissionTimeout) as refused:
                sub.nap(0.0)
            assert str(refused.value) == "nap was not called: this exercise used up its 0.5 s time budget"
        assert sub.child is None or sub.generation == 1
    finally:
        sub.close()


def _pids_limited_child(tmp_path: Path, timeout: float = 20) -> SandboxedSubmission:
    path = probe_file(tmp_path)
    sub = SandboxedSubmission(SubmissionSpec("q900_probe", path, call_timeout_s=timeout), shared_zygote())
    assert sub.default_dtype()  # starts the child
    if "pids-limit" not in sub.isolation:
        sub.close()
        pytest.skip("this host offers no pids cgroup: fork bombs end only at the call timeout")
    return sub


def test_a_child_cannot_start_more_than_its_share_of_processes(tmp_path: Path) -> None:
    sub = _pids_limited_child(tmp_path)
    started, error = sub.spawn(200)
    assert started < PIDS_MAX and error == "BlockingIOError"  # fork fails with EAGAIN at the cap
    sub.close()


def test_a_fork_bomb_is_capped_and_ended(tmp_path: Path) -> None:
    sub = _pids_limited_child(tmp_path, timeout=2)
    assert sub.spawn(100)[0] < PIDS_MAX  # the cap holds before anything worse is tried
    with pytest.raises(SubmissionTimeout):
        sub.fork_bomb()
    assert sub.spawn(1) == (1, None)  # a fresh child after the kill; the host still forks
    sub.close()
