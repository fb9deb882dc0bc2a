"""``rnnkit watch``: edit, save, see the result at once.

One process stays up: its sandbox's warm parent has imported torch once, so each run only forks a
child. The exercise files are polled (their size and modification time, every ``interval``
seconds: no extra dependency, and it works on every file system). When a file changes, that
exercise's public tests run and the screen is redrawn with a compact status: the exercise, the
first task that fails with its message, and the progress bars. When the exercise being worked on
passes, watch moves on to the next unsolved one. Keys (on a terminal): ``h`` the next hint, ``n``
skip to the next unsolved exercise, ``r`` run again, ``q`` quit.
"""

from __future__ import annotations

import contextlib
import os
import select
import sys
import termios
import time
import tty
from collections.abc import Iterator
from dataclasses import dataclass

from rich.console import Console
from rich.text import Text

from rnnkit.grader import GradingError, RunOptions, run_public
from rnnkit.kit import Exercise, Kit
from rnnkit.progress import Progress
from rnnkit.results import ExerciseResult
from rnnkit.safetext import terminal
from rnnkit.student import bar, next_unsolved, syntax_problem

MESSAGE_LINES = 8


@dataclass
class Outcome:
    exercise: Exercise
    result: ExerciseResult | None  # None: the file does not compile
    problem: str | None
    seconds: float

    @property
    def passed(self) -> bool:
        return self.result is not None and all(t.status == "passed" for t in self.result.tasks)


def snapshot(kit: Kit) -> dict[str, tuple[int, int]]:
    """(modification time, size) of every exercise file, by exercise id."""
    seen: dict[str, tuple[int, int]] = {}
    for exercise in kit.exercises:
        with contextlib.suppress(OSError):
            st = exercise.stub_path.stat()
            seen[exercise.id] = (st.st_mtime_ns, st.st_size)
    return seen


def run(kit: Kit, exercise: Exercise, timeout: float = 10.0) -> Outcome:
    """The public tests of one exercise, in the sandbox; the result is recorded as progress."""
    start = time.perf_counter()
    problem = syntax_problem(exercise.stub_path, str(exercise.stub_path.relative_to(kit.root)))
    if problem:
        return Outcome(exercise, None, problem, time.perf_counter() - start)
    options = RunOptions(call_timeout_s=timeout, show_student_messages=True)
    try:
        result = run_public(kit, [exercise], options).exercises[exercise.id]
    except GradingError as exc:  # the tests themselves could not run (or Ctrl-C stopped them)
        return Outcome(exercise, None, f"the public tests could not run: {exc}", time.perf_counter() - start)
    progress = Progress.load(kit)
    progress.record_check(exercise, result)
    progress.save()
    return Outcome(exercise, result, None, time.perf_counter() - start)


def status_lines(kit: Kit, outcome: Outcome, banner: str | None = None, extra: list[Text] | None = None) -> list[Text]:
    """The compact status: what a student needs after a save, and nothing more."""
    meta = outcome.exercise.meta
    rel = outcome.exercise.stub_path.relative_to(kit.root)
    lines = [Text(f"rnnkit watch · {kit.root}", style="dim")]
    if banner:
        lines.append(Text(banner, style="bold green"))
    lines.append(Text(f"{meta.short_id} · {meta.title}", style="bold"))
    lines.append(Text(f"edit {rel}", style="cyan"))
    if outcome.problem:
        lines.append(Text("✗ ", style="red") + terminal(outcome.problem))
    elif outcome.result is not None:
        failing = [t for t in outcome.result.tasks if t.status != "passed"]
        done = len(outcome.result.tasks) - len(failing)
        if not failing:
            lines.append(Text(f"✓ all {done} tasks pass their public tests", style="green"))
        else:
            first = failing[0]
            lines.append(Text(f"✗ task {first.task}: {first.name}: {first.status}", style="red"))
            message = (first.message or "").strip().splitlines()[:MESSAGE_LINES]
            lines.extend(Text("    ") + terminal(line) for line in message)
            lines.append(Text(f"{done}/{len(outcome.result.tasks)} tasks pass", style="dim"))
    lines.extend(extra or [])
    progress = Progress.load(kit)
    solved = sum(progress.status(e).state == "solved" for e in kit.exercises)
    total = len(kit.exercises)
    lines.append(Text(f"progress {bar(solved, total)} {solved}/{total} solved"))
    lines.append(Text(f"checked in {outcome.seconds:.2f} s · h hint · n next · r run again · q quit", style="dim"))
    return lines


@contextlib.contextmanager
def _keys() -> Iterator[int | None]:
    """stdin in cbreak mode (single key presses) when it is a terminal; None otherwise."""
    if not sys.stdin.isatty():
        yield None
        return
    fd = sys.stdin.fileno()
    saved = termios.tcgetattr(fd)
    tty.setcbreak(fd)
    try:
        yield fd
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)


def _key(fd: int | None, timeout: float) -> str:
    if fd is None:
        time.sleep(timeout)
        return ""
    ready, _, _ = select.select([fd], [], [], timeout)
    return os.read(fd, 16).decode(errors="replace")[-1:] if ready else ""


class Watch:
    def __init__(self, kit: Kit, console: Console, timeout: float = 10.0) -> None:
        self.kit, self.console, self.timeout = kit, console, timeout
        self.current: Exercise | None = None
        self.last: Outcome | None = None

    def draw(self, outcome: Outcome, banner: str | None = None, extra: list[Text] | None = None) -> None:
        self.console.clear()
        for line in status_lines(self.kit, outcome, banner, extra):
            self.console.print(line, soft_wrap=True)

    def draw_done(self) -> None:
        self.console.clear()
        self.console.print(Text("✓ every exercise passes its public tests.", style="bold green"))
        self.console.print("`rnnkit list` shows your progress; q quits.")

    def check(self, exercise: Exercise, banner: str | None = None) -> None:
        outcome = run(self.kit, exercise, self.timeout)
        self.last = outcome
        if outcome.passed and self.current is not None and exercise.id == self.current.id:
            upcoming = next_unsolved(self.kit)
            if upcoming is None:
                self.current = None
                self.draw_done()
                return
            self.current = upcoming
            self.check(upcoming, banner=f"✓ {exercise.meta.short_id} passes its public tests: on to "
                                        f"{upcoming.meta.short_id}")
            return
        self.draw(outcome, banner)

    def hint(self) -> None:
        if self.current is None or self.last is None:
            return
        progress = Progress.load(self.kit)
        shown = progress.next_hint(self.current)
        progress.save()
        hints = self.current.meta.hints
        extra = [Text(f"hint {n} of {len(hints)}: ", style="yellow") + Text(h)
                 for n, h in enumerate(hints[:shown], start=1)]
        self.draw(self.last, extra=extra or [Text("this exercise has no hints", style="yellow")])

    def loop(self, start: Exercise | None, interval: float) -> None:
        self.current = start or next_unsolved(self.kit)
        seen = snapshot(self.kit)
        if self.current is None:
            self.draw_done()
        else:
            self.check(self.current)
        with _keys() as fd:
            while True:
                key = _key(fd, interval)
                if key == "q":
                    return
                if key == "h":
                    self.hint()
                elif key in ("n", "r") and self.current is not None:
                    if key == "n":
                        later = [e for e in self.kit.exercises if e.id > self.current.id]
                        progress = Progress.load(self.kit)
                        self.current = next((e for e in later if progress.status(e).state != "solved"),
                                            self.current)
                    self.check(self.current)
                now = snapshot(self.kit)
                changed = [i for i in now if now[i] != seen.get(i)]
                seen = now
                if changed:
                    edited = next(e for e in self.kit.exercises if e.id == changed[-1])
                    if self.current is None or self.current.id not in changed:
                        self.current = edited
                    self.check(edited)


def watch(kit: Kit, start: Exercise | None, console: Console, interval: float = 0.05, timeout: float = 10.0) -> None:
    """Watch the kit's exercise files until ``q`` (or Ctrl-C)."""
    if any(e.meta.library == "torch" for e in kit.exercises):
        import torch  # noqa: F401 - imported once here, before the first save, not during it
    with contextlib.suppress(KeyboardInterrupt):
        Watch(kit, console, timeout).loop(start, interval)
    console.print("watch stopped")
