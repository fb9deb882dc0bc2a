"""Authoring tools: ``rnnkit dev build`` (stubs from solutions) and ``rnnkit dev check``.

``check`` proves the kit's invariants, exercise by exercise:
    layout      every file in its place, metadata valid, id and bank number agree
    bank        question and answer equal the bank's text, verbatim
    stub        the committed stub equals the one generated from the solution, and gives away no
                answer: a function it provides finished is one no exercise of the kit asks for
    solution    passes every hidden task
    stub        fails every hidden task, and so do the stub's bodies raising ValueError or TypeError
                (a task that only checks that bad input raises needs a positive control too)
    mutants     at least 3, each failing at least one hidden task
    correct     every equivalent (a patch) and alternative (a whole file, ``--require-alternatives``:
                at least one for difficulty >= 2) passes every hidden task; correct code is not flagged
    seeds       all of the above under several fixed seeds (5 by default): every variant gets the
                same verdict, task by task, under every seed
    public      the public tests pass on the solution and on correct variants, at least one fails
                on the stub; how many mutants they catch alone is printed (information, not a gate)

Every variant of every exercise is graded in ONE grading run per seed (see rnnkit.variantkit).
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path

from rnnkit.bank import BankEntry, load_bank
from rnnkit.grader import GradingError, RunOptions, grade, run_public
from rnnkit.kit import Exercise, Kit
from rnnkit.mutants import MutantError, alternatives_dir, load_alternatives, load_variants
from rnnkit.results import ExerciseResult, Results
from rnnkit.stubgen import BEGIN, StubError, generate_stub, strip_markers
from rnnkit.variantkit import Variant, build_variant_kit, variant_exercises

MIN_MUTANTS = 3
# Exceptions hidden tests expect from bad input: a submission raising one everywhere must still fail.
DEGENERATE_RAISES = ("ValueError", "TypeError")
DEFAULT_SEED_COUNT = 5


def stub_for(exercise: Exercise) -> str:
    rel = exercise.solution_path.relative_to(exercise.kit_root).as_posix()
    return generate_stub(exercise.solution_path.read_text(encoding="utf-8"), rel, exercise.meta.short_id)


def build(kit: Kit, exercises: list[Exercise]) -> list[Path]:
    """Regenerate the stubs of these exercises; returns the files that changed."""
    changed = []
    for exercise in exercises:
        text = stub_for(exercise)
        path = exercise.stub_path
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            changed.append(path)
    return changed


@dataclass
class CheckReport:
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # which tasks catch each mutant (-v)
    summary: list[str] = field(default_factory=list)  # one line per exercise: what was graded
    seeds: tuple[int, ...] = ()
    grading_s: dict[str, float] = field(default_factory=dict)  # "hidden seed 0", "public": wall time

    @property
    def ok(self) -> bool:
        return not self.problems


def check_seeds(count: int = DEFAULT_SEED_COUNT) -> tuple[int, ...]:
    """The fixed seeds dev check grades under (fixed, so that it is deterministic; any of them
    replays with ``rnnkit grade --seed N``)."""
    return tuple(range(count))


def _functions(path: Path) -> list[tuple[str, bool]]:
    """(name, has solution markers) of each top-level function and class of a solution file."""
    try:
        source = path.read_text(encoding="utf-8")
        tree = ast.parse(source)
    except (OSError, SyntaxError):
        return []
    return [(node.name, BEGIN in (ast.get_source_segment(source, node) or ""))
            for node in tree.body if isinstance(node, (ast.FunctionDef, ast.ClassDef))]


def asked_functions(kit: Kit) -> dict[str, list[str]]:
    """Function (or class) name -> the exercises whose students write it (markers in its body)."""
    asked: dict[str, list[str]] = {}
    for exercise in kit.exercises:
        for name, marked in _functions(exercise.solution_path):
            if marked:
                asked.setdefault(name, []).append(exercise.id)
    return asked


def provided_functions(exercise: Exercise) -> list[str]:
    """The public functions an exercise's stub hands over finished (no markers in the solution)."""
    return [name for name, marked in _functions(exercise.solution_path) if not marked and not name.startswith("_")]


def _static_checks(kit: Kit, exercise: Exercise, bank: dict[int, BankEntry], report: CheckReport,
                   require_alternatives: bool) -> bool:
    meta = exercise.meta
    say = report.problems.append
    ok = True
    for label, path in (("stub", exercise.stub_path), ("public tests", exercise.public_test_path),
                        ("solution", exercise.solution_path), ("hidden tests", exercise.hidden_test_path),
                        ("mutants", exercise.mutants_path)):
        if not path.is_file():
            say(f"{meta.id}: missing {label} file {path.relative_to(kit.root)}")
            ok = False
    if int(meta.short_id[1:]) != meta.bank.number:
        say(f"{meta.id}: bank.number {meta.bank.number} does not match the id")
    entry = bank.get(meta.bank.number)
    if entry is None:
        say(f"{meta.id}: question {meta.bank.number} is not in the bank")
    else:
        if entry.question != meta.bank.question:
            say(f"{meta.id}: bank.question differs from the bank's text of Q{meta.bank.number}")
        if entry.answer != meta.bank.answer:
            say(f"{meta.id}: bank.answer differs from the bank's text of Q{meta.bank.number}")
    for required in meta.requires:
        try:
            kit.find(required)
        except LookupError:
            say(f"{meta.id}: requires unknown exercise {required}")
    if require_alternatives and meta.difficulty >= 2 and not load_alternatives(kit.root, exercise.module, meta.id):
        folder = alternatives_dir(kit.root, exercise.module, meta.id).relative_to(kit.root)
        say(f"{meta.id}: difficulty {meta.difficulty} needs at least one alternative in {folder}/ "
            "(a whole solution by someone who never read the reference)")
    if not ok:
        return False
    asked = asked_functions(kit)
    for name in provided_functions(exercise):
        askers = [other for other in asked.get(name, []) if other != meta.id]
        if askers:
            say(f"{meta.id}: the stub provides {name} finished, which other exercises ask students to write "
                f"({', '.join(askers)}); put its body between solution markers (the student writes it) "
                "or leave it out")
    try:
        if exercise.stub_path.read_text(encoding="utf-8") != stub_for(exercise):
            say(f"{meta.id}: the stub is out of date with the solution (run `rnnkit dev build`)")
    except StubError as exc:
        say(str(exc))
        return False
    return True


def _stray_alternatives(kit: Kit, exercises: list[Exercise]) -> list[str]:
    """Alternatives folders that name no exercise of their module."""
    problems = []
    for module in sorted({e.module for e in exercises}):
        folder = kit.root / "autograder" / module / "alternatives"
        known = {e.id for e in kit.exercises if e.module == module}
        if folder.is_dir():
            problems += [f"{module}: alternatives/{p.name} is no exercise of this module"
                         for p in sorted(folder.iterdir()) if p.name not in known]
    return problems


def _variants_of(kit: Kit, e: Exercise, report: CheckReport) -> list[Variant]:
    """Everything dev check grades for one exercise, in order: solution, stub, raising stubs,
    mutants, equivalents, alternatives."""
    solution = e.solution_path.read_text(encoding="utf-8")
    stub = e.stub_path.read_text(encoding="utf-8")
    found = [Variant(e, "solution", "", strip_markers(solution)), Variant(e, "stub", "", stub)]
    found += [Variant(e, "raises", raised, stub.replace("raise NotImplementedError(", f"raise {raised}("))
              for raised in DEGENERATE_RAISES]
    try:
        mutants, equivalents = load_variants(e.mutants_path)
    except MutantError as exc:
        report.problems.append(str(exc))
        mutants, equivalents = [], []
    if len(mutants) < MIN_MUTANTS:
        report.problems.append(f"{e.id}: {len(mutants)} mutants, at least {MIN_MUTANTS} needed")
    where = str(e.solution_path.relative_to(kit.root))
    for kind, patched in (("mutant", mutants), ("equivalent", equivalents)):
        for variant in patched:
            try:
                found.append(Variant(e, kind, variant.name, variant.apply(solution, where)))
            except MutantError as exc:
                report.problems.append(f"{e.id}: {exc}")
    found += [Variant(e, "alternative", name, text) for name, text in load_alternatives(kit.root, e.module, e.id)]
    return found


@dataclass
class _Verdicts:
    """One variant's outcome under each seed: the tasks it failed (id -> status and message)."""

    variant: Variant
    failed: dict[int, dict[int, str]] = field(default_factory=dict)  # seed -> task -> "status: message"
    points: dict[int, float] = field(default_factory=dict)
    flags: list[str] = field(default_factory=list)

    def add(self, seed: int, result: ExerciseResult) -> None:
        self.failed[seed] = {t.task: f"{t.status}: {t.message}" for t in result.tasks if t.status != "passed"}
        self.points[seed] = result.points
        self.flags = result.flags

    def failing_everywhere(self) -> set[int]:
        return set.intersection(*(set(f) for f in self.failed.values())) if self.failed else set()

    def failing_somewhere(self) -> set[int]:
        return set().union(*(set(f) for f in self.failed.values())) if self.failed else set()


def _seeds_text(seeds: list[int]) -> str:
    return f"seed{'s' if len(seeds) > 1 else ''} {', '.join(map(str, seeds))}"


def _judge(v: _Verdicts, max_points: float, report: CheckReport) -> None:
    e, kind, label = v.variant.exercise, v.variant.kind, v.variant.label
    say = report.problems.append
    always, sometimes = v.failing_everywhere(), v.failing_somewhere()
    if always != sometimes:
        by_score: dict[float, list[int]] = {}
        for seed, pts in v.points.items():
            by_score.setdefault(pts, []).append(seed)
        scores = "; ".join(f"{pts:g}/{max_points:g} under {_seeds_text(s)}" for pts, s in sorted(by_score.items()))
        for task in sorted(sometimes - always):
            fails = [s for s, f in v.failed.items() if task in f]
            say(f"{e.id}: {label} gets different verdicts under different seeds ({scores}): task {task} "
                f"fails only under {_seeds_text(fails)}; give the task fixed edge cases that cover the "
                "region where this code goes wrong")
    if kind == "solution":
        for task in sorted(sometimes):
            seed = next(s for s, f in v.failed.items() if task in f)
            say(f"{e.id}: the solution fails task {task} ({v.failed[seed][task]})")
    elif kind in ("stub", "raises"):
        for task in sorted(set(t.id for t in e.meta.tasks) - sometimes):
            say(f"{e.id}: the stub passes task {task}; the task checks nothing" if kind == "stub" else
                f"{e.id}: code that only raises {v.variant.name} passes task {task}; "
                "check that valid input is accepted in the same task")
    elif kind == "mutant":
        if not always:
            say(f"{e.id}: mutant {v.variant.name} passes every hidden task"
                + (f" under {_seeds_text([s for s, f in v.failed.items() if not f])}" if sometimes else ""))
        else:
            report.notes.append(f"{e.id}: mutant {v.variant.name} caught by task(s) {sorted(always)}")
    elif sometimes:
        say(f"{e.id}: {kind} {v.variant.name} (a correct variant) fails task(s) {sorted(sometimes)}: "
            "the grader rejects correct code")
    else:
        report.notes.append(f"{e.id}: {kind} {v.variant.name} passes every task")
    if kind in ("solution", "equivalent", "alternative") and v.flags:
        say(f"{e.id}: {label} (correct code) is flagged for a reviewer: {'; '.join(v.flags)}")


def _grade_one_seed(kit: Kit, exercises: list[Exercise], opts: RunOptions, seed: int,
                    in_process: bool) -> tuple[int, Results, float]:
    """Grade the variant kit under one seed: here, or in a ``rnnkit grade`` child process (so that
    seeds run in parallel, each with its own warm sandbox parent)."""
    started = time.monotonic()
    if in_process:
        return seed, grade(kit, exercises, kit.exercises_dir, replace(opts, seed=seed)), time.monotonic() - started
    out = kit.root / f"seed-{seed}.results.json"
    command = [sys.executable, "-c", "from rnnkit.cli import main; main()", "grade", str(kit.exercises_dir),
               "--out", str(out), "--seed", str(seed), "--timeout", str(opts.call_timeout_s),
               "--budget", str(opts.exercise_budget_s)] + ([] if opts.namespaces else ["--no-namespaces"])
    done = subprocess.run(command, env={**os.environ, "RNNKIT_KIT": str(kit.root)}, capture_output=True, text=True)
    if done.returncode != 0 or not out.is_file():
        raise GradingError(f"grading under seed {seed} stopped (exit {done.returncode}): "
                           f"{(done.stderr or done.stdout).strip()[-2000:]}")
    return seed, Results.read(out), time.monotonic() - started


def _grade_seeds(kit: Kit, exercises: list[Exercise], opts: RunOptions, seeds: tuple[int, ...],
                 workers: int) -> list[tuple[int, Results, float]]:
    if workers == 1:
        return [_grade_one_seed(kit, exercises, opts, seed, in_process=True) for seed in seeds]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(lambda seed: _grade_one_seed(kit, exercises, opts, seed, in_process=False), seeds))


def check(kit: Kit, exercises: list[Exercise], options: RunOptions | None = None,
          say: Callable[[str], None] | None = None, seeds: tuple[int, ...] | None = None,
          require_alternatives: bool = False, jobs: int | None = None) -> CheckReport:
    """Run every check on these exercises (see the module docstring). ``jobs``: how many seeds
    are graded at a time (default: one per core); each in its own ``rnnkit grade`` process."""
    report = CheckReport(seeds=seeds if seeds is not None else check_seeds())
    note = say or (lambda _msg: None)
    opts = options or RunOptions()
    bank = load_bank(kit.bank_path)
    runnable = [e for e in exercises if _static_checks(kit, e, bank, report, require_alternatives)]
    report.problems += _stray_alternatives(kit, exercises)
    if not runnable:
        return report
    variants = [v for e in runnable for v in _variants_of(kit, e, report)]

    with tempfile.TemporaryDirectory(prefix="rnnkit-devcheck-") as tmp:
        root = Path(tmp)
        by_id = build_variant_kit(root, variants)
        vkit, vexercises = Kit(root), variant_exercises(root)
        verdicts = {vid: _Verdicts(v) for vid, v in by_id.items()}
        workers = max(1, min(jobs or os.cpu_count() or 1, len(report.seeds)))
        note(f"grading {len(by_id)} variants of {len(runnable)} exercise(s) under {len(report.seeds)} seeds "
             f"({workers} at a time)")
        for seed, graded, took in _grade_seeds(vkit, list(vexercises.values()), opts, report.seeds, workers):
            report.grading_s[f"hidden seed {seed}"] = took
            for vid, v in verdicts.items():
                v.add(seed, graded.exercises[vid])
        hidden_s = sum(report.grading_s.values())
        note(f"graded {len(by_id)} variants under {len(report.seeds)} seeds: {hidden_s:.0f} s of grading runs "
             f"({hidden_s / max(1, len(report.seeds)):.0f} s per seed, {workers} at a time)")
        for v in verdicts.values():
            _judge(v, v.variant.exercise.meta.max_points, report)

        note("running the public tests on the solutions, stubs, mutants and correct variants")
        public_ids = [vid for vid, v in by_id.items() if v.kind != "raises"]
        started = time.monotonic()
        public = run_public(vkit, [vexercises[vid] for vid in public_ids],
                            replace(opts, seed=report.seeds[0] if report.seeds else None,
                                    show_student_messages=True))
        report.grading_s["public"] = time.monotonic() - started
        public_catch: dict[str, int] = {}
        for vid in public_ids:
            variant, failed = by_id[vid], _failed_tasks(public, vid)
            e = variant.exercise
            if variant.kind == "solution":
                report.problems += [f"{e.id}: a public test of task {t.task} fails on the solution ({t.message})"
                                    for t in public.exercises[vid].tasks if t.status != "passed"]
            elif variant.kind == "stub" and not failed:
                report.problems.append(f"{e.id}: the public tests all pass on the stub; they help nobody")
            elif variant.kind == "mutant":
                public_catch[e.id] = public_catch.get(e.id, 0) + bool(failed)
            elif variant.kind in ("equivalent", "alternative") and failed:
                report.problems.append(f"{e.id}: {variant.label} (correct code) fails the public tests of task(s) "
                                       f"{failed}: they reject correct code")
    for e in runnable:
        mine = [v for v in variants if v.exercise is e]
        count = {kind: sum(v.kind == kind for v in mine) for kind in ("mutant", "equivalent", "alternative")}
        line = (f"{e.id}: {count['mutant']} mutants (the public tests alone catch {public_catch.get(e.id, 0)}), "
                f"{count['equivalent']} equivalents, {count['alternative']} alternatives, "
                f"graded under {len(report.seeds)} seeds")
        report.summary.append(line)
        note(line)
    return report


def _failed_tasks(results: Results, exercise_id: str) -> list[int]:
    return [t.task for t in results.exercises[exercise_id].tasks if t.status != "passed"]
