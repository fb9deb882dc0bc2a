"""The results schema, one for every grading path (CLI, nbgrader, take-home, batch).

    {"schema": "rnnkit.results/1", "submission": str, "seed": int, "isolation": [str], "child_uids": [int],
     "versions": {...}, "started_at": iso, "duration_s": float,
     "exercises": {exercise_id: {"title", "points", "max_points", "flags": [str],
                                 "tasks": [{"task", "name", "status", "points", "max_points",
                                            "message", "stdout", "duration_s",
                                            "diagnosis"?: {"mutant", "why", "shown"}}]}},
     "total": {"points", "max_points"}}

``diagnosis`` (optional, only on a task that did not pass): the one known mistake of the exercise
(``autograder/NN_module/qNNN_slug.mutants.toml``) whose values the submission's equal on that
task's failing tests (see ``rnnkit.diagnosis``); ``shown`` says whether the message quotes it.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

SCHEMA = "rnnkit.results/1"
STATUSES = ("passed", "failed", "error", "timeout", "crashed", "forbidden", "missing")
# When a task has several tests, the task takes the first of these statuses among them.
STATUS_PRIORITY = ("missing", "forbidden", "timeout", "crashed", "error", "failed", "passed")
MAX_MESSAGE_CHARS = 500
MAX_STDOUT_CHARS = 4000


class ResultsError(ValueError):
    """A results document that does not follow the schema."""


def clip(text: str, limit: int) -> str:
    text = text.replace("\x00", "")
    return text if len(text) <= limit else text[: limit - 20] + " [... truncated]"


@dataclass(frozen=True)
class Diagnosis:
    """A known mistake a failed task's values match: the mutant's name and its own sentence."""

    mutant: str
    why: str
    shown: bool = True  # False: the sentence may not be shown to students (mutants.toml)


@dataclass
class TaskResult:
    task: int
    name: str
    status: str
    points: float
    max_points: float
    message: str = ""
    stdout: str = ""
    duration_s: float = 0.0
    diagnosis: Diagnosis | None = None

    def to_dict(self) -> dict[str, Any]:
        raw = asdict(self)
        if self.diagnosis is None:
            del raw["diagnosis"]  # optional: documents without diagnoses look as they always did
        return raw

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> TaskResult:
        found = raw.get("diagnosis")
        return cls(**{**raw, "diagnosis": Diagnosis(**found) if found is not None else None})


@dataclass
class ExerciseResult:
    title: str
    tasks: list[TaskResult]
    flags: list[str] = field(default_factory=list)

    @property
    def points(self) -> float:
        return sum(t.points for t in self.tasks)

    @property
    def max_points(self) -> float:
        return sum(t.max_points for t in self.tasks)


@dataclass
class Results:
    submission: str
    seed: int
    isolation: list[str]
    versions: dict[str, str]
    started_at: str
    duration_s: float
    exercises: dict[str, ExerciseResult]
    child_uids: list[int] = field(default_factory=list)  # who the submission ran as, per the host's /proc

    @property
    def grader_files_hidden(self) -> bool:
        """Whether the run kept the kit (hidden tests, solutions) out of the submission's reach: with
        the private root, or trivially when no submission code ran at all (no isolation layers).
        Otherwise what the code printed may quote those files."""
        return not self.isolation or "private-root" in self.isolation

    @property
    def points(self) -> float:
        return sum(e.points for e in self.exercises.values())

    @property
    def max_points(self) -> float:
        return sum(e.max_points for e in self.exercises.values())

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA, "submission": self.submission, "seed": self.seed,
            "isolation": self.isolation, "child_uids": self.child_uids, "versions": self.versions,
            "started_at": self.started_at, "duration_s": round(self.duration_s, 3),
            "exercises": {
                ex_id: {"title": ex.title, "points": ex.points, "max_points": ex.max_points,
                        "flags": ex.flags, "tasks": [t.to_dict() for t in ex.tasks]}
                for ex_id, ex in self.exercises.items()
            },
            "total": {"points": self.points, "max_points": self.max_points},
        }

    def write(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(json.dumps(self.to_dict(), indent=2), encoding="utf-8")
        tmp.replace(path)

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Results:
        validate(raw)
        exercises = {
            ex_id: ExerciseResult(ex["title"], [TaskResult.from_dict(t) for t in ex["tasks"]], list(ex["flags"]))
            for ex_id, ex in raw["exercises"].items()
        }
        return cls(raw["submission"], raw["seed"], list(raw["isolation"]), dict(raw["versions"]),
                   raw["started_at"], raw["duration_s"], exercises,
                   [int(u) for u in raw.get("child_uids", [])])

    @classmethod
    def read(cls, path: Path) -> Results:
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError, RecursionError) as exc:
            raise ResultsError(f"{path}: not a readable results file: {exc}") from exc
        return cls.from_dict(raw)


OPTIONAL_TASK_KEYS = frozenset({"diagnosis"})
_TASK_TYPES: dict[str, type | tuple[type, ...]] = {
    "task": int, "name": str, "status": str, "points": (int, float), "max_points": (int, float),
    "message": str, "stdout": str, "duration_s": (int, float)}


def _need(cond: bool, what: str) -> None:
    if not cond:
        raise ResultsError(f"results do not follow {SCHEMA}: {what}")


def validate(raw: Any) -> None:
    """Check a results document against the schema (raises ResultsError saying what is wrong)."""
    _need(isinstance(raw, dict), "not an object")
    _need(raw.get("schema") == SCHEMA, f"schema must be {SCHEMA!r}")
    for key, kind in (("submission", str), ("seed", int), ("isolation", list), ("versions", dict),
                      ("started_at", str), ("duration_s", (int, float)), ("exercises", dict), ("total", dict)):
        _need(isinstance(raw.get(key), kind), f"{key!r} missing or of the wrong type")
    total_points = total_max = 0.0
    for ex_id, ex in raw["exercises"].items():
        _need(isinstance(ex, dict) and isinstance(ex.get("tasks"), list), f"{ex_id}: tasks missing")
        _need(isinstance(ex.get("title"), str), f"{ex_id}: title missing")
        _need(isinstance(ex.get("flags"), list) and all(isinstance(f, str) for f in ex["flags"]),
              f"{ex_id}: flags must be a list of strings")
        points = max_points = 0.0
        for t in ex["tasks"]:
            _need(isinstance(t, dict) and set(_TASK_TYPES) <= set(t) <= set(_TASK_TYPES) | OPTIONAL_TASK_KEYS,
                  f"{ex_id}: bad task keys")
            for key, expected in _TASK_TYPES.items():
                _need(isinstance(t[key], expected) and not isinstance(t[key], bool),
                      f"{ex_id}: task {key} has the wrong type")
            _need(t["status"] in STATUSES, f"{ex_id}: unknown status {t['status']!r}")
            _need(0 <= t["points"] <= t["max_points"], f"{ex_id}: task points out of range")
            _need((t["status"] == "passed") == (t["points"] == t["max_points"] > 0), f"{ex_id}: points do not match status")
            if "diagnosis" in t:
                _validate_diagnosis(t["diagnosis"], t["status"], ex_id)
            points += t["points"]
            max_points += t["max_points"]
        _need(isinstance(ex.get("points"), (int, float)) and isinstance(ex.get("max_points"), (int, float)),
              f"{ex_id}: points must be numbers")
        _need(abs(ex["points"] - points) < 1e-9 and abs(ex["max_points"] - max_points) < 1e-9,
              f"{ex_id}: points do not add up")
        total_points += points
        total_max += max_points
    total = raw["total"]
    _need(isinstance(total.get("points"), (int, float)) and isinstance(total.get("max_points"), (int, float)),
          "total must hold numbers")
    _need(abs(total["points"] - total_points) < 1e-9 and abs(total["max_points"] - total_max) < 1e-9,
          "total does not add up")


def _validate_diagnosis(found: Any, status: str, ex_id: str) -> None:
    _need(isinstance(found, dict) and set(found) == set(Diagnosis.__dataclass_fields__),
          f"{ex_id}: a diagnosis needs exactly mutant, why and shown")
    _need(isinstance(found["mutant"], str) and isinstance(found["why"], str) and isinstance(found["shown"], bool),
          f"{ex_id}: a diagnosis holds two strings and a bool")
    _need(status != "passed", f"{ex_id}: a passed task has no diagnosis")
