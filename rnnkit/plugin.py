"""The grader as a pytest plugin (entry point ``pytest11``; its parts are in ``rnnkit.grading``).

A test module belongs to an exercise by its name: ``test_<id>_hidden.py`` (hidden grader, in
``autograder/``) or ``test_<id>.py`` next to the exercise's ``exercise.toml`` (public tests).
Its tests get these fixtures:

    impl   the submission's module: a sandbox proxy (default) or, with --rnnkit-no-sandbox, the
           module run in this process; both behave the same (see rnnkit.sandbox.submission)
    ref    the reference solution, imported here in the grader (hidden tests only)
    rng    a numpy Generator seeded from the run's secret seed and the test's id

and a marker ``@pytest.mark.task(N)``: the task of exercise.toml the test counts for. A task
passes when all its tests pass. Results (rnnkit.results schema) are written with --rnnkit-results.
Modules that are not exercise tests are left alone.
"""

from __future__ import annotations

import pytest

from rnnkit.grading.context import (
    ExerciseContext,
    context_of,
    exercise_of,
    parameter_names,
    task_of,
    zygote_flavor,
)
from rnnkit.grading.fixtures import impl, ref, rng
from rnnkit.grading.hooks import (
    pytest_collection_modifyitems,
    pytest_report_header,
    pytest_runtest_makereport,
    pytest_runtest_teardown,
    pytest_sessionfinish,
)
from rnnkit.grading.session import STASH, GradingSession, TestOutcome

try:  # known mistakes behind failures; the student edition has no mutants, and no diagnosis
    from rnnkit.diagnosis import PLUGIN_NAME as DIAGNOSIS_PLUGIN
    from rnnkit.diagnosis import Diagnoser
except ModuleNotFoundError as exc:
    if (exc.name or "").split(".")[0] != "rnnkit":
        raise
    Diagnoser = None  # type: ignore[assignment,misc]

__all__ = [
    "STASH", "ExerciseContext", "GradingSession", "TestOutcome", "exercise_of", "impl", "parameter_names",
    "pytest_addoption", "pytest_collection_modifyitems", "pytest_configure", "pytest_report_header",
    "pytest_runtest_makereport", "pytest_runtest_teardown", "pytest_sessionfinish", "ref", "rng",
    "zygote_flavor",
]


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("rnnkit", "rnnkit grading")
    group.addoption("--rnnkit-submission", metavar="PATH",
                    help="grade the submission at PATH (laid out like exercises/) instead of the kit's own files")
    group.addoption("--rnnkit-no-sandbox", action="store_true",
                    help="trusted local mode: run the submission in this process (for debugging your own code)")
    group.addoption("--rnnkit-results", metavar="FILE", help="write the results JSON here")
    group.addoption("--rnnkit-seed", type=int, help="replay a run's seed (recorded in its results)")
    group.addoption("--rnnkit-timeout", type=float, default=10.0, help="seconds per call into the submission")
    group.addoption("--rnnkit-budget", type=float, default=120.0,
                    help="seconds for all calls of one exercise together (sandbox only)")
    group.addoption("--rnnkit-no-namespaces", action="store_true",
                    help="do not use Linux namespaces in the sandbox (fallback isolation)")
    group.addoption("--rnnkit-label", help="the submission's name in the results")
    group.addoption("--rnnkit-quiet-messages", action="store_true",
                    help="leave the submission's own exception messages out of the results")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "task(n): the exercise task (exercise.toml [[tasks]] id) a test counts for")
    config.stash[STASH] = GradingSession(config)
    if Diagnoser is not None:
        config.pluginmanager.register(Diagnoser(context_of, task_of), DIAGNOSIS_PLUGIN)  # known mistakes behind failures
    if not config.pluginmanager.hasplugin("terminal"):
        # Graded runs (rnnkit.grader) show no pytest output: pytest still formats a traceback for
        # every failure, and its default style re-parses source for each frame (half of a stub's
        # grading time). Messages come from the exception itself, so the cheap style loses nothing.
        config.option.tbstyle = "native"
        # The terminal plugin owns the options pytest's debugger support reads when a student's
        # breakpoint() opens pdb (`rnnkit check --no-sandbox`): give them their defaults.
        for name, default in (("color", "auto"), ("code_highlight", "yes")):
            if not hasattr(config.option, name):
                setattr(config.option, name, default)
