"""exercise.toml: the schema rejects unknown keys and wrong types, and says where."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from rnnkit.exercise import MetadataError, load_meta, parse_meta
from rnnkit.kit import Kit, KitError

GOOD = tomllib.loads('''
format = 1
id = "q021_lstm_step_forward"
title = "t"
library = "numpy"
difficulty = 1
hints = ["h"]
[bank]
number = 21
question = "q"
answer = "a"
[[tasks]]
id = 1
name = "n"
points = 2
''')


def test_good_metadata_loads():
    meta = parse_meta(GOOD, "x")
    assert meta.max_points == 2 and meta.short_id == "q021" and meta.task(1).name == "n"


@pytest.mark.parametrize("change,message", [
    ({"colour": "red"}, "unknown key"),
    ({"format": 2}, "format 2 is not supported"),
    ({"id": "lstm"}, "must look like"),
    ({"library": "jax"}, "library must be one of"),
    ({"difficulty": 4}, "difficulty must be"),
    ({"difficulty": True}, "expected int"),
    ({"hints": "one"}, "expected list"),
    ({"tasks": []}, "at least one task"),
    ({"tasks": [{"id": 2, "name": "n", "points": 1}]}, "task ids must be 1, 2"),
    ({"tasks": [{"id": 1, "name": "n", "points": 0}]}, "points must be positive"),
    ({"tasks": [{"id": 1, "name": "n", "points": 1, "weight": 3}]}, "unknown key"),
    ({"bank": {"number": 21, "question": "q"}}, "missing key"),
])
def test_bad_metadata_is_rejected_with_a_clear_message(change, message):
    with pytest.raises(MetadataError, match=message):
        parse_meta({**GOOD, **change}, "exercises/x/exercise.toml")


def test_id_must_match_folder(tmp_path: Path):
    folder = tmp_path / "q022_other"
    folder.mkdir()
    (folder / "exercise.toml").write_text((Path(__file__).parent.parent / "exercises" / "01_cells" /
                                           "q021_lstm_step_forward" / "exercise.toml").read_text())
    with pytest.raises(MetadataError, match="differs from its folder name"):
        load_meta(folder / "exercise.toml")


def test_every_exercise_of_the_kit_loads(kit: Kit):
    assert kit.exercises, "the kit has exercises"
    for exercise in kit.exercises:
        assert exercise.meta.id == exercise.dir.name


def test_find_accepts_short_and_full_ids(kit: Kit):
    assert kit.find("q021").id == "q021_lstm_step_forward"
    assert kit.find("q021_lstm_step_forward").id == "q021_lstm_step_forward"
    assert kit.find("21").id == "q021_lstm_step_forward"
    assert kit.find("Q21").id == kit.find(" q0021 ").id == "q021_lstm_step_forward"
    with pytest.raises(KitError, match="rnnkit list"):
        kit.find("q999")


def test_an_unknown_id_gets_suggestions(kit: Kit):
    with pytest.raises(KitError, match="did you mean q004_lstm_step_backward or q021_lstm_step_forward[?]"):
        kit.find("lstm_step")
    with pytest.raises(KitError, match="did you mean q021_lstm_step_forward "):
        kit.find("q021_lstm_step_forwrd")
    with pytest.raises(KitError) as info:
        kit.find("zzz")
    assert "did you mean" not in str(info.value)
