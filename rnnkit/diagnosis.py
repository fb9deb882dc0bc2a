"""Which known mistake a failed task's values come from, as a pytest plugin object (issue 11).

rnnkit.plugin registers a ``Diagnoser`` (as "rnnkit-diagnosis"). Around every exercise test it
records what the test asks of ``impl`` and what comes back (``rnnkit.trace``). When the test
fails, it runs the same test function again, here in the grader, once per known mistake of the
exercise (``rnnkit.mistakes``): ``impl`` is the mistake (the reference with a mutant's patches,
run in this process), ``ref`` the same reference, ``rng`` a copy of the test's generator as it
was before the test (same seed, same stream), and torch's, numpy's and Python's global generators
as they were. The submission's child is never called again.

A mistake matches a test when it makes the same requests and gets the same replies as the
submission did, within the kit's tightest tolerances (``rnnkit.trace``: what the test hands back
to the code, a cache say, is the code's own business and is not compared; nor are the values of
what a mistake draws at random, an object's initial parameters), and fails the test with the
same exception class. A task is diagnosed when every one of its tests that failed was
examined and exactly one mistake matched them all: its message then ends with "your result
matches a known mistake: <the mutant's why>", and its results carry ``diagnosis``. In public
tests (``rnnkit check``) a mistake whose sentence may not be shown (``show_students = false``)
still counts for "exactly one" but is never named.

Cost: recording, for a test that passes; for one that fails, one run per candidate mistake
(later tests of a task only try the survivors), stopped at the first request or reply that
differs; none where the code raised NotImplementedError (a stub's function: a known mistake is
a whole variant of the reference, unless one of them raises it too). An exercise's diagnoses share ``BUDGET_S`` of grader time; past it, plain messages.
"""

from __future__ import annotations

import copy
import random
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pytest
import torch

from rnnkit.errors import SubmissionProblem
from rnnkit.exercise import ExerciseMeta
from rnnkit.fair import ValuesOnly
from rnnkit.mistakes import Twins, known_mistakes
from rnnkit.results import MAX_MESSAGE_CHARS, Diagnosis, ExerciseResult, clip
from rnnkit.sandbox.submission import Submission
from rnnkit.trace import Diverged, Trace, same_trace, value_differences

PLUGIN_NAME = "rnnkit-diagnosis"
PREFIX = "your result matches a known mistake: "
BUDGET_S = 60.0  # grader time for one exercise's diagnoses
RESEED = 0x5EED  # the second run of a mistake that builds objects: another torch seed
UNDIAGNOSABLE = ("timeout", "crashed", "missing")  # statuses whose values say nothing


class Context(Protocol):
    """What the diagnosis needs of rnnkit.plugin's ExerciseContext."""

    @property
    def meta(self) -> ExerciseMeta: ...
    @property
    def kit_root(self) -> Path: ...
    @property
    def hidden(self) -> bool: ...
    @property
    def solution_path(self) -> Path: ...


@dataclass
class TaskEvidence:
    hidden: bool
    candidates: set[str] | None = None  # mistakes that matched every failed test so far
    blocked: bool = False  # a failed test that could not be examined: no diagnosis


@dataclass
class Before:
    """The generators as they were when a test started."""

    rng: np.random.Generator | None
    states: tuple[Any, ...] = field(default_factory=lambda: (
        torch.get_rng_state(), np.random.get_state(), random.getstate()))

    def restore(self) -> None:
        torch.set_rng_state(self.states[0])
        np.random.set_state(self.states[1])
        random.setstate(self.states[2])


def _submission(impl: Any) -> Any:
    """The Submission behind a test's impl (a module's ``ValuesOnly(impl)`` fixture wraps it)."""
    return impl.checked if isinstance(impl, ValuesOnly) else impl


@dataclass
class Failure:
    """A failed exercise test, kept from its call to its teardown."""

    item: pytest.Function
    ctx: Context
    impl: Submission
    evidence: TaskEvidence
    trace: Trace
    before: Before
    after: Before
    exc: BaseException


def diagnosable(exc: BaseException) -> bool:
    if isinstance(exc, (KeyboardInterrupt, SystemExit, pytest.skip.Exception, pytest.exit.Exception)):
        return False
    return not (isinstance(exc, SubmissionProblem) and exc.status in UNDIAGNOSABLE)


def isolated(seed: int | None) -> Callable[[int, Callable[[], Any]], Any]:
    """Run a mistake's request on copies of the global generators (the test's own draws stay as
    in the real run); with ``seed``, on freshly seeded ones."""
    def run(index: int, request: Callable[[], Any]) -> Any:
        state = np.random.get_state()
        with torch.random.fork_rng(devices=[]):
            if seed is not None:
                torch.manual_seed(seed + index)
                np.random.seed(seed + index)
            try:
                return request()
            finally:
                np.random.set_state(state)
    return run


class Diagnoser:
    def __init__(self, context_of: Callable[[pytest.Item], Context | None],
                 task_of: Callable[[pytest.Item], int | None], budget_s: float = BUDGET_S) -> None:
        self.context_of, self.task_of, self.budget_s = context_of, task_of, budget_s
        self.evidence: dict[tuple[str, int], TaskEvidence] = {}
        self.mistakes: dict[str, Twins] = {}
        self.spent: dict[str, float] = {}
        self.pending: Failure | None = None

    # -- hooks ----------------------------------------------------------------------------
    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_call(self, item: pytest.Item) -> Iterator[None]:
        ctx, task = self.context_of(item), self.task_of(item)
        impl = _submission(getattr(item, "funcargs", {}).get("impl"))
        if ctx is None or task is None or not isinstance(impl, Submission) or not isinstance(item, pytest.Function):
            return (yield)
        evidence = self.evidence.setdefault((ctx.meta.id, task), TaskEvidence(ctx.hidden))
        rng = item.funcargs.get("rng")
        before = Before(copy.deepcopy(rng) if isinstance(rng, np.random.Generator) else None)
        trace = Trace()
        impl.observer = trace
        try:
            return (yield)
        except BaseException as exc:
            # Examined at teardown (fixtures still there), so the test's duration is its own.
            self.pending = Failure(item, ctx, impl, evidence, trace, before, Before(None), exc)
            raise
        finally:
            impl.observer = None

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_teardown(self, item: pytest.Item, nextitem: pytest.Item | None) -> None:
        failure, self.pending = self.pending, None
        if failure is not None and failure.item is item:
            self._failed(failure)
        ctx = self.context_of(item)
        following = self.context_of(nextitem) if nextitem is not None else None
        if ctx is not None and ctx.meta.id in self.mistakes and (following is None or following.meta.id != ctx.meta.id):
            self.mistakes[ctx.meta.id].close()  # the exercise's last test: its mistakes' arenas and files go

    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[Any]) -> None:
        ctx, task = self.context_of(item), self.task_of(item)
        if ctx is not None and task is not None and call.when != "call" and call.excinfo is not None:
            self.evidence.setdefault((ctx.meta.id, task), TaskEvidence(ctx.hidden)).blocked = True

    def pytest_sessionfinish(self) -> None:
        for twins in self.mistakes.values():
            twins.close()

    # -- the verdict ----------------------------------------------------------------------
    def diagnosis(self, exercise_id: str, task: int) -> Diagnosis | None:
        evidence = self.evidence.get((exercise_id, task))
        if evidence is None or evidence.blocked or evidence.candidates is None or len(evidence.candidates) != 1:
            return None
        mistake = self.mistakes[exercise_id].mistakes[next(iter(evidence.candidates))]
        if not evidence.hidden and not mistake.shown:
            return None
        return Diagnosis(mistake.name, mistake.why, mistake.shown)

    # -- examining a failed test -------------------------------------------------------------
    def _failed(self, failure: Failure) -> None:
        item, ctx, evidence, trace, before, exc = (failure.item, failure.ctx, failure.evidence, failure.trace,
                                                   failure.before, failure.exc)
        if evidence.blocked or evidence.candidates == set():
            return
        if not diagnosable(exc):
            evidence.blocked = True
            return
        twins = self._twins(ctx, failure.impl)
        if not twins.names:
            evidence.blocked = True
            return
        if trace.unimplemented and not twins.raise_not_implemented:
            evidence.candidates = set()  # a stub's function: no known mistake leaves one unwritten
            return
        started = time.perf_counter()
        try:
            names = twins.names if evidence.candidates is None else sorted(evidence.candidates)
            matched = set()
            for name in names:
                if self.spent.get(ctx.meta.id, 0.0) + time.perf_counter() - started > self.budget_s:
                    evidence.blocked = True
                    return
                if self._matches(item, twins, name, trace, before, type(exc).__name__):
                    matched.add(name)
            evidence.candidates = matched
        except Exception:  # noqa: BLE001 - a diagnosis must never change a grade
            evidence.blocked = True
        finally:
            failure.after.restore()  # the generators as the real run left them, for the tests that follow
            self.spent[ctx.meta.id] = self.spent.get(ctx.meta.id, 0.0) + time.perf_counter() - started

    def _twins(self, ctx: Context, impl: Submission) -> Twins:
        if ctx.meta.id not in self.mistakes:
            module = ctx.solution_path.parent.name
            mutants = ctx.kit_root / "autograder" / module / f"{ctx.meta.id}.mutants.toml"
            self.mistakes[ctx.meta.id] = Twins(impl.spec, known_mistakes(ctx.solution_path, mutants))
        return self.mistakes[ctx.meta.id]

    def _matches(self, item: pytest.Function, twins: Twins, name: str, trace: Trace, before: Before,
                 failure: str) -> bool:
        """Whether the mistake ``name`` fails this test the way the submission did."""
        runs: list[Trace] = []
        # Objects built by the code may draw random initial values: two runs under different
        # seeds say which reply values are random (compared by kind only, rnnkit.trace).
        for seed in (None, RESEED) if trace.handles else (None,):
            run = Trace(follow=None if trace.handles else trace, wrap=isolated(seed))
            if self._run_test(item, twins, name, run, before) != failure:
                return False
            runs.append(run)
        random = (value_differences(runs[0], runs[1]) or set()) if len(runs) == 2 else set()
        return same_trace(trace, runs[0], random)

    def _run_test(self, item: pytest.Function, twins: Twins, name: str, run: Trace, before: Before) -> str | None:
        """The test function once more with the mistake as ``impl``: the class of the exception it
        fails with (None when it passes or leaves the submission's trace)."""
        twin = twins.get(name)
        args = {arg: item.funcargs[arg] for arg in item._fixtureinfo.argnames}
        # the mistake in the submission's place, wrapped as the test's own impl fixture wrapped it
        args["impl"] = ValuesOnly(twin) if isinstance(item.funcargs.get("impl"), ValuesOnly) else twin
        if before.rng is not None and "rng" in args:
            args["rng"] = copy.deepcopy(before.rng)
        before.restore()
        twin.observer = run
        try:
            with twins.module_slot(), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                item.obj(**args)
        except Diverged:
            return None
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as exc:  # noqa: BLE001 - a test fails with anything
            return type(exc).__name__
        finally:
            twin.observer = None
        return None


def diagnosis_of(config: pytest.Config, exercise_id: str, task: int, status: str) -> Diagnosis | None:
    """The task's diagnosis, for rnnkit.plugin's results (never on a passed task)."""
    diagnoser = config.pluginmanager.get_plugin(PLUGIN_NAME)
    if status == "passed" or not isinstance(diagnoser, Diagnoser):
        return None
    return diagnoser.diagnosis(exercise_id, task)


def with_diagnosis(message: str, diagnosis: Diagnosis | None) -> str:
    """The task's message, ending with the mistake's own sentence when it may be shown."""
    if diagnosis is None or not diagnosis.shown:
        return message
    suffix = PREFIX + diagnosis.why
    head = clip(message, max(40, MAX_MESSAGE_CHARS - len(suffix) - 2))
    return clip(f"{head}; {suffix}" if head else suffix[0].upper() + suffix[1:], MAX_MESSAGE_CHARS)


def self_diagnosis(result: ExerciseResult, mutant: str) -> str:
    """For ``rnnkit dev check -v``: whether a mutant graded as a submission is diagnosed as itself."""
    own = [t.task for t in result.tasks if t.diagnosis is not None and t.diagnosis.mutant == mutant]
    other = sorted({f"{t.diagnosis.mutant} on task {t.task}" for t in result.tasks
                    if t.diagnosis is not None and t.diagnosis.mutant != mutant})
    text = f"diagnosed as itself on task(s) {own}" if own else "not diagnosed as itself"
    return text + (f" (but as {', '.join(other)})" if other else "")


class Evidence:
    """A pytest plugin object for benchmarks and tests (``RunOptions.plugins``): keeps what the
    diagnosis saw per (exercise, task); ``enabled=False`` grades without diagnosing."""

    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled
        self.tasks: dict[tuple[str, int], TaskEvidence] = {}

    @pytest.hookimpl(trylast=True)
    def pytest_configure(self, config: pytest.Config) -> None:
        if not self.enabled and config.pluginmanager.has_plugin(PLUGIN_NAME):
            config.pluginmanager.unregister(name=PLUGIN_NAME)

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        diagnoser = session.config.pluginmanager.get_plugin(PLUGIN_NAME)
        if isinstance(diagnoser, Diagnoser):
            self.tasks.update(diagnoser.evidence)

    def why_not(self, exercise_id: str, mutant: str, failed: list[int]) -> str:
        """Why the mutant ``mutant``, graded as a submission, was not diagnosed as itself."""
        reasons = []
        for task in failed:
            seen = self.tasks.get((exercise_id, task))
            if seen is None or seen.blocked:
                reasons.append(f"task {task}: a failed test could not be examined")
            elif seen.candidates is not None and mutant in seen.candidates:
                others = ", ".join(sorted(seen.candidates - {mutant}))
                reasons.append(f"task {task}: cannot be told apart from {others}")
            else:
                reasons.append(f"task {task}: does not match itself")
        return "; ".join(reasons)
