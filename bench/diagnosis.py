"""Failure diagnosis (issue 11): the share of mutants diagnosed as themselves, and its cost.

    .venv/bin/python bench/diagnosis.py [--module 01] [--repeat 3] [--seed 2026]

1. Every mutant of the module graded as a student's file, in rounds (the k-th mutant of every
   exercise in one sandboxed run, as ``rnnkit dev check`` does): is it diagnosed as itself on at
   least one failed task, and if not, why (rnnkit.diagnosis.Evidence.why_not).
2. ``rnnkit grade``'s grading time without and with diagnosis, same seed, median of --repeat:
   one mutant per exercise (every exercise fails some tasks), the stubs (every task fails and no
   mistake matches) and the reference (every task passes: only the recording costs).

Prints markdown tables (copy them into bench/README.md).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from rnnkit.devtools import stub_for  # noqa: E402
from rnnkit.diagnosis import Evidence  # noqa: E402
from rnnkit.grader import RunOptions, grade  # noqa: E402
from rnnkit.kit import Exercise, Kit  # noqa: E402
from rnnkit.mutants import load_mutants  # noqa: E402
from rnnkit.results import Results  # noqa: E402
from rnnkit.stubgen import strip_markers  # noqa: E402


def write_tree(root: Path, files: dict[Exercise, str]) -> Path:
    for exercise, text in files.items():
        target = root / exercise.module / exercise.id / f"{exercise.id}.py"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    return root


def share(kit: Kit, exercises: list[Exercise], seed: int, tmp: Path) -> tuple[list[str], list[str]]:
    mutants = {e: load_mutants(e.mutants_path) for e in exercises}
    per_exercise: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    misses: list[str] = []
    for k in range(max(len(m) for m in mutants.values())):
        batch = {e: m[k].apply(e.solution_path.read_text(encoding="utf-8")) for e, m in mutants.items() if k < len(m)}
        evidence = Evidence()
        results = grade(kit, list(batch), write_tree(tmp / f"round{k}", batch), RunOptions(seed=seed, plugins=[evidence]))
        for e in batch:
            name, ex = mutants[e][k].name, results.exercises[e.id]
            failed = [t.task for t in ex.tasks if t.status != "passed"]
            own = [t.task for t in ex.tasks if t.diagnosis is not None and t.diagnosis.mutant == name]
            wrong = [f"{t.diagnosis.mutant} (task {t.task})" for t in ex.tasks
                     if t.diagnosis is not None and t.diagnosis.mutant != name]
            assert not any(t.diagnosis for t in ex.tasks if t.status == "passed"), (e.id, name)
            per_exercise[e.id][1] += 1
            per_exercise[e.id][0] += bool(own)
            if not own or wrong:
                why = evidence.why_not(e.id, name, failed) if not own else ""
                misses.append(f"| {e.meta.short_id} | {name} | {failed} | {', '.join(wrong) or '-'} | {why} |")
    rows = [f"| {ex_id} | {n} | {own} | {100 * own / n:.0f}% |" for ex_id, (own, n) in per_exercise.items()]
    own_total, n_total = (sum(v[i] for v in per_exercise.values()) for i in (0, 1))
    rows.append(f"| **all** | {n_total} | {own_total} | {100 * own_total / n_total:.1f}% |")
    return rows, misses


def timed(kit: Kit, exercises: list[Exercise], tree: Path, seed: int, enabled: bool, repeat: int) -> tuple[float, Results]:
    walls, results = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        results = grade(kit, exercises, tree, RunOptions(seed=seed, plugins=[Evidence(enabled)]))
        walls.append(time.perf_counter() - started)
    assert results is not None
    return statistics.median(walls), results


def cost(kit: Kit, exercises: list[Exercise], seed: int, repeat: int, tmp: Path) -> list[str]:
    subjects = {
        "one mutant per exercise (the demo's `mutants`)": {
            e: load_mutants(e.mutants_path)[i % len(load_mutants(e.mutants_path))].apply(
                e.solution_path.read_text(encoding="utf-8")) for i, e in enumerate(exercises)},
        "the stubs (every task fails, no mistake matches)": {e: stub_for(e) for e in exercises},
        "the reference (every task passes)": {e: strip_markers(e.solution_path.read_text(encoding="utf-8"))
                                              for e in exercises},
    }
    rows = []
    for label, files in subjects.items():
        tree = write_tree(tmp / label.split()[1], files)
        plain, _ = timed(kit, exercises, tree, seed, False, repeat)
        diagnosed, results = timed(kit, exercises, tree, seed, True, repeat)
        failed = sum(t.status != "passed" for ex in results.exercises.values() for t in ex.tasks)
        found = sum(t.diagnosis is not None for ex in results.exercises.values() for t in ex.tasks)
        rows.append(f"| {label} | {failed} | {found} | {plain:.1f} s | {diagnosed:.1f} s | "
                    f"+{diagnosed - plain:.1f} s ({100 * (diagnosed - plain) / plain:+.0f}%) |")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--module", default="01")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--skip-cost", action="store_true")
    parser.add_argument("--skip-share", action="store_true")
    args = parser.parse_args()
    kit = Kit(REPO)
    exercises = kit.select(module=args.module)
    with tempfile.TemporaryDirectory(prefix="rnnkit-bench-diagnosis-") as tmp:
        if not args.skip_share:
            rows, misses = share(kit, exercises, args.seed, Path(tmp))
            print("| exercise | mutants | diagnosed as themselves | share |\n|---|---|---|---|")
            print("\n".join(rows))
            print("\n| exercise | mutant | failed tasks | diagnosed as another | why not as itself |\n"
                  "|---|---|---|---|---|")
            print("\n".join(misses) or "| - | - | - | - | - |")
        if not args.skip_cost:
            print(f"\n| `rnnkit grade`, module {args.module} ({len(exercises)} exercises), median of {args.repeat} | "
                  "failed tasks | diagnosed | without diagnosis | with | extra |\n|---|---|---|---|---|---|")
            print("\n".join(cost(kit, exercises, args.seed, args.repeat, Path(tmp))))


if __name__ == "__main__":
    main()
