"""A whole class through the real nbgrader commands and both autograde paths.

On a temporary course (and a copy of the kit with a canary planted in its hidden tests): build,
generate, release; one student fetches, edits and submits through the real exchange; collect; five
more submissions (a late partly correct one, one with a deleted test cell, one with a corrupt
notebook, one that loops forever, one whose cell replaces the grading function); stock `nbgrader
autograde`, then `rnnkit course autograde`; export; feedback (ours and nbgrader's); the class
report; nbgrader's formgrader on the result.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import json
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from rnnkit.course.assignments import load_assignment
from rnnkit.course.classrun import PlacedStudent, run_class
from rnnkit.course.coursedir import Course
from rnnkit.kit import Kit

REPO = Path(__file__).resolve().parent.parent
CANARY = "CANARY-7f3e9d1c-hidden"
ASSIGNMENT = "demo"  # q021 (4 points) + q047 (6 points), due 2030-06-01 12:00 UTC
ON_TIME = dt.datetime(2026, 10, 31, 12, 0)
THREE_DAYS_LATE = dt.datetime(2030, 6, 3, 13, 0)  # 2 days 1 hour: 3 started days
PARTIAL_MUTANTS = {"q021_lstm_step_forward": "naive_sigmoid",  # loses task 3 (1 point): 3/4
                   "q047_stable_sigmoid": "hard_sigmoid_upcast"}  # loses task 5 (1 point): 5/6


def _kit_with_canaries(root: Path) -> Kit:
    for folder in ("exercises", "solutions", "autograder", "bank", "instructor"):
        shutil.copytree(REPO / folder, root / folder)
    shutil.copy(REPO / "pyproject.toml", root / "pyproject.toml")
    # Hidden tests carry the canary (solutions do not: the "correct" students hand them in).
    for hidden in (root / "autograder").rglob("test_*_hidden.py"):
        hidden.write_text(hidden.read_text() + f"\n# {CANARY}\n")
    return Kit(root)


def _csv(path: Path) -> dict[str, dict[str, str]]:
    with path.open() as fh:
        return {row["student_id"]: row for row in csv.DictReader(fh)}


@pytest.fixture(scope="module")
def course_run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    base = tmp_path_factory.mktemp("class")
    kit = _kit_with_canaries(base / "kit")
    others = [PlacedStudent("partial", "partial", THREE_DAYS_LATE, PARTIAL_MUTANTS),
              PlacedStudent("deleted-test", "deleted_test", ON_TIME),
              PlacedStudent("corrupt", "corrupt", ON_TIME),
              PlacedStudent("looper", "infinite_loop", ON_TIME),
              PlacedStudent("tamper", "tamper", ON_TIME)]
    run = run_class(kit, base / "course", ASSIGNMENT, others)
    home = base / "course" / "student-home" / ASSIGNMENT
    assert sorted(p.name for p in home.glob("*.ipynb")) == [f"{e.id}.ipynb" for e in
                                                             load_assignment(kit, ASSIGNMENT).exercises(kit)]
    assert (run.course.submitted_dir(run.exchange_student, ASSIGNMENT) / "timestamp.txt").is_file()
    return {"course": run.course, "exchange_student": run.exchange_student, "outcomes": run.outcomes,
            "stock": _csv(run.stock_csv), "fast": _csv(run.fast_csv), "feedback": run.feedback,
            "stock_feedback": run.stock_feedback, "report": run.report, "run": run}


EXPECTED_FAST = {  # student: (raw score, late penalty)
    "partial": (8.0, 0.3 * 3 + 0.3 * 5),  # 3 started days x 10% of each notebook's score
    "deleted-test": (10.0, 0.0),          # deleted test cells are ignored: tests come from the gradebook
    "corrupt": (6.0, 0.0),                # q021's notebook is truncated: only q047 counts
    "looper": (0.0, 0.0),
    "tamper": (0.0, 0.0),                 # the stub: its code never runs beside the grader
}


def test_fast_path_scores(course_run: dict) -> None:
    fast = course_run["fast"]
    expected = {course_run["exchange_student"]: (10.0, 0.0), **EXPECTED_FAST}
    assert set(fast) == set(expected)
    for student, (raw, penalty) in expected.items():
        row = fast[student]
        assert float(row["raw_score"]) == pytest.approx(raw), student
        assert float(row["late_submission_penalty"]) == pytest.approx(penalty), student
        assert float(row["max_score"]) == 10.0


def test_stock_path_scores_and_agreement_on_well_formed(course_run: dict) -> None:
    stock, fast = course_run["stock"], course_run["fast"]
    for student in (course_run["exchange_student"], "partial", "looper"):
        assert float(stock[student]["raw_score"]) == pytest.approx(float(fast[student]["raw_score"])), student
        assert float(stock[student]["late_submission_penalty"]) == pytest.approx(
            float(fast[student]["late_submission_penalty"])), student
    assert float(stock[course_run["exchange_student"]]["raw_score"]) == 10.0
    assert float(stock["partial"]["raw_score"]) == 8.0
    # nbgrader itself loses the deleted cells' points (1 + 1); rnnkit ignores the deletion.
    assert float(stock["deleted-test"]["raw_score"]) == 8.0
    # nbgrader runs the student's cells in the grading kernel: replacing grade_task fools it.
    assert float(stock["tamper"]["raw_score"]) == 10.0 and float(fast["tamper"]["raw_score"]) == 0.0


def test_problems_are_reported_per_notebook(course_run: dict) -> None:
    outcomes = course_run["outcomes"]
    [problem] = outcomes["corrupt"].problems
    assert problem.startswith("q021_lstm_step_forward.ipynb is not valid notebook JSON (line ")
    assert problem.endswith("; it may be truncated")
    assert outcomes["partial"].problems == [] and outcomes["looper"].problems == []
    assert outcomes["partial"].flags == [] and outcomes[course_run["exchange_student"]].flags == []
    assert any(flag.startswith("q021_lstm_step_forward: line ") and "grade_task" in flag
               for flag in outcomes["tamper"].flags), outcomes["tamper"].flags
    course: Course = course_run["course"]
    results = (course.results_dir(ASSIGNMENT) / "deleted-test.json").read_text()
    assert "test cell of task 1 was deleted" in results
    looper = (course.results_dir(ASSIGNMENT) / "looper.json").read_text()
    assert '"timeout"' in looper
    tamper = (course.results_dir(ASSIGNMENT) / "tamper.json").read_text()
    assert "use of .grade_task" in tamper  # flagged for the instructor


def test_no_hidden_canary_in_any_feedback(course_run: dict) -> None:
    course: Course = course_run["course"]
    files = list((course.root / "feedback").rglob("*.html")) + [course_run["report"].html]
    assert len(course_run["feedback"]) >= 5 and files
    for path in files:
        assert CANARY not in path.read_text(encoding="utf-8"), path
    for notebook in (course.root / "autograded").rglob("*.ipynb"):
        assert CANARY not in notebook.read_text(encoding="utf-8"), notebook


def test_stock_feedback_works_on_fast_path_notebooks(course_run: dict) -> None:
    stock = course_run["stock_feedback"]
    assert any(path.parent.parent.name == "partial" for path in stock), "nbgrader wrote feedback for partial"
    for path, text in stock.items():
        assert CANARY not in text, path


def test_report_and_exports(course_run: dict) -> None:
    report = course_run["report"]
    html = report.html.read_text(encoding="utf-8")
    assert "data:image/png;base64," in html
    # the partial student's two known mistakes, diagnosed (rnnkit.diagnosis) and counted
    mistakes = html[html.index("Most common mistakes"):html.index("Most common failure messages")]
    for mutant in PARTIAL_MUTANTS.values():
        assert re.search(rf"{mutant}</span></td><td class=num>1</td>", mistakes), mistakes
    course: Course = course_run["course"]
    feedback = (course.feedback_dir("partial", ASSIGNMENT) / "q021_lstm_step_forward.html").read_text(encoding="utf-8")
    assert "your result matches a known mistake: writes the gates with 1 / (1 + exp(-a))" in feedback
    assert report.nbgrader_csv.is_file() and report.canvas_csv.is_file()
    rows = list(csv.reader(report.canvas_csv.open()))
    assert rows[0][:5] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
    assert rows[1][0] == "Points Possible"
    assert len(rows) == 2 + 6


@contextlib.contextmanager
def formgrader(course_root: Path, scratch: Path) -> Iterator[Callable[[str], str]]:
    """A real Jupyter server with nbgrader's formgrader on the course; yields get(path) -> body."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    token = "rnnkit-test-token"
    env = {"PATH": str(Path(sys.executable).parent) + ":/usr/bin:/bin", "HOME": str(scratch),
           "JUPYTER_RUNTIME_DIR": str(scratch / "runtime"), "JUPYTER_CONFIG_DIR": str(scratch / "config")}
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "jupyter-server"), "--no-browser", "--allow-root", f"--port={port}",
         "--ip=127.0.0.1", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={course_root}"],
        cwd=course_root, env=env, stdout=subprocess.DEVNULL, stderr=(scratch / "server.log").open("w"))

    def get(path: str) -> str:
        request = urllib.request.Request(f"http://127.0.0.1:{port}{path}",
                                         headers={"Authorization": f"token {token}"})
        with urllib.request.urlopen(request, timeout=60) as response:
            return str(response.read().decode("utf-8"))

    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                get("/formgrader/api/status")
                break
            except (urllib.error.URLError, ConnectionError):
                assert server.poll() is None and time.monotonic() < deadline, (scratch / "server.log").read_text()
                time.sleep(0.5)
        yield get
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_formgrader_shows_the_fast_path_grades(course_run: dict, tmp_path: Path) -> None:
    """The instructor's usual grading UI reads what `rnnkit course autograde` wrote."""
    course: Course = course_run["course"]
    expected = {course_run["exchange_student"]: 10.0, **{s: raw for s, (raw, _) in EXPECTED_FAST.items()}}
    with formgrader(course.root, tmp_path) as get:
        submissions = json.loads(get(f"/formgrader/api/submissions/{ASSIGNMENT}"))
        assert {s["student"]: s["score"] for s in submissions} == expected
        assert all(s["autograded"] and not s["needs_manual_grade"] for s in submissions)
        notebooks = {n["student"]: n for n in json.loads(
            get(f"/formgrader/api/submitted_notebooks/{ASSIGNMENT}/q021_lstm_step_forward"))}
        assert {s for s, n in notebooks.items() if n["failed_tests"]} == {"partial", "corrupt", "looper", "tamper"}
        page = get(f"/formgrader/submissions/{notebooks['partial']['id']}/")  # the manual-grading view
    assert "task 1: passed, 1/1 points" in page and "task 3: passed" not in page
    assert CANARY not in page


def test_nothing_left_running(course_run: dict) -> None:
    out = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
    assert "ipykernel_launcher" not in out


def test_assignment_bundles_of_the_kit_load(kit: Kit) -> None:
    for name in ("ps01", "demo"):
        assignment = load_assignment(kit, name)
        assert assignment.exercises(kit)
    assert [e.id for e in load_assignment(kit, "ps01").exercises(kit)] == [e.id for e in kit.select(module="01")]


def test_demo_class_table_shows_time_outs_and_the_late_rule(course_run: dict) -> None:
    """Issue 8 items 16 and 17: the demo's class table lists the looper's time-outs as the report
    does, and a late penalty with its rule; the report and the feedback say the rule too."""
    from rich.console import Console

    from rnnkit.demo import class_table

    console = Console(record=True, width=400)
    console.print(class_table(course_run["run"]))
    rows = {line.split("│")[1].strip(): line for line in console.export_text().splitlines() if line.count("│") > 3}
    assert "q021_lstm_step_forward: " in rows["looper"] and "timeout" in rows["looper"], rows["looper"]
    assert "a started day counts as a whole day" in " ".join(rows["partial"].split())
    html = course_run["report"].html.read_text()
    assert "3 started days x 10% of the points (a started day counts as a whole day)" in html
    index = course_run["course"].feedback_dir("partial", ASSIGNMENT) / "index.html"
    assert "a started day counts as a whole day" in index.read_text()
