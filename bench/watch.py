"""Benchmark of `rnnkit watch`: from a save to the new status on screen, module-01 exercises.

    .venv/bin/python bench/watch.py [--saves 20]

Builds a student kit of module 01 in a temporary folder, starts `rnnkit watch` in a real
pseudo-terminal, and for each exercise saves its file `--saves` times (the stub with one or two
more comment lines: a failing save, so watch stays on the exercise) and measures the wall time
from the write to the end of the redrawn status (its last line, "q quit"). The watcher looks at the files every
0.05 s, which is part of what is measured. Also prints the size of the kit. Prints markdown tables
(paste them into bench/README.md with the date and the machine).
"""

from __future__ import annotations

import argparse
import os
import select
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from rnnkit.kit import Kit  # noqa: E402
from rnnkit.studentkit import build_student_kit  # noqa: E402

CLI = Path(sys.executable).parent / "rnnkit"
FOOTER = b"q quit"


def read_until(fd: int, marker: bytes, timeout: float = 120.0) -> float:
    """Read the terminal until ``marker`` shows; returns the time it showed."""
    seen = b""
    deadline = time.monotonic() + timeout
    while marker not in seen:
        ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            raise TimeoutError(f"{marker!r} not shown: {seen[-500:]!r}")
        seen += os.read(fd, 65536)
    return time.monotonic()


def kit_size(folder: Path) -> tuple[int, int, int]:
    files = [p for p in folder.rglob("*") if p.is_file()]
    tool = [p for p in files if "tool" in p.relative_to(folder).parts]
    return len(files), sum(p.stat().st_size for p in files), sum(p.stat().st_size for p in tool)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--saves", type=int, default=20, help="saves per exercise")
    parser.add_argument("--exercises", default="q021,q005,q047", help="module-01 exercises to save")
    args = parser.parse_args()
    kit = Kit(REPO)
    with tempfile.TemporaryDirectory(prefix="rnnkit-bench-watch-") as tmp:
        everything = build_student_kit(kit, list(kit.exercises), Path(tmp) / "all").folder
        module01 = build_student_kit(kit, kit.select(module="01"), Path(tmp) / "kit").folder
        print("| kit | files | size | of which the rnnkit package (tool/) |\n|---|---|---|---|")
        for name, folder in (("module 01 (11 exercises)", module01), (f"every module ({len(kit.exercises)})", everything)):
            count, size, tool = kit_size(folder)
            print(f"| {name} | {count} | {size / 1024:.0f} KiB | {tool / 1024:.0f} KiB |")
        print()
        primary, secondary = os.openpty()
        env = {**os.environ, "COLUMNS": "120", "LINES": "40", "TERM": "xterm"}
        env.pop("RNNKIT_KIT", None)
        chosen = kit.select(args.exercises)
        proc = subprocess.Popen([str(CLI), "watch", chosen[0].meta.short_id], stdin=secondary, stdout=secondary,
                                stderr=secondary, cwd=module01, env=env, start_new_session=True)
        os.close(secondary)
        try:
            started = time.monotonic()
            read_until(primary, FOOTER)
            print(f"first screen (warm parent, torch imported, first run): {time.monotonic() - started:.2f} s\n")
            print("| exercise | saves | median | p90 | min | max |\n|---|---|---|---|---|---|")
            for exercise in chosen:
                target = module01 / "exercises" / exercise.module / exercise.id / f"{exercise.id}.py"
                stub = exercise.stub_path.read_text(encoding="utf-8")
                walls = []
                for n in range(args.saves):
                    # never a passing save: watch would move on to the next exercise
                    text = stub + f"\n# save {n}\n" * (1 + n % 2)
                    written = time.monotonic()
                    target.write_text(text, encoding="utf-8")
                    walls.append(read_until(primary, FOOTER) - written)
                walls.sort()
                p90 = walls[int(0.9 * (len(walls) - 1))]
                print(f"| {exercise.id} | {len(walls)} | {statistics.median(walls) * 1000:.0f} ms | "
                      f"{p90 * 1000:.0f} ms | {walls[0] * 1000:.0f} ms | {walls[-1] * 1000:.0f} ms |")
            os.write(primary, b"q")
            proc.wait(15)
        finally:
            if proc.poll() is None:
                proc.kill()
            os.close(primary)
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
