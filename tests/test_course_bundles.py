"""Every module's assignment bundle through the real nbgrader pipeline: `rnnkit course build`
(source notebooks + stock `nbgrader generate_assignment`), then `rnnkit course autograde` of a
student who handed in the reference solutions and one who handed in the untouched stubs."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from rnnkit.course.assignments import load_assignment
from rnnkit.course.autograde import autograde
from rnnkit.course.build import build_assignment
from rnnkit.course.coursedir import init_course
from rnnkit.course.samples import place_submission
from rnnkit.kit import Kit

ON_TIME = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize("name", ["ps02", "ps03", "ps04", "ps05"])
def test_a_module_bundle_builds_and_grades_its_reference_and_stub_notebooks(kit: Kit, tmp_path: Path,
                                                                             name: str) -> None:
    bundle = load_assignment(kit, name)
    module = name.removeprefix("ps")
    assert [e.id for e in bundle.exercises(kit)] == [e.id for e in kit.select(module=module)]
    course = init_course(tmp_path / "course", "dl101", kit, exchange=tmp_path / "exchange")
    _, written = build_assignment(course, name)
    exercises = bundle.exercises(kit)
    assert sorted(p.name for p in (course.root / "release" / name).glob("*.ipynb")) == sorted(
        f"{e.id}.ipynb" for e in exercises)
    assert len(written) == len(exercises)
    place_submission(course, name, exercises, "reference", "correct", ON_TIME)
    place_submission(course, name, exercises, "stubs", "stub", ON_TIME)
    outcomes = {o.student: o for o in autograde(course, name)}
    max_points = sum(e.meta.max_points for e in exercises)
    assert outcomes["reference"].graded and outcomes["reference"].points == max_points, outcomes["reference"]
    assert outcomes["stubs"].graded and outcomes["stubs"].points == 0, outcomes["stubs"]
    assert outcomes["reference"].problems == [] and outcomes["reference"].flags == []
