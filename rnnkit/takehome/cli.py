"""``rnnkit takehome``: new (render a candidate's kit), grade (intake, sandbox, report), compare."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.console import Console

from rnnkit.grader import GradingError
from rnnkit.kit import Kit, KitError, find_kit
from rnnkit.safetext import terminal

console = Console(highlight=False)
USAGE = 2


def _usage(exc: Exception) -> None:
    console.print("[red]error:[/] ", terminal(exc), sep="")
    sys.exit(USAGE)


def _kit() -> Kit:
    try:
        return find_kit()
    except KitError as exc:
        raise click.ClickException(str(exc)) from exc


@click.group()
def takehome() -> None:
    """Hiring: take-home kits for candidates, safe intake, grading and reports."""


@takehome.command("new")
@click.option("--candidate", required=True, help="who the kit is for (names its folder): candidate-017")
@click.option("--exercises", help="comma list: q021,q005")
@click.option("--preset", help="an assignment bundle of instructor/assignments/ (its name)")
@click.option("--pick", type=int, help="draw this many exercises, spread over modules and libraries")
@click.option("--difficulty", type=click.IntRange(1, 3), help="with --pick: only this difficulty")
@click.option("--seed", type=int, help="with --pick: the draw's seed (the same seed draws the same set)")
@click.option("--hours", type=float, default=3.0, show_default=True, help="the time budget stated in the README")
@click.option("-o", "--out", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="the kit is rendered into OUT/CANDIDATE")
@click.option("--registry", type=click.Path(file_okay=False, path_type=Path),
              help="where the issued manifests are kept [default: <kit>/build/takehome/issued]")
def new(candidate: str, exercises: str | None, preset: str | None, pick: int | None, difficulty: int | None,
        seed: int | None, hours: float, out: Path, registry: Path | None) -> None:
    """Render a self-contained take-home repository for one candidate, with cookiecutter."""
    from rnnkit.takehome.new import TakehomeError, choose, default_registry, new_kit

    kit = _kit()
    try:
        chosen = choose(kit, exercises, preset, pick, difficulty, seed)
        issued = new_kit(kit, chosen, candidate, hours, out, registry or default_registry(kit))
    except TakehomeError as exc:
        _usage(exc)
    console.print(terminal(f"kit {issued.kit_id} for {candidate}: {issued.folder}"))
    console.print(terminal(f"exercises: {', '.join(e.id for e in chosen)} · manifest kept in {issued.record}"))


@takehome.command("grade")
@click.argument("submission", type=click.Path(exists=True, path_type=Path))
@click.option("--report", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="the HTML report (the JSON goes beside it)")
@click.option("--against", type=click.Path(file_okay=False, path_type=Path),
              help="a folder of earlier reports' JSON to compare the code with")
@click.option("--registry", type=click.Path(file_okay=False, path_type=Path),
              help="where the issued manifests are kept [default: <kit>/build/takehome/issued]")
@click.option("--exercises", help="the exercises, when the submission has no takehome.json")
@click.option("--seed", type=int, help="replay the seed of an earlier run (it is in its report)")
@click.option("--timeout", default=10.0, show_default=True, help="seconds allowed per call")
@click.option("--budget", default=120.0, show_default=True, help="seconds allowed per exercise")
@click.option("--no-namespaces", is_flag=True, help="sandbox without Linux namespaces")
def grade(submission: Path, report: Path, against: Path | None, registry: Path | None, exercises: str | None,
          seed: int | None, timeout: float, budget: float, no_namespaces: bool) -> None:
    """Take SUBMISSION in safely (folder, .zip, .tar.gz, git bundle, .py, .ipynb), grade it with the
    hidden graders in the sandbox, and write the report. Exits 0 whatever the score."""
    from rnnkit.takehome.grading import GradeOptions, grade_takehome, write_report
    from rnnkit.takehome.new import TakehomeError, default_registry
    from rnnkit.takehome.report import findings

    kit = _kit()
    options = GradeOptions(registry or default_registry(kit), against, exercises, seed, timeout, budget,
                           not no_namespaces)
    try:
        document = grade_takehome(kit, submission, options)
    except TakehomeError as exc:
        _usage(exc)
    except GradingError as exc:
        console.print("[red]error:[/] ", terminal(exc), sep="")
        sys.exit(3)
    json_path = write_report(document, report)
    total = document["total"]
    console.print(terminal(f"{document['takehome']['candidate']}: {total['points']:g} / {total['max_points']:g}"))
    for exercise_id, exercise in document["exercises"].items():
        console.print(terminal(f"  {exercise_id}: {exercise['points']:g} / {exercise['max_points']:g}"))
    for cls, text in findings(document):
        console.print(terminal(f"  {'!' if cls == 'bad' else '-'} {text}", "red" if cls == "bad" else ""))
    console.print(terminal(f"report: {report} · data: {json_path}"))


@takehome.command("compare")
@click.argument("reports", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--html", "html_out", type=click.Path(dir_okay=False, path_type=Path), help="also write the table as HTML")
def compare(reports: tuple[Path, ...], html_out: Path | None) -> None:
    """Rank candidates from their reports' JSON (REPORTS: reports/*.json)."""
    from rnnkit.takehome.compare import html_table, load_rows, terminal_table
    from rnnkit.takehome.new import TakehomeError

    try:
        rows = load_rows(list(reports))
    except TakehomeError as exc:
        _usage(exc)
    console.print(terminal_table(rows))
    if html_out is not None:
        html_out.write_text(html_table(rows), encoding="utf-8")
        console.print(terminal(f"written: {html_out}"))
