"""``rnnkit demo``: grade three sample submissions of module 01 with the hidden graders, then run a
small class through nbgrader.

    reference   the reference solutions (expect 100%)
    stubs       the untouched generated stubs (expect 0 on every task)
    mutants     each exercise replaced by one known-wrong variant (expect lost points everywhere)
    the class   assignment "demo" on a real nbgrader course: five students (one through the
                exchange), both autograde paths, feedback, the class report
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

from rich.console import Console
from rich.table import Table
from rich.text import Text

from rnnkit.course.classrun import ClassRun, PlacedStudent, run_class
from rnnkit.devtools import stub_for
from rnnkit.grader import RunOptions, grade
from rnnkit.kit import Exercise, Kit
from rnnkit.mutants import load_mutants
from rnnkit.render import STATUS_STYLE
from rnnkit.results import Results
from rnnkit.safetext import terminal
from rnnkit.stubgen import strip_markers

DEMO_MODULE = "01"


def _write(root: Path, exercise: Exercise, text: str) -> None:
    target = root / exercise.module / exercise.id / f"{exercise.id}.py"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")


def build_submissions(kit: Kit, exercises: list[Exercise], out: Path) -> dict[str, Path]:
    """Write the three sample submissions under ``out``; returns name -> folder."""
    folders = {name: out / name for name in ("reference", "stubs", "mutants")}
    for index, exercise in enumerate(exercises):
        solution = exercise.solution_path.read_text(encoding="utf-8")
        _write(folders["reference"], exercise, strip_markers(solution))
        _write(folders["stubs"], exercise, stub_for(exercise))
        mutants = load_mutants(exercise.mutants_path)
        mutant = mutants[index % len(mutants)]
        _write(folders["mutants"], exercise, mutant.apply(solution, exercise.solution_path.name))
    return folders


def score_table(kit: Kit, graded: dict[str, Results]) -> Table:
    table = Table(title=f"rnnkit demo: module {DEMO_MODULE}, hidden graders, sandboxed", title_justify="left")
    table.add_column("exercise / task")
    for name in graded:
        table.add_column(name, justify="center")
    first = next(iter(graded.values()))
    for exercise_id, ex in first.exercises.items():
        cells = [f"[bold]{graded[n].exercises[exercise_id].points:g}/{ex.max_points:g}[/]" for n in graded]
        table.add_row(f"[bold]{exercise_id}[/]", *cells)
        for i, task in enumerate(ex.tasks):
            row = []
            for name in graded:
                t = graded[name].exercises[exercise_id].tasks[i]
                row.append(Text(f"{t.status} {t.points:g}/{t.max_points:g}", style=STATUS_STYLE.get(t.status, "")))
            table.add_row(Text(f"  {task.task}. {task.name}", style="dim"), *row)
    table.add_section()
    table.add_row("[bold]total[/]", *[f"[bold]{r.points:g}/{r.max_points:g} ({100 * r.points / r.max_points:.0f}%)[/]"
                                      for r in graded.values()])
    return table


def run_demo(kit: Kit, out: Path, console: Console, options: RunOptions | None = None) -> dict[str, Results]:
    exercises = kit.select(module=DEMO_MODULE)
    folders = build_submissions(kit, exercises, out)
    graded: dict[str, Results] = {}
    for name, folder in folders.items():
        console.print(f"grading the [bold]{name}[/] submission ({folder})")
        opts = options or RunOptions()
        opts.label = name
        graded[name] = grade(kit, exercises, folder, opts)
        graded[name].write(out / f"{name}.results.json")
    console.print(score_table(kit, graded))
    reference, stubs, mutants = graded["reference"], graded["stubs"], graded["mutants"]
    console.print(f"reference {reference.points:g}/{reference.max_points:g} · stubs {stubs.points:g} · "
                  f"mutants {mutants.points:g}; "
                  f"isolation: {', '.join(reference.isolation)}; results in {out}/*.results.json")
    return graded


CLASS_ASSIGNMENT = "demo"


def class_students() -> list[PlacedStudent]:
    """The demo class besides the student who goes through the exchange (a correct one)."""
    on_time, late = dt.datetime(2026, 10, 31, 12, 0), dt.datetime(2030, 6, 3, 13, 0)
    return [PlacedStudent("partial", "partial", late,
                          {"q021_lstm_step_forward": "naive_sigmoid", "q047_stable_sigmoid": "hard_sigmoid_upcast"}),
            PlacedStudent("deleted-test", "deleted_test", on_time),
            PlacedStudent("corrupt", "corrupt", on_time),
            PlacedStudent("looper", "infinite_loop", on_time),
            PlacedStudent("tamper", "tamper", on_time)]


def _scores(path: Path) -> dict[str, str]:
    with path.open(encoding="utf-8") as fh:
        return {row["student_id"]: f"{float(row['score']):g}/{float(row['max_score']):g}" for row in csv.DictReader(fh)}


def class_table(run: ClassRun) -> Table:
    """The class at a glance: both autograde paths' scores and, per student, what went wrong
    (time-outs, crashes and forbidden code as the report lists them, problems, flags)."""
    stock, fast = _scores(run.stock_csv), _scores(run.fast_csv)
    kinds = {run.exchange_student: "correct (through the exchange)"} | {p.student: p.kind for p in class_students()}
    table = Table(title=f"the class: assignment {CLASS_ASSIGNMENT} (score after late penalty)", title_justify="left")
    for column in ("student", "kind", "stock nbgrader autograde", "rnnkit course autograde", "problems and flags"):
        table.add_column(column, overflow="fold")
    for student, kind in kinds.items():
        outcome = run.outcomes.get(student)
        problems = "; ".join(outcome.incidents + outcome.problems + outcome.flags) if outcome else ""
        late = f" (late: {outcome.penalty_text()})" if outcome and outcome.penalty else ""
        table.add_row(terminal(student), kind, stock.get(student, "-"), fast.get(student, "-") + late,
                      terminal(problems))
    return table


def run_class_demo(kit: Kit, out: Path, console: Console) -> ClassRun:
    run = run_class(kit, out / "course", CLASS_ASSIGNMENT, class_students(),
                    say=lambda msg: console.print(f"[dim]{msg}[/]"))
    console.print(class_table(run))
    console.print(f"stock autograde {run.stock_seconds:.1f} s, rnnkit course autograde {run.fast_seconds:.1f} s "
                  f"({run.stock_seconds / max(run.fast_seconds, 1e-9):.0f}x)")
    console.print(f"class report: [bold]{run.report.html}[/]\nfeedback: {run.course.root / 'feedback'}; "
                  f"CSV: {run.report.nbgrader_csv}, {run.report.canvas_csv}")
    return run
