"""Authoring tools: ``rnnkit dev build`` (stubs from solutions) and ``rnnkit dev check``.

``check`` proves the kit's invariants, exercise by exercise:
    layout      every file in its place, metadata valid, id and bank number agree
    bank        question and answer equal the bank's text, verbatim
    stub        the committed stub equals the one generated from the solution
    solution    passes every hidden task
    stub        fails every hidden task, and so do the stub's bodies raising ValueError or TypeError
                (a task that only checks that bad input raises needs a positive control too)
    mutants     at least 3, each failing at least one hidden task
    public      the public tests pass on the solution and at least one fails on the stub
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from rnnkit.bank import BankEntry, load_bank
from rnnkit.diagnosis import self_diagnosis
from rnnkit.grader import RunOptions, grade, run_public
from rnnkit.kit import Exercise, Kit
from rnnkit.mutants import Mutant, MutantError, load_variants
from rnnkit.results import Results
from rnnkit.stubgen import StubError, generate_stub, strip_markers

MIN_MUTANTS = 3
# Exceptions hidden tests expect from bad input: a submission raising one everywhere must still fail.
DEGENERATE_RAISES = ("ValueError", "TypeError")


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
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _write_tree(root: Path, files: dict[Exercise, str]) -> Path:
    for exercise, text in files.items():
        target = root / exercise.module / exercise.id / f"{exercise.id}.py"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    return root


def _static_checks(kit: Kit, exercise: Exercise, bank: dict[int, BankEntry], report: CheckReport) -> bool:
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
    if not ok:
        return False
    try:
        if exercise.stub_path.read_text(encoding="utf-8") != stub_for(exercise):
            say(f"{meta.id}: the stub is out of date with the solution (run `rnnkit dev build`)")
    except StubError as exc:
        say(str(exc))
        return False
    return True


def _variant_batch(kit: Kit, runnable: list[Exercise], variants: dict[Exercise, list[Mutant]], k: int,
                   report: CheckReport) -> tuple[dict[Exercise, str], dict[Exercise, str]]:
    """The k-th variant of every exercise that has one: sources and names."""
    batch: dict[Exercise, str] = {}
    names: dict[Exercise, str] = {}
    for e in runnable:
        if k < len(variants[e]):
            try:
                batch[e] = variants[e][k].apply(e.solution_path.read_text(encoding="utf-8"),
                                                str(e.solution_path.relative_to(kit.root)))
                names[e] = variants[e][k].name
            except MutantError as exc:
                report.problems.append(f"{e.id}: {exc}")
    return batch, names


def _failed_tasks(results: Results, exercise_id: str) -> list[int]:
    return [t.task for t in results.exercises[exercise_id].tasks if t.status != "passed"]


def check(kit: Kit, exercises: list[Exercise], options: RunOptions | None = None,
          say: Callable[[str], None] | None = None) -> CheckReport:
    """Run every check on these exercises (see the module docstring)."""
    report = CheckReport()
    note = say or (lambda _msg: None)
    opts = options or RunOptions()
    bank = load_bank(kit.bank_path)
    runnable = [e for e in exercises if _static_checks(kit, e, bank, report)]
    mutants: dict[Exercise, list[Mutant]] = {}
    equivalents: dict[Exercise, list[Mutant]] = {}
    for exercise in runnable:
        try:
            mutants[exercise], equivalents[exercise] = load_variants(exercise.mutants_path)
        except MutantError as exc:
            report.problems.append(str(exc))
            mutants[exercise], equivalents[exercise] = [], []
        if len(mutants[exercise]) < MIN_MUTANTS:
            report.problems.append(f"{exercise.id}: {len(mutants[exercise])} mutants, at least {MIN_MUTANTS} needed")
    if not runnable:
        return report

    with tempfile.TemporaryDirectory(prefix="rnnkit-devcheck-") as tmp:
        root = Path(tmp)
        solutions = {e: strip_markers(e.solution_path.read_text(encoding="utf-8")) for e in runnable}
        stubs = {e: e.stub_path.read_text(encoding="utf-8") for e in runnable}
        solution_tree = _write_tree(root / "solution", solutions)
        stub_tree = _write_tree(root / "stub", stubs)

        note(f"grading the reference solutions of {len(runnable)} exercises")
        graded = grade(kit, runnable, solution_tree, opts)
        for e in runnable:
            for task in graded.exercises[e.id].tasks:
                if task.status != "passed":
                    report.problems.append(f"{e.id}: the solution fails task {task.task} ({task.status}: {task.message})")

        # Code that does nothing must fail every task: (what is graded, its tree, the problem per passed task).
        hollow = [("the stubs", stub_tree, "the stub passes task {task}; the task checks nothing")]
        for raised in DEGENERATE_RAISES:
            raising = {e: text.replace("raise NotImplementedError(", f"raise {raised}(") for e, text in stubs.items()}
            hollow.append((f"the stubs with every body raising {raised}", _write_tree(root / f"raises-{raised}", raising),
                           f"code that only raises {raised} passes task {{task}}; "
                           "check that valid input is accepted in the same task"))
        for what, tree, problem in hollow:
            note(f"grading {what}")
            graded = grade(kit, runnable, tree, opts)
            for e in runnable:
                report.problems += [f"{e.id}: " + problem.format(task=task.task)
                                    for task in graded.exercises[e.id].tasks if task.status == "passed"]

        for kind, variants in (("mutant", mutants), ("equivalent", equivalents)):
            rounds = max((len(v) for v in variants.values()), default=0)
            for k in range(rounds):
                batch, names = _variant_batch(kit, runnable, variants, k, report)
                if not batch:
                    continue
                note(f"grading {kind} round {k + 1} of {rounds} ({len(batch)} exercises)")
                graded = grade(kit, list(batch), _write_tree(root / f"{kind}{k}", batch), opts)
                for e in batch:
                    failed = _failed_tasks(graded, e.id)
                    if kind == "mutant" and not failed:
                        report.problems.append(f"{e.id}: mutant {names[e]} passes every hidden task")
                    elif kind == "mutant":
                        report.notes.append(f"{e.id}: mutant {names[e]} caught by task(s) {failed}; "
                                            + self_diagnosis(graded.exercises[e.id], names[e]))
                    elif failed:
                        report.problems.append(f"{e.id}: equivalent {names[e]} (a correct variant) fails "
                                               f"task(s) {failed}: the grader rejects correct code")
                    else:
                        report.notes.append(f"{e.id}: equivalent {names[e]} passes every task")

        note("running the public tests on the solutions and on the stubs")
        public_ok = run_public(kit, runnable, opts, submission=solution_tree)
        public_stub = run_public(kit, runnable, opts, submission=stub_tree)
        for e in runnable:
            for task in public_ok.exercises[e.id].tasks:
                if task.status != "passed":
                    report.problems.append(f"{e.id}: a public test of task {task.task} fails on the solution "
                                           f"({task.message})")
            if not _failed_tasks(public_stub, e.id):
                report.problems.append(f"{e.id}: the public tests all pass on the stub; they help nobody")
    return report
