"""Readers: a folder, a zip, a tarball, a git bundle or one file, into a checked ``Tree``.

Every reader refuses links, devices and bad names before writing a byte, counts sizes as it
copies, and unpacks an archive found inside the submission once (``Limits.max_nesting``).
"""

from __future__ import annotations

import os
import stat
import tarfile
import zipfile
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import IO

from rnnkit.intake.model import Limits, Rejected
from rnnkit.intake.tree import CHUNK, Tree, clean_name, raw_name_ok

ARCHIVE_SUFFIXES = (".zip", ".tar.gz", ".tgz", ".tar", ".bundle")
ROOT = PurePosixPath()
SKIPPED_FOLDERS = {".git", ".venv", "venv", "__pycache__", ".ipynb_checkpoints", ".pytest_cache"}


def sniff(path: Path) -> str:
    """The kind of a submitted file, from its first bytes (the name only for .py and .ipynb)."""
    with open(path, "rb") as handle:
        head = handle.read(512)
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return "zip"
    if head.startswith((b"\x1f\x8b", b"BZh", b"\xfd7zXZ")) or head[257:262] == b"ustar":
        return "tar"
    if head.startswith((b"# v2 git bundle", b"# v3 git bundle")):
        return "git-bundle"
    if path.suffix == ".py":
        return "py"
    if path.suffix == ".ipynb":
        return "ipynb"
    return "unknown"


def _chunks(handle: IO[bytes]) -> Iterator[bytes]:
    while chunk := handle.read(CHUNK):
        yield chunk


def _nested(tree: Tree, rel: PurePosixPath, data: IO[bytes], depth: int, scratch: Path) -> bool:
    """Unpack an archive member into the tree (below ``rel``'s folder); False if it is no archive."""
    if not rel.name.lower().endswith(ARCHIVE_SUFFIXES[:4]):
        return False
    if depth >= tree.limits.max_nesting:
        raise Rejected("nested-archive", f"{str(rel)!r} is an archive inside an archive inside the submission; "
                                         "send one archive of the folder")
    spill = scratch / f"nested-{tree.count}"
    with open(spill, "xb") as out:
        size = 0
        for chunk in _chunks(data):
            size += len(chunk)
            if size > tree.limits.max_archive_bytes:
                raise Rejected("too-large", f"the archive {str(rel)!r} is larger than {tree.limits.max_archive_bytes} bytes")
            out.write(chunk)
    kind = sniff(spill)
    prefix = rel.parent / (rel.name + ".d")
    if kind == "zip":
        read_zip(spill, tree, depth + 1, scratch, prefix)
    elif kind == "tar":
        read_tar(spill, tree, depth + 1, scratch, prefix)
    else:
        raise Rejected("corrupt", f"{str(rel)!r} is named like an archive but is not one")
    spill.unlink()
    return True


def _zip_name(info: zipfile.ZipInfo) -> str:
    if info.flag_bits & 0x800:
        return info.filename
    return raw_name_ok(info.orig_filename.encode("cp437"))


def read_zip(path: Path, tree: Tree, depth: int, scratch: Path, prefix: PurePosixPath = ROOT) -> None:
    try:
        archive = zipfile.ZipFile(path)
    except UnicodeDecodeError:
        raise Rejected("bad-name", "the zip marks a name as UTF-8 that is not valid UTF-8; rename the file") from None
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise Rejected("corrupt", f"the zip cannot be read ({exc}); create it again (zip -r kit.zip kit)") from None
    with archive:
        infos = archive.infolist()
        declared = sum(i.file_size for i in infos)
        for info in infos:
            mode = info.external_attr >> 16
            if stat.S_ISLNK(mode):
                raise Rejected("link", f"{info.filename!r} is a symbolic link; zip the files themselves (zip -r without -y)")
            if mode and (stat.S_ISCHR(mode) or stat.S_ISBLK(mode) or stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)):
                raise Rejected("device", f"{info.filename!r} is a device file or pipe; leave it out")
            if info.flag_bits & 0x1:
                raise Rejected("corrupt", "the zip is password-protected; send it without a password")
            if info.file_size > tree.limits.ratio_floor and info.file_size > tree.limits.max_ratio * max(info.compress_size, 1):
                raise Rejected("bomb", f"{info.filename!r} claims {info.file_size} bytes from {info.compress_size} "
                                       "compressed: it looks like a zip bomb")
        if declared > tree.limits.max_total_bytes:
            raise Rejected("bomb" if declared > tree.limits.max_ratio * path.stat().st_size else "too-large",
                           f"the zip unpacks to {declared} bytes (at most {tree.limits.max_total_bytes})")
        for info in infos:
            rel = clean_name(_zip_name(info))
            if rel is None or info.is_dir():
                continue
            rel = prefix / rel
            try:
                with archive.open(info) as data:
                    if not _nested(tree, rel, data, depth, scratch):
                        tree.add(rel, _chunks(data), info.file_size)
            except (zipfile.BadZipFile, EOFError, OSError, NotImplementedError) as exc:
                raise Rejected("corrupt", f"{info.filename!r} cannot be unpacked ({exc}); create the zip again") from None
        tree.check_ratio(path.stat().st_size)


def read_tar(path: Path, tree: Tree, depth: int, scratch: Path, prefix: PurePosixPath = ROOT) -> None:
    try:
        archive = tarfile.open(path, mode="r|*", encoding="utf-8", errors="surrogateescape")
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise Rejected("corrupt", f"the tarball cannot be read ({exc}); create it again (tar czf kit.tar.gz kit)") from None
    try:
        with archive:
            for member in archive:
                if member.issym() or member.islnk():
                    raise Rejected("link", f"{member.name!r} is a {'symbolic' if member.issym() else 'hard'} link "
                                           f"(to {member.linkname!r}); archive the files themselves")
                if member.ischr() or member.isblk() or member.isfifo():
                    raise Rejected("device", f"{member.name!r} is a device file or pipe; leave it out")
                rel = clean_name(member.name)
                if rel is None or member.isdir():
                    continue
                if not member.isreg():
                    raise Rejected("unsupported", f"{member.name!r} is neither a file nor a folder")
                rel = prefix / rel
                data = archive.extractfile(member)
                if data is None:
                    raise Rejected("corrupt", f"{member.name!r} cannot be read")
                if not _nested(tree, rel, data, depth, scratch):
                    tree.add(rel, _chunks(data), member.size)
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise Rejected("corrupt", f"the tarball is damaged ({exc}); create it again") from None
    tree.check_ratio(path.stat().st_size)


def _regular(path: Path, shown: str) -> os.stat_result:
    info = os.lstat(path)
    if stat.S_ISLNK(info.st_mode):
        raise Rejected("link", f"{shown!r} is a symbolic link; submit the file itself")
    if not stat.S_ISREG(info.st_mode) and not stat.S_ISDIR(info.st_mode):
        raise Rejected("device", f"{shown!r} is a device file, pipe or socket; leave it out")
    if stat.S_ISREG(info.st_mode) and info.st_nlink > 1:
        raise Rejected("link", f"{shown!r} is a hard link (it has {info.st_nlink} names); submit a copy")
    return info


def copy_file(source: Path, rel: PurePosixPath, tree: Tree) -> None:
    """Copy one regular file (never through a link) into the tree."""
    info = _regular(source, str(rel))
    fd = os.open(source, os.O_RDONLY | os.O_NOFOLLOW)
    with os.fdopen(fd, "rb") as handle:
        if os.fstat(handle.fileno()).st_ino != info.st_ino:
            raise Rejected("link", f"{str(rel)!r} changed while it was read")
        tree.add(rel, _chunks(handle), info.st_size)


def read_folder(root: Path, tree: Tree) -> None:
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        here = Path(dirpath)
        for name in list(dirnames):
            shown = (here / name).relative_to(root).as_posix()
            _regular(here / name, shown)
            if name in SKIPPED_FOLDERS:
                dirnames.remove(name)
        dirnames.sort()
        for name in sorted(filenames):
            source = here / name
            rel = clean_name(source.relative_to(root).as_posix())
            if rel is not None:
                copy_file(source, rel, tree)


def read_any(path: Path, kind: str, tree: Tree, scratch: Path, limits: Limits) -> None:
    if kind in ("zip", "tar") and path.stat().st_size > limits.max_archive_bytes:
        raise Rejected("too-large", f"the archive is {path.stat().st_size} bytes (at most {limits.max_archive_bytes})")
    if kind == "zip":
        read_zip(path, tree, 0, scratch)
    elif kind == "tar":
        read_tar(path, tree, 0, scratch)
    else:
        raise Rejected("unsupported", f"{path.name!r} is not a folder, .zip, .tar.gz, git bundle, .py or .ipynb file")
