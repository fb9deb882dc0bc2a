"""Caps the kernel enforces on each sandbox child: processes and threads, and memory.

The pid namespace and the kill at the deadline end a fork bomb, but only at the deadline; until
then it could take every pid of the host (RLIMIT_NPROC does nothing for root). ``RLIMIT_AS``
does not count memory held outside the address space (tmpfs files, memfd). So, where the host
lets us (cgroup v1 hierarchies, or cgroup v2 with the controllers), each child's intermediate
process joins its own cgroup per controller before it forks the child, and everything the
submission starts counts against those caps. Elsewhere nothing changes and the results'
``isolation`` list does not name the layer.

    <controller root>/<the warm parent's own cgroup>/rnnkit-<warm parent pid>/   made and removed by it
        child-<intermediate pid>/   pids.max = 32 | memory limit    one per child, swept once empty

The child never sees these files (they are outside its private root), and it runs as an
unprivileged user, so it cannot lift its own caps.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

PIDS_MAX = 32  # processes + threads of one child: a submission needs 1-3, a fork bomb stops here
_ROOT = Path("/sys/fs/cgroup")


@dataclass(frozen=True)
class Controller:
    name: str  # "pids" or "memory"
    layer: str  # the isolation layer it gives
    v1_limits: tuple[str, ...]  # files written with the limit (v1)
    v2_limits: tuple[str, ...]  # files written with the limit (v2); "memory.swap.max" gets 0

    def limit_files(self, folder: Path) -> list[tuple[Path, str]]:
        v2 = (folder / "cgroup.type").exists() or (folder / "cgroup.controllers").exists()
        names = self.v2_limits if v2 else self.v1_limits
        return [(folder / n, n) for n in names if (folder / n).exists()]


PIDS = Controller("pids", "pids-limit", ("pids.max",), ("pids.max",))
# v1: memory first, then memory+swap (the kernel wants memsw >= memory at every step)
MEMORY = Controller("memory", "memory-limit", ("memory.limit_in_bytes", "memory.memsw.limit_in_bytes"),
                    ("memory.max", "memory.swap.max"))


def _own_path(controller: str) -> str:
    """This process's cgroup in ``controller``'s v1 hierarchy, or in the v2 one for "" ("/" on most
    hosts; deeper in a container, whose limits the children must stay under)."""
    try:
        for line in Path("/proc/self/cgroup").read_text().splitlines():
            number, names, path = line.split(":", 2)
            if (controller in names.split(",")) if controller else (number == "0" and not names):
                return path
    except (OSError, ValueError):
        pass
    return "/"


def _bases(controller: Controller) -> list[Path]:
    bases = []
    v1 = _ROOT / controller.name
    if (v1 / "cgroup.procs").exists():
        bases.append(v1 / _own_path(controller.name).lstrip("/"))
    try:
        if controller.name in (_ROOT / "cgroup.subtree_control").read_text().split():
            bases.append(_ROOT / _own_path("").lstrip("/"))
    except OSError:
        pass
    return bases


def make_parent(controller: Controller, name: str) -> Path | None:
    """A fresh cgroup under which children get their caps, or None where the host offers none.
    Also removes what warm parents that died without cleaning up left behind."""
    for base in _bases(controller):
        for stale in base.glob("rnnkit-*"):
            owner = stale.name.removeprefix("rnnkit-")
            if owner.isdigit() and not Path(f"/proc/{owner}").exists():
                sweep(stale, remove_parent=True, wait_s=0)
        folder = base / name
        try:
            folder.mkdir(exist_ok=True)
            if (folder / "cgroup.subtree_control").exists():  # v2: hand the controller to the children
                (folder / "cgroup.subtree_control").write_text(f"+{controller.name}")
            probe = folder / "child-probe"
            probe.mkdir(exist_ok=True)
            usable = bool(controller.limit_files(probe))
            probe.rmdir()
            if usable:
                return folder
            folder.rmdir()
        except OSError:
            continue
    return None


def join_child(controller: Controller, parent: Path, limit: int) -> Path | None:
    """Move this process into a new cgroup ``parent/child-<pid>`` capped at ``limit`` (tasks or
    bytes); returns it, or None if that failed. Call before entering a user namespace."""
    folder = parent / f"child-{os.getpid()}"
    try:
        folder.mkdir(exist_ok=True)
        for path, name in controller.limit_files(folder):
            path.write_text("0" if name == "memory.swap.max" else str(limit))
        (folder / "cgroup.procs").write_text(str(os.getpid()))
    except OSError:
        return None
    return folder


def memory_exhausted(folder: Path) -> bool:
    """Whether the child in this memory cgroup hit its limit (read by the trusted side)."""
    try:
        if (folder / "memory.events").exists():
            events = dict(line.split() for line in (folder / "memory.events").read_text().splitlines())
            return int(events.get("oom_kill", "0")) > 0 or int(events.get("max", "0")) > 0
        control = dict(line.split() for line in (folder / "memory.oom_control").read_text().splitlines())
        return int(control.get("oom_kill", "0")) > 0 or int((folder / "memory.failcnt").read_text()) > 0
    except (OSError, ValueError):
        return False


def sweep(parent: Path, remove_parent: bool = False, wait_s: float = 2.0) -> None:
    """Remove the children's cgroups that are empty (a busy one refuses, and stays for next time).
    With ``remove_parent``, also the parent, waiting up to ``wait_s`` for killed children to go."""
    deadline = time.monotonic() + wait_s
    while True:
        for folder in parent.glob("child-*"):
            try:
                folder.rmdir()
            except OSError:
                pass
        if not remove_parent:
            return
        try:
            parent.rmdir()
            return
        except OSError:
            if time.monotonic() >= deadline:
                return
            time.sleep(0.05)
