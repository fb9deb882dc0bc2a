"""`rnnkit watch` in a real pseudo-terminal on a freshly built student kit: the first screen, a
save with a syntax error, a save that solves the exercise (watch moves on), a hint key, quit.
Every wait reads the terminal until the expected text appears (no fixed sleeps)."""

from __future__ import annotations

import os
import re
import select
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from rnnkit.kit import Kit
from rnnkit.studentkit import build_student_kit

REPO = Path(__file__).resolve().parent.parent
CLI = Path(sys.executable).parent / "rnnkit"
Q021 = "q021_lstm_step_forward"
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


class Terminal:
    def __init__(self, fd: int) -> None:
        self.fd, self.seen = fd, ""

    def read_until(self, text: str, timeout: float = 90.0) -> str:
        """Everything shown until ``text`` appears; what follows it is kept for the next wait."""
        deadline = time.monotonic() + timeout
        while text not in self.seen:
            left = deadline - time.monotonic()
            assert left > 0, f"{text!r} not shown; the screen ends with:\n{self.seen[-2000:]}"
            ready, _, _ = select.select([self.fd], [], [], left)
            if ready:
                try:
                    self.seen += ANSI.sub("", os.read(self.fd, 65536).decode(errors="replace"))
                except OSError:  # the child closed the terminal
                    break
        shown, _, self.seen = self.seen.partition(text)
        assert _ == text, f"{text!r} not shown before the terminal closed:\n{shown[-2000:]}"
        return shown + text

    def press(self, key: str) -> None:
        os.write(self.fd, key.encode())


@pytest.fixture
def watching(tmp_path: Path) -> Iterator[tuple[Path, Terminal, subprocess.Popen[bytes]]]:
    kit = Kit(REPO)
    folder = build_student_kit(kit, kit.select("q021,q047"), tmp_path / "kit").folder
    primary, secondary = os.openpty()
    env = {**os.environ, "COLUMNS": "120", "LINES": "40", "TERM": "xterm-256color"}
    env.pop("RNNKIT_KIT", None)
    proc = subprocess.Popen([str(CLI), "watch", "q021"], stdin=secondary, stdout=secondary, stderr=secondary,
                            cwd=folder, env=env, start_new_session=True)
    os.close(secondary)
    try:
        yield folder, Terminal(primary), proc
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(10)
        os.close(primary)


def test_watch_reruns_on_save_and_moves_on(watching: tuple[Path, Terminal, subprocess.Popen[bytes]]) -> None:
    folder, term, proc = watching
    first = term.read_until("q quit")
    assert "q021 · LSTM cell equations (numpy)" in first and "✗ task 1" in first
    assert "not implemented yet" in first and "0/2 solved" in first

    exercise = folder / "exercises" / "01_cells" / Q021 / f"{Q021}.py"
    exercise.write_text(exercise.read_text() + "\ndef oops(:\n")
    broken = term.read_until("q quit")
    assert re.search(r"line \d+: invalid syntax\. Fix that line and save again", broken.replace("\n", "")), broken

    shutil.copyfile(REPO / "solutions" / "01_cells" / f"{Q021}.py", exercise)
    solved = term.read_until("q quit")
    assert "✓ q021 passes its public tests: on to q047" in solved and "1/2 solved" in solved, solved
    assert "q047 · " in solved

    term.press("h")
    assert "hint 1 of" in term.read_until("q quit")
    term.press("q")
    assert "watch stopped" in term.read_until("watch stopped")
    assert proc.wait(15) == 0
    progress = (folder / ".rnnkit" / "progress.json").read_text()
    assert Q021 in progress and '"passed"' in progress
