"""Fair verdicts (issue 7): outside-style implementations get the same score under every seed, and
each loses only the task about its mistake; reviewer flags name the library's API, not the student's.

Every case of tests/fixtures/fairness/cases.toml is graded in the real sandbox, all cases in one
grading run per seed (the variant kit of ``rnnkit dev check``).
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest

from rnnkit.grader import RunOptions, grade
from rnnkit.guards import INTROSPECTION_NAMES, scan_source
from rnnkit.kit import Kit
from rnnkit.results import Results
from rnnkit.variantkit import Variant, build_variant_kit, variant_exercises

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "fairness"
CASES: list[dict[str, Any]] = tomllib.loads((FIXTURES / "cases.toml").read_text(encoding="utf-8"))["cases"]
SEEDS = tuple(range(10))


@pytest.fixture(scope="module")
def graded(kit: Kit, tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, str], dict[int, Results]]:
    """(case file -> its id in the variant kit, seed -> results of every case)."""
    variants = [Variant(kit.find(c["exercise"]), "alternative", c["file"],
                        (FIXTURES / c["file"]).read_text(encoding="utf-8")) for c in CASES]
    root = tmp_path_factory.mktemp("fairness")
    by_id = build_variant_kit(root, variants)
    vkit, exercises = Kit(root), list(variant_exercises(root).values())
    per_seed = {seed: grade(vkit, exercises, vkit.exercises_dir, RunOptions(seed=seed)) for seed in SEEDS}
    return {v.name: vid for vid, v in by_id.items()}, per_seed


@pytest.mark.parametrize("case", CASES, ids=[c["file"].removesuffix(".py") for c in CASES])
def test_same_score_under_every_seed_and_only_the_task_about_the_mistake(graded, case: dict[str, Any]) -> None:
    ids, per_seed = graded
    for seed, results in per_seed.items():
        result = results.exercises[ids[case["file"]]]
        failed = {t.task: f"{t.status}: {t.message}" for t in result.tasks if t.status != "passed"}
        assert sorted(failed) == case["failed"], (seed, failed)
        assert result.points == case["points"], (seed, failed)
        if "flags" in case:
            assert result.flags == case["flags"], (seed, result.flags)


def test_the_hygiene_failures_say_what_went_wrong(graded) -> None:
    ids, per_seed = graded
    messages = {c["file"]: next(t.message for t in per_seed[0].exercises[ids[c["file"]]].tasks if t.status != "passed")
                for c in CASES if c["failed"]}
    assert "changed its input argument dnext_c in place" in messages["q004_backward_writes_dnext_c.py"]
    assert "FloatingPointError" in messages["q001_forward_overflows.py"]
    assert "torch.sigmoid" in messages["q047_tanh_form_sigmoid.py"]


NAMES = frozenset({"GRUCell", "GRU"}) | INTROSPECTION_NAMES


def flags(source: str) -> list[str]:
    return [f.text for f in scan_source(source, frozenset({"torch"}), NAMES) if not f.banned_import]


def test_a_class_of_the_students_own_named_like_the_library_is_not_flagged() -> None:
    assert flags((FIXTURES / "q005_own_gru_cell_class.py").read_text(encoding="utf-8")) == []
    assert flags("class GRU:\n    pass\n\n\ncell = GRU()\nother = cell.GRUCell\n__all__ = ['GRU']\n") == []


def test_the_library_api_is_flagged_however_it_is_spelled() -> None:
    source = ("import torch\nimport torch.nn as nn\nfrom torch import nn as tnn\nfrom torch.nn import GRUCell\n"
              "a = torch.nn.GRUCell(3, 4)\nb = nn.GRU(3, 4)\nc = tnn.GRUCell\nd = getattr(nn, 'GRUCell')\n"
              "from torch.nn import *\n")
    assert flags(source) == ["import of GRUCell", "use of torch.nn.GRUCell", "use of nn.GRU", "use of tnn.GRUCell",
                             "string 'GRUCell'", "from torch.nn import * (may bring in GRU, GRUCell)"]


def test_introspection_names_are_still_flagged_wherever_they_appear() -> None:
    source = "import sys\n\n\ndef grade_task():\n    return sys._getframe(1)\n\n\ngrade_task = None\n"
    assert flags(source) == ["use of ._getframe", "use of grade_task"]
