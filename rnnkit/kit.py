"""The kit's layout: where exercises, solutions and graders live, by convention.

    exercises/NN_module/qNNN_slug/{exercise.toml, qNNN_slug.py, test_qNNN_slug.py}
    solutions/NN_module/qNNN_slug.py
    autograder/NN_module/test_qNNN_slug_hidden.py, qNNN_slug.mutants.toml
    bank/questions.md

Only ``exercises/`` must exist: a student kit has no solutions or graders.
"""

from __future__ import annotations

import difflib
import os
import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from rnnkit.exercise import ExerciseMeta, load_meta

MODULE_DIR = re.compile(r"^(\d\d)_[a-z0-9_]+$")


class KitError(LookupError):
    """No kit found, or an exercise that is not in it; the message says what to do."""


def submission_file(root: Path, module: str, exercise_id: str) -> Path | None:
    """An exercise's file in a submission laid out like ``exercises/``, or flatter
    (``root/<id>/<id>.py``, ``root/<id>.py``); None when it has none."""
    for candidate in (root / module / exercise_id / f"{exercise_id}.py",
                      root / exercise_id / f"{exercise_id}.py",
                      root / f"{exercise_id}.py"):
        if candidate.is_file():
            return candidate
    return None


@dataclass(frozen=True)
class Exercise:
    meta: ExerciseMeta
    module: str  # "01_cells"
    kit_root: Path

    @property
    def id(self) -> str:
        return self.meta.id

    @property
    def module_number(self) -> str:
        return self.module[:2]

    @property
    def dir(self) -> Path:
        return self.kit_root / "exercises" / self.module / self.id

    @property
    def stub_path(self) -> Path:
        return self.dir / f"{self.id}.py"

    @property
    def public_test_path(self) -> Path:
        return self.dir / f"test_{self.id}.py"

    @property
    def meta_path(self) -> Path:
        return self.dir / "exercise.toml"

    @property
    def solution_path(self) -> Path:
        return self.kit_root / "solutions" / self.module / f"{self.id}.py"

    @property
    def hidden_test_path(self) -> Path:
        return self.kit_root / "autograder" / self.module / f"test_{self.id}_hidden.py"

    @property
    def mutants_path(self) -> Path:
        return self.kit_root / "autograder" / self.module / f"{self.id}.mutants.toml"


@dataclass(frozen=True)
class Kit:
    root: Path

    @property
    def exercises_dir(self) -> Path:
        return self.root / "exercises"

    @property
    def bank_path(self) -> Path:
        return self.root / "bank" / "questions.md"

    @property
    def has_graders(self) -> bool:
        return (self.root / "autograder").is_dir() and (self.root / "solutions").is_dir()

    @cached_property
    def exercises(self) -> tuple[Exercise, ...]:
        found = []
        for module_dir in sorted(p for p in self.exercises_dir.iterdir() if MODULE_DIR.match(p.name)):
            for meta_path in sorted(module_dir.glob("*/exercise.toml")):
                found.append(Exercise(load_meta(meta_path), module_dir.name, self.root))
        return tuple(sorted(found, key=lambda e: (e.module, e.id)))

    def modules(self) -> list[str]:
        return sorted({e.module for e in self.exercises})

    def find(self, query: str) -> Exercise:
        """An exercise by short id (``q021``, ``21``) or full id (``q021_lstm_step_forward``)."""
        q = query.strip().lower()
        number = re.fullmatch(r"q?0*(\d{1,3})", q)
        if number:
            q = f"q{int(number.group(1)):03d}"  # 21, q21 and q0021 all mean q021
        for exercise in self.exercises:
            if q in (exercise.id, exercise.meta.short_id):
                return exercise
        ids = [e.id for e in self.exercises]
        close = [i for i in ids if q and q in i] or difflib.get_close_matches(q, ids, n=3, cutoff=0.6)
        guess = f"did you mean {' or '.join(close[:3])}? " if close else ""
        raise KitError(f"no exercise {query!r} in this kit; {guess}`rnnkit list` shows the ids "
                       "(q021 or q021_lstm_step_forward)")

    def select(self, exercises: str | None = None, module: str | None = None) -> list[Exercise]:
        """Exercises named in a comma list and/or a module (``01`` or ``01_cells``); all if neither."""
        chosen = list(self.exercises)
        if module:
            wanted = module.strip().lower()
            chosen = [e for e in chosen if wanted in (e.module, e.module_number, e.module[3:])]
            if not chosen:
                raise KitError(f"no module {module!r}; modules: {', '.join(self.modules())}")
        if exercises:
            ids = {self.find(q).id for q in exercises.split(",") if q.strip()}
            chosen = [e for e in chosen if e.id in ids]
        return chosen


def find_kit(start: Path | None = None) -> Kit:
    """The kit: ``$RNNKIT_KIT``, else the nearest folder above ``start`` (cwd) with ``exercises/``,
    else the checkout rnnkit was installed from."""
    env = os.environ.get("RNNKIT_KIT")
    if env:
        root = Path(env).resolve()
        if not (root / "exercises").is_dir():
            raise KitError(f"RNNKIT_KIT={env} has no exercises/ folder")
        return Kit(root)
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "exercises").is_dir() and (folder / "pyproject.toml").is_file():
            return Kit(folder)
    installed = Path(__file__).resolve().parent.parent
    if (installed / "exercises").is_dir():
        return Kit(installed)
    raise KitError("no rnnkit kit here: run this inside a kit (a folder with exercises/), or set RNNKIT_KIT")
