"""The results of one assignment for the whole class, read from ``COURSE/rnnkit/<assignment>/``.

    <student>.json       rnnkit.results/1, written by ``rnnkit course autograde``
    late/<student>.json  {"penalty": points off the total, "late_by_s": seconds} (only when late)

Feedback and the class report both read the class through ``load_class_results``. A file that is
not valid JSON, breaks the schema or belongs to another student is skipped with a warning (logged
and listed in ``ClassResults.skipped``); one bad file never stops the batch.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rnnkit.course.assignments import Assignment, load_assignment
from rnnkit.course.coursedir import Course, CourseUsageError
from rnnkit.results import Results, ResultsError

log = logging.getLogger(__name__)

@dataclass(frozen=True)
class StudentResults:
    student: str
    results: Results
    late_penalty: float = 0.0  # points taken off the total
    late_by_s: float = 0.0

    @property
    def final_points(self) -> float:
        return max(0.0, self.results.points - self.late_penalty)


@dataclass(frozen=True)
class Skipped:
    path: Path
    reason: str


@dataclass(frozen=True)
class ClassResults:
    assignment: Assignment
    exercise_ids: tuple[str, ...]  # kit order; exercises graded but not in the bundle come last
    exercise_max: dict[str, float]  # an exercise's max points, from the kit's metadata
    students: tuple[StudentResults, ...]  # sorted by student id
    skipped: tuple[Skipped, ...]

    @property
    def max_points(self) -> float:
        return sum(self.exercise_max.values())


def _check_shown_fields(results: Results) -> None:
    """``validate`` checks the numbers; the pages also need the shown fields to be text."""
    for exercise_id, ex in results.exercises.items():
        if not isinstance(ex.title, str) or not all(isinstance(f, str) for f in ex.flags):
            raise ResultsError(f"{exercise_id}: title and flags must be text")
        for task in ex.tasks:
            if not (isinstance(task.task, int) and isinstance(task.name, str)
                    and isinstance(task.message, str) and isinstance(task.stdout, str)):
                raise ResultsError(f"{exercise_id}: task, name, message and stdout must be int and text")


def _read_late(path: Path) -> tuple[float, float]:
    """(penalty, seconds late); (0, 0) when the student was on time (no file)."""
    if not path.is_file():
        return 0.0, 0.0
    try:
        raw: Any = json.loads(path.read_text(encoding="utf-8"))
        penalty, late_by = float(raw["penalty"]), float(raw["late_by_s"])
    except (OSError, ValueError, TypeError, KeyError) as exc:
        raise ResultsError(f"{path.name}: not a late-penalty file ({exc})") from exc
    if penalty < 0:
        raise ResultsError(f"{path.name}: a negative late penalty")
    return penalty, late_by


def _read_student(course: Course, assignment: str, path: Path) -> StudentResults:
    student = path.name.removesuffix(".json")
    try:
        results = Results.read(path)
        _check_shown_fields(results)
    except ResultsError:
        raise
    # validate() lets some malformed documents through to from_dict (KeyError, TypeError);
    # json gives up on absurdly nested input with RecursionError
    except KeyError as exc:
        raise ResultsError(f"results do not follow the schema: the key {exc} is missing") from exc
    except (TypeError, ValueError, RecursionError) as exc:
        raise ResultsError(f"results do not follow the schema: {exc}") from exc
    if results.submission != student:
        raise ResultsError(f"the file is for submission {results.submission!r}, not {student!r}")
    penalty, late_by = _read_late(course.late_file(assignment, student))
    return StudentResults(student, results, penalty, late_by)


def _ordered_ids(in_bundle: list[str], students: list[StudentResults]) -> tuple[str, ...]:
    extra = sorted({e for s in students for e in s.results.exercises} - set(in_bundle))
    return (*in_bundle, *extra)


def load_class_results(course: Course, assignment: str) -> ClassResults:
    """Every student's results for ``assignment``; bad files are skipped and say why."""
    kit = course.kit()
    bundle = load_assignment(kit, assignment)
    exercises = bundle.exercises(kit)
    folder = course.results_dir(assignment)
    files = sorted(folder.glob("*.json")) if folder.is_dir() else []
    students: list[StudentResults] = []
    skipped: list[Skipped] = []
    for path in files:
        try:
            students.append(_read_student(course, assignment, path))
        except ResultsError as exc:
            reason = str(exc).removeprefix(f"{path}: ")
            skipped.append(Skipped(path, reason))
            log.warning("skipped %s: %s", path, reason)
    exercise_max: dict[str, float] = {e.id: float(e.meta.max_points) for e in exercises}
    ids = _ordered_ids([e.id for e in exercises], students)
    for exercise_id in ids[len(exercises):]:  # graded, but no longer in the bundle
        exercise_max[exercise_id] = max(s.results.exercises[exercise_id].max_points
                                        for s in students if exercise_id in s.results.exercises)
    return ClassResults(bundle, ids, exercise_max, tuple(students), tuple(skipped))


def require_class_results(course: Course, assignment: str) -> ClassResults:
    """``load_class_results``, refusing an assignment that was never autograded (the step the
    instructor forgot is named): feedback and reports of nobody help no one."""
    klass = load_class_results(course, assignment)
    if not klass.students and not klass.skipped:
        raise CourseUsageError(f"no rnnkit results for {assignment} in {course.results_dir(assignment)}: run "
                               f"`rnnkit course autograde {assignment}` first (after `nbgrader collect {assignment}`)")
    return klass
