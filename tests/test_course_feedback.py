"""Student feedback pages and the class report, from realistic results files of a real course.

One course (real ``nbgrader`` via ``init_course``, the kit's ps01 bundle) holds results for five
readable students with every status, a late penalty, hostile text (``<script>``, ``&``, ``<``) and
a canary in the fields feedback must never show, plus three unreadable results that must be
skipped with a warning.
"""

from __future__ import annotations

import base64
import csv
import json
import logging
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from nbgrader.api import Gradebook

from rnnkit.course.assignments import load_assignment
from rnnkit.course.classresults import load_class_results
from rnnkit.course.coursedir import Course, CourseUsageError, init_course
from rnnkit.course.feedback import write_feedback
from rnnkit.course.report import report_page, write_canvas_csv, write_report
from rnnkit.diagnosis import with_diagnosis
from rnnkit.kit import Kit
from rnnkit.results import Diagnosis, ExerciseResult, Results, TaskResult

# nbgrader's own update_or_create_submission trips this SQLAlchemy warning; it is not ours to fix
pytestmark = pytest.mark.filterwarnings("ignore:Object of type <Submitted:sqlalchemy.exc.SAWarning")

REPO = Path(__file__).resolve().parent.parent
ASSIGNMENT = "ps01"
CANARY = 7_301_992_846_115  # the seed: in the results JSON, never on a page
VERSION_CANARY = "hidden-canary-4f1e"
XSS = "<script>alert(1)</script> gates mixed up"
FLAG = 'line 3: <img src=x onerror="alert(2)"> import torch'
STDOUT = "loss & grads: a < b\n"
SHAPE = "lstm_step_forward returned h_next of shape (2, 3); expected (2, 4)"
RARE = "the fourth most common message of q001 task 2"

# (exercise, task) -> (status, message, stdout) for the tasks that did not pass
Outcomes = dict[tuple[str, int], tuple[str, str, str]]
OUTCOMES: dict[str, Outcomes] = {
    "alice": {},
    "bob": {
        ("q021_lstm_step_forward", 1): ("failed", SHAPE, ""),
        ("q021_lstm_step_forward", 2): ("error", XSS, STDOUT),
        ("q005_gru_step_forward", 1): ("timeout", "the call did not return within 10 s", ""),
        ("q005_gru_step_forward", 2): ("crashed", "the process running your code died (signal 11)", ""),
        ("q001_lstm_layer_forward", 1): ("forbidden", "q001_lstm_layer_forward.py line 3: import torch is not allowed", ""),
        ("q001_lstm_layer_forward", 2): ("forbidden", "q001_lstm_layer_forward.py line 3: import torch is not allowed", ""),
        ("q048_tanh_bounds", 1): ("missing", "q048_tanh_bounds.ipynb was not submitted", ""),
    },
    "carol": {("q021_lstm_step_forward", 1): ("failed", SHAPE, "debug & more\n"),
              ("q001_lstm_layer_forward", 2): ("failed", "h_all is time-major", "")},
    "dan": {("q001_lstm_layer_forward", 2): ("failed", "h_all is time-major", "")},
    "fay": {("q001_lstm_layer_forward", 2): ("failed", "h_T differs from h_all[:, -1]", "")},
    "gus": {("q001_lstm_layer_forward", 2): ("failed", RARE, "")},
}
# Known mistakes the grader diagnosed (rnnkit.diagnosis): in the results, and in the messages
TIME_MAJOR = Diagnosis("time_major_output", "stacks the hidden states along axis 0 <not> (N, T, H)")
DIAGNOSES = {("carol", "q001_lstm_layer_forward", 2): TIME_MAJOR, ("dan", "q001_lstm_layer_forward", 2): TIME_MAJOR,
             ("fay", "q001_lstm_layer_forward", 2): Diagnosis("h_T_is_first_step", "returns the first step as h_T"),
             ("carol", "q021_lstm_step_forward", 1): Diagnosis("gate_order_ifog", "secret sentence", shown=False)}
LATE = {"bob": {"penalty": 2.5, "late_by_s": 90_000.0}}
# carol was graded where namespaces were refused: her code could have read the kit, so what it
# printed stays out of her feedback.
GRADED_WITHOUT_NAMESPACES = {"carol"}
FALLBACK = ["process", "scratch-dir", "process-group", "rlimits"]
BROKEN = {
    "dave.json": '{"schema": "rnnkit.results/1", "submission": "da',  # truncated JSON
    "late/hal.json": "not json",  # hal's results are fine, the penalty file is not
}


def make_results(kit: Kit, student: str, outcomes: Outcomes) -> Results:
    exercises = {}
    for exercise in load_assignment(kit, ASSIGNMENT).exercises(kit):
        tasks = []
        for t in exercise.meta.tasks:
            status, message, stdout = outcomes.get((exercise.id, t.id), ("passed", "", ""))
            diagnosis = DIAGNOSES.get((student, exercise.id, t.id))
            tasks.append(TaskResult(t.id, t.name, status, t.points if status == "passed" else 0, t.points,
                                    with_diagnosis(message, diagnosis), stdout, 0.1, diagnosis))
        flags = [FLAG] if student == "bob" and exercise.id == "q001_lstm_layer_forward" else []
        exercises[exercise.id] = ExerciseResult(exercise.meta.title, tasks, flags)
    isolation = FALLBACK if student in GRADED_WITHOUT_NAMESPACES else ["process", "namespaces", "private-root", "rlimits"]
    return Results(student, CANARY, isolation, {"python": "3.11", VERSION_CANARY: "1"},
                   "2026-12-12T10:00:00+00:00", 3.5, exercises)


@dataclass(frozen=True)
class Fixture:
    course: Course
    results: dict[str, Results]


def fill_gradebook(course: Course, kit: Kit, results: dict[str, Results]) -> None:
    """What autograde stores: notebooks and grade cells of ps01, alice's and bob's scores (bob's
    late penalty on one notebook); carol is enrolled without a submission."""
    with Gradebook(course.db_url) as gb:
        gb.update_or_create_assignment(ASSIGNMENT)
        for exercise in load_assignment(kit, ASSIGNMENT).exercises(kit):
            gb.update_or_create_notebook(exercise.id, ASSIGNMENT)
            for t in exercise.meta.tasks:
                gb.update_or_create_grade_cell(f"{exercise.id}_task{t.id}", exercise.id, ASSIGNMENT,
                                               max_score=float(t.points), cell_type="code")
        for student in ("alice", "bob", "carol"):
            gb.update_or_create_student(student)
        for student in ("alice", "bob"):
            gb.update_or_create_submission(ASSIGNMENT, student)
            for exercise_id, ex in results[student].exercises.items():
                for t in ex.tasks:
                    gb.find_grade(f"{exercise_id}_task{t.task}", exercise_id, ASSIGNMENT, student).auto_score = t.points
        gb.find_submission_notebook("q021_lstm_step_forward", ASSIGNMENT, "bob").late_submission_penalty = 2.5
        gb.db.commit()


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> Fixture:
    kit = Kit(REPO)
    course = init_course(tmp_path_factory.mktemp("course") / "course", "dl101", kit)
    folder = course.results_dir(ASSIGNMENT)
    results = {student: make_results(kit, student, outcomes) for student, outcomes in OUTCOMES.items()}
    for student, res in results.items():
        res.write(folder / f"{student}.json")
    for student, late in LATE.items():
        course.late_file(ASSIGNMENT, student).parent.mkdir(parents=True, exist_ok=True)
        course.late_file(ASSIGNMENT, student).write_text(json.dumps(late), encoding="utf-8")
    eve = make_results(kit, "eve", OUTCOMES["bob"]).to_dict()
    eve["total"]["points"] = 1000  # valid JSON that fails validate()
    (folder / "eve.json").write_text(json.dumps(eve), encoding="utf-8")
    ivy = make_results(kit, "ivy", {}).to_dict()
    ivy["exercises"]["q021_lstm_step_forward"]["tasks"][0]["message"] = 42  # validate() lets it through
    (folder / "ivy.json").write_text(json.dumps(ivy), encoding="utf-8")
    joe = make_results(kit, "joe", {}).to_dict()
    del joe["exercises"]["q021_lstm_step_forward"]["title"]  # from_dict raises KeyError
    (folder / "joe.json").write_text(json.dumps(joe), encoding="utf-8")
    make_results(kit, "bob", {}).write(folder / "mallory.json")  # someone else's results
    make_results(kit, "hal", {}).write(folder / "hal.json")  # fine, but late/hal.json is not
    for name, text in BROKEN.items():
        (folder / name).write_text(text, encoding="utf-8")
    for student in ("alice", "bob"):  # what nbgrader collect leaves in a submission
        submitted = course.submitted_dir(student, ASSIGNMENT)
        submitted.mkdir(parents=True)
        (submitted / "timestamp.txt").write_text("2026-12-13 11:00:00.000000 UTC", encoding="utf-8")
        (submitted / "submission_secret.txt").write_text(f"secret-of-{student}", encoding="utf-8")
    fill_gradebook(course, kit, results)
    return Fixture(course, results)


SKIPPED = {"dave", "eve", "hal", "ivy", "joe", "mallory"}


def test_feedback_pages(graded: Fixture, caplog: pytest.LogCaptureFixture) -> None:
    course = graded.course
    with caplog.at_level(logging.WARNING):
        written = write_feedback(course, ASSIGNMENT)

    exercise_ids = list(graded.results["alice"].exercises)
    for student in OUTCOMES:
        folder = course.feedback_dir(student, ASSIGNMENT)
        assert sorted(p.name for p in folder.glob("*.html")) == sorted([*(f"{e}.html" for e in exercise_ids), "index.html"])
    assert len(written) == len(OUTCOMES) * (len(exercise_ids) + 1)
    for student in SKIPPED:  # reported and skipped, the batch went on
        assert not course.feedback_dir(student, ASSIGNMENT).exists()
        assert any(f"{student}.json" in r.getMessage() for r in caplog.records if r.levelno == logging.WARNING)

    pages = {p: p.read_text(encoding="utf-8") for p in written}
    for text in pages.values():
        assert "<script" not in text.lower() and "<img" not in text.lower()  # no student HTML, no JS
        assert str(CANARY) not in text and VERSION_CANARY not in text and "namespaces" not in text
        assert "http://" not in text and "https://" not in text  # self-contained

    bob = course.feedback_dir("bob", ASSIGNMENT)
    q021 = (bob / "q021_lstm_step_forward.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt; gates mixed up" in q021
    assert "<pre>loss &amp; grads: a &lt; b\n</pre>" in q021
    assert html_escaped(SHAPE) in q021 and "1 / 4 points" in q021
    q001 = (bob / "q001_lstm_layer_forward.html").read_text(encoding="utf-8")
    assert "Notes from the grader" in q001 and "&lt;img src=x onerror=&quot;alert(2)&quot;&gt;" in q001
    all_bob = "".join(pages[p] for p in written if p.parent == bob)
    for status in ("passed", "failed", "error", "timeout", "crashed", "forbidden", "missing"):
        assert f">{status}</span>" in all_bob

    index = (bob / "index.html").read_text(encoding="utf-8")
    bob_points = graded.results["bob"].points
    assert f"{bob_points:g}/57" in index and "-2.5" in index and "1 d 1 h late" in index
    assert f"{bob_points - 2.5:g}/57" in index
    assert '<a href="q021_lstm_step_forward.html">' in index
    alice_index = course.feedback_dir("alice", ASSIGNMENT).joinpath("index.html").read_text(encoding="utf-8")
    assert "57/57" in alice_index and "Late penalty" not in alice_index

    # nbgrader release_feedback needs these two next to the pages
    assert (bob / "submission_secret.txt").read_text(encoding="utf-8") == "secret-of-bob"
    assert (bob / "timestamp.txt").is_file()
    carol_q021 = (course.feedback_dir("carol", ASSIGNMENT) / "q021_lstm_step_forward.html").read_text(encoding="utf-8")
    assert "debug" not in carol_q021 and "What your code printed is not shown for this grading run." in carol_q021
    assert not (course.feedback_dir("carol", ASSIGNMENT) / "timestamp.txt").exists()
    # a diagnosed task says which known mistake it is, in the mutant's words; a hidden sentence never shows
    carol_q001 = (course.feedback_dir("carol", ASSIGNMENT) / "q001_lstm_layer_forward.html").read_text(encoding="utf-8")
    assert f"h_all is time-major; your result matches a known mistake: {html_escaped(TIME_MAJOR.why)}" in carol_q001
    assert "secret sentence" not in carol_q021 and html_escaped(SHAPE) in carol_q021
    assert any("carol has no timestamp.txt" in r.getMessage() for r in caplog.records)


def html_escaped(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def test_class_report(graded: Fixture) -> None:
    course = graded.course
    paths = write_report(course, ASSIGNMENT)
    assert {s.path.name.removesuffix(".json") for s in paths.skipped} == SKIPPED

    report = paths.html.read_text(encoding="utf-8")
    images = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', report)
    assert len(images) == 3 and all(base64.b64decode(i).startswith(b"\x89PNG\r\n\x1a\n") for i in images)
    assert "<script" not in report.lower() and "&lt;script&gt;alert(1)&lt;/script&gt;" in report
    assert "http://" not in report and "https://" not in report
    for student in SKIPPED:
        assert f"{student}.json was skipped" in report

    # failure messages grouped exactly, most common first, at most three per task
    assert f"<td class=num>2</td><td><code>{html_escaped(SHAPE)}</code>" in report
    assert "h_all is time-major" in report and "h_T differs" in report and RARE not in report
    q001_task2 = report.index("<code>q001_lstm_layer_forward</code> task 2")
    time_major = html_escaped(with_diagnosis("h_all is time-major", TIME_MAJOR))  # diagnosed: the sentence is part of it
    assert f"<td class=num>2</td><td><code>{time_major}</code>" in report
    assert report.index("h_all is time-major", q001_task2) < report.index("import torch is not allowed", q001_task2)
    # the most common known mistakes: by students, escaped, the hidden sentence too (instructors only)
    mistakes = report[report.index("Most common mistakes"):report.index("Most common failure messages")]
    assert mistakes.index("time_major_output") < mistakes.index("h_T_is_first_step") < mistakes.index("gate_order_ifog")
    assert f"{html_escaped(TIME_MAJOR.why)}<br>" in mistakes and "<not>" not in mistakes
    assert re.search(r"time_major_output</span></td><td class=num>2</td><td>2</td>", mistakes), mistakes
    assert re.search(r"h_T_is_first_step</span></td><td class=num>1</td>", mistakes)
    # incidents: bob's time-out, crash, forbidden tasks and the flag, escaped
    assert "the call did not return within 10 s" in report and "signal 11" in report
    assert "&lt;img src=x onerror=&quot;alert(2)&quot;&gt;" in report
    assert "-2.5 (1 d 1 h late: 2 started days x 10% of the points (a started day counts as a whole day))" in report

    finals = {s: r.points - LATE.get(s, {"penalty": 0.0})["penalty"] for s, r in graded.results.items()}
    with paths.canvas_csv.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    assert rows == [
        ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "Problem set 1: LSTM and GRU cells (ps01)"],
        ["Points Possible", "", "", "", "", "57"],
        *([s, "", s, s, "", f"{finals[s]:g}"] for s in sorted(finals)),
    ]

    with paths.nbgrader_csv.open(newline="", encoding="utf-8") as fh:
        exported = {row["student_id"]: row for row in csv.DictReader(fh)}
    assert set(exported) == {"alice", "bob", "carol"}  # every enrolled student, as nbgrader does it
    assert exported["alice"]["score"] == "57.0" and exported["alice"]["max_score"] == "57.0"
    assert float(exported["bob"]["raw_score"]) == graded.results["bob"].points
    assert exported["bob"]["late_submission_penalty"] == "2.5" and float(exported["bob"]["score"]) == finals["bob"]
    assert exported["carol"]["timestamp"] == "" and exported["carol"]["score"] == "0.0"  # not in the gradebook's submissions


def test_report_of_a_class_with_no_results_yet(tmp_path: Path) -> None:
    course = Course(tmp_path / "course", "dl101", REPO)  # no nbgrader needed for these two parts
    klass = load_class_results(course, ASSIGNMENT)
    assert klass.students == () and klass.skipped == () and klass.max_points == 57
    assert "students graded" in report_page(klass) and "data:image/png" not in report_page(klass)
    with write_canvas_csv(klass, tmp_path / "canvas.csv").open(newline="", encoding="utf-8") as fh:
        assert [row[0] for row in csv.reader(fh)] == ["Student", "Points Possible"]
    with pytest.raises(CourseUsageError, match=f"run `rnnkit course autograde {ASSIGNMENT}` first"):
        write_feedback(course, ASSIGNMENT)  # a forgotten step is said, never an empty success
