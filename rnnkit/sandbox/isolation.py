"""Isolation layers for a sandbox child, set up by trusted code before any submission code runs.

Layers, strongest first, each tried and reported by name (results list what was in force):

- ``namespaces``: new user, mount, pid, network and IPC namespaces (``unshare`` through libc).
- ``no-network``: the new network namespace has no interface but a down loopback.
- ``private-root``: ``pivot_root`` into a fresh tmpfs holding read-only binds of only the system
  and Python folders, a scratch ``/submission`` with the allow-listed files and a private ``/tmp``;
  the kit (hidden tests, solutions), other submissions and home folders do not exist there.
- ``unprivileged-user``: the submission runs as an unprivileged host user (``SANDBOX_UID``, nobody)
  even when the grader is root, so nothing of the host it can reach is writable (``/proc/sys``, the
  cgroup files). Without it (a grader that is not root) it runs as the grader's own user.
- ``no-capabilities``: all capabilities dropped, ``no_new_privs`` and locked securebits.
- ``syscall-filter``: a seccomp filter (``seccomp.py``): no nested namespaces, no threads, no
  mounts, no ``memfd_create``, no ``ptrace``.
- ``rlimits``: CPU seconds, address space, file size, open files, no core dumps.
- ``process-group``: the child leads its own session, so a kill reaches everything it started.
- ``memory-limit`` (``cgroups.py``): a memory cgroup per child, so memory the address-space
  limit does not count (tmpfs files, shared memory) is capped too.
- ``scratch-dir``: the fallback without namespaces, a private temporary folder as working dir.

Hosts that forbid unprivileged user namespaces (some desktop distributions) get the fallback.
"""

from __future__ import annotations

import ctypes
import os
import resource
import sys
from dataclasses import dataclass
from pathlib import Path

CLONE_NEWNS = 0x00020000
CLONE_NEWIPC = 0x08000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000

MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 32, 4096, 16384, 1 << 18
MNT_DETACH = 2
SANDBOX_UID = SANDBOX_GID = 65534  # nobody / nogroup: owns nothing on the host
PR_SET_NO_NEW_PRIVS, PR_CAPBSET_DROP, PR_SET_SECUREBITS = 38, 24, 28
SECUREBITS_ALL_LOCKED = 0xEF  # noroot, no_setuid_fixup, keep_caps_locked, no_cap_ambient_raise (+locks)
SYS_PIVOT_ROOT = {"x86_64": 155, "aarch64": 41}

_libc = ctypes.CDLL(None, use_errno=True)


def _check(result: int, what: str) -> None:
    if result != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def _mount(src: str | None, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    _check(_libc.mount(src.encode() if src else None, target.encode(),
                       fstype.encode() if fstype else None, flags,
                       data.encode() if data else None), f"mount {target}")


@dataclass(frozen=True)
class Limits:
    cpu_s: int = 600
    address_space_bytes: int = 4 << 30  # added on top of what the warm parent already maps
    file_size_bytes: int = 64 << 20
    open_files: int = 256
    root_tmpfs: str = "size=128m,nr_inodes=20000,mode=755"  # also holds /tmp: capped
    memory_bytes: int = 2 << 30  # the memory cgroup's limit (memory + swap), where there is one


def enter_namespaces() -> list[str]:
    """Called in the intermediate child: new namespaces, or [] where the host refuses them.

    A root grader maps two ids into the new user namespace: 0 -> host root, used only by rnnkit's
    own setup (mounts), and SANDBOX_UID -> the same unprivileged host id, which the child switches
    to before any submission code runs. Writing a map of two ids needs CAP_SETUID in the parent
    namespace, which this process loses when it unshares, so a helper forked beforehand writes it.
    Any other grader maps only itself (it is unprivileged already).
    """
    uid, gid = os.getuid(), os.getgid()
    flags = CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC
    if uid != 0:
        if _libc.unshare(flags) != 0:
            return []
        try:
            Path("/proc/self/setgroups").write_text("deny")
            Path("/proc/self/uid_map").write_text(f"0 {uid} 1")
            Path("/proc/self/gid_map").write_text(f"0 {gid} 1")
            _mount(None, "/", None, MS_REC | MS_PRIVATE)
        except OSError:
            return []
        return ["namespaces", "no-network"]
    if not _unshare_mapped_by_helper(flags):
        return []
    try:
        _mount(None, "/", None, MS_REC | MS_PRIVATE)
    except OSError:
        return []
    return ["namespaces", "no-network", "unprivileged-user"]


def _unshare_mapped_by_helper(flags: int) -> bool:
    """unshare(flags), with the uid/gid maps written by a forked helper that stays outside."""
    target = os.getpid()
    go_r, go_w = os.pipe()
    helper = os.fork()
    if helper == 0:  # still in the host's user namespace, with CAP_SETUID there
        code = 1
        try:
            os.close(go_w)
            if os.read(go_r, 1) == b"u":
                maps = f"0 0 1\n{SANDBOX_UID} {SANDBOX_UID} 1"
                Path(f"/proc/{target}/uid_map").write_text(maps)
                Path(f"/proc/{target}/gid_map").write_text(maps.replace(str(SANDBOX_UID), str(SANDBOX_GID)))
                code = 0
        finally:
            os._exit(code)
    os.close(go_r)
    ok = _libc.unshare(flags) == 0
    os.write(go_w, b"u" if ok else b"n")
    os.close(go_w)
    _, status = os.waitpid(helper, 0)
    return ok and os.waitstatus_to_exitcode(status) == 0


def switch_to_sandbox_user(work: Path) -> bool:
    """In the child, after the mounts: become SANDBOX_UID (owner of the scratch folder ``work``).
    False where that id is not mapped (a grader that is not root): the child stays who it is."""
    try:
        os.chown(work, SANDBOX_UID, SANDBOX_GID)
        os.setgroups([])
        os.setresgid(SANDBOX_GID, SANDBOX_GID, SANDBOX_GID)
        os.setresuid(SANDBOX_UID, SANDBOX_UID, SANDBOX_UID)
    except OSError:
        return False
    return True


def _bind_readonly(src: Path, root: Path) -> None:
    src = src.resolve()
    if not src.exists():
        return
    target = root / str(src).lstrip("/")
    if src.is_dir():
        target.mkdir(parents=True, exist_ok=True)
    else:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.touch()
    _mount(str(src), str(target), None, MS_BIND | MS_REC)
    locked = os.statvfs(src).f_flag & (MS_NOSUID | MS_NODEV | MS_NOEXEC)
    _mount(None, str(target), None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | locked)


def _system_paths() -> list[Path]:
    """What Python, numpy and torch need to keep running: system libraries and the interpreter."""
    paths = [Path("/usr"), Path("/etc/ld.so.cache"), Path("/etc/localtime"),
             Path(sys.base_prefix), Path(sys.prefix)]
    rnnkit_pkg = Path(__file__).resolve().parent.parent
    paths.append(rnnkit_pkg)
    for entry in sys.path:
        p = Path(entry)
        if entry and p.is_dir() and any(p.resolve().is_relative_to(b.resolve()) for b in paths[:5]):
            paths.append(p)
    return paths


def build_private_root(mountpoint: Path, files: dict[str, bytes], limits: Limits,
                       hidden: list[Path] | None = None) -> None:
    """In the grandchild (pid 1 of the new pid namespace): pivot into a minimal root.

    Afterwards ``/`` holds: read-only system and Python folders, ``/proc`` of this namespace only,
    ``/dev/{null,zero,urandom,random}``, a writable ``/tmp`` and ``/submission`` (the cwd) with the
    allow-listed submission files. Everything else on the host is unreachable.
    """
    root = mountpoint
    _mount("tmpfs", str(root), "tmpfs", MS_NOSUID | MS_NODEV, limits.root_tmpfs)
    for link in ("bin", "lib", "lib64", "sbin"):
        host = Path("/") / link
        if host.is_symlink():
            (root / link).symlink_to(os.readlink(host))
    bound: list[Path] = []
    for path in _system_paths():
        real = path.resolve()
        if any(real.is_relative_to(b) for b in bound):
            continue  # already visible through an earlier bind
        _bind_readonly(real, root)
        bound.append(real)
    for folder in hidden or []:  # an empty read-only folder over each (torch, for numpy exercises)
        target = root / str(folder.resolve()).lstrip("/")
        if target.is_dir():
            _mount("tmpfs", str(target), "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=4k,mode=555")
    # These folders may already exist when a bound path lies under them (a kit in /tmp/...).
    (root / "proc").mkdir(exist_ok=True)
    _mount("proc", str(root / "proc"), "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    # Kernel settings stay read-only whoever the child is (the host's /proc/sys is writable by root).
    _mount(str(root / "proc/sys"), str(root / "proc/sys"), None, MS_BIND | MS_REC)
    _mount(None, str(root / "proc/sys"), None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC)
    (root / "dev").mkdir(exist_ok=True)
    for dev in ("null", "zero", "urandom", "random"):
        (root / "dev" / dev).touch()
        _mount(f"/dev/{dev}", str(root / "dev" / dev), None, MS_BIND)
    (root / "tmp").mkdir(exist_ok=True)
    os.chmod(root / "tmp", 0o1777)
    work = root / "submission"
    work.mkdir(exist_ok=True)
    for name, data in files.items():
        (work / name).write_bytes(data)
    old = root / ".old"
    old.mkdir()
    number = SYS_PIVOT_ROOT.get(os.uname().machine)
    if number is None:
        raise OSError("pivot_root: unknown architecture")
    _check(_libc.syscall(number, str(root).encode(), str(old).encode()), "pivot_root")
    os.chdir("/")
    _check(_libc.umount2(b"/.old", MNT_DETACH), "umount old root")
    os.rmdir("/.old")
    os.chdir("/submission")


def lock_privileges(with_securebits: bool = True) -> None:
    """No way to regain capabilities by exec (securebits, bounding set), no new privileges.
    The first two need CAP_SETPCAP (call before switching to the sandbox user); a process that
    never had capabilities (the fallback of a grader that is not root) skips them."""
    if with_securebits:
        _check(_libc.prctl(PR_SET_SECUREBITS, SECUREBITS_ALL_LOCKED, 0, 0, 0), "securebits")
        cap = 0
        while _libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) == 0:
            cap += 1
    _check(_libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs")


def drop_capabilities() -> None:
    """No capabilities left in any set (a uid change keeps them under the locked securebits)."""

    class Header(ctypes.Structure):
        _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]

    class Data(ctypes.Structure):
        _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32),
                    ("inheritable", ctypes.c_uint32)]

    header = Header(0x20080522, 0)
    data = (Data * 2)()
    _check(_libc.capset(ctypes.byref(header), data), "capset")


def apply_rlimits(limits: Limits) -> None:
    mapped = _vm_size_bytes()
    for name, value in (
        (resource.RLIMIT_CORE, 0),
        (resource.RLIMIT_CPU, limits.cpu_s),
        (resource.RLIMIT_FSIZE, limits.file_size_bytes),
        (resource.RLIMIT_NOFILE, limits.open_files),
        (resource.RLIMIT_AS, mapped + limits.address_space_bytes),
    ):
        resource.setrlimit(name, (value, value))


def _vm_size_bytes() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmSize:"):
            return int(line.split()[1]) * 1024
    return 1 << 30
