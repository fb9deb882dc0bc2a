"""``rnnkit course autograde``: the fast, sandboxed path, writing into nbgrader's gradebook.

For each student folder ``submitted/<student>/<assignment>/``:
    1. the solution cell of each notebook is extracted (ids from the trusted source notebook),
    2. all of them are graded at once by rnnkit's sandboxed hidden graders,
    3. the scores go into the gradebook as nbgrader's autograde would put them (grade rows,
       late penalty per notebook), and ``autograded/<student>/<assignment>/*.ipynb`` is written
       from the *release* notebooks (no hidden tests) with the results as cell outputs, so
       ``nbgrader export``, ``generate_feedback`` and formgrader keep working,
    4. rnnkit's own results go to ``rnnkit/<assignment>/<student>.json`` (and ``late/<student>.json``).
A broken notebook costs only its own exercise; the batch always finishes.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import tempfile
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.utils import parse_utc
from sqlalchemy.exc import SAWarning

from rnnkit.course.assignments import Assignment, load_assignment
from rnnkit.course.coursedir import STUDENT_ID, Course, CourseError, CourseUsageError
from rnnkit.course.extract import (
    Extracted,
    SourceCells,
    extract_solution,
    locate_notebook,
    read_notebook,
    unreadable,
)
from rnnkit.course.notebooks import CellNames
from rnnkit.grader import RunOptions, grade
from rnnkit.kit import Exercise, Kit
from rnnkit.results import ExerciseResult, Results, TaskResult


@dataclass
class StudentOutcome:
    student: str
    points: float
    max_points: float
    penalty: float
    problems: list[str] = field(default_factory=list)
    graded: bool = True  # False: grading this student broke off (problems says why); grade them again
    flags: list[str] = field(default_factory=list)  # "<exercise>: <finding>" for a reviewer (never cost points)
    grader_files_hidden: bool = True  # False: the run lacked the private root (see Results.grader_files_hidden)
    late_note: str = ""  # why the penalty: "2 started days x 10% of the points (a started day counts ...)"
    # Tasks an instructor should look at by hand: "q021_lstm_step_forward: 3 tasks timeout"
    incidents: list[str] = field(default_factory=list)

    def penalty_text(self) -> str:
        return f"-{self.penalty:g} ({self.late_note})" if self.penalty and self.late_note else f"{self.penalty:g}"


INCIDENTS = ("timeout", "crashed", "forbidden")  # statuses an instructor should look at by hand


def incidents_of(results: Results) -> list[str]:
    """"<exercise>: 3 tasks timeout" per exercise whose tasks timed out, crashed or were forbidden."""
    found = []
    for exercise_id, ex in results.exercises.items():
        for status in INCIDENTS:
            count = sum(t.status == status for t in ex.tasks)
            if count:
                found.append(f"{exercise_id}: {count} task{'s' if count > 1 else ''} {status}")
    return found


def _submission_folders(course: Course, assignment: str) -> list[Path]:
    """Every folder ``submitted/<name>`` that holds this assignment."""
    root = course.root / "submitted"
    return sorted(p for p in root.iterdir() if (p / assignment).is_dir()) if root.is_dir() else []


def _gradable(folder: Path) -> bool:
    return bool(STUDENT_ID.match(folder.name)) and not folder.is_symlink()


def students_of(course: Course, assignment: str) -> list[str]:
    """Student ids with a submission folder for this assignment (odd names and links skipped)."""
    return [p.name for p in _submission_folders(course, assignment) if _gradable(p)]


def skipped_folders(course: Course, assignment: str) -> list[str]:
    """Folders under submitted/ that are not graded because their name is no student id, or a link."""
    return [p.name for p in _submission_folders(course, assignment) if not _gradable(p)]


def _timestamp(folder: Path) -> dt.datetime | None:
    try:
        stamp: dt.datetime = parse_utc((folder / "timestamp.txt").read_text(encoding="utf-8").strip())
        return stamp
    except (OSError, ValueError, TypeError, OverflowError):
        return None


@dataclass(frozen=True)
class _Batch:
    """What every student of one autograde run shares, read once (not once per student)."""

    course: Course
    kit: Kit
    assignment: Assignment
    exercises: list[Exercise]
    cells: dict[str, SourceCells]  # exercise id -> the ids of its cells in the trusted source notebook

    @classmethod
    def load(cls, course: Course, kit: Kit, assignment: Assignment, exercises: list[Exercise]) -> _Batch:
        try:
            cells = {e.id: SourceCells.from_source(course.source_dir(assignment.name) / f"{e.id}.ipynb", e.id,
                                                   [t.id for t in e.meta.tasks]) for e in exercises}
        except (OSError, ValueError, KeyError) as exc:
            raise CourseError(f"cannot read the source notebooks of {assignment.name} ({exc}): run "
                              f"`rnnkit course build {assignment.name}` again") from exc
        return cls(course, kit, assignment, exercises, cells)


def _extract_all(batch: _Batch, student: str, tree: Path) -> dict[str, Extracted]:
    """Write each exercise's solution code into ``tree`` (laid out like exercises/)."""
    found: dict[str, Extracted] = {}
    for exercise in batch.exercises:
        path, located = locate_notebook(batch.course.submitted_dir(student, batch.assignment.name), exercise.id)
        nb, problem = read_notebook(path)
        if nb is None:
            extracted = unreadable(path, located or problem)
        else:
            extracted = extract_solution(nb, batch.cells[exercise.id])
            extracted.notes[:0] = [located] if located else []
        if extracted.source is not None:
            target = tree / exercise.module / exercise.id / f"{exercise.id}.py"
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(extracted.source, encoding="utf-8")
        found[exercise.id] = extracted
    return found


def _apply_extraction(results: Results, extracted: dict[str, Extracted]) -> None:
    """Exercises whose code could not be had: every task says why; notes become flags."""
    for exercise_id, ex in results.exercises.items():
        got = extracted[exercise_id]
        ex.flags.extend(got.notes)
        if got.source is None:
            ex.tasks = [TaskResult(t.task, t.name, got.status, 0, t.max_points, got.problem) for t in ex.tasks]


def _write_gradebook(course: Course, assignment: Assignment, student: str, results: Results,
                     timestamp: dt.datetime | None) -> tuple[float, float]:
    """Scores into the gradebook (max points from the gradebook); returns (late penalty, seconds late)."""
    total_penalty = 0.0
    with Gradebook(course.db_url) as gradebook:
        gradebook.update_or_create_student(student)
        with warnings.catch_warnings():
            # nbgrader's add_submission autoflushes half-built rows under SQLAlchemy 2 and warns
            # (stock `nbgrader autograde` prints the same); the rows it commits are complete.
            warnings.simplefilter("ignore", SAWarning)
            submission = gradebook.update_or_create_submission(assignment.name, student, timestamp=timestamp)
        seconds_late = float(submission.total_seconds_late or 0.0)
        for exercise_id, ex in results.exercises.items():
            names = CellNames(exercise_id)
            score = 0.0
            for task in ex.tasks:
                grade_row = gradebook.find_grade(names.task(task.task), names.notebook, assignment.name, student)
                grade_row.auto_score = grade_row.max_score if task.status == "passed" else 0.0
                grade_row.needs_manual_grade = False
                score += grade_row.auto_score
            notebook = gradebook.find_submission_notebook(names.notebook, assignment.name, student)
            policy = assignment.late_policy
            penalty = policy.penalty(dt.timedelta(seconds=seconds_late), score) if policy else 0.0
            notebook.late_submission_penalty = penalty or None
            total_penalty += penalty
        gradebook.db.commit()
    return total_penalty, seconds_late


def _write_autograded(course: Course, assignment: Assignment, student: str, result: ExerciseResult,
                      exercise_id: str, extracted: Extracted) -> None:
    """The release notebook with the student's code and the results as outputs (for nbgrader)."""
    release = course.root / "release" / assignment.name / f"{exercise_id}.ipynb"
    nb = nbformat.read(str(release), as_version=4)
    names = CellNames(exercise_id)
    by_task = {names.task(t.task): t for t in result.tasks}
    for cell in nb.cells:
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if grade_id == names.solution and extracted.source is not None:
            cell.source = extracted.source
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
        task = by_task.get(grade_id)
        if task is not None:
            line = f"task {task.task}: {task.status}, {task.points:g}/{task.max_points:g} points\n"
            cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=line)]
            if task.status != "passed":
                cell.outputs.append(nbformat.v4.new_output(
                    "error", ename=task.status, evalue=task.message, traceback=[f"{task.status}: {task.message}"]))
    folder = course.autograded_dir(student, assignment.name)
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(folder / f"{exercise_id}.ipynb"))


def autograde_student(batch: _Batch, student: str, options: RunOptions) -> StudentOutcome:
    course, assignment = batch.course, batch.assignment
    submitted = course.submitted_dir(student, assignment.name)
    timestamp = _timestamp(submitted)
    with tempfile.TemporaryDirectory(prefix="rnnkit-course-") as tmp:
        extracted = _extract_all(batch, student, Path(tmp))
        options.label = student
        results = grade(batch.kit, batch.exercises, Path(tmp), options)
    _apply_extraction(results, extracted)
    penalty, seconds_late = _write_gradebook(course, assignment, student, results, timestamp)
    for exercise_id, ex in results.exercises.items():
        _write_autograded(course, assignment, student, ex, exercise_id, extracted[exercise_id])
    if (submitted / "timestamp.txt").is_file():
        shutil.copyfile(submitted / "timestamp.txt", course.autograded_dir(student, assignment.name) / "timestamp.txt")
    results.write(course.results_file(assignment.name, student))
    late_file = course.late_file(assignment.name, student)
    late_file.unlink(missing_ok=True)
    if penalty:
        late_file.parent.mkdir(parents=True, exist_ok=True)
        late_file.write_text(json.dumps({"penalty": penalty, "late_by_s": seconds_late}), encoding="utf-8")
    problems = [x.problem for x in extracted.values() if x.problem]  # each names its notebook
    flags = [f"{exercise_id}: {flag}" for exercise_id, ex in results.exercises.items() for flag in ex.flags]
    policy = assignment.late_policy
    note = policy.explain(dt.timedelta(seconds=seconds_late)) if policy and penalty else ""
    return StudentOutcome(student, results.points, results.max_points, penalty, problems, flags=flags,
                          grader_files_hidden=results.grader_files_hidden, late_note=note,
                          incidents=incidents_of(results))


def autograde(course: Course, name: str, students: list[str] | None = None,
              on_student: Callable[[StudentOutcome], None] | None = None) -> list[StudentOutcome]:
    """Grade every submission of assignment ``name`` (or only ``students``)."""
    bad = [s for s in students or [] if not STUDENT_ID.match(s)]
    if bad:
        raise ValueError(f"not a student id: {', '.join(map(repr, bad))} (letters, digits and _.@+- only)")
    kit = course.kit()
    assignment = load_assignment(kit, name)
    exercises = assignment.exercises(kit)
    with Gradebook(course.db_url) as gradebook:
        try:
            known = {nb.name for nb in gradebook.find_assignment(name).notebooks}
        except MissingEntry:
            known = set()
    missing = [e.id for e in exercises if e.id not in known]
    if missing:
        raise CourseUsageError(f"the gradebook has no notebooks {', '.join(missing)} for {name}: run "
                               f"`rnnkit course build {name}` (it runs nbgrader generate_assignment) first")
    chosen = students if students is not None else students_of(course, name)
    if not chosen:
        raise CourseUsageError(
            f"no submissions of {name} in {course.root / 'submitted'}: collect them first with "
            f"`nbgrader collect {name}` (in {course.root}), after students ran `nbgrader submit {name}`")
    batch = _Batch.load(course, kit, assignment, exercises)
    outcomes = []
    for student in chosen:
        try:
            outcome = autograde_student(batch, student, RunOptions(call_timeout_s=course.call_timeout_s))
        except Exception as exc:  # noqa: BLE001 - one student's fault must not stop the class
            outcome = StudentOutcome(student, 0.0, 0.0, 0.0, [f"not graded: {type(exc).__name__}: {exc}"], graded=False)
        outcomes.append(outcome)
        if on_student is not None:
            on_student(outcome)
    return outcomes
