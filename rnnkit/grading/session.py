"""The grading session of one pytest run: a submission per exercise (sandboxed or trusted local),
the outcome of every test per task, and the results (rnnkit.results schema) at the end."""

from __future__ import annotations

import datetime as dt
import platform
import secrets
import time
import types
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest

from rnnkit import __version__
from rnnkit.grading.context import ExerciseContext, parameter_names, zygote_flavor
from rnnkit.grading.scan import static_scan
from rnnkit.guards import ANY_TORCH
from rnnkit.kit import submission_file
from rnnkit.results import (
    MAX_MESSAGE_CHARS,
    MAX_STDOUT_CHARS,
    STATUS_PRIORITY,
    Diagnosis,
    ExerciseResult,
    Results,
    TaskResult,
    clip,
)
from rnnkit.sandbox.client import shared_zygote
from rnnkit.sandbox.local import LocalSubmission
from rnnkit.sandbox.sandboxed import SandboxedSubmission
from rnnkit.sandbox.submission import Submission, SubmissionSpec

try:  # the student edition has no mutants, and no diagnosis of known mistakes
    from rnnkit.diagnosis import diagnosis_of, with_diagnosis
except ModuleNotFoundError as exc:
    if (exc.name or "").split(".")[0] != "rnnkit":
        raise

    def diagnosis_of(config: pytest.Config, exercise_id: str, task: int, status: str) -> Diagnosis | None:
        return None

    def with_diagnosis(message: str, diagnosis: Diagnosis | None) -> str:
        return message


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
    # Public tests only: what each task's tests check, in words (the task's name in the results)
    checks: dict[str, dict[int, list[str]]] = field(default_factory=dict)
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

    @property
    def namespaces(self) -> bool:
        return not self.config.getoption("rnnkit_no_namespaces", False)

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
        static = static_scan(ctx.meta, file, self.submission_root(), self.flags.setdefault(exercise_id, []))
        sub: Submission
        if self.sandboxed:
            zygote = shared_zygote(namespaces=self.namespaces, flavor=zygote_flavor(ctx.meta))
            sub = SandboxedSubmission(spec, zygote, static_violation=static, below=self.submission_root())
        else:
            loaded = getattr(self.config.pluginmanager.get_plugin("rnnkit-loaded-modules"), "modules", {})
            sub = LocalSubmission(spec, static_violation=static, module=loaded.get(exercise_id),
                                  below=self.submission_root())
        self.submissions[exercise_id] = sub
        return sub

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

    def _task_result(self, ctx: ExerciseContext, task_id: int, name: str, points: int) -> TaskResult:
        if not ctx.hidden:  # public tests: the task is what they checked, never the hidden grader's name
            name = "; ".join(self.checks.get(ctx.meta.id, {}).get(task_id, [])) or "no public test"
        found = self.outcomes.get(ctx.meta.id, {}).get(task_id, [])
        if not found:
            return TaskResult(task_id, name, "error", 0, points, "no grader test ran for this task")
        status = min((o.status for o in found), key=STATUS_PRIORITY.index)
        message = next((o.message for o in found if o.status == status), "")
        stdout = "".join(o.stdout for o in found)
        diagnosis = diagnosis_of(self.config, ctx.meta.id, task_id, status)  # rnnkit.diagnosis
        return TaskResult(task_id, name, status, points if status == "passed" else 0, points,
                          clip(with_diagnosis(message, diagnosis), MAX_MESSAGE_CHARS), clip(stdout, MAX_STDOUT_CHARS),
                          round(sum(o.duration_s for o in found), 4), diagnosis)

    def results(self) -> Results:
        exercises: dict[str, ExerciseResult] = {}
        for exercise_id, ctx in sorted(self.contexts.items()):
            tasks = [self._task_result(ctx, task.id, task.name, task.points) for task in ctx.meta.tasks]
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


STASH = pytest.StashKey[GradingSession]()


def session_of(config: pytest.Config) -> GradingSession:
    return config.stash[STASH]


def _versions() -> dict[str, str]:
    import torch

    return {"rnnkit": __version__, "python": platform.python_version(), "numpy": np.__version__,
            "torch": torch.__version__, "pytest": pytest.__version__}
