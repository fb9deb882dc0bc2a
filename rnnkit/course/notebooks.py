"""nbgrader *source* notebooks generated from exercises, one notebook per exercise.

    <exercise_id>.ipynb
      intro      markdown, locked: the bank's question, the tasks and their points, the spec
      solution   code, nbgrader solution cell: the whole exercise file (nbgrader's own markers
                 inside, so generate_assignment turns it into the stub)
      public     code, locked: runs the public tests against the code of this notebook
      task<N>    code, nbgrader grade cell (locked, the task's points): the call to rnnkit's hidden
                 grader, inside ### BEGIN/END HIDDEN TESTS so students see only the comment

Cell ids are fixed (``<id>-solution`` ...) and grade ids are ``<exercise_id>_<part>``: the fast
autograder finds a student's cells by these, checked against the source notebook, never trusting
the student's copy alone.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbformat.notebooknode import NotebookNode

from rnnkit.bank import load_bank
from rnnkit.kit import Exercise, Kit

SCHEMA_VERSION = 3
KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}


@dataclass(frozen=True)
class CellNames:
    """The grade ids and cell ids of one exercise's notebook."""

    exercise_id: str

    @property
    def notebook(self) -> str:
        return self.exercise_id

    @property
    def solution(self) -> str:
        return f"{self.exercise_id}_solution"

    def task(self, task_id: int) -> str:
        return f"{self.exercise_id}_task{task_id}"

    def cell_id(self, grade_id: str) -> str:
        return grade_id.replace("_", "-")[-64:]


def _meta(grade_id: str, *, grade: bool = False, solution: bool = False, locked: bool = False,
          points: int | None = None) -> dict[str, object]:
    meta: dict[str, object] = {"grade": grade, "solution": solution, "locked": locked,
                               "grade_id": grade_id, "schema_version": SCHEMA_VERSION}
    if points is not None:
        meta["points"] = points
    return {"nbgrader": meta}


def _intro(kit: Kit, exercise: Exercise) -> str:
    meta = exercise.meta
    entry = load_bank(kit.bank_path).get(meta.bank.number) if kit.bank_path.is_file() else None
    question = entry.question if entry else meta.bank.question
    answer = entry.answer if entry else meta.bank.answer
    spec = ast.get_docstring(ast.parse(exercise.solution_path.read_text(encoding="utf-8"))) or ""
    rows = "\n".join(f"| {t.id} | {t.name} | {t.points} |" for t in meta.tasks)
    return (
        f"# {meta.short_id} · {meta.title}\n\n"
        f"**Q{meta.bank.number}. {question}**\n\n{answer}\n\n"
        f"## Tasks ({meta.max_points} points)\n\n| task | what the hidden grader checks | points |\n|---|---|---|\n{rows}\n\n"
        f"## Spec\n\n```text\n{spec}\n```\n\n"
        "Write your code in the next cell: it holds the whole exercise file, and it is the only cell "
        "that is graded (keep every helper you need inside it). Run the public-tests cell to check your "
        "work; after you submit, hidden tests grade each task in a sandbox with other inputs."
    )


def exercise_notebook(kit: Kit, exercise: Exercise) -> NotebookNode:
    names = CellNames(exercise.id)
    cells = [
        nbformat.v4.new_markdown_cell(_intro(kit, exercise), metadata=_meta(f"{exercise.id}_intro", locked=True)),
        nbformat.v4.new_code_cell(exercise.solution_path.read_text(encoding="utf-8").rstrip("\n"),
                                  metadata=_meta(names.solution, solution=True)),
        nbformat.v4.new_code_cell(
            f"# Public tests (run this cell to check the code above).\n"
            f"from rnnkit.notebook import run_public_tests\n"
            f"run_public_tests({exercise.id!r}, globals())",
            metadata=_meta(f"{exercise.id}_public", locked=True)),
    ]
    for task in exercise.meta.tasks:
        points = "point" if task.points == 1 else "points"
        cells.append(nbformat.v4.new_code_cell(
            f"# Task {task.id} ({task.points} {points}): {task.name}.\n"
            f"# Graded by hidden tests after you submit.\n"
            f"### BEGIN HIDDEN TESTS\n"
            f"from rnnkit.notebook import grade_task\n"
            f"grade_task({exercise.id!r}, {task.id}, globals())\n"
            f"### END HIDDEN TESTS",
            metadata=_meta(names.task(task.id), grade=True, locked=True, points=task.points)))
    for cell in cells:
        cell["id"] = names.cell_id(cell.metadata["nbgrader"]["grade_id"])
    nb: NotebookNode = nbformat.v4.new_notebook(cells=cells, metadata={"kernelspec": KERNELSPEC,
                                                                       "language_info": {"name": "python"}})
    nb.nbformat_minor = 5
    return nb


def write_source_notebooks(kit: Kit, exercises: list[Exercise], folder: Path) -> list[Path]:
    """Write one source notebook per exercise into ``folder`` (course/source/<assignment>)."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for exercise in exercises:
        path = folder / f"{exercise.id}.ipynb"
        nb = exercise_notebook(kit, exercise)
        nbformat.validate(nb)
        nbformat.write(nb, str(path))
        written.append(path)
    return written
