"""The `rnnkit` command as users run it: real subprocesses on a copy of the minikit."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from minikit import solution_source, write_submission

from rnnkit.kit import Exercise, Kit
from rnnkit.results import validate
from rnnkit.stubgen import strip_markers


@pytest.fixture(scope="module")
def kit_copy(minikit_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("cli") / "kit"
    shutil.copytree(minikit_root, root)
    return root


def run(cli: Path, kit_root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "RNNKIT_KIT": str(kit_root), "COLUMNS": "160"}
    return subprocess.run([str(cli), *args], capture_output=True, text=True, env=env, timeout=300)


def test_student_flow(rnnkit_cli: Path, kit_copy: Path) -> None:
    listing = run(rnnkit_cli, kit_copy, "list")
    assert listing.returncode == 0, listing.stderr
    assert "q001" in listing.stdout and "todo" in listing.stdout and "0/12 solved" in listing.stdout

    shown = run(rnnkit_cli, kit_copy, "show", "q001")
    assert "What is calculation 1?" in shown.stdout and "def add(a: np.ndarray" in shown.stdout

    first = run(rnnkit_cli, kit_copy, "hint", "q001")
    second = run(rnnkit_cli, kit_copy, "hint", "q001")
    assert "hint 1 of 2" in first.stdout and "hint 2 of 2" not in first.stdout
    assert "hint 2 of 2" in second.stdout and "last hint" in second.stdout

    failing = run(rnnkit_cli, kit_copy, "check", "q001")
    assert failing.returncode == 1
    assert "not implemented yet" in failing.stdout and "failed" in failing.stdout

    stub = kit_copy / "exercises" / "01_basics" / "q001_calc" / "q001_calc.py"
    stub.write_text(solution_source(1))
    passing = run(rnnkit_cli, kit_copy, "check")  # the first unsolved exercise is q001
    assert passing.returncode == 0, passing.stdout
    assert "q001_calc" in passing.stdout and "passes its public tests" in passing.stdout

    local = run(rnnkit_cli, kit_copy, "check", "q001", "--no-sandbox")
    assert local.returncode == 0 and "trusted local mode" in local.stdout

    listing = run(rnnkit_cli, kit_copy, "list")
    assert "1/12 solved" in listing.stdout and "solved" in listing.stdout


def test_corrupt_progress_file_is_not_fatal(rnnkit_cli: Path, kit_copy: Path) -> None:
    progress = kit_copy / ".rnnkit" / "progress.json"
    progress.parent.mkdir(exist_ok=True)
    progress.write_text("<<<<<<< HEAD\n{")
    listing = run(rnnkit_cli, kit_copy, "list")
    assert listing.returncode == 0 and "could not be read" in listing.stdout
    assert (kit_copy / ".rnnkit" / "progress.json.bad").exists()


def test_grade_writes_valid_results(rnnkit_cli: Path, kit_copy: Path, tmp_path: Path) -> None:
    submission = write_submission(tmp_path / "sub", {1: solution_source(1), 2: "def add(a, b):\n    return a\n"})
    out = tmp_path / "results.json"
    graded = run(rnnkit_cli, kit_copy, "grade", str(submission), "--out", str(out), "--exercises", "q001,q002_calc,q003")
    assert graded.returncode == 0, graded.stdout + graded.stderr
    raw = json.loads(out.read_text())
    validate(raw)
    assert raw["exercises"]["q001_calc"]["points"] == 3
    assert raw["exercises"]["q002_calc"]["points"] == 0
    assert [t["status"] for t in raw["exercises"]["q003_calc"]["tasks"]] == ["missing", "missing"]
    assert raw["total"] == {"points": 3, "max_points": 9}
    assert "total" in graded.stdout and "3/9" in graded.stdout
    assert "warning" not in graded.stdout


def test_grading_without_namespaces_says_what_it_risks(rnnkit_cli: Path, kit_copy: Path, tmp_path: Path) -> None:
    submission = write_submission(tmp_path / "sub", {1: solution_source(1)})
    graded = run(rnnkit_cli, kit_copy, "grade", str(submission), "--exercises", "q001", "--no-namespaces")
    assert graded.returncode == 0, graded.stdout + graded.stderr
    assert "3/3" in graded.stdout and "private-root" not in graded.stdout
    assert "warning: without namespaces the submissions could read the kit's files" in " ".join(graded.stdout.split())


@pytest.mark.parametrize("args,message", [
    (["grade", "{sub}", "--exercises", "q999"], "no exercise 'q999'"),
    (["grade", "{sub}", "--module", "07"], "no module '07'"),
    (["grade", "/nonexistent/submission"], "does not exist"),
    (["show", "lstm"], "no exercise 'lstm'"),
])
def test_usage_errors_exit_2_with_a_clear_message(rnnkit_cli: Path, kit_copy: Path, tmp_path: Path,
                                                 args: list[str], message: str) -> None:
    result = run(rnnkit_cli, kit_copy, *[a.replace("{sub}", str(tmp_path)) for a in args])
    assert result.returncode == 2
    assert message in result.stdout + result.stderr


def test_plain_pytest_runs_the_public_tests(kit: Kit, tmp_path: Path) -> None:
    """`pytest exercises/01_cells/q021_lstm_step_forward` works, on the stub and on a solution."""
    exercise = kit.find("q021")
    folder = exercise.dir.relative_to(kit.root)
    python = sys.executable  # the kit's virtualenv, where rnnkit's pytest plugin is installed
    on_stub = subprocess.run([python, "-m", "pytest", str(folder), "-q"], cwd=kit.root,
                             capture_output=True, text=True, timeout=300)
    assert on_stub.returncode == 1 and "is not implemented yet" in on_stub.stdout
    submission = write_tree(tmp_path, exercise)
    on_solution = subprocess.run([python, "-m", "pytest", str(folder), "-q", f"--rnnkit-submission={submission}"],
                                 cwd=kit.root, capture_output=True, text=True, timeout=300)
    assert on_solution.returncode == 0, on_solution.stdout


def write_tree(root: Path, exercise: Exercise) -> Path:
    target = root / exercise.module / exercise.id / f"{exercise.id}.py"
    target.parent.mkdir(parents=True)
    target.write_text(strip_markers(exercise.solution_path.read_text()))
    return root
