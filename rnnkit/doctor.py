"""``rnnkit doctor``: which isolation layers this host gives a sandbox child, and how to get the rest.

It starts real children (one per warm-parent flavor) and reads what was in force from them and
from the host (the uid from /proc), then explains every layer that is missing.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from rnnkit.sandbox.client import shared_zygote
from rnnkit.sandbox.sandboxed import SandboxedSubmission
from rnnkit.sandbox.submission import SubmissionSpec

# layer -> (what it gives, how to get it where it is missing)
LAYERS: dict[str, tuple[str, str]] = {
    "process": ("the submission runs in its own process, never in the grader's", "always there"),
    "python-isolated": ("python -I: no user site, no PYTHON* variables", "always there"),
    "scrubbed-env": ("a minimal environment (no secrets in variables)", "always there"),
    "namespaces": ("new user, mount, pid, network and IPC namespaces",
                   "allow unprivileged user namespaces: sysctl user.max_user_namespaces=10000; on Debian "
                   "kernel.unprivileged_userns_clone=1; on Ubuntu 23.10+ "
                   "kernel.apparmor_restrict_unprivileged_userns=0; in a container, a seccomp profile that "
                   "allows unshare/clone with CLONE_NEWUSER"),
    "no-network": ("no network interface but a down loopback", "comes with namespaces"),
    "private-root": ("a fresh root: read-only system folders and the one submission file; the kit, "
                     "other submissions and home folders do not exist there", "comes with namespaces"),
    "unprivileged-user": ("the submission runs as nobody (65534) even when the grader is root",
                          "run the grader as root (it maps nobody into the namespace), or as an ordinary "
                          "user (the child is then that user: unprivileged already)"),
    "no-capabilities": ("every capability dropped, locked securebits, no_new_privs", "comes with namespaces"),
    "syscall-filter": ("seccomp: no nested namespaces, threads, mounts, memfd, ptrace, bpf",
                       "a kernel with seccomp filters on x86_64 or aarch64"),
    "pids-limit": ("a pids cgroup per child (32 tasks): a fork bomb stops at once",
                   "a writable pids cgroup: run as root on cgroup v1, or delegate a cgroup v2 subtree with the "
                   "pids controller to the grader's user (systemd-run --user -p Delegate=yes ...)"),
    "memory-limit": ("a memory cgroup per child (2 GiB): tmpfs and shared memory count too",
                     "a writable memory cgroup: as for pids-limit, with the memory controller"),
    "process-group": ("the child leads its own session: a kill reaches all it started", "always there"),
    "rlimits": ("CPU time, address space, file size and open files limited", "always there"),
    "no-torch": ("numpy-only exercises: torch neither imported nor importable", "comes with private-root"),
}


@dataclass(frozen=True)
class Diagnosis:
    active: dict[str, list[str]]  # flavor -> layers in force
    child_uid: int | None
    grader_uid: int

    def missing(self) -> list[str]:
        seen = {layer for layers in self.active.values() for layer in layers}
        optional = {"unprivileged-user"} if self.grader_uid != 0 else set()
        return [layer for layer in LAYERS if layer not in seen and layer not in optional]


def diagnose(namespaces: bool = True) -> Diagnosis:
    """Start one real child per flavor and read what isolation it got."""
    active: dict[str, list[str]] = {}
    uid: int | None = None
    with tempfile.TemporaryDirectory(prefix="rnnkit-doctor-") as folder:
        path = Path(folder) / "q000_doctor.py"
        path.write_text("def ping():\n    return 1\n")
        for flavor in ("torch", "numpy"):
            sub = SandboxedSubmission(SubmissionSpec("q000_doctor", path), shared_zygote(namespaces, flavor))
            try:
                sub.ping()
                active[flavor] = list(sub.isolation)
                uid = sub.child_uid if uid is None else uid
            finally:
                sub.close()
    return Diagnosis(active, uid, os.getuid())
