"""Assignment bundles: ``instructor/assignments/<name>.toml``, loaded into frozen dataclasses.

    format = 1
    name = "ps01"
    title = "Problem set 1: LSTM and GRU cells"
    modules = ["01"]                 # whole modules (01 or 01_cells) ...
    exercises = []                   # ... and/or single exercises (q021 or q021_lstm_step_forward)
    due = "2026-12-11T23:59:00+00:00"

    [late_policy]                    # optional: no penalty without it
    per_day = 0.1                    # share of the notebook's points lost per started day late
    max_days = 5                     # later than this: no points
"""

from __future__ import annotations

import datetime as dt
import math
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rnnkit.kit import Exercise, Kit, KitError

NAME = re.compile(r"^[a-z][a-z0-9_-]{0,39}$")


class AssignmentError(ValueError):
    """A bundle that does not parse or names exercises the kit does not have."""


@dataclass(frozen=True)
class LatePolicy:
    per_day: float
    max_days: int

    def penalty(self, late_by: dt.timedelta, points: float) -> float:
        """Points taken off a notebook worth ``points`` submitted ``late_by`` after the due date."""
        if late_by.total_seconds() <= 0:
            return 0.0
        days = math.ceil(late_by.total_seconds() / 86400)
        if days > self.max_days:
            return points
        return min(points, points * self.per_day * days)

    def rule(self) -> str:
        """The policy in words, said wherever a penalty is shown."""
        return (f"{100 * self.per_day:g}% of the points per day late; a started day counts as a whole day; "
                f"more than {self.max_days} days late scores nothing")

    def explain(self, late_by: dt.timedelta) -> str:
        """Why this penalty: "2 started days x 10% of the points (a started day counts as a whole day)"."""
        days = math.ceil(late_by.total_seconds() / 86400)
        if days > self.max_days:
            return f"{days} started days late, more than {self.max_days}: no points"
        unit = "day" if days == 1 else "days"
        return (f"{days} started {unit} x {100 * self.per_day:g}% of the points "
                "(a started day counts as a whole day)")


@dataclass(frozen=True)
class Assignment:
    name: str
    title: str
    modules: tuple[str, ...]
    exercise_ids: tuple[str, ...]
    due: dt.datetime | None
    late_policy: LatePolicy | None
    path: Path

    def exercises(self, kit: Kit) -> list[Exercise]:
        """The exercises of this bundle in kit order (modules first, then single ones)."""
        chosen: dict[str, Exercise] = {}
        try:
            for module in self.modules:
                for exercise in kit.select(module=module):
                    chosen[exercise.id] = exercise
            for ident in self.exercise_ids:
                exercise = kit.find(ident)
                chosen[exercise.id] = exercise
        except KitError as exc:
            raise AssignmentError(f"{self.path}: {exc}") from exc
        if not chosen:
            raise AssignmentError(f"{self.path}: the assignment has no exercises")
        return sorted(chosen.values(), key=lambda e: (e.module, e.id))


_KEYS = {"format", "name", "title", "modules", "exercises", "due", "late_policy"}


def parse_assignment(raw: dict[str, Any], path: Path) -> Assignment:
    unknown = set(raw) - _KEYS
    if unknown:
        raise AssignmentError(f"{path}: unknown key(s) {', '.join(sorted(unknown))}; allowed: {', '.join(sorted(_KEYS))}")
    if raw.get("format") != 1:
        raise AssignmentError(f"{path}: format must be 1")
    name = raw.get("name")
    if not isinstance(name, str) or not NAME.match(name):
        raise AssignmentError(f"{path}: name must be a short lowercase id like ps01")
    if name != path.stem:
        raise AssignmentError(f"{path}: name {name!r} differs from the file name {path.stem!r}")
    modules, exercises = raw.get("modules", []), raw.get("exercises", [])
    for key, value in (("modules", modules), ("exercises", exercises)):
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise AssignmentError(f"{path}: {key} must be a list of strings")
    due: dt.datetime | None = None
    if "due" in raw:
        try:
            due = dt.datetime.fromisoformat(str(raw["due"]))
        except ValueError as exc:
            raise AssignmentError(f"{path}: due must be an ISO date-time like 2026-12-11T23:59:00+00:00") from exc
        if due.tzinfo is None:
            raise AssignmentError(f"{path}: due needs a time zone (for example +00:00)")
    policy = None
    if "late_policy" in raw:
        late = raw["late_policy"]
        if not isinstance(late, dict) or set(late) != {"per_day", "max_days"}:
            raise AssignmentError(f"{path}: late_policy needs exactly per_day and max_days")
        if not 0 <= float(late["per_day"]) <= 1 or int(late["max_days"]) < 0:
            raise AssignmentError(f"{path}: late_policy.per_day must be in [0, 1] and max_days >= 0")
        policy = LatePolicy(float(late["per_day"]), int(late["max_days"]))
    return Assignment(name, str(raw.get("title", name)), tuple(modules), tuple(exercises), due, policy, path)


def assignments_dir(kit: Kit) -> Path:
    return kit.root / "instructor" / "assignments"


def load_assignment(kit: Kit, name: str) -> Assignment:
    path = assignments_dir(kit) / f"{name}.toml"
    if not path.is_file():
        known = ", ".join(sorted(p.stem for p in assignments_dir(kit).glob("*.toml"))) or "none"
        raise AssignmentError(f"no assignment {name!r} in {assignments_dir(kit)} (known: {known})")
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise AssignmentError(f"{path}: {exc}") from exc
    return parse_assignment(raw, path)
