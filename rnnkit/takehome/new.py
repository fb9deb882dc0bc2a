"""``rnnkit takehome new``: choose exercises, render a candidate's repository with cookiecutter.

The template (``instructor/takehome/``, shared with the student kit: ``rnnkit.kittemplate``)
holds the scaffolding only: the README with the instructions, ``.gitignore``, the manifest
``takehome.json``, ``run_tests.py`` (the one command that runs the public tests) and
``conftest.py`` (``impl`` as the candidate's module, in-process).
After cookiecutter has rendered it, the chosen exercises are copied in from ``exercises/`` (stub,
public tests, exercise.toml) with ``rnnkit/testing.py`` (the helpers the public tests import).
Nothing from ``solutions/`` or ``autograder/`` is ever read here. The issuer keeps a copy of the
manifest in a registry, so grading does not have to trust the one that comes back.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import re
import secrets
import shutil
from dataclasses import dataclass
from pathlib import Path

from rnnkit import __version__
from rnnkit.course.assignments import AssignmentError, load_assignment
from rnnkit.edition import PACKAGE, import_closure
from rnnkit.kit import Exercise, Kit, KitError
from rnnkit.kittemplate import TemplateError, exercise_lines, template_dir
from rnnkit.kittemplate import copy_exercises as copy_kit_exercises
from rnnkit.kittemplate import render as render_template

CANDIDATE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
# What the public tests need of rnnkit: its test helpers, and the probes that impl.probe runs, with
# every rnnkit module they import (rnnkit.edition's import closure).
PUBLIC_ENTRY_POINTS = ("rnnkit.testing", "rnnkit.probes")
SHIM_INIT = ('"""A copy of rnnkit\'s public test helpers and probes only: the public tests import '
             'rnnkit.testing, and impl.probe runs rnnkit.probes."""\n')


class TakehomeError(ValueError):
    """A usage error of the take-home commands; the message says what was wrong and what to do."""


@dataclass(frozen=True)
class Issued:
    kit_id: str
    folder: Path
    record: Path
    manifest: dict[str, object]


def default_registry(kit: Kit) -> Path:
    return kit.root / "build" / "takehome" / "issued"


def choose(kit: Kit, exercises: str | None, preset: str | None, pick: int | None,
           difficulty: int | None, seed: int | None) -> list[Exercise]:
    """The exercises: a comma list, a preset (an assignment bundle) or a balanced random draw."""
    given = [name for name, value in (("--exercises", exercises), ("--preset", preset), ("--pick", pick))
             if value is not None]
    if len(given) != 1:
        raise TakehomeError("choose the exercises one way: --exercises q021,q005, --preset NAME or --pick N "
                            f"(given: {', '.join(given) or 'none'})")
    try:
        if exercises is not None:
            chosen = kit.select(exercises)
            if not chosen:
                raise TakehomeError("--exercises names no exercise; `rnnkit list` shows the ids")
            return chosen
        if preset is not None:
            return load_assignment(kit, preset).exercises(kit)
    except (KitError, AssignmentError) as exc:
        raise TakehomeError(str(exc)) from exc
    assert pick is not None
    pool = [e for e in kit.exercises if difficulty is None or e.meta.difficulty == difficulty]
    if not 1 <= pick <= len(pool):
        raise TakehomeError(f"--pick {pick}: the kit has {len(pool)} exercise(s)"
                            f"{f' of difficulty {difficulty}' if difficulty else ''}; pick 1 to {len(pool)}")
    return draw_balanced(pool, pick, seed)


def draw_balanced(pool: list[Exercise], count: int, seed: int | None) -> list[Exercise]:
    """``count`` exercises spread over (module, library) groups in turn, shuffled by ``seed``."""
    rng = random.Random(seed)
    groups: dict[tuple[str, str], list[Exercise]] = {}
    for exercise in pool:
        groups.setdefault((exercise.module, exercise.meta.library), []).append(exercise)
    order = sorted(groups)
    rng.shuffle(order)
    for key in order:
        rng.shuffle(groups[key])
    chosen: list[Exercise] = []
    while len(chosen) < count:
        for key in order:
            if groups[key] and len(chosen) < count:
                chosen.append(groups[key].pop())
    return sorted(chosen, key=lambda e: (e.module, e.id))


def _context(candidate: str, hours: float, kit_id: str, created: str, exercises: list[Exercise]) -> dict[str, str]:
    return {"edition": "takehome", "folder": candidate, "candidate": candidate,
            "title": f"Take-home test: {len(exercises)} LSTM & GRU exercise(s)", "hours": f"{hours:g}",
            "kit_id": kit_id, "kit_version": __version__, "created_at": created,
            "exercises": ",".join(e.id for e in exercises), "exercise_lines": exercise_lines(exercises)}


def copy_exercises(folder: Path, exercises: list[Exercise]) -> None:
    """The stubs, public tests and metadata, and the public test helpers; nothing else of the kit."""
    copy_kit_exercises(folder, exercises)
    (folder / "rnnkit").mkdir()
    (folder / "rnnkit" / "__init__.py").write_text(SHIM_INIT, encoding="utf-8")
    for path in public_modules():
        shutil.copyfile(path, folder / "rnnkit" / path.name)


def public_modules() -> list[Path]:
    """The module files the public tests import, and those they import in turn. They must be
    top-level modules of rnnkit: the shipped copy has no subpackage (no sandbox, course or grading)."""
    files = [p for p in import_closure(PUBLIC_ENTRY_POINTS) if p != PACKAGE / "__init__.py"]
    nested = [str(p.relative_to(PACKAGE)) for p in files if p.parent != PACKAGE]
    if nested:
        raise KitError(f"the public tests' helpers import {', '.join(nested)}: a take-home kit ships top-level "
                       "rnnkit modules only; keep what rnnkit.testing and rnnkit.probes import at the top level")
    return files


def render(template: Path, context: dict[str, str], out: Path) -> Path:
    try:
        return render_template(template, context, out)
    except TemplateError as exc:
        raise TakehomeError(str(exc)) from exc


def new_kit(kit: Kit, exercises: list[Exercise], candidate: str, hours: float, out: Path,
            registry: Path, now: dt.datetime | None = None) -> Issued:
    if not CANDIDATE.match(candidate):
        raise TakehomeError(f"--candidate {candidate!r}: use letters, digits, '.', '_' and '-' only "
                            "(it names a folder), for example candidate-017")
    if not 0 < hours <= 100:
        raise TakehomeError(f"--hours {hours:g}: give a time budget between 0 and 100 hours")
    if (out / candidate).exists():
        raise TakehomeError(f"{out / candidate} already exists: choose another -o folder or remove it "
                            "(a kit is never rendered over another)")
    created = (now or dt.datetime.now(dt.UTC)).replace(microsecond=0).isoformat()
    kit_id = f"{candidate}-{secrets.token_hex(4)}"
    folder = render(template_dir(kit), _context(candidate, hours, kit_id, created, exercises), out)
    copy_exercises(folder, exercises)
    manifest = json.loads((folder / "takehome.json").read_text(encoding="utf-8"))
    registry.mkdir(parents=True, exist_ok=True)
    record = registry / f"{kit_id}.json"
    record.write_text(json.dumps({**manifest, "folder": str(folder.resolve())}, indent=2), encoding="utf-8")
    return Issued(kit_id, folder, record, manifest)
