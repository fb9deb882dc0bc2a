"""The instructor's and author's top-level commands: grade, demo, dev build, dev check, build
student-kit. They need the kit's hidden graders and solutions, so the student edition of the
package does not ship this module (``rnnkit.edition``); ``rnnkit.cli`` registers them where it is
installed.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.console import Console

from rnnkit.clisupport import EXIT_BROKEN, EXIT_USAGE, fail, load_kit
from rnnkit.grader import GradingError, RunOptions
from rnnkit.kit import Kit, KitError
from rnnkit.mutants import MutantError
from rnnkit.safetext import terminal
from rnnkit.stubgen import StubError

console = Console(highlight=False)


def _kit() -> Kit:
    return load_kit()


def _fail(exc: Exception, code: int = EXIT_BROKEN) -> None:
    fail(console, exc, code)


@click.command()
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




@click.command()
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


@click.group()
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


@click.command("student-kit")
@click.option("-o", "--out", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="the folder to write the kit into (it must not exist yet, or be empty)")
@click.option("--modules", help="comma list of modules: 01,02 (default: every module)")
@click.option("--exercises", help="comma list of exercise ids: q021,q005")
def build_student_kit(out: Path, modules: str | None, exercises: str | None) -> None:
    """A self-contained student repository: the chosen exercises (stubs, public tests, hints),
    the student commands, a README with the commands to set up and start; no answers."""
    from rnnkit.studentkit import StudentKitError, choose
    from rnnkit.studentkit import build_student_kit as build_kit

    kit = _kit()
    try:
        chosen = choose(kit, modules, exercises)
        named = {e.id for e in kit.select(exercises)} if exercises else {e.id for e in chosen}
        added = [e.meta.short_id for e in chosen if e.id not in named]
        if added:
            console.print(terminal(f"also in the kit, because the chosen exercises require them: {', '.join(added)}"))
        built = build_kit(kit, chosen, out)
    except StudentKitError as exc:
        _fail(exc, EXIT_USAGE)
    console.print(terminal(f"student kit written to {built.folder}: {len(built.exercises)} exercise(s), "
                           f"{built.files} files, {built.size_bytes / 1024:.0f} KiB"))
    console.print(terminal(f"next: cd {built.folder} and follow its README"))


def register(main: click.Group, build: click.Group) -> None:
    main.add_command(grade)
    main.add_command(demo)
    main.add_command(dev)
    build.add_command(build_student_kit)
