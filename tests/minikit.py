"""A tiny, real kit for the tool's own tests: N copies of one small numpy exercise.

Each exercise qNNN_calc (N = 1..count) asks for ``add(a, b)`` (task 1, 1 point) and
``scale(a, k)`` (task 2, 2 points), with a solution, a generated stub, public tests, hidden tests
and three mutants: everything ``rnnkit dev check`` expects. One kit with many slots lets a
single grading run put a different submission in each slot (adversarial cases beside good ones).
"""

from __future__ import annotations

from pathlib import Path

from rnnkit.stubgen import generate_stub

MODULE = "01_basics"

SOLUTION = '''"""{short} · add and scale arrays (numpy).

    add(a, b)    elementwise a + b, arrays of one shape (N, M)
    scale(a, k)  k * a for an array a (N, M) and a float k
"""

import numpy as np


def add(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Elementwise sum of two arrays of the same shape."""
    ### BEGIN SOLUTION
    return a + b
    ### END SOLUTION


def scale(a: np.ndarray, k: float) -> np.ndarray:
    """The array a multiplied by the number k."""
    ### BEGIN SOLUTION
    return np.multiply(a, k)
    ### END SOLUTION
'''

META = '''format = 1
id = "{id}"
title = "Add and scale ({short})"
library = "numpy"
difficulty = 1
forbidden_imports = ["torch"]
hints = ["numpy adds arrays elementwise with +.", "Multiply by a number with *."]

[bank]
number = {number}
question = "What is calculation {number}?"
answer = "Adding and scaling arrays."

[[tasks]]
id = 1
name = "add matches a + b"
points = 1

[[tasks]]
id = 2
name = "scale matches k * a"
points = 2
'''

PUBLIC = '''import numpy as np
import pytest


@pytest.mark.task(1)
def test_add_example(impl):
    out = impl.add(np.array([[1.0, 2.0]]), np.array([[3.0, 4.0]]))
    assert np.array_equal(out, np.array([[4.0, 6.0]])), "add([[1, 2]], [[3, 4]]) should be [[4, 6]]"


@pytest.mark.task(2)
def test_scale_example(impl):
    out = impl.scale(np.array([[1.0, -2.0]]), 3.0)
    assert np.array_equal(out, np.array([[3.0, -6.0]])), "scale([[1, -2]], 3) should be [[3, -6]]"
'''

HIDDEN = '''import pytest

from rnnkit.testing import assert_close, expect_array


@pytest.mark.task(1)
@pytest.mark.parametrize("case", range(2))
def test_add(impl, ref, rng, case):
    a, b = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    out = expect_array(impl.add(a, b), (3, 4), "add(a, b)")
    assert_close(out, ref.add(a, b), "add(a, b)")


@pytest.mark.task(2)
def test_scale(impl, ref, rng):
    a, k = rng.standard_normal((2, 5)), float(rng.standard_normal())
    out = expect_array(impl.scale(a, k), (2, 5), "scale(a, k)")
    assert_close(out, ref.scale(a, k), "scale(a, k)")
'''

MUTANTS = '''[[mutants]]
name = "subtracts"
why = "a - b instead of a + b"
patches = [{ find = "return a + b", replace = "return a - b" }]

[[mutants]]
name = "adds_k"
why = "a + k instead of k * a"
patches = [{ find = "return np.multiply(a, k)", replace = "return a + k" }]

[[mutants]]
name = "forgets_k"
why = "returns a unchanged"
patches = [{ find = "return np.multiply(a, k)", replace = "return a.copy()" }]

[[equivalents]]
name = "numpy_add"
why = "np.add instead of the + operator"
patches = [{ find = "return a + b", replace = "return np.add(a, b)" }]
'''


def exercise_id(number: int) -> str:
    return f"q{number:03d}_calc"


def make_minikit(root: Path, count: int) -> Path:
    """Write a complete kit with ``count`` exercises under ``root``; returns root."""
    (root / "bank").mkdir(parents=True, exist_ok=True)
    bank = ["# Mini bank", ""]
    for number in range(1, count + 1):
        bank += ["---", "", f"### Q{number}. What is calculation {number}?", "Adding and scaling arrays.", ""]
        ex_id, short = exercise_id(number), f"q{number:03d}"
        ex_dir = root / "exercises" / MODULE / ex_id
        ex_dir.mkdir(parents=True, exist_ok=True)
        (root / "solutions" / MODULE).mkdir(parents=True, exist_ok=True)
        (root / "autograder" / MODULE).mkdir(parents=True, exist_ok=True)
        solution = SOLUTION.format(short=short)
        solution_rel = f"solutions/{MODULE}/{ex_id}.py"
        (root / solution_rel).write_text(solution)
        (ex_dir / f"{ex_id}.py").write_text(generate_stub(solution, solution_rel, short))
        (ex_dir / "exercise.toml").write_text(META.format(id=ex_id, short=short, number=number))
        (ex_dir / f"test_{ex_id}.py").write_text(PUBLIC)
        (root / "autograder" / MODULE / f"test_{ex_id}_hidden.py").write_text(HIDDEN)
        (root / "autograder" / MODULE / f"{ex_id}.mutants.toml").write_text(MUTANTS)
    (root / "bank" / "questions.md").write_text("\n".join(bank) + "\n")
    (root / "pyproject.toml").write_text('[project]\nname = "minikit"\nversion = "0"\n')
    return root


def solution_source(number: int) -> str:
    return SOLUTION.format(short=f"q{number:03d}").replace("    ### BEGIN SOLUTION\n", "").replace(
        "    ### END SOLUTION\n", "")


def write_submission(root: Path, files: dict[int, str]) -> Path:
    """A submission folder laid out like exercises/, with these sources per exercise number."""
    for number, source in files.items():
        ex_id = exercise_id(number)
        target = root / MODULE / ex_id / f"{ex_id}.py"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(source)
    return root
