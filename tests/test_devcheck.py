"""`rnnkit dev check` passes on a sound kit and names each defect of a broken one."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from rnnkit.devtools import build, check
from rnnkit.kit import Kit


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
    report = check(small_kit, list(small_kit.exercises))
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
    text = "\n".join(check(small_kit, [first]).problems)
    for raised in ("ValueError", "TypeError"):
        assert f"{first.id}: code that only raises {raised} passes task 2; check that valid input" in text
    assert "the stub passes" not in text and "solution fails" not in text


def test_wrong_bank_text_and_missing_files(small_kit: Kit):
    first, second, _ = small_kit.exercises
    meta = first.meta_path
    meta.write_text(meta.read_text().replace('answer = "Adding and scaling arrays."', 'answer = "Adding arrays."'))
    second.mutants_path.unlink()
    kit = Kit(small_kit.root)  # reload metadata
    report = check(kit, list(kit.exercises))
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
