"""A student's progress and notebooks on a freshly built student kit, through the CLI (click's
runner, in this process: the sandbox's warm parent is started once for every check):
check records what passed, next names the next unsolved exercise, reset restores the stub and
keeps the student's version, and the notebook round trip (notebook to .py and back) keeps the
student's code."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

import nbformat
import pytest
from click.testing import CliRunner

from rnnkit.cli import main
from rnnkit.kit import Kit
from rnnkit.studentkit import build_student_kit

REPO = Path(__file__).resolve().parent.parent
Q021, Q005 = "q021_lstm_step_forward", "q005_gru_step_forward"
MINE = "\n# my own notes: the gates are i, f, g, o in this order\n"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    kit = Kit(REPO)
    return build_student_kit(kit, kit.select("q021,q005"), tmp_path / "kit").folder


def rnnkit(folder: Path, *args: str) -> tuple[int, str]:
    with contextlib.chdir(folder):
        done = CliRunner().invoke(main, list(args), env={"RNNKIT_KIT": None, "COLUMNS": "200"},
                                  catch_exceptions=False)
    return done.exit_code, done.output


def exercise_file(folder: Path, exercise: str) -> Path:
    return folder / "exercises" / "01_cells" / exercise / f"{exercise}.py"


def solution(exercise: str) -> str:
    return (REPO / "solutions" / "01_cells" / f"{exercise}.py").read_text()


def test_check_records_progress_next_moves_on_and_reset_keeps_a_backup(folder: Path) -> None:
    code, out = rnnkit(folder, "next")
    assert code == 0 and f"{Q005}: " in out and f"edit exercises/01_cells/{Q005}/{Q005}.py" in out
    exercise_file(folder, Q005).write_text(solution(Q005) + MINE)
    code, out = rnnkit(folder, "check", "q005")
    assert code == 0 and "passes its public tests" in out, out
    state = json.loads((folder / ".rnnkit" / "progress.json").read_text())
    assert set(state["checks"][Q005]["tasks"].values()) == {"passed"}
    code, out = rnnkit(folder, "next")
    assert code == 0 and f"{Q021}: " in out
    code, out = rnnkit(folder, "list")
    assert "1/2 solved" in out

    code, out = rnnkit(folder, "reset", "q005")
    assert code == 0 and "is the stub again" in out
    assert exercise_file(folder, Q005).read_bytes() == (folder / ".stubs" / "01_cells" / f"{Q005}.py").read_bytes()
    backups = sorted((folder / ".rnnkit" / "backups").iterdir())
    assert [b.name for b in backups] == [f"{Q005}.1.py"] and MINE in backups[0].read_text()
    assert Q005 not in json.loads((folder / ".rnnkit" / "progress.json").read_text())["checks"]
    code, out = rnnkit(folder, "list")
    assert "0/2 solved" in out
    code, out = rnnkit(folder, "reset", "q005")
    assert code == 0 and "untouched: nothing to reset" in out
    assert len(list((folder / ".rnnkit" / "backups").iterdir())) == 1


def test_notebook_round_trip_keeps_the_students_code(folder: Path) -> None:
    exercise_file(folder, Q021).write_text(exercise_file(folder, Q021).read_text() + MINE)  # work done before
    code, out = rnnkit(folder, "build", "notebooks")
    assert code == 0 and f"wrote notebooks/01_cells/{Q021}.ipynb" in out
    notebook = folder / "notebooks" / "01_cells" / f"{Q021}.ipynb"
    nb = nbformat.read(notebook, as_version=4)
    nbformat.validate(nb)
    cell = next(c for c in nb.cells if c.get("id") == "q021-lstm-step-forward-solution")
    assert MINE.strip() in cell.source and "run_public_tests('q021_lstm_step_forward'" in nb.cells[2].source
    assert "Q21." in nb.cells[0].source and "BEGIN SOLUTION" not in json.dumps(nb)

    code, out = rnnkit(folder, "check", "q021", "--notebook")
    assert code == 1 and "Not yet" in out
    cell.source = solution(Q021) + MINE  # the student solves it in Jupyter
    nbformat.write(nb, notebook)
    code, out = rnnkit(folder, "check", "q021", "--notebook")
    assert code == 0 and "passes its public tests" in out, out

    code, out = rnnkit(folder, "sync", "q021", "--from", "notebook")
    assert code == 0 and f"copied the notebook's code to exercises/01_cells/{Q021}/{Q021}.py" in out
    assert exercise_file(folder, Q021).read_text() == solution(Q021) + MINE
    code, out = rnnkit(folder, "check", "q021")
    assert code == 0

    edited = solution(Q021) + MINE + "# edited in my editor afterwards\n"
    exercise_file(folder, Q021).write_text(edited)
    code, out = rnnkit(folder, "sync", "q021", "--from", "py")
    assert code == 0 and f"notebooks/01_cells/{Q021}.ipynb" in out
    back = nbformat.read(notebook, as_version=4)
    nbformat.validate(back)
    assert next(c for c in back.cells if c.get("id") == cell.id).source + "\n" == edited
    code, out = rnnkit(folder, "sync", "q021")
    assert code == 0 and "hold the same code" in out
    code, out = rnnkit(folder, "build", "notebooks")
    assert "2 notebook(s) exist and were kept" in out.replace("\n", " ")
    assert nbformat.read(notebook, as_version=4) == back
    backups = {p.name for p in (folder / ".rnnkit" / "backups").iterdir()}
    assert {f"{Q021}.1.py", f"{Q021}.1.ipynb"} <= backups


def test_a_chosen_exercise_brings_the_ones_it_requires() -> None:
    from rnnkit.studentkit import choose

    kit = Kit(REPO)
    assert [e.id for e in choose(kit, None, "q001")] == ["q001_lstm_layer_forward", Q021]
    assert {e.module for e in choose(kit, "01", None)} == {"01_cells"}
