"""What intake returns, the limits it enforces, and the reasons it refuses a submission."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

# Why a submission was refused (the status of a rejected intake).
PROBLEMS = {
    "traversal": "a path that leaves the submission (../)",
    "absolute-path": "an absolute path",
    "link": "a symbolic or hard link",
    "device": "a device file, pipe or socket",
    "bomb": "more data than an archive of this size can honestly hold (a zip bomb)",
    "too-many-files": "too many files",
    "too-large": "a file or a total that is too large",
    "case-clash": "two names that differ only in case (or are the same name twice)",
    "bad-name": "a name that is not valid UTF-8 or holds control characters",
    "nested-archive": "archives nested more than one level deep",
    "corrupt": "a damaged or unreadable archive",
    "unsupported": "a kind of file intake does not take",
    "empty": "no exercise file",
}


@dataclass(frozen=True)
class Limits:
    max_files: int = 2000
    max_file_bytes: int = 5 * 2**20
    max_total_bytes: int = 50 * 2**20
    max_ratio: float = 100.0  # uncompressed / compressed, for archives holding more than ratio_floor
    ratio_floor: int = 2**20
    max_archive_bytes: int = 100 * 2**20
    max_nesting: int = 1  # an archive inside the submitted archive is unpacked; one inside that is refused
    git_timeout_s: float = 60.0


class Rejected(Exception):
    """The whole submission is refused: ``problem`` is a key of PROBLEMS, the message says what and what to do."""

    def __init__(self, problem: str, message: str) -> None:
        super().__init__(message)
        self.problem = problem


@dataclass
class FoundFile:
    exercise_id: str
    origin: str  # where it was in the submission ("sub/exercises/01_cells/q021.../q021....py")
    path: Path  # the decoded UTF-8 copy in the layout folder
    notes: list[str] = field(default_factory=list)  # "decoded from UTF-16", "CRLF line endings"


@dataclass(frozen=True)
class Commit:
    sha: str
    time: str  # ISO 8601 with the committer's offset
    epoch: int
    subject: str


@dataclass
class Intake:
    source: str
    kind: str  # folder, zip, tar, git-bundle, py, ipynb, unknown
    status: str = "accepted"  # or "rejected"
    problem: str = ""  # a key of PROBLEMS when rejected
    reason: str = ""
    files: dict[str, FoundFile] = field(default_factory=dict)
    flags: list[str] = field(default_factory=list)  # look-alike names, several candidates, decoding
    missing: list[str] = field(default_factory=list)
    unreadable: dict[str, str] = field(default_factory=dict)  # exercise id -> why its file was not usable
    commits: list[Commit] = field(default_factory=list)
    manifest: dict[str, object] | None = None  # takehome.json as found in the submission
    layout: Path | None = None  # a folder laid out like exercises/ holding the found files

    @property
    def accepted(self) -> bool:
        return self.status == "accepted"

    def to_dict(self) -> dict[str, object]:
        return {
            "source": self.source, "kind": self.kind, "status": self.status, "problem": self.problem,
            "reason": self.reason, "flags": self.flags, "missing": self.missing, "unreadable": self.unreadable,
            "files": {k: {"origin": f.origin, "notes": f.notes} for k, f in self.files.items()},
            "commits": [{"sha": c.sha, "time": c.time, "epoch": c.epoch, "subject": c.subject} for c in self.commits],
        }
