"""``exercise.toml``: an exercise's metadata, loaded into frozen dataclasses that reject unknown keys.

    format = 1
    id = "q021_lstm_step_forward"
    title = "LSTM cell equations (numpy)"
    library = "numpy"                  # numpy | torch | python
    difficulty = 1                     # 1 direct, 2 subtle, 3 algorithmic
    requires = []                      # exercise ids to do first
    forbidden_ops = []                 # torch ops that raise at run time ("*": any torch op)
    forbidden_imports = ["torch"]      # modules the file may not import (checked statically)
    flagged_names = []                 # names a reviewer should see flagged (LSTM, LSTMCell)
    hints = ["...", "..."]

    [bank]                             # verbatim from bank/questions.md
    number = 21
    question = "What is an LSTM cell equation?"
    answer = "Key equations involve ..."

    [[tasks]]
    id = 1
    name = "lstm_step_forward matches nn.LSTMCell"
    points = 2
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import MISSING, dataclass, fields
from pathlib import Path
from typing import Any

FORMAT_VERSION = 1
LIBRARIES = ("numpy", "torch", "python")
EXERCISE_ID = re.compile(r"^q(\d{3})_[a-z0-9_]+$")


class MetadataError(ValueError):
    """An exercise.toml that does not follow the schema; the message names the file and the key."""


@dataclass(frozen=True)
class Task:
    id: int
    name: str
    points: int


@dataclass(frozen=True)
class BankRef:
    number: int
    question: str
    answer: str


@dataclass(frozen=True)
class ExerciseMeta:
    format: int
    id: str
    title: str
    library: str
    difficulty: int
    bank: BankRef
    tasks: tuple[Task, ...]
    hints: tuple[str, ...]
    requires: tuple[str, ...] = ()
    forbidden_ops: tuple[str, ...] = ()
    forbidden_imports: tuple[str, ...] = ()
    flagged_names: tuple[str, ...] = ()

    @property
    def short_id(self) -> str:
        return self.id.split("_", 1)[0]

    @property
    def max_points(self) -> int:
        return sum(t.points for t in self.tasks)

    def task(self, task_id: int) -> Task:
        for task in self.tasks:
            if task.id == task_id:
                return task
        raise KeyError(task_id)


def _take(raw: dict[str, Any], cls: type, where: str) -> dict[str, Any]:
    allowed = {f.name for f in fields(cls)}
    unknown = sorted(set(raw) - allowed)
    if unknown:
        raise MetadataError(f"{where}: unknown key(s) {', '.join(unknown)}; allowed: {', '.join(sorted(allowed))}")
    required = {f.name for f in fields(cls) if f.default is MISSING and f.default_factory is MISSING}
    missing = sorted(required - set(raw))
    if missing:
        raise MetadataError(f"{where}: missing key(s) {', '.join(missing)}")
    return raw


def _expect(value: Any, kind: type | tuple[type, ...], where: str) -> Any:
    if not isinstance(value, kind) or isinstance(value, bool) and kind is int:
        name = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        raise MetadataError(f"{where}: expected {name}, got {type(value).__name__}")
    return value


def _strings(value: Any, where: str) -> tuple[str, ...]:
    _expect(value, list, where)
    return tuple(_expect(v, str, f"{where}[{i}]") for i, v in enumerate(value))


def parse_meta(raw: dict[str, Any], where: str) -> ExerciseMeta:
    _take(raw, ExerciseMeta, where)
    if raw["format"] != FORMAT_VERSION:
        raise MetadataError(f"{where}: format {raw['format']!r} is not supported (this rnnkit reads {FORMAT_VERSION})")
    exercise_id = _expect(raw["id"], str, f"{where}: id")
    if not EXERCISE_ID.match(exercise_id):
        raise MetadataError(f"{where}: id {exercise_id!r} must look like q021_lstm_step_forward")
    library = _expect(raw["library"], str, f"{where}: library")
    if library not in LIBRARIES:
        raise MetadataError(f"{where}: library must be one of {', '.join(LIBRARIES)}, not {library!r}")
    difficulty = _expect(raw["difficulty"], int, f"{where}: difficulty")
    if difficulty not in (1, 2, 3):
        raise MetadataError(f"{where}: difficulty must be 1, 2 or 3")
    bank_raw = _take(_expect(raw["bank"], dict, f"{where}: [bank]"), BankRef, f"{where}: [bank]")
    bank = BankRef(_expect(bank_raw["number"], int, f"{where}: bank.number"),
                   _expect(bank_raw["question"], str, f"{where}: bank.question"),
                   _expect(bank_raw["answer"], str, f"{where}: bank.answer"))
    tasks = []
    for i, task_raw in enumerate(_expect(raw["tasks"], list, f"{where}: tasks")):
        at = f"{where}: tasks[{i}]"
        _take(_expect(task_raw, dict, at), Task, at)
        task = Task(_expect(task_raw["id"], int, f"{at}.id"), _expect(task_raw["name"], str, f"{at}.name"),
                    _expect(task_raw["points"], int, f"{at}.points"))
        if task.points <= 0:
            raise MetadataError(f"{at}: points must be positive")
        tasks.append(task)
    if not tasks:
        raise MetadataError(f"{where}: an exercise needs at least one task")
    if [t.id for t in tasks] != list(range(1, len(tasks) + 1)):
        raise MetadataError(f"{where}: task ids must be 1, 2, ... in order")
    return ExerciseMeta(
        format=raw["format"], id=exercise_id, title=_expect(raw["title"], str, f"{where}: title"),
        library=library, difficulty=difficulty, bank=bank, tasks=tuple(tasks),
        hints=_strings(raw["hints"], f"{where}: hints"),
        requires=_strings(raw.get("requires", []), f"{where}: requires"),
        forbidden_ops=_strings(raw.get("forbidden_ops", []), f"{where}: forbidden_ops"),
        forbidden_imports=_strings(raw.get("forbidden_imports", []), f"{where}: forbidden_imports"),
        flagged_names=_strings(raw.get("flagged_names", []), f"{where}: flagged_names"),
    )


def load_meta(path: Path) -> ExerciseMeta:
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise MetadataError(f"{path}: cannot read: {exc}") from exc
    meta = parse_meta(raw, str(path))
    if meta.id != path.parent.name:
        raise MetadataError(f"{path}: id {meta.id!r} differs from its folder name {path.parent.name!r}")
    return meta
