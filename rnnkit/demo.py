"""``rnnkit demo``: grade three sample submissions of module 01 with the hidden graders.

    reference   the reference solutions (expect 100%)
    stubs       the untouched generated stubs (expect 0 on every task)
    mutants     each exercise replaced by one known-wrong variant (expect lost points everywhere)
"""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.table import Table
from rich.text import Text

from rnnkit.devtools import stub_for
from rnnkit.grader import RunOptions, grade
from rnnkit.kit import Exercise, Kit
from rnnkit.mutants import load_mutants
from rnnkit.render import STATUS_STYLE
from rnnkit.results import Results
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
