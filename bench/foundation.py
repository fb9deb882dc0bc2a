"""Benchmark of the foundation: sandbox child start cost, `rnnkit grade` and `rnnkit check` walls.

    .venv/bin/python bench/foundation.py [--children 30]

Prints a markdown table (paste it into bench/README.md with the date and the machine).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from rnnkit.demo import build_submissions  # noqa: E402
from rnnkit.kit import Kit  # noqa: E402
from rnnkit.sandbox.client import Zygote  # noqa: E402
from rnnkit.sandbox.sandboxed import SandboxedSubmission  # noqa: E402
from rnnkit.sandbox.submission import SubmissionSpec  # noqa: E402

BIN = Path(sys.executable).parent


def child_start_costs(count: int, namespaces: bool, flavor: str = "torch",
                      calls: int = 300) -> tuple[float, list[float], list[float]]:
    """(warm parent ready seconds, per-child seconds for spawn + import + one call, per-call seconds
    of a call with six small arrays, the size of an LSTM step's arguments)."""
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "q900_bench.py"
        source.write_text("import numpy as np\n\n\ndef ping(x):\n    return x\n\n\n"
                          "def step(x, h, c, Wx, Wh, b):\n    return np.tanh(x @ Wx + h @ Wh + b)\n")
        started = time.perf_counter()
        zygote = Zygote(namespaces=namespaces, flavor=flavor)
        zygote.wait_ready()
        ready = time.perf_counter() - started
        costs = []
        for _ in range(count):
            t0 = time.perf_counter()
            sub = SandboxedSubmission(SubmissionSpec("q900_bench", source), zygote)
            assert sub.ping(1) == 1
            costs.append(time.perf_counter() - t0)
            sub.close()
        sub = SandboxedSubmission(SubmissionSpec("q900_bench", source), zygote)
        rng = np.random.default_rng(0)
        args = [rng.standard_normal(shape) for shape in ((4, 8), (4, 16), (4, 16), (8, 64), (16, 64), (64,))]
        per_call = []
        for _ in range(calls):
            t0 = time.perf_counter()
            sub.step(*args)
            per_call.append(time.perf_counter() - t0)
        sub.close()
        zygote.close()
    return ready, costs, per_call


def wall(args: list[str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(args, cwd=REPO, check=False, capture_output=True)
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--children", type=int, default=30)
    args = parser.parse_args()
    kit = Kit(REPO)
    rows = []
    for namespaces, flavor in ((True, "torch"), (True, "numpy"), (False, "torch")):
        ready, costs, per_call = child_start_costs(args.children, namespaces, flavor)
        label = ("namespaces + private root" if namespaces else "fallback (no namespaces)") + f", {flavor} parent"
        rows.append((f"warm parent ready, {label}", f"{ready:.2f} s"))
        rows.append((f"child start + import + first call, {label} (median of {len(costs)})",
                     f"{1000 * statistics.median(costs):.1f} ms (min {1000 * min(costs):.1f}, max {1000 * max(costs):.1f})"))
        rows.append((f"one call with six small arrays, {label} (median of {len(per_call)})",
                     f"{1000 * statistics.median(per_call):.2f} ms"))
    with tempfile.TemporaryDirectory() as tmp:
        folders = build_submissions(kit, kit.select(module="01"), Path(tmp))
        grade_wall = wall([str(BIN / "rnnkit"), "grade", str(folders["reference"]), "--module", "01"])
        rows.append((f"`rnnkit grade` of the reference, module 01 ({len(kit.select(module='01'))} exercises)",
                     f"{grade_wall:.1f} s"))
        for kind in ("stubs", "mutants"):
            rows.append((f"`rnnkit grade` of the {kind}, module 01",
                         f"{wall([str(BIN / 'rnnkit'), 'grade', str(folders[kind]), '--module', '01']):.1f} s"))
        empty = Path(tmp) / "empty"
        empty.mkdir()
        rows.append(("`rnnkit grade` of an empty submission (every file missing), module 01",
                     f"{wall([str(BIN / 'rnnkit'), 'grade', str(empty), '--module', '01']):.1f} s"))
    rows.append(("`rnnkit check q021` (public tests, stub)", f"{wall([str(BIN / 'rnnkit'), 'check', 'q021']):.1f} s"))
    print("| what | wall |\n|---|---|")
    for what, value in rows:
        print(f"| {what} | {value} |")


if __name__ == "__main__":
    main()
