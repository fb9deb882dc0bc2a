"""The known mistakes of one exercise as code the grader runs itself (for rnnkit.diagnosis).

Each mutant of ``autograder/NN_module/qNNN_slug.mutants.toml``, applied to the reference solution,
is trusted code: it is written to a private temporary folder and called through a
``LocalSubmission`` in the grader's process (the same wire round trip, arena, guards and options
as a sandbox child, so the same values and verdicts as if a student had submitted that file). It
never runs in, or next to, a submission's child.
"""

from __future__ import annotations

import dataclasses
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from rnnkit.mutants import MutantError, load_mutants
from rnnkit.sandbox.local import LocalSubmission
from rnnkit.sandbox.submission import SubmissionSpec


@dataclass(frozen=True)
class KnownMistake:
    name: str
    why: str
    shown: bool  # may the sentence be shown to students (mutants.toml show_students)
    source: str  # the runnable mutated solution


def known_mistakes(solution: Path, mutants_file: Path) -> list[KnownMistake]:
    """The exercise's mutants as runnable sources; [] where the kit has no solution or mutants
    (a student's copy of the kit) or they do not load (``rnnkit dev check`` reports that)."""
    try:
        text = solution.read_text(encoding="utf-8")
        mutants = load_mutants(mutants_file)
    except (OSError, MutantError):
        return []
    found = []
    for mutant in mutants:
        try:
            found.append(KnownMistake(mutant.name, mutant.why, mutant.show_students, mutant.apply(text)))
        except MutantError:
            continue
    return found


class Twins:
    """One exercise's known mistakes as submissions in this process, each loaded on first use."""

    def __init__(self, spec: SubmissionSpec, mistakes: list[KnownMistake]) -> None:
        self.spec = spec
        self.mistakes = {m.name: m for m in mistakes}
        self._folder: tempfile.TemporaryDirectory[str] | None = None
        self._loaded: dict[str, LocalSubmission] = {}

    @property
    def names(self) -> list[str]:
        return list(self.mistakes)

    @property
    def raise_not_implemented(self) -> bool:
        """Whether any of them can raise NotImplementedError itself (else a stub matches none)."""
        return any("NotImplementedError" in m.source for m in self.mistakes.values())

    def get(self, name: str) -> LocalSubmission:
        if name not in self._loaded:
            if self._folder is None:
                self._folder = tempfile.TemporaryDirectory(prefix="rnnkit-mistakes-")
            target = Path(self._folder.name) / name / f"{self.spec.exercise_id}.py"
            target.parent.mkdir()
            target.write_text(self.mistakes[name].source, encoding="utf-8")
            spec = dataclasses.replace(self.spec, file=target, show_student_messages=True)
            self._loaded[name] = LocalSubmission(spec)
        return self._loaded[name]

    @contextmanager
    def module_slot(self) -> Iterator[None]:
        """A mistake imports under the submission's module name (as a child does): keep whatever
        this process had there (in trusted local mode, the student's own module)."""
        name = f"rnnkit_submission.{self.spec.exercise_id}"
        before = sys.modules.get(name)
        try:
            yield
        finally:
            if before is not None:
                sys.modules[name] = before
            else:
                sys.modules.pop(name, None)

    def close(self) -> None:
        for sub in self._loaded.values():
            sub.close()
        self._loaded.clear()
        if self._folder is not None:
            self._folder.cleanup()
            self._folder = None
