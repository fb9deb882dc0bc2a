"""Hostile text through the real ``rnnkit grade`` command: printed escaped, results file written."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from minikit import make_minikit, write_submission

from rnnkit.results import validate

HERE = Path(__file__).resolve().parent


def test_rnnkit_grade_prints_hostile_names_escaped_and_writes_results(rnnkit_cli: Path, tmp_path: Path) -> None:
    kit_root = make_minikit(tmp_path / "kit", 1)
    submission = write_submission(tmp_path / "sub", {1: (HERE / "cases" / "hostile_text.py").read_text()})
    out = tmp_path / "results.json"
    env = {**os.environ, "RNNKIT_KIT": str(kit_root), "COLUMNS": "200", "FORCE_COLOR": "1"}
    graded = subprocess.run([str(rnnkit_cli), "grade", str(submission), "--out", str(out)], env=env,
                            capture_output=True, timeout=300)
    assert graded.returncode == 0, graded.stdout + graded.stderr
    validate(json.loads(out.read_text(encoding="utf-8")))
    printed = graded.stdout.decode("utf-8")  # valid UTF-8: no lone surrogate got through
    message = json.loads(out.read_text())["exercises"]["q001_calc"]["tasks"][0]["message"]
    assert "[bold red]Boom[/][/]" in message  # the record keeps the text as data
    assert "[bold red]Boom[/][/]" in printed.replace("\n", "")  # shown literally, not as markup
    assert "\\x1b[2J" in printed.replace("\n", "") and "\x1b[2J" not in printed  # escapes made visible
    assert "\x1b]0;" not in printed and "\u202e" not in printed and "\x07" not in printed
    assert "Traceback" not in graded.stderr.decode("utf-8", "replace")
