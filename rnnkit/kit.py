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
from dataclasses import dataclass, field
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
    # How it was found, for "kit in use" lines: "RNNKIT_KIT", "this folder", "installed from"
    found_by: str = field(default="given", compare=False)

    def describe(self) -> str:
        """"kit: /path (...)": which kit a command uses and why."""
        why = {"RNNKIT_KIT": "from RNNKIT_KIT", "folder": "the nearest folder with exercises/",
               "installed": "the checkout rnnkit was installed from: no kit in this folder or above it"}
        return f"kit: {self.root}" + (f" ({why[self.found_by]})" if self.found_by in why else "")

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

    def find_file(self, path: Path) -> Exercise:
        """The exercise a submitted file is for, by its name (``q021_lstm_step_forward.py``)."""
        for exercise in self.exercises:
            if path.name == f"{exercise.id}.py":
                return exercise
        raise KitError(f"{path.name} is not an exercise file of this kit: name it after its exercise, like "
                       f"{self.exercises[0].id}.py (`rnnkit list` shows the ids)" if self.exercises
                       else f"{path.name}: this kit has no exercises")

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


def is_kit(folder: Path) -> bool:
    """A kit is a folder whose ``exercises/`` holds module folders (``exercises/01_cells/``)."""
    exercises = folder / "exercises"
    try:
        return exercises.is_dir() and any(MODULE_DIR.match(p.name) and p.is_dir() for p in exercises.iterdir())
    except OSError:
        return False


WHAT_A_KIT_IS = "a folder whose exercises/ holds module folders like exercises/01_cells/"


def find_kit(start: Path | None = None) -> Kit:
    """The kit: ``$RNNKIT_KIT``, else the nearest folder at or above ``start`` (cwd) that is a kit
    (see ``is_kit``), else the checkout rnnkit was installed from. ``Kit.describe`` says which."""
    env = os.environ.get("RNNKIT_KIT")
    if env:
        root = Path(env).resolve()
        if not is_kit(root):
            raise KitError(f"RNNKIT_KIT={env} is not a kit ({WHAT_A_KIT_IS}); fix it or unset it")
        return Kit(root, "RNNKIT_KIT")
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if is_kit(folder):
            return Kit(folder, "folder")
    installed = Path(__file__).resolve().parent.parent
    if is_kit(installed):
        return Kit(installed, "installed")
    raise KitError(f"no rnnkit kit here: run this inside a kit ({WHAT_A_KIT_IS}), or set RNNKIT_KIT=PATH")
