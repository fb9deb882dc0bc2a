"""Trusted local mode: the submission runs in this process (a student debugging their own code),
through the same wire round trip and arena as the sandbox, so values and verdicts are the same."""

from __future__ import annotations

import os
import types
from pathlib import Path
from typing import Any

from rnnkit import wire
from rnnkit.errors import SubmissionForbidden, SubmissionMissing
from rnnkit.sandbox.arena import Arena
from rnnkit.sandbox.executor import Executor
from rnnkit.sandbox.files import open_regular
from rnnkit.sandbox.submission import Submission, SubmissionSpec


class LocalSubmission(Submission):
    """The submission in this process (for a student with a debugger)."""

    def __init__(self, spec: SubmissionSpec, static_violation: str | None = None,
                 module: types.ModuleType | None = None, below: Path | None = None) -> None:
        """``module``: an already loaded module to test (a notebook's namespace) instead of the file;
        ``below``: the submission's root folder (no link is followed below it)."""
        super().__init__(spec, static_violation)
        self.isolation = ["none (trusted local mode)"]
        self.arena = Arena.create()
        self.below = below
        self.executor: Executor | None = None
        if module is not None:
            self.executor = Executor(Path(f"{spec.exercise_id}.py"), spec.executor_settings(), module=module,
                                     arena=self.arena)
            self.defined = frozenset(n for n in vars(module) if not n.startswith("_"))

    def _arena(self) -> Arena:
        return self.arena

    def _ensure_loaded(self) -> Executor:
        self._raise_load_error()
        if self.executor is not None:
            return self.executor
        if self.spec.file is None or not (self.spec.file.is_file() or self.spec.file.is_symlink()):
            self._fail_load(SubmissionMissing(f"no file {self.spec.exercise_id}.py in the submission"))
        try:
            os.close(open_regular(self.spec.file, self.below))
        except SubmissionForbidden as exc:
            self._fail_load(exc)
        executor = Executor(self.spec.file.absolute(), self.spec.executor_settings(), arena=self.arena)
        reply = executor.load()
        self.generation += 1
        if "forbidden" in reply:
            self._fail_load(SubmissionForbidden(
                f"importing the file used {reply['forbidden']}, which this exercise forbids"))
        if "raised" in reply:
            self._fail_load(self._import_failed(reply))
        self._loaded(reply)
        self.executor = executor
        return executor

    def _ensure_loaded_names(self) -> None:
        self._ensure_loaded()

    def _request(self, message: dict[str, Any], timeout: float) -> dict[str, Any]:
        executor = self._ensure_loaded()
        request = wire.decode(wire.encode(message), resolve=executor.resolve, arena=self.arena)
        reply = executor.handle(request)
        try:
            frame = wire.encode(reply, on_unknown=executor.keep)
        except wire.WireError as exc:
            frame = wire.encode({"raised": "TypeError", "msg": f"returned a value that cannot be graded ({exc})",
                                 "where": ""})
        return wire.decode(frame, resolve=self._resolve, limits=wire.REPLY_LIMITS)  # type: ignore[no-any-return]

    def close(self) -> None:
        self.executor = None
        self.arena.close()
