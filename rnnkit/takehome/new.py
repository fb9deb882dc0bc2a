"""``rnnkit takehome new``: choose exercises, render a candidate's repository with cookiecutter.

The template (``instructor/takehome/``) holds the scaffolding only: the README with the
instructions, ``.gitignore``, the manifest ``takehome.json``, ``run_tests.py`` (the one command
that runs the public tests) and ``conftest.py`` (``impl`` as the candidate's module, in-process).
After cookiecutter has rendered it, the chosen exercises are copied in from ``exercises/`` (stub,
public tests, exercise.toml) with ``rnnkit/testing.py`` (the helpers the public tests import).
Nothing from ``solutions/`` or ``autograder/`` is ever read here. The issuer keeps a copy of the
manifest in a registry, so grading does not have to trust the one that comes back.
"""

from __future__ import annotations

import ast
import datetime as dt
import json
import random
import re
import secrets
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from rnnkit import __version__
from rnnkit.course.assignments import AssignmentError, load_assignment
from rnnkit.kit import Exercise, Kit, KitError

CANDIDATE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
PACKAGE = Path(__file__).resolve().parent.parent  # rnnkit/
# What the public tests need of rnnkit: its test helpers, and the probes that impl.probe runs (with
# the rnnkit modules they import, found by shipped_modules).
PUBLIC_MODULES = ("testing", "probes")
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


def template_dir(kit: Kit) -> Path:
    return kit.root / "instructor" / "takehome"


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
    lines = "\n".join(f"| {e.meta.short_id}: `exercises/{e.module}/{e.id}/` | {e.meta.title} | {e.meta.max_points} |"
                      for e in exercises)
    return {"edition": "takehome", "folder": candidate, "candidate": candidate,
            "title": f"Take-home test: {len(exercises)} LSTM & GRU exercise(s)", "hours": f"{hours:g}",
            "kit_id": kit_id, "kit_version": __version__, "created_at": created,
            "exercises": ",".join(e.id for e in exercises), "exercise_lines": lines}


def render(template: Path, context: dict[str, str], out: Path) -> Path:
    """Run cookiecutter itself on the template; unknown keys are an error here (cookiecutter would
    drop them silently), and its replay file goes to a temporary folder, not ~/.cookiecutter_replay."""
    from cookiecutter.exceptions import CookiecutterException, OutputDirExistsException
    from cookiecutter.main import cookiecutter

    known = set(json.loads((template / "cookiecutter.json").read_text(encoding="utf-8")))
    unknown = sorted(set(context) - known)
    if unknown:
        raise TakehomeError(f"{template}/cookiecutter.json has no key(s) {', '.join(unknown)}")
    with tempfile.TemporaryDirectory(prefix="rnnkit-cookiecutter-") as tmp:
        config = {"replay_dir": tmp, "cookiecutters_dir": tmp, "abbreviations": {}}
        try:
            made = cookiecutter(str(template), no_input=True, extra_context=context, output_dir=str(out),
                                default_config=config, accept_hooks=False, overwrite_if_exists=False)
        except OutputDirExistsException as exc:
            raise TakehomeError(f"{out / context['folder']} already exists: choose another -o folder or "
                                "remove it (a kit is never rendered over another)") from exc
        except CookiecutterException as exc:
            raise TakehomeError(f"cookiecutter could not render {template}: {exc}") from exc
    return Path(made)


def copy_exercises(folder: Path, exercises: list[Exercise]) -> None:
    """The stubs, public tests and metadata, and the public test helpers; nothing else of the kit."""
    for exercise in exercises:
        target = folder / "exercises" / exercise.module / exercise.id
        target.mkdir(parents=True)
        for source in (exercise.meta_path, exercise.stub_path, exercise.public_test_path):
            shutil.copyfile(source, target / source.name)
    (folder / "rnnkit").mkdir()
    (folder / "rnnkit" / "__init__.py").write_text(SHIM_INIT, encoding="utf-8")
    for name in shipped_modules(PUBLIC_MODULES):
        shutil.copyfile(PACKAGE / f"{name}.py", folder / "rnnkit" / f"{name}.py")


def shipped_modules(roots: tuple[str, ...]) -> list[str]:
    """``roots`` and every rnnkit module they import, transitively (top-level modules only: the
    shipped copy has no sandbox, course or grading package, so importing one is an error here)."""
    found: list[str] = []
    todo = list(roots)
    while todo:
        name = todo.pop()
        if name in found:
            continue
        path = PACKAGE / f"{name}.py"
        if not path.is_file():
            raise KitError(f"rnnkit.{name} is needed by the public tests but is not a module file of rnnkit/; "
                           "public helpers must import only top-level rnnkit modules")
        found.append(name)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("rnnkit."):
                todo.append(node.module.split(".", 1)[1])
            elif isinstance(node, ast.ImportFrom) and node.module == "rnnkit":
                todo.extend(alias.name for alias in node.names)
            elif isinstance(node, ast.Import):
                todo.extend(a.name.split(".", 1)[1] for a in node.names if a.name.startswith("rnnkit."))
    return sorted(found)


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
