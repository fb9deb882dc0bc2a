"""Finding the solution cell in a submitted notebook, whatever the student did to the file.

Each case is a real notebook file written the way a student's edit (or a broken upload) leaves
it; the trusted cell ids come from the real source notebook of q047.
"""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path
from typing import Any

import nbformat
import pytest

from rnnkit.course.extract import (
    MAX_NOTEBOOK_BYTES,
    SourceCells,
    extract_solution,
    locate_notebook,
    read_notebook,
)
from rnnkit.course.notebooks import CellNames, exercise_notebook
from rnnkit.kit import Exercise, Kit

STUDENT_CODE = "def stable_sigmoid(x):\n    return 'student'\n"


@pytest.fixture(scope="module")
def q047(kit: Kit) -> Exercise:
    return kit.find("q047")


@pytest.fixture(scope="module")
def source(kit: Kit, q047: Exercise, tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], SourceCells]:
    """The source notebook as JSON and the cell ids read back from its file."""
    path = tmp_path_factory.mktemp("source") / f"{q047.id}.ipynb"
    nbformat.write(exercise_notebook(kit, q047), str(path))
    cells = SourceCells.from_source(path, q047.id, [t.id for t in q047.meta.tasks])
    return json.loads(path.read_text(encoding="utf-8")), cells


def submitted(source_nb: dict[str, Any], q047: Exercise) -> tuple[dict[str, Any], dict[str, Any]]:
    """A student's copy of the notebook with STUDENT_CODE in the solution cell, and that cell."""
    nb = copy.deepcopy(source_nb)
    cell = next(c for c in nb["cells"] if c["metadata"]["nbgrader"]["grade_id"] == CellNames(q047.id).solution)
    cell["source"] = STUDENT_CODE
    return nb, cell


def roundtrip(nb: dict[str, Any], tmp_path: Path) -> dict[str, Any]:
    """Write the notebook to disk and read it back as the autograder does."""
    path = tmp_path / "q047.ipynb"
    path.write_text(json.dumps(nb, indent=1), encoding="utf-8")
    read, problem = read_notebook(path)
    assert read is not None, problem
    return read


def test_the_student_code_is_taken_and_nothing_is_noted(source, q047: Exercise, tmp_path: Path) -> None:
    nb, _ = submitted(source[0], q047)
    got = extract_solution(roundtrip(nb, tmp_path), source[1])
    assert (got.source, got.problem, got.notes) == (STUDENT_CODE, "", [])


def test_a_duplicated_solution_cell_grades_the_original(source, q047: Exercise, tmp_path: Path) -> None:
    """Copy-paste in Jupyter keeps the nbgrader metadata and gives a fresh id: the original is graded."""
    nb, cell = submitted(source[0], q047)
    copy_of_cell = {**copy.deepcopy(cell), "id": "pasted-copy", "source": "def stable_sigmoid(x):\n    return 'copy'\n"}
    nb["cells"].insert(nb["cells"].index(cell), copy_of_cell)  # the copy comes first in the file
    got = extract_solution(roundtrip(nb, tmp_path), source[1])
    assert got.source == STUDENT_CODE
    assert got.notes == ["2 cells claim to be the solution cell; the original one was graded"]


def test_retyped_metadata_does_not_lose_the_solution(source, q047: Exercise, tmp_path: Path) -> None:
    nb, cell = submitted(source[0], q047)
    cell["metadata"]["nbgrader"]["grade_id"] = "my_answer"
    cell["metadata"]["nbgrader"]["points"] = 99
    got = extract_solution(roundtrip(nb, tmp_path), source[1])
    assert got.source == STUDENT_CODE and got.problem == ""


def test_a_solution_cell_turned_into_markdown_is_an_error(source, q047: Exercise, tmp_path: Path) -> None:
    nb, cell = submitted(source[0], q047)
    cell["cell_type"] = "markdown"
    del cell["outputs"], cell["execution_count"]
    got = extract_solution(roundtrip(nb, tmp_path), source[1])
    assert (got.source, got.status, got.problem) == (None, "error", "the solution cell is no longer a code cell")


def test_a_deleted_solution_cell_is_missing(source, q047: Exercise, tmp_path: Path) -> None:
    nb, cell = submitted(source[0], q047)
    nb["cells"].remove(cell)
    got = extract_solution(roundtrip(nb, tmp_path), source[1])
    assert got.source is None and got.status == "missing" and "solution cell is missing" in got.problem


def test_deleted_test_cells_are_noted_and_ignored(source, q047: Exercise, tmp_path: Path) -> None:
    nb, _ = submitted(source[0], q047)
    task1 = CellNames(q047.id).task(1)
    nb["cells"] = [c for c in nb["cells"] if c["metadata"]["nbgrader"]["grade_id"] != task1]
    got = extract_solution(roundtrip(nb, tmp_path), source[1])
    assert got.source == STUDENT_CODE
    assert got.notes == ["the test cell of task 1 was deleted or retyped (ignored: the tests come from the gradebook)"]


def test_magics_and_shell_lines_are_commented_out(source, q047: Exercise, tmp_path: Path) -> None:
    nb, cell = submitted(source[0], q047)
    cell["source"] = ["%load_ext autoreload\n", "!pip install torch\n", STUDENT_CODE]
    got = extract_solution(roundtrip(nb, tmp_path), source[1])
    assert got.source is not None and got.source.endswith(STUDENT_CODE)
    compile(got.source, "solution", "exec")  # plain Python now
    assert "IPython magics and shell lines in the solution cell were ignored" in got.notes


def test_a_source_that_is_not_text_is_an_error(source, q047: Exercise, tmp_path: Path) -> None:
    nb, cell = submitted(source[0], q047)
    cell["source"] = {"not": "text"}
    got = extract_solution(roundtrip(nb, tmp_path), source[1])
    assert got.source is None and got.problem == "the solution cell's source is not text"


def test_byte_order_marks_are_read(source, q047: Exercise, tmp_path: Path) -> None:
    nb, _ = submitted(source[0], q047)
    for encoding in ("utf-8-sig", "utf-16"):
        path = tmp_path / f"{encoding}.ipynb"
        path.write_bytes(json.dumps(nb).encode(encoding))
        read, problem = read_notebook(path)
        assert read is not None, problem
        assert extract_solution(read, source[1]).source == STUDENT_CODE


@pytest.mark.parametrize("content,problem", [
    (b"", "x.ipynb is empty"),
    (b'{"cells": [{"cell_type": "code", "sour', "x.ipynb is not valid notebook JSON (line 1); it may be truncated"),
    (b"<!DOCTYPE html><html><body>Sign in</body></html>", "x.ipynb is a web page saved as .ipynb, not a notebook"),
    (b'{\n<<<<<<< HEAD\n "cells": []\n=======\n "cells": [1]\n>>>>>>> theirs\n}',
     "x.ipynb contains unresolved merge-conflict markers"),
    (b"\xff\xfe\x00\xd8", "x.ipynb is not UTF-8 text"),
    (b"\x80\x81 not text", "x.ipynb is not UTF-8 text"),
    (b"[1, 2, 3]", "x.ipynb has no list of cells; it is not a Jupyter notebook"),
    (b'{"cells": "none"}', "x.ipynb has no list of cells; it is not a Jupyter notebook"),
])
def test_broken_files_say_what_is_wrong(tmp_path: Path, content: bytes, problem: str) -> None:
    path = tmp_path / "x.ipynb"
    path.write_bytes(content)
    assert read_notebook(path) == (None, problem)


def test_missing_huge_and_linked_files_are_refused(tmp_path: Path) -> None:
    assert read_notebook(tmp_path / "x.ipynb") == (None, "x.ipynb was not submitted")
    huge = tmp_path / "huge.ipynb"
    with huge.open("wb") as f:
        f.truncate(MAX_NOTEBOOK_BYTES + 1)  # sparse: costs no disk
    assert read_notebook(huge) == (None, "huge.ipynb is 20 MB, over the 20 MB limit")
    secret = tmp_path / "secret.txt"
    secret.write_text('{"cells": []}', encoding="utf-8")
    (tmp_path / "link.ipynb").symlink_to(secret)
    assert read_notebook(tmp_path / "link.ipynb") == (None, "link.ipynb was not submitted")
    os.link(secret, tmp_path / "hard.ipynb")  # the same file as the instructor's, under a second name
    assert read_notebook(tmp_path / "hard.ipynb") == (
        None, "hard.ipynb is a hard link (2 names for one file); submit a copy of it")


def test_a_renamed_notebook_is_found_when_it_is_the_only_look_alike(tmp_path: Path) -> None:
    expected = tmp_path / "q047_stable_sigmoid.ipynb"
    assert locate_notebook(tmp_path, "q047_stable_sigmoid") == (expected, "")  # nothing there: not submitted
    (tmp_path / "q021_lstm_step_forward.ipynb").write_text("{}")  # another exercise's notebook is no candidate
    copy_ = tmp_path / "q047_stable_sigmoid (1).ipynb"
    copy_.write_text("{}")
    assert locate_notebook(tmp_path, "q047_stable_sigmoid") == (
        copy_, "graded q047_stable_sigmoid (1).ipynb (q047_stable_sigmoid.ipynb was not submitted)")
    (tmp_path / "q047_stable_sigmoid-Copy1.ipynb").write_text("{}")
    path, note = locate_notebook(tmp_path, "q047_stable_sigmoid")
    assert path == expected and note == (
        "q047_stable_sigmoid.ipynb was not submitted, and 2 look-alikes were (q047_stable_sigmoid "
        "(1).ipynb, q047_stable_sigmoid-Copy1.ipynb); rename the one to grade to q047_stable_sigmoid.ipynb")
    expected.write_text("{}")
    assert locate_notebook(tmp_path, "q047_stable_sigmoid") == (expected, "")  # the expected name wins
