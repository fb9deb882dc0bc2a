"""A whole class through the real nbgrader commands: what `rnnkit demo` shows and the tests check.

    build + generate_assignment + release_assignment
    one student: fetch_assignment, edit, submit (the real exchange; nbgrader names students by
                 their OS user), then collect
    the others:  written into submitted/ as collect leaves them (sample kinds, see samples.py)
    stock `nbgrader autograde` -> export, then `rnnkit course autograde` -> export,
    nbgrader's generate_feedback on the fast path's notebooks, rnnkit's feedback, the report
"""

from __future__ import annotations

import datetime as dt
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from nbgrader.utils import get_username

from rnnkit.course.autograde import StudentOutcome, autograde
from rnnkit.course.build import build_assignment
from rnnkit.course.coursedir import Course, init_course, run_nbgrader
from rnnkit.course.feedback import write_feedback
from rnnkit.course.report import ReportPaths, write_report
from rnnkit.course.samples import place_submission, write_student
from rnnkit.kit import Kit


@dataclass(frozen=True)
class PlacedStudent:
    student: str
    kind: str
    submitted_at: dt.datetime
    mutants: dict[str, str] | None = None


@dataclass
class ClassRun:
    course: Course
    exchange_student: str
    stock_csv: Path
    fast_csv: Path
    stock_seconds: float
    fast_seconds: float
    outcomes: dict[str, StudentOutcome]
    stock_feedback: dict[Path, str]
    feedback: list[Path]
    report: ReportPaths


def run_class(kit: Kit, root: Path, assignment: str, others: list[PlacedStudent],
              cell_timeout: int = 15, call_timeout_s: float = 2.0,
              say: Callable[[str], None] = lambda _msg: None) -> ClassRun:
    """Run the class in a fresh course folder ``root`` (deleted first: it is a build output)."""
    shutil.rmtree(root, ignore_errors=True)
    course = init_course(root, "dl101", kit, cell_timeout=cell_timeout, call_timeout_s=call_timeout_s)
    say(f"course dl101 in {root}: building and releasing {assignment}")
    bundle, _ = build_assignment(course, assignment)
    exercises = bundle.exercises(kit)
    run_nbgrader(course, ["release_assignment", assignment, "--force"])

    home = root / "student-home"
    home.mkdir()
    exchange = [f"--Exchange.root={root / 'exchange'}", f"--CourseDirectory.course_id={course.course_id}"]
    say("one student fetches, solves and submits through the exchange; the instructor collects")
    run_nbgrader(course, ["fetch_assignment", assignment, *exchange], cwd=home)
    write_student(course, assignment, exercises, "correct", home)
    run_nbgrader(course, ["submit", assignment, *exchange], cwd=home)
    run_nbgrader(course, ["collect", assignment])
    for placed in others:
        place_submission(course, assignment, exercises, placed.student, placed.kind, placed.submitted_at,
                         mutants=placed.mutants)

    say(f"stock `nbgrader autograde {assignment}` ({1 + len(others)} students)")
    started = time.perf_counter()
    run_nbgrader(course, ["autograde", assignment, "--force"], check=False)  # a corrupt notebook fails it
    stock_seconds = time.perf_counter() - started
    run_nbgrader(course, ["export", "--to", str(root / "stock.csv")])

    say(f"`rnnkit course autograde {assignment}`")
    started = time.perf_counter()
    outcomes = {o.student: o for o in autograde(course, assignment)}
    fast_seconds = time.perf_counter() - started
    run_nbgrader(course, ["export", "--to", str(root / "fast.csv")])

    say("feedback (nbgrader's from the fast path's notebooks, then rnnkit's) and the class report")
    run_nbgrader(course, ["generate_feedback", assignment, "--force"], check=False)
    stock_feedback = {p: p.read_text(encoding="utf-8") for p in (root / "feedback").rglob("*.html")}
    feedback = write_feedback(course, assignment)
    report = write_report(course, assignment)
    return ClassRun(course, get_username(), root / "stock.csv", root / "fast.csv", stock_seconds, fast_seconds,
                    outcomes, stock_feedback, feedback, report)
