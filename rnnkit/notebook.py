"""What the cells of rnnkit's nbgrader notebooks call.

    run_public_tests(exercise_id, globals())  the public tests, against this notebook's own code
                                              (in this kernel: a student can use a debugger)
    grade_task(exercise_id, task, globals())  one task's hidden tests (only where the instructor's
                                              kit is installed, i.e. at grading time)

``grade_task`` grades the *saved* solution cell of ``<exercise_id>.ipynb`` in the kernel's folder
(where ``nbgrader autograde`` writes the notebook it runs) in rnnkit's sandbox; the code defined in
this kernel is used only where no notebook file is found. It grades the whole exercise once per
kernel and source, then answers the other task cells from that result.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import types
from pathlib import Path
from typing import Any

from rnnkit.course.extract import SourceCells, extract_solution, read_notebook
from rnnkit.grader import RunOptions, grade, run_public
from rnnkit.kit import Exercise, Kit, find_kit
from rnnkit.results import ExerciseResult

_GRADED: dict[tuple[str, str], ExerciseResult] = {}


def _module_from(exercise_id: str, namespace: dict[str, Any]) -> types.ModuleType:
    module = types.ModuleType(exercise_id)
    module.__dict__.update({k: v for k, v in namespace.items() if not k.startswith("__")})
    return module


def _print_table(result: ExerciseResult, title: str) -> None:
    print(title)
    for task in result.tasks:
        mark = "✓" if task.status == "passed" else "✗"
        line = f"  {mark} task {task.task} ({task.max_points:g} pt): {task.name}: {task.status}"
        print(line + (f"\n      {task.message}" if task.message else ""))


def run_public_tests(exercise_id: str, namespace: dict[str, Any]) -> None:
    """Run the exercise's public tests on the functions defined in this notebook and print them."""
    try:
        kit = find_kit()
        exercise = kit.find(exercise_id)
    except LookupError as exc:
        print(f"rnnkit cannot find the exercise's public tests here ({exc}).")
        return
    options = RunOptions(sandbox=False, show_student_messages=True,
                         modules={exercise.id: _module_from(exercise.id, namespace)})
    result = run_public(kit, [exercise], options).exercises[exercise.id]
    _print_table(result, f"public tests of {exercise.id}:")


def solution_source(notebook: Path, exercise_id: str) -> str | None:
    """The code of the solution cell (grade id ``<exercise_id>_solution``) of a saved notebook, read
    as the fast path reads it (rnnkit.course.extract); None when there is none."""
    nb, _problem = read_notebook(notebook)
    if nb is None:
        return None
    return extract_solution(nb, SourceCells(f"{exercise_id}_solution", None, {})).source


def _grade_exercise(kit: Kit, exercise: Exercise, namespace: dict[str, Any]) -> ExerciseResult:
    source = solution_source(Path.cwd() / f"{exercise.id}.ipynb", exercise.id)
    key = (exercise.id, hashlib.sha256((source or repr(sorted(namespace))).encode()).hexdigest())
    if key not in _GRADED:
        with tempfile.TemporaryDirectory(prefix="rnnkit-nb-") as tmp:
            if source is not None:
                target = Path(tmp) / exercise.id / f"{exercise.id}.py"
                target.parent.mkdir()
                target.write_text(source, encoding="utf-8")
                options = RunOptions(call_timeout_s=float(os.environ.get("RNNKIT_CALL_TIMEOUT", "10")))
            else:  # no saved notebook: the code of this kernel, in trusted mode
                options = RunOptions(sandbox=False, modules={exercise.id: _module_from(exercise.id, namespace)})
            _GRADED[key] = grade(kit, [exercise], Path(tmp), options).exercises[exercise.id]
    return _GRADED[key]


def grade_task(exercise_id: str, task: int, namespace: dict[str, Any]) -> None:
    """Run the hidden tests of one task; raise AssertionError (the cell fails) unless it passes."""
    kit = find_kit()
    exercise = kit.find(exercise_id)
    if not kit.has_graders:
        raise RuntimeError("the hidden tests run when your instructor grades the submission")
    result = _grade_exercise(kit, exercise, namespace)
    outcome = next(t for t in result.tasks if t.task == task)
    print(f"task {task}: {outcome.status}, {outcome.points:g}/{outcome.max_points:g} points")
    if outcome.status != "passed":
        raise AssertionError(outcome.message or outcome.status)
