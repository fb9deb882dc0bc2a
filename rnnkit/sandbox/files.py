"""Submission files are opened by the grader, never followed: regular files only.

A submission whose exercise file is a symbolic link (to the kit's own reference solution, to
``/etc/shadow``) or a hard link (the same file under another name) must not be read through it.
``open_regular`` opens a file without following any link, on the last component and, below a
given root, on every folder on the way, and checks that what it opened is a regular file with one
name. The sandbox's warm parent receives the open descriptor, not the path.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from rnnkit.errors import SubmissionForbidden


class NotRegularFile(SubmissionForbidden):
    """The submission's file is a link, a device, a folder or a pipe: refused, never followed."""


def open_regular(path: Path, below: Path | None = None) -> int:
    """A read-only descriptor of ``path``, opened without following links. With ``below`` (a
    folder ``path`` lies in), every folder between the two is opened without following links too.
    Raises NotRegularFile (a student-safe message) or FileNotFoundError."""
    name = path.name
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK
    dir_fd = None
    try:
        if below is not None and path.is_relative_to(below):
            dir_fd = os.open(below, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
            for part in path.parent.relative_to(below).parts:
                try:
                    next_fd = os.open(part, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC,
                                      dir_fd=dir_fd)
                except OSError as exc:
                    if os.path.islink(os.path.join(below, *path.parent.relative_to(below).parts)):
                        raise NotRegularFile(f"the folder of {name} is a symbolic link; submit the files "
                                             "themselves") from exc
                    raise NotRegularFile(f"the folder {part} of {name} cannot be opened as a folder "
                                         "(a symbolic link?); submit the files themselves") from exc
                os.close(dir_fd)
                dir_fd = next_fd
            target: str = name
        else:
            target = str(path)
        try:
            fd = os.open(target, flags, dir_fd=dir_fd)
        except OSError as exc:
            if exc.errno == 40 or os.path.islink(path):  # ELOOP: the last component is a link
                raise NotRegularFile(f"{name} is a symbolic link; submit the file itself, not a link") from exc
            raise
    finally:
        if dir_fd is not None:
            os.close(dir_fd)
    info = os.fstat(fd)
    problem = ("is not a regular file (a folder, device or pipe)" if not stat.S_ISREG(info.st_mode)
               else f"is a hard link ({info.st_nlink} names for one file); submit a copy of it"
               if info.st_nlink != 1 else "")
    if problem:
        os.close(fd)
        raise NotRegularFile(f"{name} {problem}")
    os.set_blocking(fd, True)
    return fd


def read_regular(path: Path, below: Path | None = None, limit: int = 2 << 20) -> bytes:
    """The first ``limit`` bytes of a regular file, read as ``open_regular`` opens it."""
    fd = open_regular(path, below)
    with os.fdopen(fd, "rb") as fh:
        return fh.read(limit)
