"""The solution cell of a submitted notebook, found with the trusted source notebook's ids.

A submitted notebook is untrusted text: it may be truncated, not JSON (merge-conflict markers, an
HTML page saved as .ipynb), in another encoding, huge, or have its cells deleted, duplicated,
reordered or their metadata retyped. Each case gives a clear, student-safe problem for that
notebook only; nothing here raises on bad input.

The solution cell is the cell whose nbformat id or whose grade id equals the source notebook's
solution cell (the id first: students rarely see it, and retyping the metadata does not move it).
Test cells are never taken from the submission: the tests come from the kit and the gradebook.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rnnkit.sandbox.files import NotRegularFile, open_regular

MAX_NOTEBOOK_BYTES = 20 * 1024 * 1024


@dataclass(frozen=True)
class SourceCells:
    """Ids of one exercise's cells in the trusted source notebook."""

    solution_grade_id: str
    solution_cell_id: str | None
    task_grade_ids: dict[int, str]

    @classmethod
    def from_source(cls, source_notebook: Path, exercise_id: str, task_ids: list[int]) -> SourceCells:
        nb = json.loads(source_notebook.read_text(encoding="utf-8"))
        solution = f"{exercise_id}_solution"
        cell_id = next((c.get("id") for c in nb["cells"]
                        if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") == solution), None)
        return cls(solution, cell_id, {t: f"{exercise_id}_task{t}" for t in task_ids})


@dataclass
class Extracted:
    source: str | None  # the solution code, or None when it cannot be had
    problem: str = ""  # why there is no source (student-safe)
    notes: list[str] = field(default_factory=list)  # findings that did not stop grading
    status: str = "error"  # the tasks' status without source: "missing" (nothing to grade) or "error"


def unreadable(path: Path, problem: str) -> Extracted:
    """A submitted notebook that read_notebook refused: missing (nothing to grade) or broken."""
    missing = not path.is_file() or path.is_symlink()
    return Extracted(None, problem, status="missing" if missing else "error")


def _decode(raw: bytes) -> str | None:
    for bom, encoding in ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16")):
        if raw.startswith(bom):
            try:
                return raw.decode(encoding)
            except UnicodeDecodeError:
                return None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return None


def read_notebook(path: Path) -> tuple[dict[str, Any] | None, str]:
    """(notebook JSON, "") or (None, what is wrong with the file)."""
    if not path.is_file() or path.is_symlink():
        return None, f"{path.name} was not submitted"
    try:  # the file itself, never through a link (a hard link to the source notebook is refused too)
        fd = open_regular(path)
    except NotRegularFile as exc:
        return None, str(exc)
    with os.fdopen(fd, "rb") as fh:
        size = os.fstat(fh.fileno()).st_size
        if size > MAX_NOTEBOOK_BYTES:
            return None, f"{path.name} is {size / 2**20:.0f} MB, over the {MAX_NOTEBOOK_BYTES // 2**20} MB limit"
        if size == 0:
            return None, f"{path.name} is empty"
        raw = fh.read(MAX_NOTEBOOK_BYTES + 1)
    text = _decode(raw)
    if text is None:
        return None, f"{path.name} is not UTF-8 text"
    head = text.lstrip()[:200].lower()
    if head.startswith(("<!doctype html", "<html")):
        return None, f"{path.name} is a web page saved as .ipynb, not a notebook"
    if "\n<<<<<<< " in f"\n{text}" and "\n>>>>>>> " in text:
        return None, f"{path.name} contains unresolved merge-conflict markers"
    try:
        nb = json.loads(text)
    except ValueError as exc:
        where = f" (line {exc.lineno})" if hasattr(exc, "lineno") else ""
        return None, f"{path.name} is not valid notebook JSON{where}; it may be truncated"
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        return None, f"{path.name} has no list of cells; it is not a Jupyter notebook"
    return nb, ""


def locate_notebook(folder: Path, exercise_id: str) -> tuple[Path, str]:
    """A student's notebook of one exercise, and a note when it is not under the expected name.

    The expected ``<id>.ipynb`` first; else the one look-alike whose name starts with the id (a
    download or a Jupyter copy: ``<id> (1).ipynb``, ``<id>-Copy1.ipynb``). With several
    look-alikes nothing is guessed: the expected path comes back with a note that names them.
    """
    expected = folder / f"{exercise_id}.ipynb"
    if expected.exists() or expected.is_symlink() or not folder.is_dir():
        return expected, ""
    alike = sorted(p for p in folder.iterdir() if p.suffix.lower() == ".ipynb" and p.is_file()
                   and not p.is_symlink() and p.name.casefold().startswith(exercise_id.casefold()))
    if len(alike) == 1:
        return alike[0], f"graded {alike[0].name} ({expected.name} was not submitted)"
    if alike:
        names = ", ".join(p.name for p in alike)
        return expected, (f"{expected.name} was not submitted, and {len(alike)} look-alikes were ({names}); "
                          f"rename the one to grade to {expected.name}")
    return expected, ""


def _grade_id(cell: Any) -> str | None:
    meta = cell.get("metadata") if isinstance(cell, dict) else None
    nbgrader = meta.get("nbgrader") if isinstance(meta, dict) else None
    value = nbgrader.get("grade_id") if isinstance(nbgrader, dict) else None
    return value if isinstance(value, str) else None


def _cell_source(cell: dict[str, Any]) -> str | None:
    source = cell.get("source", "")
    if isinstance(source, list) and all(isinstance(line, str) for line in source):
        return "".join(source)
    return source if isinstance(source, str) else None


def _without_magics(source: str) -> tuple[str, bool]:
    """IPython magics and shell lines (``%time``, ``!pip``) are not Python: comment them out."""
    lines, changed = [], False
    for line in source.splitlines(keepends=True):
        if line.lstrip().startswith(("%", "!")):
            indent = line[: len(line) - len(line.lstrip())]
            lines.append(f"{indent}pass  # ignored by the grader: {line.strip()}\n")
            changed = True
        else:
            lines.append(line)
    return "".join(lines), changed


def extract_solution(nb: dict[str, Any], cells: SourceCells) -> Extracted:
    notes: list[str] = []
    candidates = [c for c in nb["cells"] if isinstance(c, dict)
                  and (_grade_id(c) == cells.solution_grade_id
                       or (cells.solution_cell_id is not None and c.get("id") == cells.solution_cell_id))]
    if not candidates:
        return Extracted(None, "the solution cell is missing (deleted, or its metadata was changed)",
                         status="missing")
    both = [c for c in candidates if _grade_id(c) == cells.solution_grade_id and c.get("id") == cells.solution_cell_id]
    by_id = [c for c in candidates if c.get("id") == cells.solution_cell_id]
    chosen = (both or by_id or candidates)[0]
    if len(candidates) > 1:
        notes.append(f"{len(candidates)} cells claim to be the solution cell; the original one was graded")
    if chosen.get("cell_type") != "code":
        return Extracted(None, "the solution cell is no longer a code cell", notes)
    source = _cell_source(chosen)
    if source is None:
        return Extracted(None, "the solution cell's source is not text", notes)
    source, had_magics = _without_magics(source)
    if had_magics:
        notes.append("IPython magics and shell lines in the solution cell were ignored")
    present = {_grade_id(c) for c in nb["cells"]}
    for task, grade_id in sorted(cells.task_grade_ids.items()):
        if grade_id not in present:
            notes.append(f"the test cell of task {task} was deleted or retyped (ignored: the tests come from the gradebook)")
    return Extracted(source, "", notes)
