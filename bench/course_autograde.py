"""Benchmark: stock `nbgrader autograde` against `rnnkit course autograde`, same class, one go.

    .venv/bin/python bench/course_autograde.py [--assignment ps01] [--students 20] [--loops]

Builds a fresh course in a temporary folder, places N submissions of the assignment (cycling
through the sample kinds: correct, partial, deleted test cell, corrupt notebook; with --loops also
infinite loops), then times both commands as a user runs them (wall clock of the whole command)
and checks that they agree on the well-formed submissions. Prints a markdown table.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from rnnkit.course.build import build_assignment  # noqa: E402
from rnnkit.course.coursedir import init_course, nbgrader_env, run_nbgrader, venv_bin  # noqa: E402
from rnnkit.course.samples import place_submission  # noqa: E402
from rnnkit.kit import Kit  # noqa: E402

WELL_FORMED = ("correct", "partial")


def timed(args: list[str], cwd: Path) -> float:
    started = time.perf_counter()
    subprocess.run(args, cwd=cwd, env=nbgrader_env(), capture_output=True, check=False)
    return time.perf_counter() - started


def scores(path: Path) -> dict[str, float]:
    with path.open() as fh:
        return {row["student_id"]: float(row["score"]) for row in csv.DictReader(fh)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--assignment", default="ps01")
    parser.add_argument("--students", type=int, default=20)
    parser.add_argument("--loops", action="store_true", help="also students whose code loops forever")
    args = parser.parse_args()
    kinds = ["correct", "partial", "deleted_test", "corrupt"] + (["infinite_loop"] if args.loops else [])
    kit = Kit(REPO)
    with tempfile.TemporaryDirectory(prefix="rnnkit-bench-") as tmp:
        course = init_course(Path(tmp) / "course", "bench", kit, cell_timeout=30, call_timeout_s=10.0)
        bundle, notebooks = build_assignment(course, args.assignment)
        exercises = bundle.exercises(kit)
        placed = {}
        for i in range(args.students):
            kind = kinds[i % len(kinds)]
            student = f"s{i:03d}-{kind.replace('_', '-')}"
            place_submission(course, args.assignment, exercises, student, kind, dt.datetime(2026, 10, 1), index=i)
            placed[student] = kind
        stock_s = timed([str(venv_bin() / "nbgrader"), "autograde", args.assignment, "--force"], course.root)
        run_nbgrader(course, ["export", "--to", str(course.root / "stock.csv")])
        fast_s = timed([str(venv_bin() / "rnnkit"), "course", "autograde", args.assignment,
                        "--course", str(course.root)], course.root)
        run_nbgrader(course, ["export", "--to", str(course.root / "fast.csv")])
        stock, fast = scores(course.root / "stock.csv"), scores(course.root / "fast.csv")
        agree = all(stock[s] == fast[s] for s, kind in placed.items() if kind in WELL_FORMED)
    total_nb = args.students * len(notebooks)
    print(f"| assignment {args.assignment}: {args.students} submissions x {len(notebooks)} notebooks "
          f"({total_nb} notebooks), kinds {', '.join(kinds)} | wall |")
    print("|---|---|")
    print(f"| stock `nbgrader autograde` | {stock_s:.1f} s ({stock_s / total_nb:.2f} s per notebook) |")
    print(f"| `rnnkit course autograde` | {fast_s:.1f} s ({fast_s / total_nb:.2f} s per notebook) |")
    print(f"| ratio | {stock_s / fast_s:.1f}x |")
    print(f"| scores agree on the well-formed submissions ({', '.join(WELL_FORMED)}) | {agree} |")


if __name__ == "__main__":
    main()
