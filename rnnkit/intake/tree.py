"""The scratch tree every reader writes into: names checked, sizes counted, nothing outside it.

Each member of a submission (a zip entry, a tar member, a git blob, a file of a folder) goes
through ``Tree.add``: its name is checked (no ``../``, no absolute path, valid UTF-8, no control
characters, no two names that differ only in case), its bytes are counted against the limits
while they are copied, and it is written with ``O_EXCL | O_NOFOLLOW`` below the tree's root only.
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Iterable
from pathlib import Path, PurePosixPath

from rnnkit.intake.model import Limits, Rejected

_DRIVE = re.compile(r"^[A-Za-z]:")
_CONTROL = re.compile("[\x00-\x1f\x7f]")
CHUNK = 1 << 16


def raw_name_ok(raw: bytes) -> str:
    """A member name from its raw bytes, or Rejected when they are not UTF-8."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        shown = raw.decode("utf-8", "backslashreplace")
        raise Rejected("bad-name", f"the name {shown!r} is not valid UTF-8; rename the file (plain "
                                   "ASCII names are safest) and submit again") from None


def clean_name(name: str) -> PurePosixPath | None:
    """The relative path a member name stands for, or Rejected; None for the root itself."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        raise Rejected("bad-name", f"the name {name.encode('utf-8', 'backslashreplace').decode()!r} "
                                   "is not valid UTF-8; rename the file and submit again") from None
    if _CONTROL.search(name):
        raise Rejected("bad-name", f"the name {name!r} holds control characters; rename the file")
    unified = name.replace("\\", "/")
    if unified.startswith("/") or _DRIVE.match(unified):
        raise Rejected("absolute-path", f"the archive holds an absolute path ({name!r}); archive the "
                                        "folder with relative paths (zip -r kit.zip kit)")
    parts = [p for p in unified.split("/") if p not in ("", ".")]
    if ".." in parts:
        raise Rejected("traversal", f"the archive holds a path that leaves it ({name!r}); archive the "
                                    "folder itself, without ../ in any name")
    return PurePosixPath(*parts) if parts else None


class Tree:
    """Files written below ``root`` under the limits, shared by every member of one submission."""

    def __init__(self, root: Path, limits: Limits) -> None:
        self.root = root
        self.limits = limits
        self.count = 0
        self.total = 0
        self.keys: dict[str, str] = {}
        root.mkdir(parents=True, exist_ok=False)

    def _key(self, rel: PurePosixPath) -> str:
        return unicodedata.normalize("NFC", str(rel)).casefold()

    def claim(self, rel: PurePosixPath, size_hint: int = 0) -> None:
        """Check a member before any byte of it is written."""
        key = self._key(rel)
        if key in self.keys:
            raise Rejected("case-clash", f"{self.keys[key]!r} and {str(rel)!r} are the same name on "
                                         "Windows and macOS; keep one of them")
        for parent in rel.parents:
            if self._key(parent) in self.keys and str(parent) != ".":
                raise Rejected("case-clash", f"{str(parent)!r} is both a file and a folder")
        self.keys[key] = str(rel)
        self.count += 1
        if self.count > self.limits.max_files:
            raise Rejected("too-many-files", f"the submission holds more than {self.limits.max_files} "
                                             "files; send only the kit's folder (without .venv or data)")
        if size_hint > self.limits.max_file_bytes:
            raise Rejected("too-large", f"{str(rel)!r} is {size_hint} bytes (at most "
                                        f"{self.limits.max_file_bytes} per file); leave data files out")
        if self.total + size_hint > self.limits.max_total_bytes:
            raise Rejected("too-large", f"the submission unpacks to more than {self.limits.max_total_bytes} "
                                        "bytes; send only the exercise files")

    def add(self, rel: PurePosixPath, chunks: Iterable[bytes], size_hint: int = 0) -> Path:
        """Write one member (its bytes as chunks), counting them against the limits as they come."""
        self.claim(rel, size_hint)
        target = self.root.joinpath(*rel.parts)
        folder = self.root
        for part in rel.parts[:-1]:
            folder = folder / part
            if folder.is_symlink() or (folder.exists() and not folder.is_dir()):
                raise Rejected("case-clash", f"{str(rel)!r} goes through a name that is not a folder")
            folder.mkdir(exist_ok=True)
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        written = 0
        with os.fdopen(fd, "wb") as out:
            for chunk in chunks:
                written += len(chunk)
                self.total += len(chunk)
                if written > self.limits.max_file_bytes:
                    raise Rejected("too-large", f"{str(rel)!r} holds more than {self.limits.max_file_bytes} "
                                                "bytes; leave data files out")
                if self.total > self.limits.max_total_bytes:
                    raise Rejected("bomb" if size_hint < written else "too-large",
                                   f"the submission unpacks to more than {self.limits.max_total_bytes} bytes")
                out.write(chunk)
        return target

    def check_ratio(self, packed_bytes: int) -> None:
        """After an archive: refuse one that expanded far beyond what honest code compresses to."""
        if self.total > self.limits.ratio_floor and self.total > self.limits.max_ratio * max(packed_bytes, 1):
            raise Rejected("bomb", f"a {packed_bytes}-byte archive unpacked to {self.total} bytes (more "
                                   f"than {self.limits.max_ratio:g} times its size): it looks like a zip bomb")

    def files(self) -> list[PurePosixPath]:
        found = []
        for dirpath, _dirs, names in os.walk(self.root):
            for name in names:
                found.append(PurePosixPath(Path(dirpath, name).relative_to(self.root).as_posix()))
        return sorted(found)
