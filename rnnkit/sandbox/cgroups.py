"""A cap on the processes and threads of each sandbox child, with the kernel's pids controller.

The pid namespace and the kill at the deadline end a fork bomb, but only at the deadline; until
then it could take every pid of the host (RLIMIT_NPROC does nothing for root). Where the host
lets us (cgroup v1 `pids` hierarchy, or cgroup v2 with the pids controller), each child's
intermediate process joins its own cgroup with `pids.max` before it forks the child, so
everything the submission starts counts against that cap. Elsewhere nothing changes and the
results' `isolation` list does not name the layer.

    /sys/fs/cgroup/pids/rnnkit-<warm parent pid>/      made by the warm parent, removed at its end
        child-<intermediate pid>/  pids.max = PIDS_MAX  one per child, swept once empty
"""

from __future__ import annotations

import os
import time
from pathlib import Path

PIDS_MAX = 32  # processes + threads of one child: a submission needs 1-3, a fork bomb stops here
_V1 = Path("/sys/fs/cgroup/pids")
_V2 = Path("/sys/fs/cgroup")


def _bases() -> list[Path]:
    bases = [_V1] if (_V1 / "cgroup.procs").exists() else []
    try:
        if "pids" in (_V2 / "cgroup.subtree_control").read_text().split():
            bases.append(_V2)
    except OSError:
        pass
    return bases


def make_parent(name: str) -> Path | None:
    """A fresh cgroup under which children get their caps, or None where the host offers none.
    Also removes what warm parents that died without cleaning up left behind."""
    for base in _bases():
        for stale in base.glob("rnnkit-*"):
            owner = stale.name.removeprefix("rnnkit-")
            if owner.isdigit() and not Path(f"/proc/{owner}").exists():
                sweep(stale, remove_parent=True, wait_s=0)
        folder = base / name
        try:
            folder.mkdir(exist_ok=True)
            if (folder / "cgroup.subtree_control").exists():  # v2: hand the controller to the children
                (folder / "cgroup.subtree_control").write_text("+pids")
            probe = folder / "child-probe"
            probe.mkdir(exist_ok=True)
            usable = (probe / "pids.max").exists()
            probe.rmdir()
            if usable:
                return folder
            folder.rmdir()
        except OSError:
            continue
    return None


def join_child(parent: Path, limit: int = PIDS_MAX) -> bool:
    """Move this process into a new cgroup ``parent/child-<pid>`` capped at ``limit`` tasks.
    Call before entering a user namespace (after it the cgroup files are no longer ours)."""
    folder = parent / f"child-{os.getpid()}"
    try:
        folder.mkdir()
        (folder / "pids.max").write_text(str(limit))
        (folder / "cgroup.procs").write_text(str(os.getpid()))
    except OSError:
        return False
    return True


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
