"""``rnnkit course ...``: the instructor's commands (each a few lines over rnnkit.course)."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from rnnkit.clisupport import EXIT_BROKEN, EXIT_USAGE, fail, load_kit
from rnnkit.course.assignments import AssignmentError
from rnnkit.course.coursedir import (
    DEFAULT_EXCHANGE,
    STUDENT_ID,
    CourseError,
    CourseUsageError,
    load_course,
)
from rnnkit.safetext import terminal

console = Console(highlight=False)
COURSE_OPTION = click.option("--course", "course_dir", type=click.Path(file_okay=False, path_type=Path),
                             default=Path("."), show_default=True, help="the course folder")


def _fail(exc: Exception) -> None:
    """A usage error (a wrong folder, a step run too early, a bad bundle) exits 2; nbgrader or the
    course's own files failing exits 3."""
    fail(console, exc, EXIT_BROKEN if isinstance(exc, CourseError) and not isinstance(exc, CourseUsageError)
         else EXIT_USAGE)


def _bar(label: str) -> Progress:
    return Progress(TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    console=console, transient=True)


@click.group()
def course() -> None:
    """Instructors: nbgrader courses built from rnnkit exercises."""


@course.command("init")
@click.argument("course_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option("--course-id", required=True, help="the nbgrader course id, like dl101")
@click.option("--exchange", type=click.Path(file_okay=False, path_type=Path), default=DEFAULT_EXCHANGE,
              show_default=True, help="nbgrader's exchange: a folder every student on this machine can write")
@click.option("--cell-timeout", default=60, show_default=True, help="seconds per notebook cell (stock autograde)")
@click.option("--call-timeout", default=10.0, show_default=True, help="seconds per call into a submission")
def init(course_dir: Path, course_id: str, exchange: Path, cell_timeout: int, call_timeout: float) -> None:
    """Create a course folder that stock nbgrader commands accept.

    The exchange is nbgrader's shared default unless --exchange says otherwise: students on this
    machine then run the stock commands as they are (`nbgrader fetch_assignment ps01 --course
    dl101`). With another exchange, each student saves the course's student_nbgrader_config.py as
    ~/.jupyter/nbgrader_config.py. nbgrader's exchange is a folder: students on other machines
    need it mounted at the same path, or a JupyterHub whose user servers mount it.
    """
    from rnnkit.course.coursedir import STUDENT_CONFIG_NAME, init_course

    try:
        with console.status("creating the course and its gradebook"):
            made = init_course(course_dir, course_id, load_kit(), cell_timeout, call_timeout, exchange=exchange)
    except CourseError as exc:
        _fail(exc)
    console.print(terminal(f"course {made.course_id} ready in {made.root} (gradebook, nbgrader_config.py); "
                           f"exchange: {made.exchange_root}"))
    handout = made.root / STUDENT_CONFIG_NAME
    if made.exchange_root == DEFAULT_EXCHANGE:
        console.print(terminal(f"students on this machine: `nbgrader fetch_assignment ASSIGNMENT --course "
                               f"{made.course_id}` and `nbgrader submit ASSIGNMENT --course {made.course_id}` "
                               "work as they are (nbgrader's default exchange)"))
    else:
        console.print(terminal(f"students on this machine: save {handout} as ~/.jupyter/nbgrader_config.py "
                               f"(it names the exchange {made.exchange_root}), then use the stock nbgrader commands"))
    console.print("students on other machines: mount the exchange at the same path (NFS, SSHFS), or run the "
                  "course on a JupyterHub whose user servers mount it")
    console.print(f"next: [bold]rnnkit course build ps01 --course {course_dir}[/]")


@course.command()
@click.argument("assignment")
@COURSE_OPTION
@click.option("--no-generate", is_flag=True, help="only write source/, do not run nbgrader generate_assignment")
def build(assignment: str, course_dir: Path, no_generate: bool) -> None:
    """Write the source notebooks of ASSIGNMENT (instructor/assignments/ASSIGNMENT.toml)."""
    from rnnkit.course.build import build_assignment

    try:
        with console.status(f"building {assignment}"):
            bundle, written = build_assignment(load_course(course_dir), assignment, generate=not no_generate)
    except (CourseError, AssignmentError) as exc:
        _fail(exc)
    console.print(f"{len(written)} source notebook(s) in {written[0].parent}; due {bundle.due or 'not set'}")
    if no_generate:
        console.print(f"next: [bold]nbgrader generate_assignment {assignment}[/] in {course_dir}")
    else:
        console.print(f"generated release/{assignment}; next: [bold]nbgrader release_assignment {assignment}[/]")


@course.command()
@click.argument("assignment")
@COURSE_OPTION
@click.option("--student", "students", multiple=True, help="only these students (repeatable)")
def autograde(assignment: str, course_dir: Path, students: tuple[str, ...]) -> None:
    """Fast, sandboxed autograding of every submission, written into nbgrader's gradebook."""
    from rnnkit.course.autograde import StudentOutcome, skipped_folders, students_of
    from rnnkit.course.autograde import autograde as run_autograde

    bad = [s for s in students if not STUDENT_ID.match(s)]
    if bad:
        raise click.BadParameter(f"not a student id: {', '.join(map(repr, bad))} (letters, digits and _.@+- only)",
                                 param_hint="--student")
    try:
        loaded = load_course(course_dir)
        chosen = list(students) or students_of(loaded, assignment)
        table = Table(title=f"{assignment}: rnnkit course autograde", title_justify="left")
        for column in ("student", "points", "late penalty", "problems", "flags"):
            table.add_column(column, overflow="fold")
        with _bar("grading") as bar:
            task = bar.add_task("", total=len(chosen))

            def done(outcome: StudentOutcome) -> None:
                bar.advance(task)
                points = f"{outcome.points:g}/{outcome.max_points:g}" if outcome.graded else "not graded"
                table.add_row(terminal(outcome.student), points, outcome.penalty_text(),
                              terminal("; ".join(outcome.incidents + outcome.problems)),
                              terminal("; ".join(outcome.flags)))

            outcomes = run_autograde(loaded, assignment, chosen, on_student=done)
    except (CourseError, AssignmentError) as exc:
        _fail(exc)
    console.print(table)
    console.print(f"scores are in {loaded.gradebook}; rnnkit results in {loaded.results_dir(assignment)}")
    if not students:
        for folder in skipped_folders(loaded, assignment):
            console.print(f"[yellow]skipped[/] submitted/{folder}: not a student id (letters, digits and _.@+- "
                          "only) or a link; rename the folder to grade it")
    if not all(o.grader_files_hidden for o in outcomes):
        from rnnkit.render import EXPOSED_KIT_WARNING

        console.print(f"[yellow]warning:[/] {EXPOSED_KIT_WARNING}; their printed output is left out of feedback")
    broken = [o.student for o in outcomes if not o.graded]
    if broken:
        console.print(f"[red]{len(broken)} student(s) not graded[/] (see problems); the others are saved. "
                      f"Fix the cause, then: rnnkit course autograde {assignment} "
                      + " ".join(f"--student {s}" for s in broken))
        sys.exit(1)


@course.command()
@click.argument("assignment")
@COURSE_OPTION
def feedback(assignment: str, course_dir: Path) -> None:
    """HTML feedback per student (no hidden tests, inputs or expected values in it)."""
    from rnnkit.course.feedback import write_feedback

    try:
        with console.status("writing feedback"):
            written = write_feedback(load_course(course_dir), assignment)
    except (CourseError, AssignmentError) as exc:
        _fail(exc)
    console.print(f"{len(written)} feedback file(s) under {course_dir / 'feedback'}; "
                  f"`nbgrader release_feedback {assignment}` sends them")


@course.command()
@click.argument("assignment")
@COURSE_OPTION
def report(assignment: str, course_dir: Path) -> None:
    """The class report (one HTML file with plots) and CSV exports (nbgrader's and Canvas)."""
    from rnnkit.course.report import write_report

    try:
        with console.status("writing the class report"):
            paths = write_report(load_course(course_dir), assignment)
    except (CourseError, AssignmentError) as exc:
        _fail(exc)
    for skipped in paths.skipped:
        console.print(f"[yellow]skipped[/] {skipped.path}: {skipped.reason}")
    console.print(f"report: {paths.html}\nnbgrader CSV: {paths.nbgrader_csv}\nCanvas CSV: {paths.canvas_csv}")
