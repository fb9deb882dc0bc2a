"""Run exercise tests (hidden graders or public tests) through pytest and return Results.

    grade(kit, exercises, submission=PATH)   hidden tests of the kit against a submission
    run_public(kit, exercises)                public tests against the kit's own exercise files

Both run pytest in this process with the rnnkit plugin; the submission itself only ever runs in
sandbox children (unless ``sandbox=False``, the trusted local mode for a student's own code).
"""

from __future__ import annotations

import os
import sys
import tempfile
import types
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from rnnkit.kit import Exercise, Kit
from rnnkit.results import Results

GRADING_INI = Path(__file__).resolve().parent / "data" / "grading.ini"


class GradingError(RuntimeError):
    """The graders themselves could not run (a broken installation, not a bad submission)."""


@dataclass
class RunOptions:
    seed: int | None = None
    call_timeout_s: float = 10.0
    exercise_budget_s: float = 120.0  # all calls of one exercise together
    sandbox: bool = True
    namespaces: bool = True
    label: str | None = None
    show_student_messages: bool = False
    progress: Any = None  # an object with start(total), advance(nodeid, outcome), stop()
    # Trusted local mode only: exercise id -> an already loaded module (a notebook's namespace).
    modules: dict[str, types.ModuleType] = field(default_factory=dict)
    plugins: list[Any] = field(default_factory=list)  # more pytest plugin objects (benchmarks, tests)


class LoadedModules:
    """A pytest plugin object handing already loaded modules to rnnkit.plugin (trusted mode)."""

    __name__ = "rnnkit-loaded-modules"  # the name pytest registers it under

    def __init__(self, modules: dict[str, types.ModuleType]) -> None:
        self.modules = modules


class _Progress:
    """A pytest plugin object that forwards test completions and collects collection errors."""

    def __init__(self, sink: Any) -> None:
        self.sink = sink
        self.collect_errors: list[str] = []
        self.usage_error: str | None = None

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            text = str(report.longrepr).strip().splitlines()
            self.collect_errors.append(f"{report.nodeid}: {text[-1] if text else 'collection failed'}")

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        if self.sink is not None:
            self.sink.start(len(session.items))

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if self.sink is not None and (report.when == "call" or (report.when == "setup" and not report.passed)):
            self.sink.advance(report.nodeid, report.outcome)


def _forget_modules(files: list[Path]) -> None:
    """pytest reuses an already imported test module of the same name: forget ours between runs
    (several kits, or an edited grader, in one process)."""
    names = {p.name for p in files}
    for name, module in list(sys.modules.items()):  # thousands with torch: plain string work only
        file = getattr(module, "__file__", None)
        if isinstance(file, str) and os.path.basename(file) in names:
            del sys.modules[name]


def _run(kit: Kit, test_files: list[Path], submission: Path | None, options: RunOptions,
         assert_mode: str) -> Results:
    from rnnkit import plugin  # noqa: F401 - a missing dependency (numpy) is raised here, not inside pytest

    _forget_modules(test_files)
    with tempfile.TemporaryDirectory(prefix="rnnkit-run-") as tmp:
        out = Path(tmp) / "results.json"
        args = [str(p) for p in test_files] + [
            "-c", str(GRADING_INI), "--rootdir", str(kit.root), "-p", "no:cacheprovider",
            "-p", "no:terminal", "--import-mode=importlib", f"--assert={assert_mode}",
            # pytest's unraisable-exception report collects garbage several times per run: with
            # torch imported that is most of a watch-mode re-run, and no graded run shows it.
            "-p", "no:unraisableexception",
            "--rnnkit-results", str(out), "--rnnkit-timeout", str(options.call_timeout_s),
            "--rnnkit-budget", str(options.exercise_budget_s),
        ]
        if submission is not None:
            args += ["--rnnkit-submission", str(submission)]
        if options.seed is not None:
            args += ["--rnnkit-seed", str(options.seed)]
        if not options.sandbox:
            args.append("--rnnkit-no-sandbox")
        if not options.namespaces:
            args.append("--rnnkit-no-namespaces")
        if options.label:
            args += ["--rnnkit-label", options.label]
        if not options.show_student_messages:
            args.append("--rnnkit-quiet-messages")
        progress = _Progress(options.progress)
        plugins: list[Any] = [progress]
        if options.modules:
            plugins.append(LoadedModules(options.modules))
        plugins += options.plugins
        try:
            code = pytest.main(args, plugins=plugins)
        finally:
            if options.progress is not None:
                options.progress.stop()
        if progress.collect_errors:
            raise GradingError("the graders could not be loaded:\n  " + "\n  ".join(progress.collect_errors))
        if code in (pytest.ExitCode.USAGE_ERROR, pytest.ExitCode.INTERNAL_ERROR) or not out.is_file():
            raise GradingError(f"pytest stopped with {pytest.ExitCode(code).name}; run it with -v to see why")
        return Results.read(out)


def grade(kit: Kit, exercises: list[Exercise], submission: Path, options: RunOptions | None = None) -> Results:
    """Grade ``submission`` (a folder laid out like exercises/) with the hidden tests."""
    if not kit.has_graders:
        raise GradingError(f"{kit.root} has no autograder/ and solutions/: grading needs the instructor's kit")
    missing = [e.id for e in exercises if not e.hidden_test_path.is_file()]
    if missing:
        raise GradingError(f"no hidden grader for {', '.join(missing)}")
    if not submission.is_dir():
        raise GradingError(f"{submission} is not a folder (expected a copy of exercises/)")
    return _run(kit, [e.hidden_test_path for e in exercises], submission, options or RunOptions(), "plain")


def run_public(kit: Kit, exercises: list[Exercise], options: RunOptions | None = None,
               submission: Path | None = None) -> Results:
    """Run the public tests of these exercises against the kit's own exercise files (or against
    ``submission``, a folder laid out like exercises/)."""
    opts = options or RunOptions(show_student_messages=True)
    return _run(kit, [e.public_test_path for e in exercises], submission, opts, "rewrite")
