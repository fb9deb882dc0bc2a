"""A student's progress, kept in ``.rnnkit/progress.json`` at the kit's root (ignored by git).

    {"version": 1,
     "checks": {exercise_id: {"sha256": ..., "tasks": {"1": "passed", ...}, "checked_at": iso}},
     "hints": {exercise_id: number_of_hints_shown}}

An exercise is *solved* when its last check passed every task and the file has not changed since.
A missing or unreadable progress file is never fatal: it starts over (the bad file is kept aside).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rnnkit.kit import Exercise, Kit
from rnnkit.results import ExerciseResult

VERSION = 1
PRISTINE_MARK = 'is not implemented yet")'


def file_hash(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


@dataclass
class ExerciseStatus:
    state: str  # "solved", "failing", "edited", "todo", "missing"
    tasks_passed: list[int]
    points: int
    max_points: int


@dataclass
class Progress:
    path: Path
    checks: dict[str, dict[str, Any]] = field(default_factory=dict)
    hints: dict[str, int] = field(default_factory=dict)
    warning: str | None = None

    @classmethod
    def load(cls, kit: Kit) -> Progress:
        path = kit.root / ".rnnkit" / "progress.json"
        if not path.exists():
            return cls(path)
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
            if raw.get("version") != VERSION:
                raise ValueError(f"version {raw.get('version')!r}")
            return cls(path, dict(raw.get("checks", {})), {k: int(v) for k, v in raw.get("hints", {}).items()})
        except (OSError, ValueError, AttributeError, TypeError) as exc:
            backup = path.with_name("progress.json.bad")
            path.replace(backup)
            return cls(path, warning=f"{path} could not be read ({exc}); it was moved to {backup.name} "
                                     "and your progress starts over")

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name("progress.json.tmp")
        tmp.write_text(json.dumps({"version": VERSION, "checks": self.checks, "hints": self.hints}, indent=2),
                       encoding="utf-8")
        tmp.replace(self.path)

    def record_check(self, exercise: Exercise, result: ExerciseResult) -> None:
        self.checks[exercise.id] = {
            "sha256": file_hash(exercise.stub_path),
            "tasks": {str(t.task): t.status for t in result.tasks},
            "checked_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        }

    def status(self, exercise: Exercise) -> ExerciseStatus:
        meta = exercise.meta
        current = file_hash(exercise.stub_path)
        if current is None:
            return ExerciseStatus("missing", [], 0, meta.max_points)
        last = self.checks.get(exercise.id)
        if last is None or last.get("sha256") != current:
            pristine = PRISTINE_MARK in exercise.stub_path.read_text(encoding="utf-8", errors="replace")
            return ExerciseStatus("todo" if pristine and last is None else "edited", [], 0, meta.max_points)
        passed = [t.id for t in meta.tasks if last.get("tasks", {}).get(str(t.id)) == "passed"]
        points = sum(t.points for t in meta.tasks if t.id in passed)
        state = "solved" if len(passed) == len(meta.tasks) else "failing"
        return ExerciseStatus(state, passed, points, meta.max_points)

    def next_hint(self, exercise: Exercise) -> int:
        """Reveal one more hint (up to all of them); returns how many are now shown."""
        shown = min(self.hints.get(exercise.id, 0) + 1, len(exercise.meta.hints))
        self.hints[exercise.id] = shown
        return shown
