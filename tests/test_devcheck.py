"""`rnnkit dev check` passes on a sound kit and names each defect of a broken one."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from rnnkit.devtools import build, check, check_seeds
from rnnkit.kit import Kit

FEW_SEEDS = check_seeds(2)  # tests about one defect; the seed checks use the default five


@pytest.fixture
def small_kit(minikit_root: Path, tmp_path: Path) -> Kit:
    """A private copy of the first three minikit exercises (tests may break it)."""
    root = tmp_path / "kit"
    shutil.copytree(minikit_root, root)
    for extra in sorted((root / "exercises" / "01_basics").iterdir())[3:]:
        shutil.rmtree(extra)
    return Kit(root)


def test_sound_kit_passes(small_kit: Kit):
    report = check(small_kit, list(small_kit.exercises))
    assert report.ok, report.problems
    assert any("caught by task" in note for note in report.notes)
    assert any("equivalent numpy_add passes every task" in note for note in report.notes)
    assert report.seeds == (0, 1, 2, 3, 4)
    assert report.summary[0] == ("q001_calc: 3 mutants (the public tests alone catch 3), 1 equivalents, "
                                 "0 alternatives, graded under 5 seeds")
    assert set(report.grading_s) == {f"hidden seed {s}" for s in range(5)} | {"public"}


def test_a_verdict_that_depends_on_the_seed_is_reported(small_kit: Kit):
    """test_scale draws k from the rng: k > 0 only under seed 4 of 0..4, so this mutant is caught
    under one seed of five; dev check names the task and the seeds."""
    first = small_kit.exercises[0]
    first.mutants_path.write_text(first.mutants_path.read_text() + (
        '\n[[mutants]]\nname = "wrong_for_positive_k"\nwhy = "adds 1 when k > 0"\npatches = [{ find = '
        '"return np.multiply(a, k)", replace = "return np.multiply(a, k) if k <= 0 else np.multiply(a, k) + 1.0" }]\n'))
    report = check(small_kit, [first])
    text = "\n".join(report.problems)
    assert ("q001_calc: mutant wrong_for_positive_k gets different verdicts under different seeds "
            "(1/3 under seed 4; 3/3 under seeds 0, 1, 2, 3): task 2 fails only under seed 4") in text
    assert "q001_calc: mutant wrong_for_positive_k passes every hidden task under seeds 0, 1, 2, 3" in text
    assert len(report.problems) == 2, report.problems
    # One process per seed or all in this one: the same verdicts.
    assert check(small_kit, [first], jobs=1).problems == report.problems


def test_alternatives_are_graded_like_equivalents(small_kit: Kit):
    first, second, third = small_kit.exercises
    folder = small_kit.root / "autograder" / first.module / "alternatives"
    (folder / first.id).mkdir(parents=True)
    (folder / first.id / "plain_python.py").write_text(
        "import numpy as np\n\n\ndef add(a, b):\n    return np.asarray(a) + np.asarray(b)\n\n\n"
        "def scale(a, k):\n    return np.asarray(a) * float(k)\n")
    (folder / second.id).mkdir()
    (folder / second.id / "off_by_one.py").write_text(
        "def add(a, b):\n    return a + b\n\n\ndef scale(a, k):\n    return a * (k + 1)\n")
    (folder / "q099_nothing").mkdir()
    meta = third.meta_path
    meta.write_text(meta.read_text().replace("difficulty = 1", "difficulty = 2"))
    kit = Kit(small_kit.root)
    report = check(kit, list(kit.exercises), seeds=FEW_SEEDS, require_alternatives=True)
    text = "\n".join(report.problems)
    assert "q001_calc: alternative plain_python passes every task" in report.notes
    assert report.summary[0].endswith("1 equivalents, 1 alternatives, graded under 2 seeds")
    assert ("q002_calc: alternative off_by_one (a correct variant) fails task(s) [2]: "
            "the grader rejects correct code") in text
    assert "q002_calc: alternative off_by_one (correct code) fails the public tests of task(s) [2]" in text
    assert "01_basics: alternatives/q099_nothing is no exercise of this module" in text
    assert "q003_calc: difficulty 2 needs at least one alternative in autograder/01_basics/alternatives/q003_calc/" in text
    assert len(report.problems) == 4, report.problems
    # Off by default: no exercise has alternatives yet.
    (folder / "q099_nothing").rmdir()
    relaxed = check(kit, [third], seeds=FEW_SEEDS)
    assert relaxed.ok, relaxed.problems


def test_correct_code_that_is_flagged_is_reported(small_kit: Kit):
    first = small_kit.exercises[0]
    first.mutants_path.write_text(first.mutants_path.read_text() + (
        '\n[[equivalents]]\nname = "reaches_for_frames"\nwhy = "correct, but touches sys._getframe"\n'
        'patches = [{ find = "return a + b", replace = "__import__(\'sys\')._getframe(0); return a + b" }]\n'))
    text = "\n".join(check(small_kit, [first], seeds=FEW_SEEDS).problems)
    assert "q001_calc: equivalent reaches_for_frames (correct code) is flagged for a reviewer: line " in text


def test_broken_kit_reports_each_defect(small_kit: Kit):
    first, second, third = small_kit.exercises
    # 1. a hidden test that checks nothing: the stub passes it
    hidden = first.hidden_test_path
    hidden.write_text(hidden.read_text().replace(
        "    out = expect_array(impl.scale(a, k), (2, 5), \"scale(a, k)\")\n"
        "    assert_close(out, ref.scale(a, k), \"scale(a, k)\")\n", "    assert True\n"))
    # 2. a mutant that no task catches (equivalent to the solution)
    mutants = second.mutants_path
    mutants.write_text(mutants.read_text() + '\n[[mutants]]\nname = "equivalent"\nwhy = "same thing"\n'
                       'patches = [{ find = "return a + b", replace = "return b + a" }]\n')
    # 3. a drifted stub
    third.mutants_path.write_text(third.mutants_path.read_text().replace(
        'replace = "return np.add(a, b)"', 'replace = "return np.add(a, b) + 1e-3"'))
    third.stub_path.write_text(third.stub_path.read_text() + "\n# edited by hand\n")
    report = check(small_kit, list(small_kit.exercises), seeds=FEW_SEEDS)
    text = "\n".join(report.problems)
    assert f"{first.id}: the stub passes task 2" in text
    assert f"{second.id}: mutant equivalent passes every hidden task" in text
    assert f"{third.id}: the stub is out of date" in text
    assert f"{third.id}: equivalent numpy_add (a correct variant) fails task(s) [1]" in text
    # The hollow task also lets q001's scale mutants through: reported too, nothing else.
    others = [p for p in report.problems if "stub passes" not in p and "equivalent" not in p
              and "out of date" not in p and "only raises" not in p]
    assert others and all(p.startswith(f"{first.id}: mutant") for p in others), report.problems


def test_a_task_that_only_expects_an_exception_is_reported(small_kit: Kit):
    """The stub fails it (NotImplementedError), but code raising the expected error everywhere would not."""
    first = small_kit.exercises[0]
    hidden = first.hidden_test_path
    hidden.write_text(hidden.read_text().replace(
        "    out = expect_array(impl.scale(a, k), (2, 5), \"scale(a, k)\")\n"
        "    assert_close(out, ref.scale(a, k), \"scale(a, k)\")\n",
        "    with pytest.raises((ValueError, TypeError)):\n        impl.scale(a, \"three\")\n"))
    text = "\n".join(check(small_kit, [first], seeds=FEW_SEEDS).problems)
    for raised in ("ValueError", "TypeError"):
        assert f"{first.id}: code that only raises {raised} passes task 2; check that valid input" in text
    assert "the stub passes" not in text and "solution fails" not in text


def test_wrong_bank_text_and_missing_files(small_kit: Kit):
    first, second, _ = small_kit.exercises
    meta = first.meta_path
    meta.write_text(meta.read_text().replace('answer = "Adding and scaling arrays."', 'answer = "Adding arrays."'))
    second.mutants_path.unlink()
    kit = Kit(small_kit.root)  # reload metadata
    report = check(kit, list(kit.exercises), seeds=FEW_SEEDS)
    text = "\n".join(report.problems)
    assert "bank.answer differs from the bank's text of Q1" in text
    assert "missing mutants file" in text


def test_build_regenerates_drifted_stubs(small_kit: Kit):
    exercise = small_kit.exercises[0]
    original = exercise.stub_path.read_text()
    exercise.stub_path.write_text("junk")
    assert build(small_kit, [exercise]) == [exercise.stub_path]
    assert exercise.stub_path.read_text() == original
    assert build(small_kit, [exercise]) == []
