"""`rnnkit course ...` as an instructor types it: real subprocesses on a temporary course."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
from pathlib import Path

import pytest

from rnnkit.course.coursedir import load_course
from rnnkit.course.samples import place_submission
from rnnkit.kit import Kit

REPO = Path(__file__).resolve().parent.parent


def run(cli: Path, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "200", "RNNKIT_KIT": str(REPO)}
    return subprocess.run([str(cli), "course", *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=600)


def test_course_commands(rnnkit_cli: Path, tmp_path: Path) -> None:
    course_dir = tmp_path / "dl101"
    made = run(rnnkit_cli, "init", str(course_dir), "--course-id", "dl101", "--call-timeout", "2",
               "--exchange", str(tmp_path / "exchange"))  # never the machine's shared /srv/nbgraderexchange
    assert made.returncode == 0, made.stdout + made.stderr
    assert (course_dir / "gradebook.db").is_file() and (course_dir / "nbgrader_config.py").is_file()

    built = run(rnnkit_cli, "build", "demo", "--course", str(course_dir))
    assert built.returncode == 0, built.stdout + built.stderr
    assert "2 source notebook(s)" in built.stdout
    assert sorted(p.name for p in (course_dir / "release" / "demo").glob("*.ipynb")) == [
        "q021_lstm_step_forward.ipynb", "q047_stable_sigmoid.ipynb"]

    course = load_course(course_dir)
    exercises = [Kit(REPO).find("q021"), Kit(REPO).find("q047")]
    place_submission(course, "demo", exercises, "ada", "correct", dt.datetime(2026, 10, 1))
    place_submission(course, "demo", exercises, "bo", "corrupt", dt.datetime(2026, 10, 1))
    ada = course.submitted_dir("ada", "demo")
    (ada / "q047_stable_sigmoid.ipynb").rename(ada / "q047_stable_sigmoid (1).ipynb")  # a browser download
    graded = run(rnnkit_cli, "autograde", "demo", cwd=course_dir)  # --course defaults to "."
    assert graded.returncode == 0, graded.stdout + graded.stderr
    assert "ada" in graded.stdout and "10/10" in graded.stdout and "6/10" in graded.stdout
    assert "not valid notebook JSON" in graded.stdout
    assert "graded q047_stable_sigmoid (1).ipynb" in course.results_file("demo", "ada").read_text()

    # One student's fault (here: a folder where their results file goes) stops only that student;
    # a folder whose name is no student id is named, not silently passed over.
    place_submission(course, "demo", exercises, "cy", "correct", dt.datetime(2026, 10, 1))
    course.results_file("demo", "cy").mkdir()
    (course.root / "submitted" / "no name" / "demo").mkdir(parents=True)
    regraded = run(rnnkit_cli, "autograde", "demo", cwd=course_dir)
    assert regraded.returncode == 1, regraded.stdout + regraded.stderr
    assert "not graded: IsADirectoryError" in regraded.stdout and "1 student(s) not graded" in regraded.stdout
    assert "--student cy" in regraded.stdout and "skipped submitted/no name" in regraded.stdout
    assert '"points": 10' in course.results_file("demo", "ada").read_text()  # the others are saved

    feedback = run(rnnkit_cli, "feedback", "demo", "--course", str(course_dir))
    assert feedback.returncode == 0 and (course_dir / "feedback" / "ada" / "demo" / "index.html").is_file()
    report = run(rnnkit_cli, "report", "demo", "--course", str(course_dir))
    assert report.returncode == 0, report.stdout + report.stderr
    assert (course_dir / "rnnkit" / "demo" / "report.html").is_file()


@pytest.mark.parametrize("args,code,message", [
    (["build", "nosuch", "--course", "{course}"], 2, "no assignment 'nosuch'"),
    (["autograde", "demo", "--course", "{tmp}"], 2, "is not an rnnkit course folder"),
    (["autograde", "demo", "--course", "{course}", "--student", "../etc"], 2, "not a student id"),
    (["init", "{tmp}/x", "--course-id", "no spaces", "--exchange", "{tmp}/ex"], 2, "course id 'no spaces'"),
])
def test_course_errors_are_clear(rnnkit_cli: Path, tmp_path: Path, args: list[str], code: int, message: str) -> None:
    course_dir = tmp_path / "course"
    if "{course}" in " ".join(args):
        assert run(rnnkit_cli, "init", str(course_dir), "--course-id", "dl101",
                   "--exchange", str(tmp_path / "exchange")).returncode == 0
    result = run(rnnkit_cli, *[a.replace("{course}", str(course_dir)).replace("{tmp}", str(tmp_path)) for a in args])
    assert result.returncode == code, result.stdout + result.stderr
    assert message in result.stdout + result.stderr
