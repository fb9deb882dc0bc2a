"""Failure diagnosis (issue 11) on the minikit: real grading runs, sandboxed, one slot per case.

The minikit's mutants: ``subtracts`` (add: a - b), ``adds_k`` (scale: a + k), ``forgets_k``
(scale: a unchanged); its equivalent ``numpy_add`` (np.add).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from minikit import MODULE, exercise_id, solution_source, write_submission

from rnnkit.diagnosis import PREFIX, with_diagnosis
from rnnkit.grader import RunOptions, grade, run_public
from rnnkit.kit import Kit
from rnnkit.results import MAX_MESSAGE_CHARS, Diagnosis, Results, ResultsError, TaskResult, validate

SOLUTION = solution_source(1)
CASES = {  # slot: (what the student wrote, {task: the mutant it must be diagnosed as, or None})
    1: (SOLUTION.replace("return a + b", "return a - b"), {1: "subtracts", 2: None}),
    2: (SOLUTION.replace("return np.multiply(a, k)", "return a + k"), {1: None, 2: "adds_k"}),
    3: (SOLUTION.replace("return np.multiply(a, k)", "return a.copy()"), {1: None, 2: "forgets_k"}),
    # the same mistake written another way: the values decide, not the code
    4: (SOLUTION.replace("return a + b", "return -(b - a)"), {1: "subtracts", 2: None}),
    # wrong, but no known mistake: plain messages
    5: (SOLUTION.replace("return a + b", "return a * b"), {1: None, 2: None}),
    # a known mistake plus a little more: too far from it (the kit's tolerances)
    6: (SOLUTION.replace("return a + b", "return a - b + 1e-6"), {1: None, 2: None}),
    # a known mistake's values, but raising where it returns: not that mistake
    7: (SOLUTION.replace("return a + b", "raise ValueError('no')"), {1: None, 2: None}),
    # correct code, and correct code written differently (the equivalent): nothing to diagnose
    8: (SOLUTION, {1: None, 2: None}),
    9: (SOLUTION.replace("return a + b", "return np.add(a, b)"), {1: None, 2: None}),
}


def _slot_tree(root: Path, sources: dict[int, str]) -> Path:
    return write_submission(root, sources)


@pytest.fixture(scope="module")
def graded(minikit: Kit, tmp_path_factory: pytest.TempPathFactory) -> Results:
    folder = _slot_tree(tmp_path_factory.mktemp("diagnosis"), {n: src for n, (src, _) in CASES.items()})
    stub_slot = len(CASES) + 1  # the untouched stub
    stub = minikit.exercises[stub_slot - 1].stub_path.read_text()
    write_submission(folder, {stub_slot: stub})
    return grade(minikit, minikit.exercises[:stub_slot], folder, RunOptions(seed=11))


@pytest.mark.parametrize("slot", sorted(CASES))
def test_each_case_gets_its_diagnosis_or_none(graded: Results, slot: int) -> None:
    ex = graded.exercises[exercise_id(slot)]
    for task in ex.tasks:
        want = CASES[slot][1][task.task]
        if want is None:
            assert task.diagnosis is None, (slot, task)
            assert PREFIX not in task.message, (slot, task)
        else:
            assert task.status == "failed"
            assert task.diagnosis is not None and task.diagnosis.mutant == want, (slot, task)
            assert task.message.endswith(PREFIX + task.diagnosis.why), task.message
            assert task.diagnosis.shown


def test_plain_messages_stay_as_they_were(graded: Results) -> None:
    wrong = graded.exercises[exercise_id(5)].tasks[0]
    assert wrong.status == "failed" and wrong.message.startswith("add(a, b) differs from the reference")
    stub = graded.exercises[exercise_id(len(CASES) + 1)]
    assert all(t.diagnosis is None and "not implemented" in t.message for t in stub.tasks)


def test_no_diagnosis_on_a_passed_task_and_the_json_round_trips(graded: Results, tmp_path: Path) -> None:
    for ex in graded.exercises.values():
        assert all(t.diagnosis is None for t in ex.tasks if t.status == "passed")
    graded.write(tmp_path / "r.json")
    raw = json.loads((tmp_path / "r.json").read_text())
    tasks = raw["exercises"][exercise_id(1)]["tasks"]
    assert tasks[0]["diagnosis"] == {"mutant": "subtracts", "why": "a - b instead of a + b", "shown": True}
    assert "diagnosis" not in tasks[1]  # optional: absent where there is none
    again = Results.read(tmp_path / "r.json")
    assert again.exercises[exercise_id(1)].tasks[0].diagnosis == Diagnosis("subtracts", "a - b instead of a + b")


def test_the_schema_rejects_a_diagnosis_on_a_passed_task_or_of_the_wrong_shape(graded: Results) -> None:
    raw = graded.to_dict()
    passed = raw["exercises"][exercise_id(1)]["tasks"][1]
    passed["diagnosis"] = {"mutant": "adds_k", "why": "x", "shown": True}
    with pytest.raises(ResultsError, match="a passed task has no diagnosis"):
        validate(raw)
    del passed["diagnosis"]
    raw["exercises"][exercise_id(1)]["tasks"][0]["diagnosis"] = {"mutant": "subtracts"}
    with pytest.raises(ResultsError, match="needs exactly mutant, why and shown"):
        validate(raw)


def test_the_sentence_survives_a_long_message() -> None:
    diagnosis = Diagnosis("m", "uses the wrong gate order")
    text = with_diagnosis("x" * 2000, diagnosis)
    assert len(text) <= MAX_MESSAGE_CHARS and text.endswith(PREFIX + diagnosis.why)
    assert with_diagnosis("plain", Diagnosis("m", "hidden sentence", shown=False)) == "plain"
    assert TaskResult(1, "t", "failed", 0, 1, "m", diagnosis=diagnosis).to_dict()["diagnosis"]["why"] == diagnosis.why


def _kit_copy(minikit_root: Path, tmp_path: Path, extra_mutants: str) -> Kit:
    root = tmp_path / "kit"
    shutil.copytree(minikit_root, root)
    for extra in sorted((root / "exercises" / MODULE).iterdir())[1:]:
        shutil.rmtree(extra)
    mutants = root / "autograder" / MODULE / f"{exercise_id(1)}.mutants.toml"
    mutants.write_text(mutants.read_text() + extra_mutants)
    return Kit(root)


def test_two_mistakes_with_the_same_values_give_no_diagnosis(minikit_root: Path, tmp_path: Path) -> None:
    kit = _kit_copy(minikit_root, tmp_path, '\n[[mutants]]\nname = "negated_difference"\n'
                    'why = "-(b - a)"\npatches = [{ find = "return a + b", replace = "return -(b - a)" }]\n')
    folder = write_submission(tmp_path / "sub", {1: CASES[1][0]})
    task = grade(kit, kit.exercises, folder, RunOptions(seed=3)).exercises[exercise_id(1)].tasks[0]
    assert task.status == "failed" and task.diagnosis is None and PREFIX not in task.message


def test_sentences_kept_from_students(minikit_root: Path, tmp_path: Path) -> None:
    """show_students = false: the hidden grader's results name the mutant for the instructor but the
    message does not quote it; the public tests (`rnnkit check`) say nothing; the other mutants'
    sentences still show in both."""
    kit = _kit_copy(minikit_root, tmp_path, "")
    mutants = kit.exercises[0].mutants_path
    mutants.write_text(mutants.read_text().replace('why = "a + k instead of k * a"\n',
                                                   'why = "a + k instead of k * a"\nshow_students = false\n'))
    source = CASES[1][0].replace("return np.multiply(a, k)", "return a + k")  # subtracts and adds_k
    folder = write_submission(tmp_path / "sub", {1: source})
    hidden = grade(kit, kit.exercises, folder, RunOptions(seed=5)).exercises[exercise_id(1)]
    add, scale = hidden.tasks
    assert add.diagnosis == Diagnosis("subtracts", "a - b instead of a + b") and PREFIX in add.message
    assert scale.diagnosis == Diagnosis("adds_k", "a + k instead of k * a", shown=False)
    assert PREFIX not in scale.message and "a + k" not in scale.message
    public = run_public(kit, kit.exercises, RunOptions(show_student_messages=True), submission=folder)
    add, scale = public.exercises[exercise_id(1)].tasks
    assert add.diagnosis is not None and add.message.endswith(PREFIX + "a - b instead of a + b")
    assert scale.status == "failed" and scale.diagnosis is None and PREFIX not in scale.message


def test_the_commands_show_it(rnnkit_cli: Path, minikit_root: Path, tmp_path: Path) -> None:
    """`rnnkit grade` (table and JSON) and `rnnkit check` (public tests)."""
    root = tmp_path / "kit"
    shutil.copytree(minikit_root, root)
    env = {**os.environ, "RNNKIT_KIT": str(root), "COLUMNS": "400"}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(rnnkit_cli), *args], capture_output=True, text=True, env=env, timeout=600)

    folder = write_submission(tmp_path / "sub", {1: CASES[1][0]})
    graded = run("grade", str(folder), "--exercises", "q001", "--out", str(tmp_path / "r.json"))
    assert graded.returncode == 0, graded.stdout + graded.stderr
    assert "task 1: add(a, b) differs from the reference" in graded.stdout
    assert f"{PREFIX}a - b instead of a + b" in graded.stdout
    validate(json.loads((tmp_path / "r.json").read_text()))

    (root / "exercises" / MODULE / exercise_id(2) / f"{exercise_id(2)}.py").write_text(CASES[2][0])
    checked = run("check", "q002")
    assert checked.returncode == 1 and f"{PREFIX}a + k instead of k * a" in checked.stdout, checked.stdout

