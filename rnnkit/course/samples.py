"""A sample class: student notebooks made from the release notebooks, for the demo, tests and
benchmarks. Each kind of student is one way real submissions look.

    correct        every solution cell holds the reference solution
    partial        every solution cell holds a known-wrong variant (a mutant)
    deleted_test   correct, but the first test cell of every notebook deleted and points retyped
    corrupt        correct, but one notebook truncated half-way (the others fine)
    infinite_loop  every function and class of every exercise loops forever
    tamper         the untouched stub, plus code that replaces rnnkit's grading function in the
                   kernel (stock nbgrader runs it before the grading cells; the fast path never runs it)
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from pathlib import Path
from typing import Any

from rnnkit.course.coursedir import Course
from rnnkit.kit import Exercise
from rnnkit.mutants import load_mutants
from rnnkit.stubgen import strip_markers

KINDS = ("correct", "partial", "deleted_test", "corrupt", "infinite_loop", "tamper")

HANG = '''

def _hang(*args, **kwargs):
    while True:
        pass


for _name in [n for n, v in list(globals().items()) if not n.startswith("_") and callable(v)]:
    globals()[_name] = _hang
'''

TAMPER = '''

import rnnkit.notebook as _grading  # the grading cells import grade_task from here when they run
_grading.grade_task = lambda *args, **kwargs: print("all hidden tests passed")
'''


def solution_for(kind: str, exercise: Exercise, index: int, mutant: str | None = None) -> str:
    """The code a student of this kind writes; ``partial`` takes the named mutant, else the
    ``index``-th one (cycling)."""
    solution = exercise.solution_path.read_text(encoding="utf-8")
    if kind == "partial":
        mutants = load_mutants(exercise.mutants_path)
        chosen = next((m for m in mutants if m.name == mutant), mutants[index % len(mutants)])
        return chosen.apply(solution, exercise.solution_path.name)
    if kind == "infinite_loop":
        return strip_markers(solution) + HANG
    if kind == "stub":
        return exercise.stub_path.read_text(encoding="utf-8")  # handed in untouched
    if kind == "tamper":
        return exercise.stub_path.read_text(encoding="utf-8") + TAMPER
    return strip_markers(solution)


def _fill(release_nb: dict[str, Any], exercise: Exercise, source: str, kind: str) -> dict[str, Any]:
    nb: dict[str, Any] = json.loads(json.dumps(release_nb))
    for cell in nb["cells"]:
        if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == f"{exercise.id}_solution":
            cell["source"] = source
    if kind == "deleted_test":
        nb["cells"] = [c for c in nb["cells"]
                       if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") != f"{exercise.id}_task1"]
        for cell in nb["cells"]:
            if cell.get("metadata", {}).get("nbgrader", {}).get("grade"):
                cell["metadata"]["nbgrader"]["points"] = 1000
    return nb


def write_student(course: Course, assignment: str, exercises: list[Exercise], kind: str, folder: Path,
                  index: int = 0, mutants: dict[str, str] | None = None) -> Path:
    """A student's assignment folder (the release notebooks, then edited) at ``folder/assignment``."""
    target = folder / assignment
    target.mkdir(parents=True, exist_ok=True)
    for position, exercise in enumerate(exercises):
        release = json.loads((course.root / "release" / assignment / f"{exercise.id}.ipynb").read_text())
        source = solution_for(kind, exercise, index + position, (mutants or {}).get(exercise.id))
        nb = _fill(release, exercise, source, kind)
        text = json.dumps(nb, indent=1)
        if kind == "corrupt" and position == 0:
            text = text[: len(text) // 2]
        (target / f"{exercise.id}.ipynb").write_text(text, encoding="utf-8")
    return target


def place_submission(course: Course, assignment: str, exercises: list[Exercise], student: str, kind: str,
                     when: dt.datetime, index: int = 0, mutants: dict[str, str] | None = None) -> Path:
    """Write a submission straight into ``submitted/<student>/<assignment>/`` as `collect` does."""
    folder = write_student(course, assignment, exercises, kind, course.root / "submitted" / student, index, mutants)
    (folder / "timestamp.txt").write_text(when.strftime("%Y-%m-%d %H:%M:%S.%f UTC"), encoding="utf-8")
    (folder / "submission_secret.txt").write_text(secrets.token_urlsafe(16), encoding="utf-8")  # as submit makes
    return folder
