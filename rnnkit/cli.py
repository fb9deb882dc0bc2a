"""The ``rnnkit`` command: a thin layer over the library (each command calls one function).

Students: list, show, hint, check, next, reset, watch, sync, build notebooks, doctor. The
instructor's, hiring and authoring commands (grade, demo, dev, course, takehome, build student-kit)
are registered where they are installed: the student edition of the package has none of them
(``rnnkit.edition``).
"""

from __future__ import annotations

import sys

import click
from rich.console import Console

from rnnkit import __version__
from rnnkit.clisupport import EXIT_BROKEN, EXIT_USAGE, fail, load_kit, missing_dependency
from rnnkit.grader import GradingError
from rnnkit.kit import Exercise, Kit, KitError, find_kit
from rnnkit.safetext import terminal

console = Console(highlight=False)


def _kit() -> Kit:
    return load_kit()


def _fail(exc: Exception, code: int = EXIT_BROKEN) -> None:
    fail(console, exc, code)


HELP = """rnnkit: auto-graded LSTM & GRU exercises ({count}).

\b
{where}
Students:    rnnkit watch · rnnkit list · rnnkit next · rnnkit show q021 · rnnkit hint q021
             rnnkit check [q021] · rnnkit reset q021 · rnnkit build notebooks · rnnkit sync q021
{more}"""
MORE = """Instructors: rnnkit grade PATH --out results.json · rnnkit demo · rnnkit course ...
Hiring:      rnnkit takehome new · rnnkit takehome grade · rnnkit takehome compare
Authors:     rnnkit dev build · rnnkit dev check · rnnkit build student-kit -o DIR
"""


def _more() -> str:
    """The instructor's lines of the help, where those commands are installed."""
    return MORE if "dev" in main.commands else ""


class _Main(click.Group):
    """The top-level group: its help counts the exercises of the kit in use (never a fixed number)."""

    def get_help(self, ctx: click.Context) -> str:
        try:
            kit = find_kit()
            count = sum(1 for _ in kit.exercises_dir.glob("[0-9][0-9]_*/*/exercise.toml"))
            self.help = HELP.format(count=f"{count} in the kit in use", where=kit.describe(), more=_more())
        except KitError as exc:
            self.help = HELP.format(count="no kit found here", where=str(exc), more=_more())
        return super().get_help(ctx)

    def invoke(self, ctx: click.Context) -> object:
        """A missing dependency is one sentence and what to do, not a traceback."""
        try:
            return super().invoke(ctx)
        except ModuleNotFoundError as exc:
            if (exc.name or "rnnkit").split(".")[0] == "rnnkit":
                raise
            fail(console, missing_dependency(exc.name or "?"), EXIT_BROKEN)


@click.group(cls=_Main, help=HELP.format(count="counted in the kit in use", where="kit: the one in use",
                                         more=MORE),
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


def _say_kit(kit: Kit) -> None:
    """The "kit: ..." line every student command starts with."""
    console.print(terminal(kit.describe(), "dim"))


def _find(kit: Kit, exercise: str) -> Exercise:
    try:
        return kit.find(exercise)
    except KitError as exc:
        raise click.BadParameter(str(exc), param_hint="EXERCISE") from exc


@main.command()
@click.argument("exercise", required=False)
@click.option("--no-sandbox", is_flag=True, help="run your code in this process (so a debugger works)")
@click.option("--notebook", is_flag=True, help="check the code of the exercise's notebook instead of its .py file")
@click.option("--timeout", default=10.0, show_default=True, help="seconds allowed per call")
def check(exercise: str | None, no_sandbox: bool, notebook: bool, timeout: float) -> None:
    """Run the public tests of EXERCISE (default: the first unsolved one)."""
    from rnnkit.student import check as run_check
    from rnnkit.studentnb import NotebookError, notebook_submission

    kit = _kit()
    chosen = _find(kit, exercise) if exercise else None
    try:
        if notebook:
            if chosen is None:
                raise NotebookError("--notebook checks one exercise: name it, for example `rnnkit check q021 --notebook`")
            with notebook_submission(kit, chosen) as folder:
                ok = run_check(kit, chosen, console, sandbox=not no_sandbox, timeout=timeout, submission=folder)
        else:
            ok = run_check(kit, chosen, console, sandbox=not no_sandbox, timeout=timeout)
    except NotebookError as exc:
        _fail(exc, EXIT_USAGE)
    except GradingError as exc:
        _fail(exc)
    sys.exit(0 if ok else 1)


@main.command("next")
def next_cmd() -> None:
    """The next unsolved exercise: its question, the file to edit and what to run."""
    from rnnkit.student import show_next

    show_next(_kit(), console)


@main.command()
@click.argument("exercise")
def reset(exercise: str) -> None:
    """Put EXERCISE's untouched stub back; your version is kept in .rnnkit/backups/."""
    from rnnkit.reset import ResetError, reset_exercise

    kit = _kit()
    _say_kit(kit)
    try:
        done = reset_exercise(kit, _find(kit, exercise))
    except ResetError as exc:
        _fail(exc, EXIT_USAGE)
    rel = done.path.relative_to(kit.root)
    if done.backup is None:
        console.print(terminal(f"{rel} was untouched: nothing to reset"))
    else:
        console.print(terminal(f"{rel} is the stub again; your version is in {done.backup.relative_to(kit.root)}"))


@main.command()
@click.argument("exercise", required=False)
@click.option("--interval", default=0.05, show_default=True, help="seconds between two looks at the files")
def watch(exercise: str | None, interval: float) -> None:
    """Re-run the public tests of the exercise you edit on every save (default: start with the
    first unsolved one). Keys: h hint, n next exercise, q quit."""
    from rnnkit.watch import watch as run_watch

    kit = _kit()
    try:
        run_watch(kit, _find(kit, exercise) if exercise else None, console, interval=interval)
    except GradingError as exc:
        _fail(exc)


@main.command()
@click.argument("exercise", required=False)
@click.option("--from", "source", type=click.Choice(["notebook", "py"]),
              help="which side to copy from [default: the one changed last]")
def sync(exercise: str | None, source: str | None) -> None:
    """Copy your code between an exercise's notebook and its .py file (every exercise with a
    notebook, or EXERCISE); the overwritten version is kept in .rnnkit/backups/."""
    from rnnkit.studentnb import NotebookError, sync_exercise

    kit = _kit()
    _say_kit(kit)
    chosen = [_find(kit, exercise)] if exercise else list(kit.exercises)
    try:
        done = [d for d in (sync_exercise(kit, item, source, required=exercise is not None) for item in chosen) if d]
    except NotebookError as exc:
        _fail(exc, EXIT_USAGE)
    for line in done:
        console.print(terminal(line))
    if not done:
        console.print("nothing to sync: every notebook holds the same code as its .py file "
                      "(`rnnkit build notebooks` writes the notebooks)")


@main.group()
def build() -> None:
    """Build files from the kit: notebooks (students), student-kit (instructors)."""


@build.command("notebooks")
@click.option("--exercises", help="comma list of exercise ids (default: every exercise)")
@click.option("--force", is_flag=True, help="rewrite notebooks that exist (their code is backed up first)")
def build_notebooks(exercises: str | None, force: bool) -> None:
    """One Jupyter notebook per exercise in notebooks/: question, spec, your code, public tests."""
    from rnnkit.studentnb import write_notebooks

    kit = _kit()
    _say_kit(kit)
    try:
        chosen = kit.select(exercises)
    except KitError as exc:
        raise click.BadParameter(str(exc)) from exc
    written, kept = write_notebooks(kit, chosen, force=force)
    for path in written:
        console.print(terminal(f"wrote {path.relative_to(kit.root)}"))
    if kept:
        console.print(terminal(f"{len(kept)} notebook(s) exist and were kept (your work in them is safe); "
                               "`rnnkit sync` copies code between notebook and .py file, --force rewrites them"))


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


def _register_optional() -> None:
    """The instructor's, hiring and authoring commands, where this installation has them."""
    try:
        from rnnkit.authorcli import register
        from rnnkit.course.cli import course
        from rnnkit.takehome.cli import takehome
    except ModuleNotFoundError as exc:
        if (exc.name or "").split(".")[0] != "rnnkit":
            raise
        return  # the student edition: the student's commands only
    register(main, build)
    main.add_command(course)
    main.add_command(takehome)


_register_optional()

if __name__ == "__main__":
    main()
