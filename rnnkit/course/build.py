"""``rnnkit course build``: source notebooks of an assignment, registered in the gradebook."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from nbgrader.api import Gradebook

from rnnkit.course.assignments import Assignment, load_assignment
from rnnkit.course.coursedir import Course, run_nbgrader
from rnnkit.course.notebooks import write_source_notebooks


def build_assignment(course: Course, name: str, generate: bool = True) -> tuple[Assignment, list[Path]]:
    """Write ``source/<name>/<exercise>.ipynb``, record the due date in the gradebook and, with
    ``generate``, run the stock ``nbgrader generate_assignment`` (which fills the gradebook's cells
    and writes the student version to ``release/``)."""
    kit = course.kit()
    assignment = load_assignment(kit, name)
    folder = course.source_dir(name)
    stale = {p for p in folder.glob("*.ipynb")} if folder.is_dir() else set()
    written = write_source_notebooks(kit, assignment.exercises(kit), folder)
    for old in stale - set(written):
        old.unlink()  # an exercise that left the bundle
    with Gradebook(course.db_url) as gradebook:
        # nbgrader keeps naive UTC date-times
        duedate = assignment.due.astimezone(dt.UTC).replace(tzinfo=None) if assignment.due else None
        gradebook.update_or_create_assignment(name, duedate=duedate)
    if generate:
        run_nbgrader(course, ["generate_assignment", name, "--force"])
    return assignment, written
