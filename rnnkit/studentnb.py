"""Notebooks for students who prefer Jupyter: one per exercise, and the way back to the .py file.

    notebooks/NN_module/qNNN_slug.ipynb
      intro     markdown: the bank's question, the tasks, the spec (the stub's module docstring)
      solution  code: the whole exercise file (cell id ``<id>-solution``); the student's code
      public    code: runs the public tests on the code of this notebook (``rnnkit.notebook``)

``rnnkit check q021 --notebook`` checks the solution cell's code with the same public tests as the
``.py`` file; ``rnnkit sync`` copies the code between the two sides, keeping the version it
overwrites in ``.rnnkit/backups/``. Notebooks are written as plain nbformat 4 JSON, the same bytes
for the same files. Nothing here reads solutions: the cell holds the student's own file.
"""

from __future__ import annotations

import ast
import contextlib
import json
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from rnnkit.course.extract import read_notebook
from rnnkit.kit import Exercise, Kit
from rnnkit.reset import backup

KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}


class NotebookError(ValueError):
    """A notebook that is missing or has no solution cell; the message says what to do."""


def notebook_path(kit: Kit, exercise: Exercise) -> Path:
    return kit.root / "notebooks" / exercise.module / f"{exercise.id}.ipynb"


def cell_id(exercise: Exercise, part: str) -> str:
    return f"{exercise.id}-{part}".replace("_", "-")[-64:]


def _lines(text: str) -> list[str]:
    return text.splitlines(keepends=True)


def _intro(exercise: Exercise, code: str) -> str:
    meta = exercise.meta
    try:
        spec = ast.get_docstring(ast.parse(exercise.stub_path.read_text(encoding="utf-8"))) or ""
    except (OSError, SyntaxError):
        spec = ""
    rows = "\n".join(f"| {t.id} | {t.name} | {t.points} |" for t in meta.tasks)
    return (f"# {meta.short_id} · {meta.title}\n\n**Q{meta.bank.number}. {meta.bank.question}**\n\n{meta.bank.answer}\n\n"
            f"## Tasks\n\n| task | what the grader checks | points |\n|---|---|---|\n{rows}\n\n"
            f"## Spec\n\n```text\n{spec}\n```\n\n"
            "The next cell is your exercise file: replace each `raise NotImplementedError` with your code, "
            "then run the cell after it (the public tests). `rnnkit sync "
            f"{meta.short_id}` copies this code to `exercises/{exercise.module}/{exercise.id}/{exercise.id}.py` "
            "(and back); `rnnkit check "
            f"{meta.short_id} --notebook` checks it from the terminal.")


def exercise_notebook(exercise: Exercise, code: str) -> dict[str, Any]:
    def code_cell(part: str, source: str) -> dict[str, Any]:
        return {"cell_type": "code", "execution_count": None, "id": cell_id(exercise, part),
                "metadata": {"rnnkit": {"exercise": exercise.id, "cell": part}}, "outputs": [],
                "source": _lines(source)}

    public = ("# The public tests, run on the code of the cell above (run that cell first).\n"
              "from rnnkit.notebook import run_public_tests\n"
              f"run_public_tests({exercise.id!r}, globals())")
    return {"cells": [{"cell_type": "markdown", "id": cell_id(exercise, "intro"),
                       "metadata": {"rnnkit": {"exercise": exercise.id, "cell": "intro"}},
                       "source": _lines(_intro(exercise, code))},
                      code_cell("solution", code.rstrip("\n")), code_cell("public", public)],
            "metadata": {"kernelspec": KERNELSPEC, "language_info": {"name": "python"}},
            "nbformat": 4, "nbformat_minor": 5}


def _dump(nb: dict[str, Any]) -> str:
    return json.dumps(nb, indent=1, ensure_ascii=False, sort_keys=True) + "\n"


def write_notebooks(kit: Kit, exercises: list[Exercise], force: bool = False) -> tuple[list[Path], list[Path]]:
    """Write the notebooks of these exercises from their current .py files; returns (written,
    kept): a notebook that exists is kept unless ``force`` (then its old version is backed up)."""
    written, kept = [], []
    for exercise in exercises:
        path = notebook_path(kit, exercise)
        if path.exists() and not force:
            kept.append(path)
            continue
        if path.exists():
            backup(kit, path, path.read_bytes())
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(_dump(exercise_notebook(exercise, exercise.stub_path.read_text(encoding="utf-8"))),
                        encoding="utf-8")
        written.append(path)
    return written, kept


def _solution_cell(nb: dict[str, Any], exercise: Exercise) -> dict[str, Any] | None:
    cells = [c for c in nb.get("cells", []) if isinstance(c, dict) and c.get("cell_type") == "code"]
    wanted = cell_id(exercise, "solution")
    by_id = [c for c in cells if c.get("id") == wanted]
    by_meta = [c for c in cells if (c.get("metadata") or {}).get("rnnkit", {}).get("cell") == "solution"]
    found = by_id or by_meta
    return found[0] if found else None


def _read(kit: Kit, exercise: Exercise) -> tuple[Path, dict[str, Any], dict[str, Any]]:
    path = notebook_path(kit, exercise)
    if not path.is_file():
        raise NotebookError(f"{exercise.id} has no notebook ({path.relative_to(kit.root)}): "
                            f"`rnnkit build notebooks --exercises {exercise.meta.short_id}` writes it")
    nb, problem = read_notebook(path)
    if nb is None:
        raise NotebookError(f"{path.relative_to(kit.root)} cannot be read: {problem}")
    cell = _solution_cell(nb, exercise)
    if cell is None:
        raise NotebookError(f"{path.relative_to(kit.root)} has no solution cell (id {cell_id(exercise, 'solution')}): "
                            "copy your code out of it, then `rnnkit build notebooks --force` writes a new one")
    return path, nb, cell


def _source(cell: dict[str, Any]) -> str:
    source = cell.get("source", "")
    return ("".join(source) if isinstance(source, list) else str(source)).rstrip("\n") + "\n"


def notebook_code(kit: Kit, exercise: Exercise) -> str:
    """The code of the exercise notebook's solution cell."""
    return _source(_read(kit, exercise)[2])


@contextlib.contextmanager
def notebook_submission(kit: Kit, exercise: Exercise) -> Iterator[Path]:
    """A temporary folder laid out like exercises/ holding the notebook's code, for a check."""
    code = notebook_code(kit, exercise)
    with tempfile.TemporaryDirectory(prefix="rnnkit-notebook-") as tmp:
        target = Path(tmp) / exercise.module / exercise.id / exercise.stub_path.name
        target.parent.mkdir(parents=True)
        target.write_text(code, encoding="utf-8")
        yield Path(tmp)


def sync_exercise(kit: Kit, exercise: Exercise, source: str | None = None, required: bool = True) -> str | None:
    """Copy the code from one side to the other (``source``: "notebook", "py", or None for the
    one changed last); returns what was done, None when there was nothing to do."""
    path = notebook_path(kit, exercise)
    if not path.is_file() and not required:
        return None
    path, nb, cell = _read(kit, exercise)
    py = exercise.stub_path
    code = _source(cell)
    current = py.read_text(encoding="utf-8") if py.is_file() else ""
    if code.rstrip("\n") == current.rstrip("\n"):
        return f"{exercise.meta.short_id}: the notebook and the .py file hold the same code" if required else None
    if source is None:
        source = "notebook" if not py.is_file() or path.stat().st_mtime_ns > py.stat().st_mtime_ns else "py"
    if source == "notebook":
        kept = backup(kit, py, py.read_bytes()) if py.is_file() else None
        py.write_text(code, encoding="utf-8")
        target, other = py, kept
    else:
        kept = backup(kit, path, path.read_bytes())
        cell["source"] = _lines(current.rstrip("\n"))
        cell["outputs"], cell["execution_count"] = [], None
        path.write_text(_dump(nb), encoding="utf-8")
        target, other = path, kept
    saved = f"; the previous version is in {other.relative_to(kit.root)}" if other else ""
    return f"{exercise.meta.short_id}: copied the {'notebook' if source == 'notebook' else '.py file'}'s code to " \
           f"{target.relative_to(kit.root)}{saved}"
