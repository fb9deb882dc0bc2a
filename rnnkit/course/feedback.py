"""Student feedback from rnnkit's results: ``feedback/<student>/<assignment>/``

    <exercise_id>.html   one page per notebook: each task's status, points, message and output
    index.html           the assignment at a glance: points per exercise, total, late penalty
    timestamp.txt, submission_secret.txt
                         copied from the submission: ``nbgrader release_feedback`` reads both to
                         name the file each student's ``fetch_feedback`` looks for

A page shows only what the results JSON holds for students (titles, statuses, points, messages,
their own output and the grader's notes on their code); never the seed, nor anything from the
hidden tests or the solutions, which the results never contain. Everything that came from a
submission is escaped.
"""

from __future__ import annotations

import datetime as dt
import logging
import shutil
from pathlib import Path

from rnnkit.course.assignments import LatePolicy
from rnnkit.course.classresults import StudentResults, require_class_results
from rnnkit.course.coursedir import Course
from rnnkit.course.pages import Cell, Raw, badge, duration, el, esc, num, page, progress_bar, table
from rnnkit.results import ExerciseResult, TaskResult, clip

log = logging.getLogger(__name__)

FEEDBACK_STDOUT_CHARS = 2000  # results keep up to 4000; a page shows the start
RELEASE_FILES = ("timestamp.txt", "submission_secret.txt")


def _score(points: float, max_points: float) -> list[Cell]:
    share = points / max_points if max_points else 0.0
    return [el("p", f"{num(points)} / {num(max_points)} points", cls="score"), progress_bar(share)]


def _task_card(task: TaskResult, show_output: bool) -> Raw:
    head = el("div", el("span", f"Task {task.task}", cls="muted"), el("span", task.name, cls="name"),
              badge(task.status), el("span", f"{num(task.points)}/{num(task.max_points)}", cls="muted"),
              cls="task-head")
    parts: list[Cell] = [head]
    if task.message:
        parts.append(el("p", task.message, cls="message"))
    if task.stdout and show_output:
        parts += [el("div", "What your code printed", cls="muted"),
                  el("pre", clip(task.stdout, FEEDBACK_STDOUT_CHARS))]
    elif task.stdout:
        parts.append(el("p", "What your code printed is not shown for this grading run.", cls="muted"))
    return el("article", *parts, cls="task")


def _total_line(student: StudentResults) -> str:
    results = student.results
    line = f"Assignment total: {num(results.points)} / {num(results.max_points)} points"
    if student.late_penalty:
        line += f"; late penalty -{num(student.late_penalty)}; final {num(student.final_points)}"
    return line


def exercise_page(title: str, student: StudentResults, exercise_id: str, ex: ExerciseResult) -> str:
    body: list[Cell] = [
        el("p", f"{title} · {student.student}", cls="crumb"),
        el("h1", ex.title), el("p", el("code", exercise_id), cls="muted"),
        *_score(ex.points, ex.max_points),
        el("h2", "Tasks"),
        *(_task_card(t, student.results.grader_files_hidden) for t in sorted(ex.tasks, key=lambda t: t.task)),
    ]
    if ex.flags:
        body += [el("h2", "Notes from the grader"), el("ul", *(el("li", flag) for flag in ex.flags))]
    body.append(el("p", _total_line(student), " · ", Raw('<a href="index.html">all exercises</a>'),
                   cls="muted"))
    return page(f"{exercise_id}: feedback for {student.student}", body)


def student_policy_note(policy: LatePolicy | None, late_by_s: float) -> str:
    """": 2 started days x 10% of the points (a started day counts as a whole day)", or ""."""
    return f": {policy.explain(dt.timedelta(seconds=late_by_s))}" if policy else ""


def index_page(title: str, student: StudentResults, exercise_ids: tuple[str, ...],
               exercise_max: dict[str, float], late_policy: LatePolicy | None = None) -> str:
    results = student.results
    rows: list[list[Cell]] = []
    for exercise_id in exercise_ids:
        ex = results.exercises.get(exercise_id)
        if ex is None:
            rows.append([el("code", exercise_id), "not graded", f"0/{num(exercise_max[exercise_id])}"])
            continue
        link = Raw(f'<a href="{esc(exercise_id)}.html">{esc(ex.title)}</a><br>'
                   f'<code class="muted">{esc(exercise_id)}</code>')
        badges = Raw(" ".join(badge(t.status).html for t in sorted(ex.tasks, key=lambda t: t.task)))
        rows.append([link, badges, f"{num(ex.points)}/{num(ex.max_points)}"])
    rows.append(["Total", "", f"{num(results.points)}/{num(results.max_points)}"])
    if student.late_penalty:
        policy = student_policy_note(late_policy, student.late_by_s)
        rows.append([f"Late penalty (submitted {duration(student.late_by_s)} late{policy})", "",
                     f"-{num(student.late_penalty)}"])
        rows.append(["Final score", "", f"{num(student.final_points)}/{num(results.max_points)}"])
    body: list[Cell] = [
        el("p", f"{title} · {student.student}", cls="crumb"), el("h1", "Your results"),
        *_score(student.final_points, results.max_points),
        table(["exercise", "tasks", "points"], rows, numeric=[2], total_row=True),
    ]
    return page(f"{title}: feedback for {student.student}", body)


def _copy_release_files(course: Course, student: str, assignment: str, folder: Path) -> None:
    """The files ``nbgrader release_feedback`` needs next to the pages (it fails without them)."""
    sources = (course.autograded_dir(student, assignment), course.submitted_dir(student, assignment))
    for name in RELEASE_FILES:
        found = next((s / name for s in sources if (s / name).is_file()), None)
        if found is None:
            log.warning("%s has no %s: nbgrader release_feedback cannot release this feedback", student, name)
        else:
            shutil.copyfile(found, folder / name)


def write_feedback(course: Course, assignment: str) -> list[Path]:
    """Write every student's feedback pages for ``assignment``; returns the pages written.

    Students whose results cannot be read are skipped with a logged warning (see classresults).
    """
    klass = require_class_results(course, assignment)
    title = klass.assignment.title
    written: list[Path] = []
    for student in klass.students:
        folder = course.feedback_dir(student.student, assignment)
        folder.mkdir(parents=True, exist_ok=True)
        for exercise_id in klass.exercise_ids:
            ex = student.results.exercises.get(exercise_id)
            if ex is not None:
                path = folder / f"{exercise_id}.html"
                path.write_text(exercise_page(title, student, exercise_id, ex), encoding="utf-8")
                written.append(path)
        index = folder / "index.html"
        index.write_text(index_page(title, student, klass.exercise_ids, klass.exercise_max,
                                      klass.assignment.late_policy), encoding="utf-8")
        written.append(index)
        _copy_release_files(course, student.student, assignment, folder)
    return written
