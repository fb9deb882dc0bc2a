"""The warm parent: a clean interpreter with torch imported, forking one child per submission.

Started by the grader as ``python -I -m rnnkit.sandbox.zygote FD FLAVOR`` with a scrubbed
environment. FLAVOR ``torch`` imports torch once for every child; ``numpy`` (numpy-only exercises)
never imports it, makes ``import torch`` fail in its children and hides torch's files from their
private root, so torch is out of a numpy exercise's reach entirely (layer ``no-torch``).
It never loads hidden tests, solutions or seeds, and it never reads submission files: a child it
forks inherits nothing worth stealing.

Control protocol on the Unix socket FD (SOCK_SEQPACKET, one JSON message per packet):
grader -> zygote: ``{"files": [name, ...], "settings": {...}, "namespaces": bool, "limits": {...}}``
with file descriptors attached: the child's data socket, the write end of its output pipe, the
shared argument arena (see ``arena.py``), then one read-only descriptor per file, opened by the
grader without following links (the zygote never opens a submission path itself);
zygote -> grader: ``{"pid": intermediate_pid, "memory_cgroup": path or null}``.

Each spawn forks an *intermediate* process that enters new namespaces and forks the *child*
(pid 1 of the new pid namespace). The intermediate tells the grader the child's pid (first frame
on the data socket), waits for it and cleans up. The child sets up its isolation, then serves
requests on the data socket until EOF.
"""

from __future__ import annotations

import sys

if __name__ == "__main__" and sys.argv[2:3] == ["numpy"]:
    sys.modules["torch"] = None  # type: ignore[assignment]  # ``import torch`` now raises ImportError

import ctypes
import io
import json
import os
import shutil
import signal
import socket
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from rnnkit import wire
from rnnkit.sandbox import cgroups, isolation, seccomp
from rnnkit.sandbox.arena import Arena
from rnnkit.sandbox.executor import Executor, ExecutorSettings
from rnnkit.wire.types import torch

MAX_FILE_BYTES = 2 << 20
MAX_FILES = 8
FIXED_FDS = 3  # data socket, output pipe, arena
PR_SET_PDEATHSIG = 1
_libc = ctypes.CDLL(None, use_errno=True)


def _die_with_parent() -> None:
    _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def warm_up() -> None:
    """One thread for every torch op (forking after a multi-threaded op deadlocks the child),
    then pay torch's first-call costs once, here, instead of in every child."""
    if torch is not None:
        torch.set_num_threads(1)
        torch.set_num_interop_threads(1)
        a = torch.randn(4, 8, dtype=torch.float64, requires_grad=True)
        cell = torch.nn.LSTMCell(8, 4).double()
        h, c = cell(a)
        (torch.sigmoid(h).sum() + torch.tanh(c).sum()).backward()  # type: ignore[no-untyped-call]
        # An optimizer's first step imports torch._dynamo (seconds): once here, not in every child.
        torch.optim.SGD(cell.parameters(), lr=0.1).step()
    np.tanh(np.linspace(-1, 1, 8)) @ np.ones(8)


@dataclass
class CgroupParents:
    """The warm parent's cgroups under which each child gets its caps (None: not offered)."""

    pids: Path | None
    memory: Path | None

    @classmethod
    def make(cls) -> CgroupParents:
        name = f"rnnkit-{os.getpid()}"
        return cls(cgroups.make_parent(cgroups.PIDS, name), cgroups.make_parent(cgroups.MEMORY, name))

    def each(self) -> list[Path]:
        return [p for p in (self.pids, self.memory) if p is not None]


def torch_folders() -> list[Path]:
    """Where torch's files are (hidden from a numpy-only child's private root)."""
    found = []
    for entry in sys.path:
        site = Path(entry)
        if entry and (site / "torch" / "__init__.py").is_file():
            found += [site / name for name in ("torch", "torchgen", "functorch") if (site / name).is_dir()]
    return found


def serve(control: socket.socket) -> None:
    mountpoint = Path(tempfile.mkdtemp(prefix="rnnkit-root-"))
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # intermediates are reaped by the kernel
    parents = CgroupParents.make()
    try:
        _serve_spawns(control, mountpoint, parents)
    except ConnectionError:
        # The grader closed its end (it needed no child: every file was missing, or it stopped
        # early): not an error, and nothing to print on the grader's terminal.
        return
    finally:
        shutil.rmtree(mountpoint, ignore_errors=True)
        for parent in parents.each():
            cgroups.sweep(parent, remove_parent=True)


def _serve_spawns(control: socket.socket, mountpoint: Path, parents: CgroupParents) -> None:
    """Say ready, then fork one child per request until the grader closes its end."""
    control.send(b'{"ready": true}')
    while True:
        try:
            message, fds, _flags, _addr = socket.recv_fds(control, 1 << 16, FIXED_FDS + MAX_FILES)
        except ConnectionError:
            return  # the grader closed its end (with our last answer unread): nothing more to do
        if not message:
            return
        request = json.loads(message)
        names = request.get("files")
        if (len(fds) < FIXED_FDS or type(names) is not list
                or len(names) != len(fds) - FIXED_FDS):
            for fd in fds:
                os.close(fd)
            control.send(b'{"error": "expected a socket, a pipe, an arena and one descriptor per file"}')
            continue
        for parent in parents.each():
            cgroups.sweep(parent)  # the cgroups of children that have ended
        pid = os.fork()
        if pid == 0:
            control.close()
            _intermediate(request, fds, mountpoint, parents)
        for fd in fds:
            os.close(fd)
        memory = parents.memory / f"child-{pid}" if parents.memory is not None else None
        control.send(json.dumps({"pid": pid, "memory_cgroup": str(memory) if memory else None}).encode())


def _read_allowed(names: list[Any], fds: list[int]) -> dict[str, bytes]:
    """The allow-listed submission files, read from the grader's descriptors before isolation."""
    out = {}
    for name, fd in zip(names, fds, strict=True):
        if type(name) is not str or "/" in name or name.startswith(".") or not name:
            continue
        with os.fdopen(fd, "rb", closefd=False) as fh:
            out[name] = fh.read(MAX_FILE_BYTES + 1)[:MAX_FILE_BYTES]
    return out


def _intermediate(request: dict[str, Any], fds: list[int], mountpoint: Path, parents: CgroupParents) -> None:
    code = 0
    data_fd, out_fd, arena_fd = fds[:FIXED_FDS]
    try:
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        _die_with_parent()
        files = _read_allowed(request["files"], fds[FIXED_FDS:])
        for fd in fds[FIXED_FDS:]:
            os.close(fd)
        limits = isolation.Limits(**request.get("limits", {}))
        layers = ["process", "python-isolated", "scrubbed-env"]
        # Before the user namespace: afterwards the cgroup files are no longer ours.
        if parents.pids is not None and cgroups.join_child(cgroups.PIDS, parents.pids, cgroups.PIDS_MAX):
            layers.append(cgroups.PIDS.layer)
        if parents.memory is not None and cgroups.join_child(cgroups.MEMORY, parents.memory, limits.memory_bytes):
            layers.append(cgroups.MEMORY.layer)
        if request.get("namespaces", True):
            layers += isolation.enter_namespaces()
        scratch: Path | None = None
        if "namespaces" not in layers:
            scratch = Path(tempfile.mkdtemp(prefix="rnnkit-work-"))
            for name, data in files.items():
                (scratch / name).write_bytes(data)
        go_read, go_write = os.pipe()
        child = os.fork()
        if child == 0:
            os.close(go_write)
            os.read(go_read, 1)
            os.close(go_read)
            _child(request, files, layers, scratch, (data_fd, out_fd, arena_fd), mountpoint, limits)
        os.close(go_read)
        sock = socket.socket(fileno=data_fd)
        wire.send_frame(sock, wire.encode({"pid": child}))
        os.write(go_write, b"x")
        os.close(go_write)
        os.close(out_fd)
        os.close(arena_fd)
        sock.detach()
        os.close(data_fd)
        os.waitpid(child, 0)
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)
    except BaseException:  # noqa: BLE001 - never return into the zygote's loop
        code = 1
    os._exit(code)


def _child(request: dict[str, Any], files: dict[str, bytes], layers: list[str], scratch: Path | None,
           fds: tuple[int, int, int], mountpoint: Path, limits: isolation.Limits) -> None:
    data_fd, out_fd, arena_fd = fds
    sock = socket.socket(fileno=data_fd)
    try:
        os.setsid()
        _die_with_parent()
        arena = Arena.attach(arena_fd)
        if scratch is None:
            hidden: list[Path] = torch_folders() if torch is None else []
            isolation.build_private_root(mountpoint, files, limits, hidden=hidden)
            layers.append("private-root")
            work = Path("/submission")
        else:
            os.chdir(scratch)
            layers.append("scratch-dir")
            work = scratch
        isolation.lock_privileges(with_securebits=scratch is None or os.getuid() == 0)
        if os.getuid() == 0 and isolation.switch_to_sandbox_user(work) and "unprivileged-user" not in layers:
            layers.append("unprivileged-user")
        isolation.drop_capabilities()
        layers.append("no-capabilities")
        if torch is None and scratch is None:  # without the private root torch's files stay readable
            layers.append("no-torch")
        layers.append("process-group")
        isolation.apply_rlimits(limits)
        layers.append("rlimits")
        null = os.open("/dev/null", os.O_RDONLY)
        os.dup2(null, 0)
        os.dup2(out_fd, 1)
        os.dup2(out_fd, 2)
        os.close(null)
        os.close(out_fd)
        sys.stdin = open(0, encoding="utf-8", closefd=False)  # noqa: SIM115
        sys.stdout = io.TextIOWrapper(open(1, "wb", closefd=False), line_buffering=True,
                                      errors="replace")
        sys.stderr = io.TextIOWrapper(open(2, "wb", closefd=False), line_buffering=True,
                                      errors="replace")
        settings = request["settings"]
        executor = Executor(
            Path.cwd() / settings["file"],
            ExecutorSettings(module_name=settings["module_name"],
                             forbidden_ops=frozenset(settings.get("forbidden_ops", [])),
                             default_dtype=settings.get("default_dtype")),
            arena=arena,
        )
        if seccomp.supported():
            seccomp.install()  # last: setup above needs mounts and a uid change
            layers.append("syscall-filter")
    except BaseException as exc:  # noqa: BLE001 - report, then die
        try:
            wire.send_frame(sock, wire.encode({"setup_failed": f"{type(exc).__name__}: {exc}"}))
        finally:
            os._exit(3)
    wire.send_frame(sock, wire.encode({"ready": True, "isolation": layers}))
    _serve_requests(sock, executor)


def _serve_requests(sock: socket.socket, executor: Executor) -> None:
    sock.settimeout(None)
    while True:
        try:
            frame = wire.recv_frame(sock)
        except (EOFError, OSError):
            os._exit(0)
        request_id = None
        try:
            request = wire.decode(frame, resolve=executor.resolve, arena=executor.arena)
            request_id = request.get("id")
            if request.get("op") == "exit":
                os._exit(0)
            reply = executor.handle(request)
        except wire.WireError as exc:
            reply = {"raised": "TypeError", "msg": str(exc), "where": ""}
        _flush()
        try:
            out = wire.encode({"id": request_id, **reply}, on_unknown=executor.keep)
        except wire.WireError as exc:
            out = wire.encode({"id": request_id, "raised": "TypeError",
                               "msg": f"returned a value that cannot be graded ({exc})", "where": ""})
        wire.send_frame(sock, out)


def _flush() -> None:
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:  # noqa: BLE001 - a student may have replaced or closed it
            pass


def main() -> None:
    _die_with_parent()
    control = socket.socket(fileno=int(sys.argv[1]))
    warm_up()
    serve(control)


if __name__ == "__main__":
    main()
