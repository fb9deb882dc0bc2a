"""The plugin's hooks: every exercise test needs a task; outcomes are recorded per task; a
submission's child is released when the next test belongs to another exercise; the results are
written at the end of the session."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from rnnkit import __version__
from rnnkit.errors import SubmissionProblem
from rnnkit.grading.context import context_of, task_of, what_it_checks, zygote_flavor
from rnnkit.grading.session import STASH, TestOutcome, session_of
from rnnkit.sandbox.client import shared_zygote


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    grading = session_of(config)
    for item in items:
        ctx = context_of(item)
        if ctx is None:
            continue
        task = task_of(item)
        if task is None or task not in {t.id for t in ctx.meta.tasks}:
            raise pytest.UsageError(f"{item.nodeid}: every exercise test needs @pytest.mark.task(N) with a task "
                                    f"of {ctx.meta.id}/exercise.toml")
        grading.contexts[ctx.meta.id] = ctx
        if not ctx.hidden:
            grading.checks.setdefault(ctx.meta.id, {}).setdefault(task, []).append(what_it_checks(item))
    if grading.contexts and grading.sandboxed:
        # Start the warm parents now: they import torch (or numpy) while the first tests are set up.
        for flavor in sorted({zygote_flavor(ctx.meta) for ctx in grading.contexts.values()}):
            shared_zygote(namespaces=grading.namespaces, flavor=flavor)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[Any]) -> Iterator[None]:
    outcome: Any = yield
    report: pytest.TestReport = outcome.get_result()
    ctx = context_of(item)
    if ctx is None or not (report.when == "call" or report.failed):
        return
    session = session_of(item.config)
    status, message = classify(report, call)
    sub = session.submissions.get(ctx.meta.id)
    stdout = sub.take_output() if sub is not None else ""
    task = task_of(item)
    assert task is not None
    session.record(ctx, task, TestOutcome(status, message, stdout, report.duration))


def classify(report: pytest.TestReport, call: pytest.CallInfo[Any]) -> tuple[str, str]:
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
    ctx = context_of(item)
    if ctx is None:
        return
    next_ctx = context_of(nextitem) if nextitem is not None else None
    if next_ctx is None or next_ctx.meta.id != ctx.meta.id:
        session_of(item.config).release(ctx.meta.id)


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
        mode = "sandbox" if session_of(config).sandboxed else "trusted local (no sandbox)"
        return f"rnnkit {__version__}: {mode}, seed {session_of(config).seed} (pid {os.getpid()})"
    return None
