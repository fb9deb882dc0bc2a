"""A seccomp filter for the sandbox child: the system calls no exercise needs are refused.

Installed by trusted code as the last step of the child's setup, after ``no_new_privs``; it
cannot be removed, and every process or thread the submission starts inherits it. Refused calls
fail with EPERM (the Python code sees an ``OSError``), nothing is killed:

- new namespaces (``unshare``, ``setns``, ``clone`` with a ``CLONE_NEW*`` flag): a nested user
  namespace would hand the child a fresh set of capabilities;
- threads (``clone`` with ``CLONE_THREAD``): the runtime tripwires (numpy's error mode, torch's
  function modes) are per thread, so the submission's code runs on the one thread they watch;
- mounts and the new mount API, ``chroot``, ``pivot_root``;
- memory the address-space limit does not see (``memfd_create``, ``memfd_secret``) and kernel
  interfaces an exercise never needs (``ptrace``, ``process_vm_*``, ``bpf``, ``perf_event_open``,
  ``userfaultfd``, ``io_uring_*``, keyrings, modules, ``syslog``, ``reboot``, ...).

``clone3`` is refused with ENOSYS so that the C library falls back to ``clone``, whose flags
the filter can read (``clone3`` passes them in memory, out of a filter's reach).
"""

from __future__ import annotations

import ctypes
import errno
import os
import struct

PR_SET_SECCOMP, SECCOMP_MODE_FILTER = 22, 2

# BPF opcodes (linux/filter.h)
_LD_W_ABS, _JEQ_K, _JSET_K, _JGE_K, _RET_K = 0x20, 0x15, 0x45, 0x35, 0x06
_RET_ALLOW = 0x7FFF0000
_RET_ERRNO = 0x00050000
_RET_KILL = 0x80000000

CLONE_THREAD = 0x00010000
CLONE_NEW_ANY = (0x00020000 | 0x02000000 | 0x04000000 | 0x08000000 | 0x10000000 | 0x20000000
                 | 0x40000000 | 0x00000080)  # NS, CGROUP, UTS, IPC, USER, PID, NET, TIME

# Architecture: audit number and the system call numbers the filter names.
_ARCH = {
    "x86_64": (0xC000003E, {
        "clone": 56, "clone3": 435, "unshare": 272, "setns": 308, "mount": 165, "umount2": 166,
        "pivot_root": 155, "chroot": 161, "open_tree": 428, "move_mount": 429, "fsopen": 430,
        "fsconfig": 431, "fsmount": 432, "fspick": 433, "mount_setattr": 442, "memfd_create": 319,
        "memfd_secret": 447, "ptrace": 101, "process_vm_readv": 310, "process_vm_writev": 311,
        "bpf": 321, "perf_event_open": 298, "userfaultfd": 323, "io_uring_setup": 425,
        "io_uring_enter": 426, "io_uring_register": 427, "keyctl": 250, "add_key": 248,
        "request_key": 249, "init_module": 175, "finit_module": 313, "delete_module": 176,
        "kexec_load": 246, "kexec_file_load": 320, "syslog": 103, "reboot": 169, "acct": 163,
        "swapon": 167, "swapoff": 168, "sethostname": 170, "setdomainname": 171, "iopl": 172,
        "ioperm": 173, "quotactl": 179, "lookup_dcookie": 212, "name_to_handle_at": 303,
        "open_by_handle_at": 304,
    }),
    "aarch64": (0xC00000B7, {
        "clone": 220, "clone3": 435, "unshare": 97, "setns": 268, "mount": 40, "umount2": 39,
        "pivot_root": 41, "chroot": 51, "open_tree": 428, "move_mount": 429, "fsopen": 430,
        "fsconfig": 431, "fsmount": 432, "fspick": 433, "mount_setattr": 442, "memfd_create": 279,
        "memfd_secret": 447, "ptrace": 117, "process_vm_readv": 270, "process_vm_writev": 271,
        "bpf": 280, "perf_event_open": 241, "userfaultfd": 282, "io_uring_setup": 425,
        "io_uring_enter": 426, "io_uring_register": 427, "keyctl": 219, "add_key": 217,
        "request_key": 218, "init_module": 105, "finit_module": 273, "delete_module": 106,
        "kexec_load": 104, "kexec_file_load": 294, "syslog": 116, "reboot": 142, "acct": 89,
        "swapon": 224, "swapoff": 225, "sethostname": 161, "setdomainname": 162,
        "quotactl": 60, "lookup_dcookie": 18, "name_to_handle_at": 264, "open_by_handle_at": 265,
    }),
}
_X32_BIT = 0x40000000  # x86_64: the x32 ABI's numbers, refused as a whole


class _Filter(ctypes.Structure):
    _fields_ = [("code", ctypes.c_uint16), ("jt", ctypes.c_uint8), ("jf", ctypes.c_uint8),
                ("k", ctypes.c_uint32)]


class _Program(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.POINTER(_Filter))]


def _op(code: int, k: int, jt: int = 0, jf: int = 0) -> tuple[int, int, int, int]:
    return (code, jt, jf, k)


def program(machine: str | None = None) -> list[tuple[int, int, int, int]]:
    """The filter as BPF instructions (code, jt, jf, k) for ``machine`` (``os.uname().machine``)."""
    arch, numbers = _ARCH[machine or os.uname().machine]
    eperm = _RET_ERRNO | errno.EPERM
    refused = sorted(v for k, v in numbers.items() if k not in ("clone", "clone3"))
    # seccomp_data: nr at 0, arch at 4, args[0] (low 32 bits, little endian) at 16
    prog = [_op(_LD_W_ABS, 4), _op(_JEQ_K, arch, jt=1), _op(_RET_K, _RET_KILL), _op(_LD_W_ABS, 0)]
    if arch == 0xC000003E:
        prog += [_op(_JGE_K, _X32_BIT, jf=1), _op(_RET_K, eperm)]
    prog += [_op(_JEQ_K, numbers["clone3"], jf=1), _op(_RET_K, _RET_ERRNO | errno.ENOSYS)]
    for nr in refused:
        prog += [_op(_JEQ_K, nr, jf=1), _op(_RET_K, eperm)]
    prog += [
        _op(_JEQ_K, numbers["clone"], jf=4),
        _op(_LD_W_ABS, 16),
        _op(_JSET_K, CLONE_NEW_ANY | CLONE_THREAD, jf=1),
        _op(_RET_K, eperm),
        _op(_RET_K, _RET_ALLOW),
        _op(_RET_K, _RET_ALLOW),
    ]
    return prog


def supported() -> bool:
    return os.uname().machine in _ARCH and struct.calcsize("P") == 8


def install() -> None:
    """Install the filter on this process (needs no_new_privs first). Raises OSError on failure."""
    instructions = program()
    filters = (_Filter * len(instructions))(*[_Filter(*i) for i in instructions])
    prog = _Program(len(instructions), filters)
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(prog), 0, 0) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"seccomp: {os.strerror(err)}")
