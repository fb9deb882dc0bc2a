"""The ``rnnkit`` command: a thin layer over the library (each command calls one function).

Students: list, show, hint, check. Instructors: grade, demo. Authors: dev build, dev check.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.console import Console

from rnnkit import __version__
from rnnkit.clisupport import EXIT_BROKEN, fail, load_kit
from rnnkit.grader import GradingError, RunOptions
from rnnkit.kit import Kit, KitError, find_kit
from rnnkit.mutants import MutantError
from rnnkit.safetext import terminal
from rnnkit.stubgen import StubError

console = Console(highlight=False)


def _kit() -> Kit:
    return load_kit()


def _fail(exc: Exception, code: int = EXIT_BROKEN) -> None:
    fail(console, exc, code)


HELP = """rnnkit: auto-graded LSTM & GRU exercises ({count}).

\b
{where}
Students:    rnnkit list · rnnkit show q021 · rnnkit hint q021 · rnnkit check [q021]
Instructors: rnnkit grade PATH --out results.json · rnnkit demo · rnnkit course ...
Hiring:      rnnkit takehome new · rnnkit takehome grade · rnnkit takehome compare
Authors:     rnnkit dev build · rnnkit dev check
"""


class _Main(click.Group):
    """The top-level group: its help counts the exercises of the kit in use (never a fixed number)."""

    def get_help(self, ctx: click.Context) -> str:
        try:
            kit = find_kit()
            count = sum(1 for _ in kit.exercises_dir.glob("[0-9][0-9]_*/*/exercise.toml"))
            self.help = HELP.format(count=f"{count} in the kit in use", where=kit.describe())
        except KitError as exc:
            self.help = HELP.format(count="no kit found here", where=str(exc))
        return super().get_help(ctx)


@click.group(cls=_Main, help=HELP.format(count="counted in the kit in use", where="kit: the one in use"),
             context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="rnnkit")
def main() -> None:
    pass


@main.command("list")
def list_cmd() -> None:
    """Modules, exercises, the status of each and a progress bar."""
    from rnnkit.student import list_exercises

    list_exercises(_kit(), console)


@main.command()
@click.argument("exercise")
def show(exercise: str) -> None:
    """The question, the tasks and the signatures of EXERCISE (q021 or its full id)."""
    from rnnkit.student import show as show_exercise

    kit = _kit()
    try:
        show_exercise(kit, kit.find(exercise), console)
    except KitError as exc:
        raise click.BadParameter(str(exc), param_hint="EXERCISE") from exc


@main.command()
@click.argument("exercise")
@click.option("--reset", is_flag=True, help="hide this exercise's hints again")
def hint(exercise: str, reset: bool) -> None:
    """Show the next hint for EXERCISE (one more each time)."""
    from rnnkit.student import hint as show_hint

    kit = _kit()
    try:
        show_hint(kit, kit.find(exercise), console, reset=reset)
    except KitError as exc:
        raise click.BadParameter(str(exc), param_hint="EXERCISE") from exc


@main.command()
@click.argument("exercise", required=False)
@click.option("--no-sandbox", is_flag=True, help="run your code in this process (so a debugger works)")
@click.option("--timeout", default=10.0, show_default=True, help="seconds allowed per call")
def check(exercise: str | None, no_sandbox: bool, timeout: float) -> None:
    """Run the public tests of EXERCISE (default: the first unsolved one)."""
    from rnnkit.student import check as run_check

    kit = _kit()
    try:
        chosen = kit.find(exercise) if exercise else None
    except KitError as exc:
        raise click.BadParameter(str(exc), param_hint="EXERCISE") from exc
    try:
        ok = run_check(kit, chosen, console, sandbox=not no_sandbox, timeout=timeout)
    except GradingError as exc:
        _fail(exc)
    sys.exit(0 if ok else 1)


@main.command()
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), help="write the results JSON here")
@click.option("--exercises", help="comma list: q021,q005 (short or full ids)")
@click.option("--module", help="one module: 01 or 01_cells")
@click.option("--seed", type=int, help="replay the seed of an earlier run (it is in its results)")
@click.option("--timeout", default=10.0, show_default=True, help="seconds allowed per call into the submission")
@click.option("--budget", default=120.0, show_default=True,
              help="seconds allowed for all the calls of one exercise together")
@click.option("--no-namespaces", is_flag=True, help="sandbox without Linux namespaces (hosts that forbid them)")
def grade(path: Path, out: Path | None, exercises: str | None, module: str | None, seed: int | None,
          timeout: float, budget: float, no_namespaces: bool) -> None:
    """Grade the submission at PATH with the hidden tests, in the sandbox. PATH is a copy of
    exercises/, a folder of loose qNNN_slug.py files, or one qNNN_slug.py file (that exercise only).

    Exits 0 whatever the score; non-zero only for a usage error or a broken installation.
    """
    from rnnkit.grader import grade as run_grade
    from rnnkit.render import EXPOSED_KIT_WARNING, results_table

    kit = _kit()
    try:
        chosen = kit.select(exercises, module)
    except KitError as exc:
        raise click.BadParameter(str(exc)) from exc
    if path.is_file():
        try:
            only = kit.find_file(path)
        except KitError as exc:
            raise click.BadParameter(str(exc), param_hint="PATH") from exc
        chosen = [e for e in chosen if e.id == only.id]
        if not chosen:
            raise click.BadParameter(f"{path.name} is not among the exercises chosen with --exercises/--module",
                                     param_hint="PATH")
        path = path.parent
    from rnnkit.student import _Bar

    options = RunOptions(seed=seed, call_timeout_s=timeout, exercise_budget_s=budget, namespaces=not no_namespaces,
                         label=str(path), progress=_Bar(console, "grading"))
    try:
        results = run_grade(kit, chosen, path.resolve(), options)
    except GradingError as exc:
        _fail(exc)
    if out is not None:
        results.write(out)  # first: nothing printed below can cost the record
    console.print(results_table(results))
    console.print(f"seed {results.seed} · isolation: {', '.join(results.isolation)} · {results.duration_s:.1f} s")
    if not results.grader_files_hidden:
        console.print(f"[yellow]warning:[/] {EXPOSED_KIT_WARNING}")
    if out is not None:
        console.print(terminal(f"results written to {out}"))


@main.command()
@click.option("--no-namespaces", is_flag=True, help="check the fallback (no Linux namespaces)")
def doctor(no_namespaces: bool) -> None:
    """Which isolation layers this host gives the sandbox, and how to get the missing ones.

    Exits 0 when every layer is in force, 1 when some are missing (grading still works, with less
    isolation: results list what was in force)."""
    from rich.table import Table

    from rnnkit.doctor import LAYERS, diagnose

    found = diagnose(namespaces=not no_namespaces)
    table = Table(title="rnnkit doctor: sandbox isolation on this host", title_justify="left")
    for column in ("layer", "status", "what it gives / how to get it"):
        table.add_column(column, overflow="fold")
    missing = found.missing()
    for layer, (gives, how) in LAYERS.items():
        in_force = [f for f, layers in found.active.items() if layer in layers]
        status = ("[green]active[/]" if in_force and (layer != "no-torch" or in_force == ["numpy"])
                  else "[red]missing[/]" if layer in missing else "[dim]not needed[/]")
        table.add_row(layer, status, how if layer in missing else gives)
    console.print(table)
    who = f"uid {found.child_uid}" if found.child_uid is not None else "unknown"
    console.print(f"the grader runs as uid {found.grader_uid}; a submission runs as {who}")
    if missing:
        console.print(f"[yellow]{len(missing)} layer(s) missing[/]: {', '.join(missing)}")
    else:
        console.print("[green]every isolation layer is in force[/]")
    sys.exit(1 if missing else 0)


@main.command()
@click.option("--out", "out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="where the sample submissions, their results and the class go [default: <kit>/build/demo]")
@click.option("--no-class", is_flag=True, help="skip the nbgrader class (only grade the three samples)")
def demo(out: Path | None, no_class: bool) -> None:
    """Grade three sample submissions of module 01 (the references, the stubs, known-wrong mutants),
    then run a small class through nbgrader with both autograde paths."""
    from rnnkit.course.coursedir import CourseError
    from rnnkit.demo import run_class_demo, run_demo

    try:
        kit = _kit()
        folder = (out or kit.root / "build" / "demo").resolve()
        run_demo(kit, folder, console)
        if not no_class:
            run_class_demo(kit, folder, console)
    except (GradingError, MutantError, StubError, CourseError) as exc:
        _fail(exc)


@main.group()
def dev() -> None:
    """Authoring: regenerate stubs, check the whole kit."""


@dev.command("build")
@click.option("--exercises", help="comma list of exercise ids")
@click.option("--module", help="one module: 01 or 01_cells")
def dev_build(exercises: str | None, module: str | None) -> None:
    """Regenerate the stubs in exercises/ from the solutions."""
    from rnnkit.devtools import build

    kit = _kit()
    try:
        changed = build(kit, kit.select(exercises, module))
    except StubError as exc:
        _fail(exc)
    for path in changed:
        console.print(f"wrote {path.relative_to(kit.root)}")
    console.print(f"{len(changed)} stub(s) changed")


@dev.command("check")
@click.option("--exercises", help="comma list of exercise ids")
@click.option("--module", help="one module: 01 or 01_cells")
@click.option("-v", "--verbose", is_flag=True, help="also list which task catches each mutant")
@click.option("--seeds", "seed_count", type=click.IntRange(1), default=5, show_default=True,
              help="grade everything under this many fixed seeds; verdicts must agree")
@click.option("--require-alternatives", is_flag=True,
              help="exercises of difficulty >= 2 need at least one alternative solution")
@click.option("--jobs", type=click.IntRange(1), default=None, help="seeds graded at a time [default: one per core]")
def dev_check(exercises: str | None, module: str | None, verbose: bool, seed_count: int,
              require_alternatives: bool, jobs: int | None) -> None:
    """Verify the kit: layout, metadata, bank text, stubs up to date, solutions pass, stubs (and
    stubs that only raise) fail, mutants caught, equivalents and alternatives pass, the same
    verdicts under every seed, public tests useful."""
    from rnnkit.devtools import check as run_check
    from rnnkit.devtools import check_seeds

    kit = _kit()
    chosen = kit.select(exercises, module)
    try:
        report = run_check(kit, chosen, say=lambda msg: console.print(f"[dim]{msg}[/]"),
                           seeds=check_seeds(seed_count), require_alternatives=require_alternatives, jobs=jobs)
    except GradingError as exc:
        _fail(exc)
    if verbose:
        for line in report.notes:
            console.print(f"[dim]{line}[/]")
    for problem in report.problems:
        console.print(f"[red]✗[/] {problem}")
    if report.ok:
        console.print(f"[green]✓ {len(chosen)} exercise(s) pass every check[/]")
    else:
        console.print(f"[red]{len(report.problems)} problem(s)[/]")
        sys.exit(1)


def _register_course() -> None:
    from rnnkit.course.cli import course

    main.add_command(course)
    from rnnkit.takehome.cli import takehome

    main.add_command(takehome)


_register_course()

if __name__ == "__main__":
    main()
