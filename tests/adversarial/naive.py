"""The baseline: a naive same-process pytest grader, as many courses run one.

It imports the submission into the grading process and checks it with ``np.allclose`` on random
inputs (the expected value computed before the call), one pytest process per submission, a
wall-clock limit from outside, and points read from pytest's JUnit report. Nothing else: no
sandbox, no value-only protocol, no link checks. ``tests/adversarial`` grades the same cases with
it to show what rnnkit's design buys.
"""

from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

NAIVE_TESTS = '''
import importlib.util, sys
import numpy as np

spec = importlib.util.spec_from_file_location("submission", sys.argv[-1] if False else {path!r})
submission = importlib.util.module_from_spec(spec)
spec.loader.exec_module(submission)
rng = np.random.default_rng(7)


def test_add():
    a, b = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    expected = a + b
    assert np.allclose(submission.add(a, b), expected)


def test_scale():
    a, k = rng.standard_normal((2, 5)), float(rng.standard_normal())
    expected = a * k
    assert np.allclose(submission.scale(a, k), expected)
'''
POINTS = {"test_add": 1, "test_scale": 2}


@dataclass(frozen=True)
class NaiveResult:
    points: int | None  # None: no report (the grading run itself was broken or timed out)
    note: str


def naive_grade(submission: Path, work: Path, timeout_s: float = 30.0) -> NaiveResult:
    work.mkdir(parents=True, exist_ok=True)
    test_file = work / "test_naive.py"
    test_file.write_text(NAIVE_TESTS.format(path=str(submission)))
    report = work / "report.xml"
    try:
        subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:rnnkit",
                        str(test_file), f"--junitxml={report}"], cwd=work, capture_output=True,
                       timeout=timeout_s, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return NaiveResult(None, "the grading run hung (killed from outside)")
    if not report.is_file():
        return NaiveResult(None, "no report: the grading process died")
    points = 0
    for case in ET.parse(report).getroot().iter("testcase"):
        if not list(case):  # no failure, error or skipped child: passed
            points += POINTS.get(case.get("name", ""), 0)
    return NaiveResult(points, "graded")
