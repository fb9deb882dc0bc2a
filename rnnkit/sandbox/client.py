"""The grader's side of the sandbox: start the warm parent, spawn children, talk to them.

    Zygote            one warm parent per grading session (torch imported once)
    ChildProcess      one sandboxed child: request/reply with a deadline, kill, captured output
"""

from __future__ import annotations

import atexit
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from rnnkit import wire
from rnnkit.sandbox import cgroups
from rnnkit.sandbox.arena import Arena
from rnnkit.sandbox.output import OutputDrain

SCRUBBED_ENV = {
    "PATH": "/usr/bin:/bin",
    "LANG": "C.UTF-8",
    "HOME": "/tmp",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "PYTHONHASHSEED": "0",
}


class ChildGone(Exception):
    """The child died, closed its socket or broke the protocol."""


class ChildTimeout(Exception):
    """The child did not answer before the deadline (it has been killed)."""


class ZygoteError(RuntimeError):
    """The warm parent could not be started or stopped answering."""


def _uid_of(pid: int) -> int | None:
    """The real uid of a process, as the host's kernel tells the grader (not as the child says)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("Uid:"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return None


class ChildProcess:
    def __init__(self, sock: socket.socket, pid: int, drain: OutputDrain, isolation: list[str],
                 arena: Arena, memory_cgroup: Path | None = None, memory_limit: int = 0) -> None:
        self.sock = sock
        self.pid = pid
        self.drain = drain
        self.isolation = isolation
        self.arena = arena
        self.memory_cgroup = memory_cgroup
        self.memory_limit_gib = memory_limit / (1 << 30)
        self.uid = _uid_of(pid)
        self.alive = True
        self._next_id = 0

    def out_of_memory(self) -> bool:
        """Whether the child hit its memory cgroup's limit (read from the host's cgroup files)."""
        return self.memory_cgroup is not None and cgroups.memory_exhausted(self.memory_cgroup)

    def request(self, message: dict[str, Any], timeout: float, resolve: wire.Resolver | None) -> dict[str, Any]:
        """Send one request and read exactly one reply, or kill the child."""
        if not self.alive:
            raise ChildGone("the submission process is not running")
        self._next_id += 1
        request_id = self._next_id
        deadline = time.monotonic() + timeout
        try:
            wire.send_frame(self.sock, wire.encode({"id": request_id, **message}))
            frame = wire.recv_frame(self.sock, limit=wire.REPLY_LIMITS.message_bytes, deadline=deadline)
        except TimeoutError as exc:
            self.kill()
            raise ChildTimeout(f"no answer within {timeout:g} s") from exc
        except (EOFError, OSError) as exc:
            self.kill()
            raise ChildGone("the submission process died (exit, crash or signal)") from exc
        except wire.WireError as exc:
            self.kill()
            raise ChildGone(f"the submission process sent an invalid reply ({exc})") from exc
        try:  # bounded in size, count and time: the decoding counts against the call's deadline
            reply = wire.decode(frame, resolve=resolve, limits=wire.REPLY_LIMITS, deadline=deadline)
        except TimeoutError as exc:
            self.kill()
            raise ChildTimeout(f"no answer within {timeout:g} s") from exc
        except wire.WireError as exc:
            self.kill()
            raise ChildGone(f"the submission process sent an invalid reply ({exc})") from exc
        if type(reply) is not dict or reply.get("id") != request_id:
            self.kill()
            raise ChildGone("the submission process sent a reply that does not match the request")
        return reply

    def kill(self) -> None:
        """Kill the child and everything it started (its pid namespace, or its process group)."""
        if self.alive:
            self.alive = False
            for kill in (os.killpg, os.kill):
                try:
                    kill(self.pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
        try:
            self.sock.close()
        except OSError:
            pass
        self.arena.close()

    def close(self) -> None:
        if self.alive:
            try:
                wire.send_frame(self.sock, wire.encode({"op": "exit"}))
            except OSError:
                pass
        self.kill()


def isolation_defaults() -> Any:
    from rnnkit.sandbox.isolation import Limits  # ctypes and libc: loaded only where children start

    return Limits()


_SHARED: dict[tuple[bool, str], Zygote] = {}


def shared_zygote(namespaces: bool = True, flavor: str = "torch") -> Zygote:
    """One warm parent per process, isolation choice and flavor ("torch", or "numpy" for numpy-only
    exercises: torch never imported), reused by every grading run in it."""
    zygote = _SHARED.get((namespaces, flavor))
    if zygote is None or not zygote.running:
        zygote = _SHARED[(namespaces, flavor)] = Zygote(namespaces=namespaces, flavor=flavor)
    return zygote


@atexit.register
def _close_shared() -> None:
    for zygote in _SHARED.values():
        zygote.close()
    _SHARED.clear()


class Zygote:
    """The warm parent process. Thread-compatible: spawns are serialised by a lock."""

    def __init__(self, namespaces: bool = True, start_timeout: float = 120.0, flavor: str = "torch") -> None:
        self.namespaces = namespaces
        self.flavor = flavor
        self._lock = threading.Lock()
        self._control, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.proc = subprocess.Popen(
            [sys.executable, "-I", "-m", "rnnkit.sandbox.zygote", str(theirs.fileno()), flavor],
            pass_fds=[theirs.fileno()], env=SCRUBBED_ENV, stdin=subprocess.DEVNULL,
            cwd="/", start_new_session=True,
        )
        theirs.close()
        self._control.settimeout(start_timeout)
        self._ready = False

    def wait_ready(self) -> None:
        if self._ready:
            return
        try:
            message = self._control.recv(1 << 16)
        except (TimeoutError, OSError) as exc:
            raise ZygoteError(f"the sandbox parent did not start: {exc}") from exc
        if not message:
            raise ZygoteError(f"the sandbox parent exited with code {self.proc.wait()}")
        self._ready = True
        self._control.settimeout(30.0)

    @property
    def running(self) -> bool:
        return self.proc.poll() is None

    def spawn(self, files: dict[str, int], settings: dict[str, Any], limits: dict[str, Any] | None = None,
              ready_timeout: float = 30.0) -> ChildProcess:
        """Fork a sandboxed child holding copies of ``files`` (name -> a descriptor the grader opened;
        the caller closes it)."""
        arena = Arena.create()
        with self._lock:
            self.wait_ready()
            ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
            out_read, out_write = os.pipe()
            request = {"files": list(files), "settings": settings, "namespaces": self.namespaces,
                       "limits": limits or {}}
            try:
                socket.send_fds(self._control, [json.dumps(request).encode()],
                                [theirs.fileno(), out_write, arena.fd, *files.values()])
                answer = self._control.recv(1 << 16)
            except OSError as exc:
                arena.close()
                raise ZygoteError(f"the sandbox parent stopped answering: {exc}") from exc
            finally:
                theirs.close()
                os.close(out_write)
            told = json.loads(answer) if answer else {}
            if "pid" not in told:
                os.close(out_read)
                arena.close()
                raise ZygoteError("the sandbox parent refused to start a child")
        drain = OutputDrain(out_read)
        drain.start()
        deadline = time.monotonic() + ready_timeout
        try:
            first = wire.decode(wire.recv_frame(ours, deadline=deadline))
            pid = first["pid"]
            hello = wire.decode(wire.recv_frame(ours, deadline=deadline))
        except (EOFError, OSError, TimeoutError, wire.WireError, KeyError, TypeError) as exc:
            ours.close()
            arena.close()
            raise ZygoteError(f"a sandbox child did not start: {exc}") from exc
        memory = Path(told["memory_cgroup"]) if told.get("memory_cgroup") else None
        limit = int((limits or {}).get("memory_bytes", isolation_defaults().memory_bytes))
        child = ChildProcess(ours, pid, drain, list(hello.get("isolation", [])), arena, memory, limit)
        if "setup_failed" in hello:
            child.kill()
            raise ZygoteError(f"sandbox setup failed: {hello['setup_failed']}")
        return child

    def close(self) -> None:
        try:
            self._control.close()
        finally:
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
