"""Issue 8, instructors: a course through the real `rnnkit course` and `nbgrader` commands, with
the steps forgotten, run out of order and run as a student on the same machine would."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from rnnkit.course.assignments import load_assignment
from rnnkit.course.coursedir import STUDENT_CONFIG_NAME, load_course
from rnnkit.course.samples import place_submission, write_student
from rnnkit.kit import Kit

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
ASSIGNMENT = "demo"  # q021 + q047, due 2030-06-01 12:00 UTC, 10% per started day


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RNNKIT_", "JUPYTER"))}
    return env | {"HOME": str(home), "COLUMNS": "250", "RNNKIT_KIT": str(REPO),
                  "PATH": f"{BIN}{os.pathsep}{env.get('PATH', '')}"}


def course_cmd(home: Path, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN / "rnnkit"), "course", *args], capture_output=True, text=True,
                          env=_env(home), cwd=cwd or home, timeout=900)


def nbgrader(home: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN / "nbgrader"), *args], capture_output=True, text=True, env=_env(home),
                          cwd=cwd, timeout=600)


def table_rows(text: str) -> dict[str, list[str]]:
    """A rich table's rows by their first cell: each column's folded lines joined."""
    rows: dict[str, list[list[str]]] = {}
    last = ""
    for line in text.splitlines():
        cells = [c.strip() for c in line.split("│")[1:-1]]
        if len(cells) < 3:
            continue
        last = cells[0] or last
        columns = rows.setdefault(last, [[] for _ in cells])
        for column, cell in zip(columns, cells, strict=False):
            if cell:
                column.append(cell)
    return {k: [" ".join(c) for c in v] for k, v in rows.items()}


def flat(done: subprocess.CompletedProcess[str]) -> str:
    return " ".join((done.stdout + done.stderr).split())


@pytest.fixture(scope="module")
def course(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("firsthour-course")
    teacher, exchange = base / "teacher", base / "exchange"
    teacher.mkdir()
    made = course_cmd(teacher, "init", str(teacher / "dl101"), "--course-id", "dl101", "--exchange", str(exchange),
                      "--call-timeout", "2")
    assert made.returncode == 0, flat(made)
    return {"base": base, "teacher": teacher, "root": teacher / "dl101", "exchange": exchange, "init": made}  # type: ignore[dict-item]


def test_wrong_course_folder_is_a_usage_error(course: dict[str, Path], tmp_path: Path) -> None:
    """Item 14: a wrong --course exits 2 (usage), not 3 (broken installation), and says what to do."""
    for command in ("autograde", "feedback", "report", "build"):
        done = course_cmd(course["teacher"], command, ASSIGNMENT, "--course", str(tmp_path / "nosuch"))
        assert done.returncode == 2, (command, flat(done))
        assert "is not an rnnkit course folder" in flat(done) and "--course DIR" in flat(done)


def test_steps_run_too_early_say_which_comes_first(course: dict[str, Path]) -> None:
    """Item 13: autograde before collect, feedback and report before autograde: exit 2, naming
    the command that comes first; nothing is written."""
    root, teacher = course["root"], course["teacher"]
    built = course_cmd(teacher, "build", ASSIGNMENT, "--course", str(root))
    assert built.returncode == 0, flat(built)
    early = course_cmd(teacher, "autograde", ASSIGNMENT, cwd=root)
    assert early.returncode == 2 and f"collect them first with `nbgrader collect {ASSIGNMENT}`" in flat(early)
    for command in ("feedback", "report"):
        done = course_cmd(teacher, command, ASSIGNMENT, "--course", str(root))
        assert done.returncode == 2, (command, flat(done))
        assert f"run `rnnkit course autograde {ASSIGNMENT}` first" in flat(done)
    assert not (root / "feedback").exists() and not (root / "rnnkit" / ASSIGNMENT / "report.html").exists()


def test_student_on_the_same_machine_fetches_and_submits_as_documented(course: dict[str, Path]) -> None:
    """Item 12: init says how students reach the exchange; a student in their own folder, with the
    course's handout as ~/.jupyter/nbgrader_config.py (the exchange is not nbgrader's default
    here), runs the stock commands as the README writes them; the instructor collects."""
    said = flat(course["init"])  # type: ignore[arg-type]
    assert "students on this machine: save" in said and STUDENT_CONFIG_NAME in said
    assert "students on other machines: mount the exchange at the same path" in said
    root, teacher = course["root"], course["teacher"]
    course_cmd(teacher, "build", ASSIGNMENT, "--course", str(root))
    released = nbgrader(teacher, "release_assignment", ASSIGNMENT, "--force", cwd=root)
    assert released.returncode == 0, flat(released)

    student = course["base"] / "ada"
    (student / ".jupyter").mkdir(parents=True)
    shutil.copy(root / STUDENT_CONFIG_NAME, student / ".jupyter" / "nbgrader_config.py")
    fetched = nbgrader(student, "fetch_assignment", ASSIGNMENT, "--course", "dl101", cwd=student)
    assert fetched.returncode == 0 and "Unwritable" not in flat(fetched), flat(fetched)
    loaded = load_course(root)
    kit = Kit(REPO)
    exercises = load_assignment(kit, ASSIGNMENT).exercises(kit)
    write_student(loaded, ASSIGNMENT, exercises, "correct", student)
    submitted = nbgrader(student, "submit", ASSIGNMENT, "--course", "dl101", cwd=student)
    assert submitted.returncode == 0, flat(submitted)
    collected = nbgrader(teacher, "collect", ASSIGNMENT, cwd=root)
    assert collected.returncode == 0, flat(collected)
    assert any((root / "submitted").glob(f"*/{ASSIGNMENT}/q021_lstm_step_forward.ipynb"))


def test_autograde_table_penalty_rule_and_time_outs(course: dict[str, Path]) -> None:
    """Items 16 and 17 (CLI): a late student's penalty says the started-day rule; a student whose
    every task timed out shows the time-outs. Item 15: stock autograde after the fast path prints
    no "checksum has changed" warning per cell, one line that explains nbgrader issue 1961."""
    root, teacher = course["root"], course["teacher"]
    if not (root / "submitted").is_dir():
        pytest.skip("needs the submission of the exchange test")
    loaded = load_course(root)
    kit = Kit(REPO)
    exercises = load_assignment(kit, ASSIGNMENT).exercises(kit)
    place_submission(loaded, ASSIGNMENT, exercises, "late", "partial", dt.datetime(2030, 6, 2, 22, 0),
                     mutants={"q021_lstm_step_forward": "naive_sigmoid"})
    place_submission(loaded, ASSIGNMENT, exercises, "looper", "infinite_loop", dt.datetime(2026, 10, 1))
    graded = course_cmd(teacher, "autograde", ASSIGNMENT, cwd=root)
    assert graded.returncode == 0, flat(graded)
    rows = table_rows(graded.stdout)
    assert rows["late"][2] == "-1.6 (2 started days x 10% of the points (a started day counts as a whole day))", rows
    assert "q021_lstm_step_forward: 3 tasks timeout" in rows["looper"][3], rows
    assert "q047_stable_sigmoid: " in rows["looper"][3] and "timeout" in rows["looper"][3], rows

    stock = nbgrader(teacher, "autograde", ASSIGNMENT, "--force", "--student", "late", cwd=root)
    text = stock.stdout + stock.stderr
    assert "Checksum for" not in text and "checksum has changed" not in text.lower(), text[-3000:]
    assert "nbgrader issue 1961" in text

    for command in ("feedback", "report"):
        assert course_cmd(teacher, command, ASSIGNMENT, "--course", str(root)).returncode == 0
    report = (root / "rnnkit" / ASSIGNMENT / "report.html").read_text()
    assert "a started day counts as a whole day" in report
    assert "a started day counts as a whole day" in (root / "feedback" / "late" / ASSIGNMENT / "index.html").read_text()
