"""The value-only sandbox protocol against hostile submissions, graded in one real batch.

Each minikit slot holds one case; the good and the partly correct submissions sit beside the
attacks in the same run and must keep exactly their scores.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from minikit import MODULE, exercise_id, make_minikit, solution_source, write_submission

from rnnkit.grader import RunOptions, grade
from rnnkit.kit import Kit
from rnnkit.results import validate

BOTH = "def add(a, b):\n{body}\n\ndef scale(a, k):\n{body}\n"

CASES: dict[str, tuple[str, float, set[str]]] = {
    # name: (source, expected points of 3, statuses allowed on its tasks)
    "correct": ("", 3, {"passed"}),
    "partial": ("import numpy as np\ndef add(a, b):\n    return a + b\n\ndef scale(a, k):\n    return a * (k + 1)\n",
                1, {"passed", "failed"}),
    "os_exit": ("import os\n" + BOTH.format(body="    os._exit(0)"), 0, {"crashed"}),
    "always_equal": ("class Eq:\n    def __eq__(self, other): return True\n    def __ne__(self, other): return False\n"
                     "    def __array__(self, *a, **k): raise TypeError\n"
                     + BOTH.format(body="    return Eq()"), 0, {"failed"}),
    "pickle_bomb": ("import os, pickle\nclass Bomb:\n    def __reduce__(self):\n"
                    "        return (os.system, ('touch {marker}',))\n"
                    "def add(a, b):\n    return Bomb()\n\ndef scale(a, k):\n    return pickle.dumps(Bomb())\n",
                    0, {"failed"}),
    "infinite_loop": (BOTH.format(body="    while True:\n        pass"), 0, {"timeout"}),
    "segfault": ("import ctypes\n" + BOTH.format(body="    ctypes.string_at(0)"), 0, {"crashed"}),
    "exit_at_import": ("import os\nos._exit(0)\n" + BOTH.format(body="    return a"), 0, {"crashed"}),
    "sys_exit": ("import sys\n" + BOTH.format(body="    sys.exit(0)"), 0, {"error"}),
    "fake_summary": ("import os\n" + BOTH.format(
        body="    print('===== 3 passed in 0.01s =====', flush=True)\n    os._exit(0)"), 0, {"crashed"}),
    "uses_torch": ("import numpy as np\nimport torch\ndef add(a, b):\n    return a + b\n\n"
                   "def scale(a, k):\n    return np.multiply(a, k)\n", 0, {"forbidden"}),
    "syntax_error": ("def add(a, b)\n    return a + b\n", 0, {"error"}),
    "array_subclass": ("import numpy as np\nclass Liar(np.ndarray):\n"
                       "    def __eq__(self, other): return np.ones(self.shape, bool)\n"
                       "    def __array_ufunc__(self, *args, **kwargs): return True\n"
                       + BOTH.format(body="    return np.zeros_like(a).view(Liar)"), 0, {"failed"}),
    "patch_asserts": ("import builtins, numpy as np\nnp.testing.assert_allclose = lambda *a, **k: None\n"
                      "np.allclose = np.array_equal = lambda *a, **k: True\nbuiltins.isinstance = lambda *a: True\n"
                      + BOTH.format(body="    return a - 1"), 0, {"failed", "error", "crashed"}),
    "sleep_forever": ("import time\n" + BOTH.format(body="    time.sleep(1e6)"), 0, {"timeout"}),
    "reads_stdin": (BOTH.format(body="    return input()"), 0, {"error"}),
    "memory_bomb": (BOTH.format(body="    return bytearray(64 * 2**30)"), 0, {"error"}),
    "nan_result": ("import numpy as np\n" + BOTH.format(body="    return np.full_like(a, np.nan)"), 0, {"failed"}),
    "broadcastable_shape": ("import numpy as np\ndef add(a, b):\n    return (a + b)[:1]\n\n"
                            "def scale(a, k):\n    return np.multiply(a, k).T\n", 0, {"failed"}),
    "shadow_modules": ("", 3, {"passed"}),  # the correct code, shipped beside numpy.py, conftest.py, ...
}
SHADOWS = {"numpy.py": "raise SystemExit('shadowed numpy imported')\n",
           "conftest.py": "import os\nos._exit(0)\n",
           "sitecustomize.py": "import os\nos._exit(0)\n",
           "evil.pth": "import os; os._exit(0)\n"}


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, Path]:
    root = tmp_path_factory.mktemp("hostile")
    minikit = Kit(make_minikit(root / "kit", len(CASES)))
    marker = root / "PICKLE_BOMB_WENT_OFF"
    files = {}
    for number, (source, _points, _statuses) in enumerate(CASES.values(), start=1):
        files[number] = (source or solution_source(number)).replace("{marker}", str(marker))
    submission = write_submission(root / "submission", files)
    shadowed = submission / MODULE / exercise_id(list(CASES).index("shadow_modules") + 1)
    for name, text in SHADOWS.items():
        (shadowed / name).write_text(text)
    results = grade(minikit, list(minikit.exercises), submission, RunOptions(call_timeout_s=2.0))
    raw = results.to_dict()
    return raw, marker


def test_results_are_complete_and_valid(graded: tuple[dict, Path]) -> None:
    raw, _ = graded
    validate(json.loads(json.dumps(raw)))
    assert set(raw["exercises"]) == {exercise_id(n) for n in range(1, len(CASES) + 1)}
    assert "namespaces" in raw["isolation"] and "private-root" in raw["isolation"]


@pytest.mark.parametrize("name", list(CASES))
def test_case_scores_as_expected(graded: tuple[dict, Path], name: str) -> None:
    raw, _ = graded
    number = list(CASES).index(name) + 1
    exercise = raw["exercises"][f"q{number:03d}_calc"]
    _source, points, statuses = CASES[name]
    assert exercise["points"] == points, exercise
    assert {t["status"] for t in exercise["tasks"]} <= statuses, exercise["tasks"]
    for task in exercise["tasks"]:
        assert task["status"] == "passed" or task["message"], "every lost point says why"


def test_pickle_bomb_never_unpickled(graded: tuple[dict, Path]) -> None:
    _, marker = graded
    assert not marker.exists()


def test_printed_summary_is_kept_as_output_not_parsed(graded: tuple[dict, Path]) -> None:
    raw, _ = graded
    number = list(CASES).index("fake_summary") + 1
    tasks = raw["exercises"][f"q{number:03d}_calc"]["tasks"]
    assert any("3 passed" in t["stdout"] for t in tasks)
    assert all(t["points"] == 0 for t in tasks)


def test_a_syntax_error_names_its_line(graded: tuple[dict, Path]) -> None:
    raw, _ = graded
    number = list(CASES).index("syntax_error") + 1
    task = raw["exercises"][f"q{number:03d}_calc"]["tasks"][0]
    assert task["message"] == f"importing q{number:03d}_calc.py raised SyntaxError at q{number:03d}_calc.py, line 1"


def test_timeout_message_names_the_limit(graded: tuple[dict, Path]) -> None:
    raw, _ = graded
    number = list(CASES).index("infinite_loop") + 1
    task = raw["exercises"][f"q{number:03d}_calc"]["tasks"][0]
    assert "did not finish within 2 s" in task["message"]


def _children(pid: int) -> list[int]:
    kids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            kids.append(int(stat.parent.name))
    return kids


def test_nothing_left_running(graded: tuple[dict, Path]) -> None:
    import time

    from rnnkit.sandbox.client import shared_zygote

    zygote_pid = shared_zygote().proc.pid
    deadline = time.monotonic() + 5
    while _children(zygote_pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _children(zygote_pid) == []


@pytest.mark.parametrize("sandbox", [True, False], ids=["sandbox", "local"])
def test_an_import_error_never_passes_as_the_expected_exception(kit: Kit, tmp_path: Path, sandbox: bool) -> None:
    """q003's hidden tests expect ValueError from bad input; a file that only raises ValueError
    when imported must not earn those points, nor slow the run down (one fresh error per test)."""
    exercise = kit.find("q003")
    target = tmp_path / exercise.module / exercise.id / f"{exercise.id}.py"
    target.parent.mkdir(parents=True)
    target.write_text('raise ValueError("invalid gate order")\n', encoding="utf-8")
    results = grade(kit, [exercise], tmp_path, RunOptions(sandbox=sandbox)).to_dict()
    tasks = results["exercises"][exercise.id]["tasks"]
    assert results["exercises"][exercise.id]["points"] == 0
    assert {t["status"] for t in tasks} == {"error"}
    assert all(t["message"].startswith(f"importing {exercise.id}.py raised ValueError") for t in tasks), tasks


def test_a_slow_submission_is_stopped_by_the_exercise_budget(kit: Kit, tmp_path: Path) -> None:
    """Each call is well within the call timeout, but together they would take long: the budget ends them."""
    exercise = kit.find("q047")
    target = tmp_path / exercise.module / exercise.id / f"{exercise.id}.py"
    target.parent.mkdir(parents=True)
    target.write_text("import time\nimport numpy as np\n\n\ndef _slow(*args, **kwargs):\n    time.sleep(0.2)\n"
                      "    return np.zeros(1)\n\n\nsigmoid = sigmoid_grad_from_output = hard_sigmoid = _slow\n", encoding="utf-8")
    results = grade(kit, [exercise], tmp_path, RunOptions(call_timeout_s=5.0, exercise_budget_s=1.0)).to_dict()
    tasks = results["exercises"][exercise.id]["tasks"]
    assert results["exercises"][exercise.id]["points"] == 0
    assert any("used up its 1 s time budget" in t["message"] for t in tasks), tasks


def test_negative_controls_are_never_flagged(graded: tuple[dict, Path]) -> None:
    raw, _ = graded
    for name in ("correct", "partial"):
        exercise = raw["exercises"][f"q{list(CASES).index(name) + 1:03d}_calc"]
        assert exercise.get("flags", []) == [], (name, exercise["flags"])


def test_torch_reached_around_the_guard_is_forbidden_and_flagged(kit: Kit, tmp_path: Path) -> None:
    """q047 is numpy only: torch imported by a computed name, with torch function modes switched off."""
    exercise = kit.find("q047")
    target = tmp_path / exercise.module / exercise.id / f"{exercise.id}.py"
    target.parent.mkdir(parents=True)
    target.write_text(
        "import importlib\nimport numpy as np\n\n_t = importlib.import_module('tor' + 'ch')\n\n\n"
        "def sigmoid(x):\n    with _t._C.DisableTorchFunction():\n"
        "        return _t.sigmoid(_t.from_numpy(np.asarray(x))).numpy()\n", encoding="utf-8")
    result = grade(kit, [exercise], tmp_path, RunOptions()).to_dict()["exercises"][exercise.id]
    # torch is out of a numpy exercise's reach: importing it at all is the violation
    assert {t["status"] for t in result["tasks"]} == {"forbidden"}
    assert "torch (this exercise is numpy only)" in result["tasks"][0]["message"]
    assert result["flags"] == ["line 1: import of importlib (not needed to solve an exercise)",
                               "line 4: use of .import_module", "line 8: use of .DisableTorchFunction"]
