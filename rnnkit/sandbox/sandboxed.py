"""The submission in a sandbox child forked from the warm parent (``client.py``), restarted when it
dies; every call is bounded by the call timeout and by the exercise's time budget."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from rnnkit.errors import (
    SubmissionCrashed,
    SubmissionForbidden,
    SubmissionMissing,
    SubmissionProblem,
    SubmissionTimeout,
)
from rnnkit.sandbox.arena import Arena
from rnnkit.sandbox.client import ChildGone, ChildProcess, ChildTimeout, Zygote, ZygoteError
from rnnkit.sandbox.files import open_regular
from rnnkit.sandbox.submission import Submission, SubmissionSpec


class SandboxedSubmission(Submission):
    """The submission in a sandbox child forked from the warm parent; restarted when it dies."""

    def __init__(self, spec: SubmissionSpec, zygote: Zygote, static_violation: str | None = None,
                 below: Path | None = None) -> None:
        """``below``: the submission's root folder (no link is followed below it)."""
        super().__init__(spec, static_violation)
        self.zygote = zygote
        self.below = below
        self.child: ChildProcess | None = None
        self._timed_out: set[str] = set()  # what already ran out of time (see _raw)
        self._spent_s = 0.0  # wall time of every request so far (the budget)
        self._budget_gone = False  # a call was stopped at the budget: the clock may read a hair under it

    def _ensure_child(self) -> ChildProcess:
        self._raise_load_error()
        if self.child is not None and self.child.alive:
            return self.child
        if self.spec.file is None or not (self.spec.file.is_file() or self.spec.file.is_symlink()):
            self._fail_load(SubmissionMissing(f"no file {self.spec.exercise_id}.py in the submission"))
        settings = {"file": self.spec.file.name, "module_name": self.spec.exercise_id,
                    "forbidden_ops": sorted(self.spec.forbidden_ops), "default_dtype": self.spec.default_dtype}
        try:
            fd = open_regular(self.spec.file, self.below)  # links are refused, never followed
        except SubmissionForbidden as exc:
            self._fail_load(exc)
        try:
            child = self.zygote.spawn({self.spec.file.name: fd}, settings)
        except ZygoteError as exc:
            raise SubmissionCrashed(f"could not start the sandbox: {exc}") from exc
        finally:
            os.close(fd)
        self.generation += 1
        self.child, self.isolation, self.child_uid = child, child.isolation, child.uid
        try:
            self._loaded(self._raw(child, {"op": "load"}, self.spec.load_timeout_s, "import"))
        except SubmissionProblem as exc:
            self._fail_load(exc)
        return child

    def _ensure_loaded_names(self) -> None:
        if self._budget_spent():
            return  # no new process: the request itself is refused, under the name of the call made
        self._ensure_child()

    def _raw(self, child: ChildProcess, message: dict[str, Any], timeout: float, label: str) -> dict[str, Any]:
        if label in self._timed_out:
            # One time-out per function: a hanging submission costs its timeout once, not per test.
            raise SubmissionTimeout(f"{label} did not finish within {timeout:g} s (earlier call; not called again)")
        self._check_budget(label)
        budget, left = self.spec.budget_s, self.spec.budget_s - self._spent_s
        started = time.monotonic()
        try:
            reply = child.request(message, min(timeout, left), self._resolve)
        except ChildTimeout:
            if left < timeout:
                self._budget_gone = True
                raise SubmissionTimeout(f"{label} was stopped: this exercise used up its {budget:g} s "
                                        f"time budget") from None
            self._timed_out.add(label)
            raise SubmissionTimeout(f"{label} did not finish within {timeout:g} s") from None
        except ChildGone as exc:
            if child.out_of_memory():
                raise SubmissionCrashed(f"{label} ran out of memory (the sandbox allows "
                                        f"{child.memory_limit_gib:g} GiB)") from None
            raise SubmissionCrashed(f"{label}: {exc}") from None
        finally:
            self._spent_s += time.monotonic() - started
        if message["op"] == "load":
            if "forbidden" in reply:
                raise SubmissionForbidden(f"importing the file used {reply['forbidden']}, which this exercise forbids")
            if "raised" in reply:
                raise self._import_failed(reply)
        return reply

    def _budget_spent(self) -> bool:
        return self._budget_gone or self._spent_s >= self.spec.budget_s

    def _check_budget(self, label: str) -> None:
        if self._budget_spent():
            raise SubmissionTimeout(f"{label} was not called: this exercise used up its "
                                    f"{self.spec.budget_s:g} s time budget")

    def _request(self, message: dict[str, Any], timeout: float) -> dict[str, Any]:
        target = message.get("target")
        owner = getattr(target, "name", None) or getattr(target, "cls", None) or str(message.get("name", ""))
        label = f"{owner}.{message['method']}" if message.get("method") else str(owner or message["op"])
        self._check_budget(label)  # before a restart: a spent budget starts no new process
        child = self._ensure_child()
        return self._raw(child, message, timeout, label)

    def _arena(self) -> Arena | None:
        if self._budget_spent():
            return None  # no new process: the request itself is refused
        try:
            return self._ensure_child().arena
        except SubmissionProblem:
            return None  # the request itself will raise it again

    def take_output(self) -> str:
        return self.child.drain.take() if self.child is not None else ""

    def close(self) -> None:
        if self.child is not None:
            self.child.close()
            self.child = None


