"""The grader as a pytest plugin (entry point ``pytest11``).

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

import ast
import datetime as dt
import importlib.util
import os
import platform
import secrets
import sys
import time
import types
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from rnnkit import __version__
from rnnkit.diagnosis import PLUGIN_NAME as DIAGNOSIS_PLUGIN
from rnnkit.diagnosis import Diagnoser, diagnosis_of, with_diagnosis
from rnnkit.errors import SubmissionProblem
from rnnkit.exercise import ExerciseMeta, load_meta
from rnnkit.guards import ANY_TORCH, INTROSPECTION_NAMES, scan_source
from rnnkit.kit import submission_file
from rnnkit.policy import check_policy
from rnnkit.results import (
    MAX_MESSAGE_CHARS,
    MAX_STDOUT_CHARS,
    STATUS_PRIORITY,
    ExerciseResult,
    Results,
    TaskResult,
    clip,
)
from rnnkit.sandbox.client import shared_zygote
from rnnkit.sandbox.files import read_regular
from rnnkit.sandbox.local import LocalSubmission
from rnnkit.sandbox.sandboxed import SandboxedSubmission
from rnnkit.sandbox.submission import Submission, SubmissionSpec

STASH = pytest.StashKey["GradingSession"]()


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
    config.pluginmanager.register(Diagnoser(_context, _task), DIAGNOSIS_PLUGIN)  # known mistakes behind failures
    if not config.pluginmanager.hasplugin("terminal"):
        # Graded runs (rnnkit.grader) show no pytest output: pytest still formats a traceback for
        # every failure, and its default style re-parses source for each frame (half of a stub's
        # grading time). Messages come from the exception itself, so the cheap style loses nothing.
        config.option.tbstyle = "native"


# ---------------------------------------------------------------------------------------------
# Which exercise a test module belongs to


@dataclass(frozen=True)
class ExerciseContext:
    meta: ExerciseMeta
    kit_root: Path
    hidden: bool
    default_file: Path  # the exercise's own file in the kit (used without --rnnkit-submission)

    @property
    def solution_path(self) -> Path:
        module = self.default_file.parent.parent.name
        return self.kit_root / "solutions" / module / f"{self.meta.id}.py"


def exercise_of(path: Path) -> ExerciseContext | None:
    name = path.name
    if name.startswith("test_") and name.endswith("_hidden.py"):
        exercise_id = name[len("test_"):-len("_hidden.py")]
        kit_root = path.resolve().parent.parent.parent
        module = path.parent.name
        meta_path = kit_root / "exercises" / module / exercise_id / "exercise.toml"
        if meta_path.is_file():
            return ExerciseContext(load_meta(meta_path), kit_root, True,
                                   meta_path.parent / f"{exercise_id}.py")
    elif name.startswith("test_q") and name.endswith(".py"):
        exercise_id = name[len("test_"):-len(".py")]
        meta_path = path.resolve().parent / "exercise.toml"
        if path.parent.name == exercise_id and meta_path.is_file():
            return ExerciseContext(load_meta(meta_path), meta_path.parent.parent.parent.parent, False,
                                   meta_path.parent / f"{exercise_id}.py")
    return None


# ---------------------------------------------------------------------------------------------
# Session state


@dataclass
class TestOutcome:
    status: str
    message: str
    stdout: str
    duration_s: float


@dataclass
class GradingSession:
    config: pytest.Config
    seed: int = 0
    submissions: dict[str, Submission] = field(default_factory=dict)
    contexts: dict[str, ExerciseContext] = field(default_factory=dict)
    outcomes: dict[str, dict[int, list[TestOutcome]]] = field(default_factory=dict)
    flags: dict[str, list[str]] = field(default_factory=dict)
    isolation: list[str] = field(default_factory=list)
    refs: dict[str, types.ModuleType] = field(default_factory=dict)
    child_uids: set[int] = field(default_factory=set)  # read from the host's /proc, per child
    started: float = field(default_factory=time.time)

    def __post_init__(self) -> None:
        given = self.config.getoption("rnnkit_seed", None)
        self.seed = given if given is not None else secrets.randbits(63)

    @property
    def sandboxed(self) -> bool:
        return not self.config.getoption("rnnkit_no_sandbox", False)

    def submission_root(self) -> Path | None:
        root = self.config.getoption("rnnkit_submission", None)
        return Path(root).resolve() if root else None

    def submission_file(self, ctx: ExerciseContext) -> Path | None:
        root = self.submission_root()
        if root is None:
            return ctx.default_file if ctx.default_file.is_file() else None
        return submission_file(root, ctx.default_file.parent.parent.name, ctx.meta.id)

    def submission(self, ctx: ExerciseContext) -> Submission:
        exercise_id = ctx.meta.id
        if exercise_id in self.submissions:
            return self.submissions[exercise_id]
        file = self.submission_file(ctx)
        forbidden = set(ctx.meta.forbidden_ops)
        if "torch" in ctx.meta.forbidden_imports:
            forbidden.add(ANY_TORCH)
        spec = SubmissionSpec(
            exercise_id=exercise_id, file=file, forbidden_ops=frozenset(forbidden),
            default_dtype="float64" if ctx.meta.library == "torch" else None,
            call_timeout_s=float(self.config.getoption("rnnkit_timeout", 10.0)),
            budget_s=float(self.config.getoption("rnnkit_budget", 120.0)),
            show_student_messages=not self.config.getoption("rnnkit_quiet_messages", False),
            parameters=parameter_names(ctx.default_file),
        )
        static = self._static_scan(ctx, file)
        sub: Submission
        if self.sandboxed:
            zygote = shared_zygote(namespaces=not self.config.getoption("rnnkit_no_namespaces", False),
                                   flavor=zygote_flavor(ctx.meta))
            sub = SandboxedSubmission(spec, zygote, static_violation=static, below=self.submission_root())
        else:
            loaded = getattr(self.config.pluginmanager.get_plugin("rnnkit-loaded-modules"), "modules", {})
            sub = LocalSubmission(spec, static_violation=static, module=loaded.get(exercise_id),
                                  below=self.submission_root())
        self.submissions[exercise_id] = sub
        return sub

    def _static_scan(self, ctx: ExerciseContext, file: Path | None) -> str | None:
        """Flags for a reviewer; an import the exercise forbids (numpy-only) fails every task."""
        if file is None:
            return None
        try:  # never through a link: the file itself or nothing
            source = read_regular(file, self.submission_root()).decode("utf-8", errors="replace")
        except (OSError, SubmissionProblem):
            return None
        imports = frozenset(ctx.meta.forbidden_imports)
        findings = scan_source(source, imports, frozenset(ctx.meta.flagged_names) | INTROSPECTION_NAMES)
        flags = self.flags.setdefault(ctx.meta.id, [])
        found = [f"line {f.line}: {f.text}" for f in findings] + [f.flag() for f in check_policy(source)]
        flags.extend(sorted(set(found), key=lambda flag: (int(flag.split()[1].rstrip(":")), flag)))
        banned = [f for f in findings if f.banned_import]
        if not banned:
            return None
        return (f"{file.name} line {banned[0].line}: {banned[0].text} is not allowed in this exercise "
                f"(allowed: {ctx.meta.library} only)")

    def release(self, exercise_id: str) -> None:
        sub = self.submissions.pop(exercise_id, None)
        if sub is not None:
            for layer in sub.isolation:
                if layer not in self.isolation:
                    self.isolation.append(layer)
            if sub.child_uid is not None:
                self.child_uids.add(sub.child_uid)
            sub.close()

    def record(self, ctx: ExerciseContext, task: int, outcome: TestOutcome) -> None:
        self.contexts[ctx.meta.id] = ctx
        self.outcomes.setdefault(ctx.meta.id, {}).setdefault(task, []).append(outcome)

    def results(self) -> Results:
        exercises: dict[str, ExerciseResult] = {}
        for exercise_id, ctx in sorted(self.contexts.items()):
            tasks = []
            for task in ctx.meta.tasks:
                found = self.outcomes.get(exercise_id, {}).get(task.id, [])
                if not found:
                    tasks.append(TaskResult(task.id, task.name, "error", 0, task.points,
                                            "no grader test ran for this task"))
                    continue
                status = min((o.status for o in found), key=STATUS_PRIORITY.index)
                message = next((o.message for o in found if o.status == status), "")
                stdout = "".join(o.stdout for o in found)
                diagnosis = diagnosis_of(self.config, exercise_id, task.id, status)  # rnnkit.diagnosis
                tasks.append(TaskResult(
                    task.id, task.name, status, task.points if status == "passed" else 0, task.points,
                    clip(with_diagnosis(message, diagnosis), MAX_MESSAGE_CHARS), clip(stdout, MAX_STDOUT_CHARS),
                    round(sum(o.duration_s for o in found), 4), diagnosis))
            exercises[exercise_id] = ExerciseResult(ctx.meta.title, tasks, self.flags.get(exercise_id, []))
        label = self.config.getoption("rnnkit_label", None) or str(self.submission_root() or "kit")
        return Results(
            submission=label, seed=self.seed, isolation=self.isolation or
            (["none (trusted local mode)"] if not self.sandboxed else []),
            versions=_versions(), started_at=dt.datetime.fromtimestamp(self.started, dt.UTC).isoformat(),
            duration_s=time.time() - self.started, exercises=exercises,
            child_uids=sorted(self.child_uids))

    def close(self) -> None:
        for exercise_id in list(self.submissions):
            self.release(exercise_id)


def zygote_flavor(meta: ExerciseMeta) -> str:
    """Numpy-only exercises run in children of a warm parent that never imported torch."""
    return "numpy" if "torch" in meta.forbidden_imports else "torch"


def parameter_names(stub: Path) -> dict[str, tuple[str, ...]]:
    """Each public function's parameter names, read from the exercise's stub (for messages)."""
    try:
        tree = ast.parse(stub.read_text(encoding="utf-8"))
    except (OSError, SyntaxError, ValueError):
        return {}
    return {node.name: tuple(a.arg for a in (*node.args.posonlyargs, *node.args.args))
            for node in tree.body if isinstance(node, ast.FunctionDef)}


def _versions() -> dict[str, str]:
    import torch

    return {"rnnkit": __version__, "python": platform.python_version(), "numpy": np.__version__,
            "torch": torch.__version__, "pytest": pytest.__version__}


def _session(config: pytest.Config) -> GradingSession:
    return config.stash[STASH]


def _context(item: pytest.Item) -> ExerciseContext | None:
    module = getattr(item, "module", None)
    if module is None or not getattr(module, "__file__", None):
        return None
    if not hasattr(module, "__rnnkit_context__"):
        module.__rnnkit_context__ = exercise_of(Path(module.__file__))
    context: ExerciseContext | None = module.__rnnkit_context__
    return context


def _task(item: pytest.Item) -> int | None:
    marker = item.get_closest_marker("task")
    if marker is None or not marker.args or not isinstance(marker.args[0], int):
        return None
    return marker.args[0]


# ---------------------------------------------------------------------------------------------
# Fixtures


@pytest.fixture
def impl(request: pytest.FixtureRequest) -> Submission:
    ctx = _context(request.node)
    if ctx is None:
        raise pytest.UsageError("the impl fixture is for exercise tests (test_<id>.py / test_<id>_hidden.py)")
    return _session(request.config).submission(ctx)


@pytest.fixture
def ref(request: pytest.FixtureRequest) -> types.ModuleType:
    ctx = _context(request.node)
    if ctx is None or not ctx.solution_path.is_file():
        raise pytest.UsageError("the ref fixture needs the kit's solutions/ (hidden tests only)")
    session = _session(request.config)
    if ctx.meta.id not in session.refs:
        name = f"rnnkit_reference.{ctx.meta.id}"
        spec = importlib.util.spec_from_file_location(name, ctx.solution_path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
        session.refs[ctx.meta.id] = module
    return session.refs[ctx.meta.id]


@pytest.fixture
def rng(request: pytest.FixtureRequest) -> np.random.Generator:
    session = _session(request.config)
    stream = zlib.crc32(request.node.nodeid.split("::", 1)[-1].encode())
    return np.random.default_rng(np.random.SeedSequence([session.seed, stream]))


# ---------------------------------------------------------------------------------------------
# Hooks: outcomes per task, release children between exercises, results at the end


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        ctx = _context(item)
        if ctx is None:
            continue
        task = _task(item)
        if task is None or task not in {t.id for t in ctx.meta.tasks}:
            raise pytest.UsageError(f"{item.nodeid}: every exercise test needs @pytest.mark.task(N) with a task "
                                    f"of {ctx.meta.id}/exercise.toml")
        _session(config).contexts[ctx.meta.id] = ctx
    grading = _session(config)
    if grading.contexts and grading.sandboxed:
        # Start the warm parents now: they import torch (or numpy) while the first tests are set up.
        for flavor in sorted({zygote_flavor(ctx.meta) for ctx in grading.contexts.values()}):
            shared_zygote(namespaces=not config.getoption("rnnkit_no_namespaces", False), flavor=flavor)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[Any]) -> Iterator[None]:
    outcome: Any = yield
    report: pytest.TestReport = outcome.get_result()
    ctx = _context(item)
    if ctx is None or not (report.when == "call" or report.failed):
        return
    session = _session(item.config)
    status, message = _classify(report, call)
    sub = session.submissions.get(ctx.meta.id)
    stdout = sub.take_output() if sub is not None else ""
    task = _task(item)
    assert task is not None
    session.record(ctx, task, TestOutcome(status, message, stdout, report.duration))


def _classify(report: pytest.TestReport, call: pytest.CallInfo[Any]) -> tuple[str, str]:
    if report.passed:
        return "passed", ""
    if report.skipped:
        return "error", "the grader skipped this test"
    exc = call.excinfo.value if call.excinfo is not None else None
    if isinstance(exc, SubmissionProblem):
        return exc.status, str(exc)
    if isinstance(exc, AssertionError):
        text = str(exc).strip().splitlines()
        return "failed", text[0] if text else "a check failed"
    name = type(exc).__name__ if exc is not None else "unknown"
    return "error", f"the grader could not check the returned value ({name}); check the return types and shapes"


def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> None:
    ctx = _context(item)
    if ctx is None:
        return
    next_ctx = _context(nextitem) if nextitem is not None else None
    if next_ctx is None or next_ctx.meta.id != ctx.meta.id:
        _session(item.config).release(ctx.meta.id)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    grading = session.config.stash.get(STASH, None)
    if grading is None:
        return
    grading.close()
    target = session.config.getoption("rnnkit_results", None)
    if target and grading.contexts:
        grading.results().write(Path(target))


def pytest_report_header(config: pytest.Config) -> str | None:
    if config.getoption("rnnkit_submission", None) or config.getoption("rnnkit_results", None):
        mode = "sandbox" if _session(config).sandboxed else "trusted local (no sandbox)"
        return f"rnnkit {__version__}: {mode}, seed {_session(config).seed} (pid {os.getpid()})"
    return None
