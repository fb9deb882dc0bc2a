"""The class report of one assignment, written into ``COURSE/rnnkit/<assignment>/``:

    report.html   one self-contained page: summary, plots (embedded PNG), pass rates, the most
                  common mistakes (failed tasks diagnosed as a known mistake, rnnkit.diagnosis),
                  the most common failure messages, time-outs / crashes / forbidden code, scores
    grades.csv    nbgrader's own export of the gradebook (the real ``nbgrader export``)
    canvas.csv    the Canvas gradebook import layout, final scores after late penalties

The page is for instructors; it still escapes everything that came from a submission.
"""

from __future__ import annotations

import csv
import datetime as dt
import statistics
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from rnnkit.course import plots
from rnnkit.course.autograde import INCIDENTS
from rnnkit.course.classresults import ClassResults, Skipped, require_class_results
from rnnkit.course.coursedir import Course, CourseError, run_nbgrader
from rnnkit.course.pages import Cell, Raw, badge, duration, el, esc, num, page, table

TOP_MESSAGES = 3
TOP_MISTAKES = 10
CANVAS_ID_COLUMNS = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")


@dataclass(frozen=True)
class ReportPaths:
    html: Path
    nbgrader_csv: Path
    canvas_csv: Path
    skipped: tuple[Skipped, ...] = ()  # results files that were not readable (also in report.html)


def _tasks(klass: ClassResults, exercise_id: str) -> dict[int, str]:
    """Task number -> name, over every student's results for this exercise."""
    names: dict[int, str] = {}
    for student in klass.students:
        ex = student.results.exercises.get(exercise_id)
        for task in ex.tasks if ex else []:
            names.setdefault(task.task, task.name)
    return dict(sorted(names.items()))


def _statuses(klass: ClassResults, exercise_id: str, task_no: int) -> list[str]:
    found = []
    for student in klass.students:
        ex = student.results.exercises.get(exercise_id)
        found += [t.status for t in (ex.tasks if ex else []) if t.task == task_no]
    return found


def _rate_rows(klass: ClassResults) -> list[plots.RateRow]:
    rows = []
    for exercise_id in klass.exercise_ids:
        graded = [s.results.exercises[exercise_id] for s in klass.students if exercise_id in s.results.exercises]
        solved = sum(all(t.status == "passed" for t in ex.tasks) for ex in graded)
        rows.append(plots.RateRow(exercise_id, solved / len(graded) if graded else 0.0, True))
        for task_no, name in _tasks(klass, exercise_id).items():
            statuses = _statuses(klass, exercise_id, task_no)
            rate = statuses.count("passed") / len(statuses) if statuses else 0.0
            rows.append(plots.RateRow(f"task {task_no} · {name}", rate, False))
    return rows


def _status_counts(klass: ClassResults) -> list[Counter[str]]:
    return [Counter(s for task_no in _tasks(klass, e) for s in _statuses(klass, e, task_no))
            for e in klass.exercise_ids]


def _failure_rows(klass: ClassResults) -> list[list[Cell]]:
    """The most common messages of tasks that did not pass, grouped by exact text, in kit order."""
    rows: list[list[Cell]] = []
    for exercise_id in klass.exercise_ids:
        for task_no, name in _tasks(klass, exercise_id).items():
            messages: Counter[str] = Counter()
            for student in klass.students:
                ex = student.results.exercises.get(exercise_id)
                messages.update(t.message or "(no message)" for t in (ex.tasks if ex else [])
                                if t.task == task_no and t.status != "passed")
            label: Cell = Raw(f'<code>{esc(exercise_id)}</code> task {task_no}<br><span class="muted">{esc(name)}</span>')
            for message, count in messages.most_common(TOP_MESSAGES):
                rows.append([label, str(count), el("code", message)])
                label = ""  # the task is named once, on its most common message
    return rows


def _mistake_rows(klass: ClassResults) -> list[list[Cell]]:
    """Known mistakes by how many students made them (a student counts once per exercise)."""
    students: Counter[tuple[str, str]] = Counter()
    why: dict[tuple[str, str], str] = {}
    tasks: dict[tuple[str, str], set[int]] = {}
    for student in klass.students:
        for exercise_id in klass.exercise_ids:
            ex = student.results.exercises.get(exercise_id)
            diagnosed = [t for t in (ex.tasks if ex else []) if t.diagnosis is not None]
            for mutant in {t.diagnosis.mutant for t in diagnosed if t.diagnosis}:
                students[exercise_id, mutant] += 1
            for t in diagnosed:
                if t.diagnosis is not None:
                    why[exercise_id, t.diagnosis.mutant] = t.diagnosis.why
                    tasks.setdefault((exercise_id, t.diagnosis.mutant), set()).add(t.task)
    order = {e: i for i, e in enumerate(klass.exercise_ids)}
    ranked = sorted(students.items(), key=lambda kv: (-kv[1], order[kv[0][0]], kv[0][1]))[:TOP_MISTAKES]
    return [[el("code", key[0]), Raw(f'{esc(why[key])}<br><span class="muted">{esc(key[1])}</span>'),
             str(count), ", ".join(str(t) for t in sorted(tasks[key]))] for key, count in ranked]


def _incident_rows(klass: ClassResults) -> list[list[Cell]]:
    rows: list[list[Cell]] = []
    for student in klass.students:
        for exercise_id in klass.exercise_ids:
            ex = student.results.exercises.get(exercise_id)
            if ex is None:
                continue
            hits = [t for t in ex.tasks if t.status in INCIDENTS]
            if not hits and not ex.flags:
                continue
            issues = Raw("<br>".join(f"task {t.task} {badge(t.status).html} {esc(t.message)}" for t in hits))
            rows.append([student.student, el("code", exercise_id), issues,
                         Raw("<br>".join(esc(flag) for flag in ex.flags))])
    return rows


def _student_rows(klass: ClassResults) -> list[list[Cell]]:
    rows: list[list[Cell]] = []
    for s in klass.students:
        share = s.final_points / s.results.max_points if s.results.max_points else 0.0
        late = f"-{num(s.late_penalty)} ({duration(s.late_by_s)} late{_why_late(klass, s.late_by_s)})" if s.late_penalty else ""
        rows.append([s.student, f"{num(s.results.points)}/{num(s.results.max_points)}", late,
                     num(s.final_points), f"{100 * share:.0f}%"])
    return rows


def _why_late(klass: ClassResults, late_by_s: float) -> str:
    policy = klass.assignment.late_policy
    return f": {policy.explain(dt.timedelta(seconds=late_by_s))}" if policy else ""


def _percents(klass: ClassResults) -> list[float]:
    return [100 * s.final_points / s.results.max_points if s.results.max_points else 0.0 for s in klass.students]


def _summary(klass: ClassResults) -> Raw:
    finals = [s.final_points for s in klass.students]
    top = klass.max_points or 1.0

    def card(label: str, value: str) -> Raw:
        return el("div", el("b", value), label, cls="card")
    cards = [card("students graded", str(len(finals))), card("max points", num(klass.max_points))]
    if finals:
        mean, median = statistics.mean(finals), statistics.median(finals)
        cards += [card("mean score", f"{num(mean)} ({100 * mean / top:.0f}%)"),
                  card("median score", f"{num(median)} ({100 * median / top:.0f}%)"),
                  card("late submissions", str(sum(1 for s in klass.students if s.late_penalty)))]
    return el("div", *cards, cls="cards")


def _warnings(klass: ClassResults) -> list[Cell]:
    notes = [f"{s.path.name} was skipped: {s.reason}" for s in klass.skipped]
    notes += [f"{s.student} was graded out of {num(s.results.max_points)} points; the assignment now has "
              f"{num(klass.max_points)}" for s in klass.students if abs(s.results.max_points - klass.max_points) > 1e-9]
    return [el("div", note, cls="warn") for note in notes]


def _image(alt: str, data_uri: str) -> Raw:
    return Raw(f'<img class="plot" alt="{esc(alt)}" src="{data_uri}">')


def report_page(klass: ClassResults) -> str:
    title = f"{klass.assignment.title} ({klass.assignment.name})"
    body: list[Cell] = [el("p", "Class report", cls="crumb"), el("h1", title), _summary(klass), *_warnings(klass)]
    if klass.students:
        body += [el("h2", "Scores"), _image("score distribution", plots.score_histogram(_percents(klass))),
                 el("h2", "Pass rate per exercise and task"),
                 _image("pass rate per exercise and task", plots.pass_rate_chart(_rate_rows(klass))),
                 _image("task results by status", plots.status_mix_chart(klass.exercise_ids, _status_counts(klass)))]
    body += [el("h2", f"Most common mistakes (top {TOP_MISTAKES}: failed tasks whose values match a known mistake)"),
             table(["exercise", "mistake", "students", "tasks"], _mistake_rows(klass), numeric=[2]),
             el("h2", f"Most common failure messages (top {TOP_MESSAGES} per task)"),
             table(["task", "count", "message"], _failure_rows(klass), numeric=[1]),
             el("h2", "Time-outs, crashes, forbidden code and grader flags"),
             table(["student", "exercise", "tasks", "flags"], _incident_rows(klass)),
             el("h2", "Students"),
             *([el("p", f"Late policy: {klass.assignment.late_policy.rule()}.", cls="muted")]
               if klass.assignment.late_policy else []),
             table(["student", "points", "late penalty", "final", "percent"], _student_rows(klass), numeric=[1, 3, 4])]
    return page(f"Class report: {title}", body)


def write_canvas_csv(klass: ClassResults, dest: Path) -> Path:
    """Canvas's gradebook import: id columns, a Points Possible row, one row per graded student."""
    column = f"{klass.assignment.title} ({klass.assignment.name})"
    with dest.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow([*CANVAS_ID_COLUMNS, column])
        writer.writerow(["Points Possible", "", "", "", "", num(klass.max_points)])
        for s in klass.students:
            writer.writerow([s.student, "", s.student, s.student, "", num(s.final_points)])
    return dest


def export_nbgrader_csv(course: Course, assignment: str, dest: Path) -> Path:
    """``nbgrader export`` of this assignment; its exit code says little, so the file is checked."""
    dest.unlink(missing_ok=True)
    done = run_nbgrader(course, ["export", "--to", str(dest), "--assignment", assignment], check=False)
    if not dest.is_file():
        tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-15:])
        raise CourseError(f"`nbgrader export` wrote no {dest.name} (exit {done.returncode}):\n{tail}")
    return dest


def write_report(course: Course, assignment: str) -> ReportPaths:
    """Write report.html and canvas.csv from rnnkit's results, then grades.csv from nbgrader."""
    klass = require_class_results(course, assignment)
    out = course.results_dir(assignment)
    out.mkdir(parents=True, exist_ok=True)
    paths = ReportPaths(out / "report.html", out / "grades.csv", out / "canvas.csv", klass.skipped)
    paths.html.write_text(report_page(klass), encoding="utf-8")
    write_canvas_csv(klass, paths.canvas_csv)
    export_nbgrader_csv(course, assignment, paths.nbgrader_csv)
    return paths
