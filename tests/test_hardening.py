"""The five classes of attack the hardening closed, each with focused tests (the batch in
tests/adversarial grades whole submissions; these pin down each defence on its own)."""

from __future__ import annotations

import json
import os
import struct
import time
from pathlib import Path

import numpy as np
import pytest
import torch

from rnnkit import safetext, wire
from rnnkit.errors import InputMutated, SubmissionCrashed, SubmissionForbidden, SubmissionRaised
from rnnkit.policy import check_policy
from rnnkit.sandbox.client import shared_zygote
from rnnkit.sandbox.files import NotRegularFile, open_regular, read_regular
from rnnkit.sandbox.local import LocalSubmission
from rnnkit.sandbox.sandboxed import SandboxedSubmission
from rnnkit.sandbox.submission import SubmissionSpec

REPO = Path(__file__).resolve().parent.parent
ROOT = os.getuid() == 0


def _frame(tree: object, bufs: list[int], payload: bytes = b"") -> bytes:
    header = json.dumps({"msg": tree, "bufs": bufs}, separators=(",", ":")).encode()
    return struct.pack("<I", len(header)) + header + payload


def _sub(tmp_path: Path, source: str, timeout: float = 10, **spec: object) -> SandboxedSubmission:
    path = tmp_path / "q900_probe.py"
    path.write_text(source)
    return SandboxedSubmission(SubmissionSpec("q900_probe", path, call_timeout_s=timeout, **spec), shared_zygote())


# -- 1. the child is not root for file permissions -------------------------------------------

PROBE_HOST = '''
import ctypes, os
def uid():
    return os.getuid(), os.geteuid(), os.getgid()
def try_open(path):
    try:
        os.close(os.open(path, os.O_WRONLY))
        return "opened"
    except OSError as exc:
        return exc.errno
def nested_userns():
    return ctypes.CDLL(None, use_errno=True).unshare(0x10000000), ctypes.get_errno()
def thread():
    import threading
    try:
        threading.Thread(target=print).start()
        return "started"
    except RuntimeError as exc:
        return str(exc)
'''


@pytest.mark.skipif(not ROOT, reason="the grader is not root: the child already runs as an unprivileged user")
def test_a_root_grader_runs_the_child_as_nobody_and_says_so(tmp_path: Path) -> None:
    sub = _sub(tmp_path, PROBE_HOST)
    try:
        assert sub.uid() == (65534, 65534, 65534)
        assert sub.child_uid == 65534  # read by the grader from the host's /proc, not told by the child
        assert "unprivileged-user" in sub.isolation
    finally:
        sub.close()


@pytest.mark.parametrize("path", ["/proc/sys/kernel/hostname", "/proc/sys/kernel/core_pattern",
                                  "/proc/sys/vm/drop_caches", "/proc/sysrq-trigger", "/proc/self/uid_map"])
def test_host_kernel_settings_cannot_be_opened_for_writing(tmp_path: Path, path: str) -> None:
    sub = _sub(tmp_path, PROBE_HOST)
    try:
        assert sub.try_open(path) != "opened"
    finally:
        sub.close()


def test_no_nested_user_namespace_and_no_threads(tmp_path: Path) -> None:
    sub = _sub(tmp_path, PROBE_HOST)
    try:
        assert sub.nested_userns() == (-1, 1)  # EPERM from the seccomp filter
        assert "can't start new thread" in sub.thread()
        assert "syscall-filter" in sub.isolation
    finally:
        sub.close()


# -- 2. memory outside the address-space limit -----------------------------------------------

HOARD = '''
import os
import numpy as np
def memfd():
    return os.memfd_create("hoard")
def tmpfs(gib):
    fd = os.open("/tmp/hoard", os.O_WRONLY | os.O_CREAT)
    chunk = b"1" * (1 << 20)
    for _ in range(gib << 10):
        os.write(fd, chunk)
    return "held"
def touch(gib):
    big = np.ones((gib << 27) + 1)  # gib GiB of float64, every page touched
    return float(big[-1])
'''


def test_memfd_is_refused_and_tmpfs_is_capped(tmp_path: Path) -> None:
    sub = _sub(tmp_path, HOARD)
    try:
        with pytest.raises(SubmissionRaised, match="Operation not permitted"):
            sub.memfd()
        with pytest.raises(SubmissionRaised, match="No space left|File too large"):
            sub.tmpfs(1)
    finally:
        sub.close()


def test_a_child_over_its_memory_limit_fails_its_own_call_only(tmp_path: Path) -> None:
    sub = _sub(tmp_path, HOARD, timeout=120)  # faulting gigabytes in is slow on a busy host
    try:
        sub.touch(0)  # starts the child
        if "memory-limit" not in sub.isolation:
            pytest.skip("this host offers no memory cgroup")
        with pytest.raises(SubmissionCrashed, match="ran out of memory"):
            sub.touch(3)  # under the 4 GiB address-space allowance, over the 2 GiB memory limit
        assert sub.touch(0) == 1.0  # a fresh child; the grader goes on
    finally:
        sub.close()


# -- 3. decoding in the grader is bounded ----------------------------------------------------

def test_a_million_empty_buffers_are_refused_at_once() -> None:
    frame = _frame(None, [0] * 1_000_000)
    started = time.monotonic()
    with pytest.raises(wire.WireError, match="buffers"):
        wire.decode(frame, limits=wire.REPLY_LIMITS)
    assert time.monotonic() - started < 2


def test_keys_that_share_a_hash_are_refused() -> None:
    pairs = [[n * (2**61 - 1), 0] for n in range(50_000)]
    with pytest.raises(wire.WireError, match="__dk"):  # only the grader may send non-string keys
        wire.decode(_frame({"__dk": pairs}, []), limits=wire.REPLY_LIMITS)
    with pytest.raises(wire.WireError, match="dict keys"):
        wire.decode(_frame({"__d": {"k" * 1000: 1}}, []), limits=wire.REPLY_LIMITS)


def test_module_states_must_match_their_arguments() -> None:
    huge = {"__M": "LSTM", "kwargs": {"__d": {"input_size": 5000, "hidden_size": 5000}},
            "state": {"__d": {}}, "flags": {"__d": {}}}
    with pytest.raises(wire.WireError, match="too large"):
        wire.decode(_frame(huge, []), limits=wire.REPLY_LIMITS)
    small = wire.encode(torch.nn.LSTM(2, 3))
    assert isinstance(wire.decode(small, limits=wire.REPLY_LIMITS), wire.ModuleState)
    lying = wire.encode(wire.ModuleState("LSTM", {"input_size": 2, "hidden_size": 300}, torch.nn.LSTM(2, 3).state_dict()))
    with pytest.raises(wire.WireError, match="does not match"):
        wire.decode(lying, limits=wire.REPLY_LIMITS)


def test_deep_headers_and_slow_decoding_are_errors_not_crashes() -> None:
    deep = b"[" * 100_000 + b"]" * 100_000
    header = b'{"msg":' + deep + b',"bufs":[]}'
    with pytest.raises(wire.WireError):
        wire.decode(struct.pack("<I", len(header)) + header, limits=wire.REPLY_LIMITS)
    wide = _frame([[0] * 50 for _ in range(1900)], [])
    with pytest.raises(TimeoutError):
        wire.decode(wide, limits=wire.REPLY_LIMITS, deadline=time.monotonic() - 1)


def test_a_decode_bomb_from_the_child_fails_the_call_within_its_time(tmp_path: Path) -> None:
    source = '''
import os, socket, stat, struct, time
def bomb():
    fd = next(f for f in range(3, 64) if _is_socket(f))
    header = ('{"msg":null,"bufs":[' + ",".join(["0"] * 1000000) + ']}').encode()
    frame = struct.pack("<I", len(header)) + header
    s = socket.socket(fileno=fd)
    s.sendall(struct.pack("<Q", len(frame)) + frame)
    s.detach()
    time.sleep(60)
def _is_socket(fd):
    try:
        return stat.S_ISSOCK(os.fstat(fd).st_mode)
    except OSError:
        return False
'''
    sub = _sub(tmp_path, source)
    try:
        started = time.monotonic()
        with pytest.raises(SubmissionCrashed, match="invalid reply"):
            sub.bomb()
        assert time.monotonic() - started < 5
    finally:
        sub.close()


# -- 4. student-controlled text --------------------------------------------------------------

def test_text_from_the_child_is_made_encodable_and_printable() -> None:
    decoded = wire.decode(wire.encode({"m": "bad \udc80 [bold]x[/] \x1b[2J \u202e"}), limits=wire.REPLY_LIMITS)
    decoded["m"].encode("utf-8")
    shown = safetext.printable(decoded["m"])
    assert "\x1b" not in shown and "\u202e" not in shown and "\\x1b[2J" in shown
    assert safetext.terminal("[bold]x[/]").plain == "[bold]x[/]"  # a Text, never parsed as markup
    assert safetext.html("<script>\x07") == "&lt;script&gt;\\x07"


# -- 5. nothing self-reported earns points ---------------------------------------------------

SELF_REPORT = '''
import sys
import numpy as np
def patch_and_mutate(a, b):
    # every rnnkit helper named like a mutation check, except those the tripwire watches (replacing
    # one of them is a violation of its own, see test_switching_numpy_warnings_off_...)
    for name, module in list(sys.modules.items()):
        if name.startswith("rnnkit") and name not in ("rnnkit.callables", "rnnkit.stepfns", "rnnkit.probes"):
            for attr in ("_same", "_snapshot"):
                if hasattr(module, attr):
                    setattr(module, attr, lambda *x, **k: True)
    a += b
    return a
def seterr_inside(x):
    np.seterr(all="ignore")
    return np.exp(x)
def patch_watch():
    from rnnkit.sandbox import tripwires
    tripwires.Watch.tampered = lambda self, errstate: ""
    return 1
'''


@pytest.mark.parametrize("mode", ["sandbox", "local"])
def test_a_change_in_place_is_seen_by_the_grader_whatever_the_child_patches(tmp_path: Path, mode: str) -> None:
    path = tmp_path / "q900_probe.py"
    path.write_text(SELF_REPORT)
    spec = SubmissionSpec("q900_probe", path, parameters={"patch_and_mutate": ("a", "b")})
    sub = SandboxedSubmission(spec, shared_zygote()) if mode == "sandbox" else LocalSubmission(spec)
    try:
        a = np.ones(3)
        with pytest.raises(InputMutated, match="changed its input argument a in place"):
            sub.patch_and_mutate(a, np.ones(3))
        assert np.array_equal(a, np.ones(3))  # the grader's own copy is untouched
    finally:
        sub.close()


def test_switching_numpy_warnings_off_in_the_call_is_a_violation(tmp_path: Path) -> None:
    sub = _sub(tmp_path, SELF_REPORT)
    try:
        assert sub.seterr_inside(np.ones(2))[0] == pytest.approx(np.e)  # no errstate asked: fine
        with pytest.raises(SubmissionForbidden, match="error mode"):
            sub.seterr_inside.with_options(errstate=True)(np.full(2, 1000.0))
        with pytest.raises(SubmissionForbidden, match="rnnkit's grading code"):
            sub.patch_watch()
    finally:
        sub.close()


def test_in_place_effects_are_read_from_the_arena(tmp_path: Path) -> None:
    source = '''
import torch
def fill_bias_(lstm):
    with torch.no_grad():
        lstm.bias_ih_l0.fill_(1.0)
def replace_bias_(lstm):
    lstm.bias_ih_l0 = torch.nn.Parameter(torch.ones_like(lstm.bias_ih_l0))
'''
    sub = _sub(tmp_path, source, default_dtype="float64")
    try:
        lstm = torch.nn.LSTM(2, 3).double()
        _, (after,) = sub.fill_bias_.inplace(lstm)
        assert torch.equal(after.state["bias_ih_l0"], torch.ones(12, dtype=torch.float64))
        assert after.flags["bias_ih_l0"]["parameter"]
        _, (replaced,) = sub.replace_bias_.inplace(lstm)
        # a new Parameter is not the one the grader handed over: the arena still holds the old values
        assert torch.equal(replaced.state["bias_ih_l0"], lstm.bias_ih_l0.detach())
        assert not replaced.flags["bias_ih_l0"]["parameter"]
    finally:
        sub.close()


def test_links_are_refused_never_followed(tmp_path: Path) -> None:
    real = tmp_path / "real.py"
    real.write_text("x = 1\n")
    assert read_regular(real) == b"x = 1\n"
    (tmp_path / "sym.py").symlink_to(REPO / "solutions" / "01_cells" / "q021_lstm_step_forward.py")
    os.link(real, tmp_path / "hard.py")
    os.mkfifo(tmp_path / "fifo.py")
    (tmp_path / "folder").symlink_to(tmp_path)
    for name, match in (("sym.py", "symbolic link"), ("hard.py", "hard link"), ("fifo.py", "not a regular file")):
        with pytest.raises(NotRegularFile, match=match):
            open_regular(tmp_path / name)
    with pytest.raises(NotRegularFile, match="symbolic link"):
        open_regular(tmp_path / "folder" / "real2.py", below=tmp_path)


def test_a_symlinked_submission_file_scores_nothing(tmp_path: Path) -> None:
    target = tmp_path / "q900_probe.py"
    target.symlink_to(REPO / "solutions" / "01_cells" / "q047_stable_sigmoid.py")
    sub = SandboxedSubmission(SubmissionSpec("q900_probe", target), shared_zygote())
    try:
        with pytest.raises(SubmissionForbidden, match="symbolic link"):
            sub.sigmoid(np.zeros(2))
    finally:
        sub.close()


def test_torch_is_out_of_reach_in_a_numpy_only_child(tmp_path: Path) -> None:
    source = '''
import sys
def torch_via_import():
    import torch
    return 1
def torch_in_memory():
    return [name for name in sys.modules if name.split(".")[0] == "torch" and sys.modules[name] is not None]
def torch_files():
    sys.modules.pop("torch", None)
    import torch  # the folder is an empty mount: at most an empty namespace package
    return hasattr(torch, "tensor")
'''
    path = tmp_path / "q900_probe.py"
    path.write_text(source)
    sub = SandboxedSubmission(SubmissionSpec("q900_probe", path), shared_zygote(flavor="numpy"))
    try:
        with pytest.raises(SubmissionForbidden, match="numpy only"):
            sub.torch_via_import()
        assert sub.torch_in_memory() == []
        assert "no-torch" in sub.isolation
        assert sub.torch_files() is False  # hidden from the private root
    finally:
        sub.close()


def test_the_static_policy_flags_reaching_around_and_nothing_in_the_references() -> None:
    flags = [f.flag() for f in check_policy(
        "import sys, ctypes, threading\nimport numpy as np\nnp.seterr(all='ignore')\nm = sys.modules['rnnkit.guards']\n")]
    assert flags == ["line 1: import of ctypes (not needed to solve an exercise)",
                     "line 1: import of sys (not needed to solve an exercise)",
                     "line 1: import of threading (not needed to solve an exercise)",
                     "line 3: use of .seterr", "line 4: the name 'rnnkit.guards' (rnnkit's own modules)",
                     "line 4: use of .modules"]
    for solution in sorted((REPO / "solutions").rglob("*.py")):
        assert check_policy(solution.read_text()) == [], solution


# -- rnnkit doctor ---------------------------------------------------------------------------

@pytest.mark.parametrize("fallback", [False, True], ids=["namespaces", "fallback"])
def test_doctor_names_the_layers_in_force_and_how_to_get_the_rest(rnnkit_cli: Path, fallback: bool) -> None:
    import subprocess

    args = [str(rnnkit_cli), "doctor"] + (["--no-namespaces"] if fallback else [])
    shown = subprocess.run(args, capture_output=True, text=True, timeout=300, env={**os.environ, "COLUMNS": "200"})
    lines = {line.split("│")[1].strip(): line for line in shown.stdout.splitlines() if line.count("│") >= 3}
    assert {"namespaces", "private-root", "syscall-filter", "rlimits", "no-torch"} <= set(lines), shown.stdout
    assert "active" in lines["rlimits"] and "active" in lines["syscall-filter"]
    if fallback:
        assert "missing" in lines["namespaces"] and "max_user_namespaces" in lines["namespaces"]
        assert shown.returncode == 1 and "layer(s) missing" in shown.stdout
    else:
        assert "active" in lines["namespaces"] and "active" in lines["private-root"]
        assert shown.returncode == (1 if "missing" in shown.stdout else 0)
    if ROOT:
        assert "a submission runs as uid 65534" in shown.stdout


def test_a_handle_can_be_called_without_the_in_place_check(tmp_path: Path) -> None:
    """Value tasks switch the in-place check off (it is a hygiene task of its own), also for objects."""
    source = '''
class Doubler:
    def __call__(self, x):
        x *= 2
        return x
'''
    sub = _sub(tmp_path, source)
    try:
        doubler = sub.Doubler()
        with pytest.raises(InputMutated, match="changed its input"):
            doubler(np.ones(2))
        assert np.array_equal(doubler.with_options(check_mutation=False)(np.ones(2)), [2.0, 2.0])
    finally:
        sub.close()


def test_objects_made_through_values_only_keep_the_check_off(tmp_path: Path) -> None:
    from rnnkit.fair import ValuesOnly

    sub = _sub(tmp_path, "class Doubler:\n    def __call__(self, x):\n        x *= 2\n        return x\n"
                         "    def forward(self, x):\n        return self(x)\n")
    try:
        values = ValuesOnly(sub)
        doubler = values.Doubler()
        assert np.array_equal(doubler(np.ones(2)), [2.0, 2.0])  # values only: no InputMutated
        assert np.array_equal(doubler.forward(np.ones(2)), [2.0, 2.0])
        with pytest.raises(InputMutated):
            values.checked.Doubler()(np.ones(2))  # the hygiene task's path keeps the check
    finally:
        sub.close()


def test_a_numpy_generator_comes_back_as_a_value_from_a_numpy_only_child(tmp_path: Path) -> None:
    path = tmp_path / "q900_probe.py"
    path.write_text("def draw(x, rng):\n    return rng.choice(x, size=3)\n")
    sub = SandboxedSubmission(SubmissionSpec("q900_probe", path), shared_zygote(flavor="numpy"))
    try:
        mine = np.random.default_rng(5)
        got, (_, after) = sub.draw.inplace(np.arange(10), np.random.default_rng(5))
        assert np.array_equal(got, mine.choice(np.arange(10), size=3))
        assert isinstance(after, np.random.Generator) and after.bit_generator.state == mine.bit_generator.state
    finally:
        sub.close()
