"""Results as terminal tables (rich). Views only: the JSON results are the record."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text

from rnnkit.results import ExerciseResult, Results
from rnnkit.safetext import terminal

STATUS_STYLE = {"passed": "green", "failed": "red", "error": "red", "timeout": "magenta",
                "crashed": "magenta", "forbidden": "bold red", "missing": "yellow"}


def status_text(status: str) -> Text:
    return Text(status, style=STATUS_STYLE.get(status, ""))


def _points(value: float) -> str:
    return f"{value:g}"


def public_table(result: ExerciseResult, title: str) -> Table:
    """A public check: per task what its public tests checked and how that went, no points (the
    public tests earn none; the hidden grader gives them)."""
    table = Table(title=title, title_justify="left")
    table.add_column("task", justify="right")
    table.add_column("what the public tests checked", overflow="fold")
    table.add_column("status")
    table.add_column("message", overflow="fold")
    for task in result.tasks:
        table.add_row(str(task.task), terminal(task.name), status_text(task.status), terminal(task.message))
    return table


def results_table(results: Results, title: str | None = None) -> Table:
    """One row per exercise: points, then each task's status; a total row at the end."""
    table = Table(title=terminal(title or results.submission), title_justify="left")
    table.add_column("exercise")
    table.add_column("points", justify="right")
    table.add_column("tasks")
    table.add_column("first problem", overflow="fold")
    for exercise_id, ex in results.exercises.items():
        tasks = Text()
        for task in ex.tasks:
            tasks.append(f"{task.task}:", style="dim")
            tasks.append(f"{task.status} ", style=STATUS_STYLE.get(task.status, ""))
        problem = next((f"task {t.task}: {t.message}" for t in ex.tasks if t.status != "passed"), "")
        table.add_row(terminal(exercise_id), f"{_points(ex.points)}/{_points(ex.max_points)}", tasks, terminal(problem))
    table.add_section()
    share = 100 * results.points / results.max_points if results.max_points else 0.0
    table.add_row("total", f"{_points(results.points)}/{_points(results.max_points)}", f"{share:.0f}%", "")
    return table


EXPOSED_KIT_WARNING = ("without namespaces the submissions could read the kit's files (hidden tests, solutions); "
                       "grade on a host that allows user namespaces for scores that count")
