"""``rnnkit takehome grade``: intake, the hidden graders in the sandbox, similarity, timing, report.

The submission goes through ``rnnkit.intake`` into a scratch folder laid out like exercises/,
is graded by ``rnnkit.grader.grade`` (the same path as ``rnnkit grade``), and the results JSON
(``rnnkit.results/1``) gets a ``takehome`` section: the candidate and kit (from the issuer's
registry, not from the submission), what intake found and flagged, the similarity to the
reference solutions and to earlier candidates, and the time between kit and submission.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rnnkit import __version__
from rnnkit.grader import RunOptions, grade
from rnnkit.intake import Intake, take_in
from rnnkit.kit import Exercise, Kit, KitError
from rnnkit.results import ExerciseResult, Results, TaskResult
from rnnkit.takehome.new import TakehomeError
from rnnkit.takehome.similarity import closest

KIT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,100}$")
MAX_SOURCE_CHARS = 100_000


@dataclass
class GradeOptions:
    registry: Path
    against: Path | None = None
    exercises: str | None = None  # when the submission carries no manifest
    seed: int | None = None
    timeout: float = 10.0
    budget: float = 120.0
    namespaces: bool = True
    progress: Any = None


def _issued(intake: Intake, registry: Path) -> tuple[dict[str, Any] | None, list[str]]:
    """The issuer's record of this kit, found by the kit id in the submitted manifest."""
    manifest = intake.manifest or {}
    kit_id = manifest.get("kit_id")
    if not isinstance(kit_id, str) or not KIT_ID.match(kit_id) or ".." in kit_id:
        return None, ["the submission has no readable takehome.json (kit id): kit and creation time unknown"]
    record = registry / f"{kit_id}.json"
    if not record.is_file():
        return None, [f"no record of kit {kit_id} in {registry}: the manifest could not be checked"]
    try:
        issued: dict[str, Any] = json.loads(record.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise TakehomeError(f"{record}: the registry's record cannot be read ({exc})") from exc
    notes = [f"takehome.json was edited: {key} is {manifest.get(key)!r}, the kit was issued with {issued.get(key)!r}"
             for key in ("candidate", "created_at", "exercises", "hours") if manifest.get(key) != issued.get(key)]
    return issued, notes


def _exercises(kit: Kit, issued: dict[str, Any] | None, intake: Intake, given: str | None) -> list[Exercise]:
    try:
        if given:
            return kit.select(given)
        names = (issued or intake.manifest or {}).get("exercises")
        if isinstance(names, list) and names and all(isinstance(n, str) for n in names):
            return [kit.find(n) for n in names]
    except KitError as exc:
        raise TakehomeError(str(exc)) from exc
    refused = "" if intake.accepted else f" (intake also refused it: {intake.reason})"
    raise TakehomeError("the submission carries no takehome.json naming its exercises: give them with "
                        f"--exercises q021,q005{refused}")


def refused(exercises: list[Exercise], label: str, reason: str, seed: int | None) -> Results:
    """Results for a submission intake refused: every task missing, with the reason."""
    found = {e.id: ExerciseResult(e.meta.title, [TaskResult(t.id, t.name, "missing", 0, t.points,
                                                            f"the submission was refused: {reason}"[:500])
                                                 for t in e.meta.tasks]) for e in exercises}
    return Results(label, seed or 0, [], {"rnnkit": __version__}, dt.datetime.now(dt.UTC).isoformat(), 0.0, found)


def _timing(issued: dict[str, Any] | None, intake: Intake) -> dict[str, Any]:
    created = (issued or {}).get("created_at")
    out: dict[str, Any] = {"created_at": created, "commits": len(intake.commits)}
    if not intake.commits:
        out["note"] = "the submission carries no commit times (only a git bundle does)"
        return out
    first, last = min(c.epoch for c in intake.commits), max(c.epoch for c in intake.commits)
    out.update(first_commit=dt.datetime.fromtimestamp(first, dt.UTC).isoformat(),
               last_commit=dt.datetime.fromtimestamp(last, dt.UTC).isoformat(), span_s=last - first)
    if isinstance(created, str):
        start = dt.datetime.fromisoformat(created).timestamp()
        out["elapsed_s"] = last - start
        out["before_kit"] = sum(1 for c in intake.commits if c.epoch < start)
    return out


def _earlier(against: Path | None, me: str, version: object) -> dict[str, dict[str, str]]:
    """exercise id -> {candidate: source} from earlier reports' JSON in ``against`` (the same kit
    version: another version's exercise may differ)."""
    found: dict[str, dict[str, str]] = {}
    for path in sorted(against.glob("*.json")) if against and against.is_dir() else []:
        try:
            section = json.loads(path.read_text(encoding="utf-8")).get("takehome", {})
        except (OSError, ValueError, AttributeError):
            continue
        who = str(section.get("candidate") or path.stem)
        if who == me or not isinstance(section.get("sources"), dict) or (
                version and section.get("kit_version") and section.get("kit_version") != version):
            continue
        for exercise_id, source in section["sources"].items():
            if isinstance(source, str):
                found.setdefault(exercise_id, {})[who] = source
    return found


def _similarity(exercises: list[Exercise], sources: dict[str, str], against: Path | None, me: str,
                version: object) -> dict[str, Any]:
    earlier = _earlier(against, me, version)
    out: dict[str, Any] = {}
    for exercise in exercises:
        mine = sources.get(exercise.id)
        if mine is None:
            continue
        entry: dict[str, Any] = {}
        if exercise.solution_path.is_file():
            ref = closest(exercise.id, mine, {"the reference solution": exercise.solution_path.read_text(encoding="utf-8")})
            entry["reference"] = ref.score if ref else None
            entry["reference_source"] = ref.theirs if ref and ref.similar else None
        other = closest(exercise.id, mine, earlier.get(exercise.id, {}))
        if other is not None:
            entry["closest"] = {"candidate": other.other, "score": other.score, "source": other.theirs}
        out[exercise.id] = entry
    return out


def grade_takehome(kit: Kit, submission: Path, options: GradeOptions) -> dict[str, Any]:
    """Grade one submission; returns the report document (results plus its takehome section)."""
    with tempfile.TemporaryDirectory(prefix="rnnkit-takehome-") as tmp:
        intake = take_in(submission, Path(tmp) / "intake", list(kit.exercises))
        issued, manifest_notes = _issued(intake, options.registry)
        exercises = _exercises(kit, issued, intake, options.exercises)
        wanted = {e.id for e in exercises}
        intake.files = {k: v for k, v in intake.files.items() if k in wanted}
        intake.missing = [m for m in intake.missing if m in wanted]
        intake.unreadable = {k: v for k, v in intake.unreadable.items() if k in wanted}
        intake.flags = [f for f in intake.flags if f.split(":", 1)[0] in wanted]
        label = submission.name
        if not intake.accepted or intake.layout is None:
            results = refused(exercises, label, intake.reason, options.seed)
        else:
            run = RunOptions(seed=options.seed, call_timeout_s=options.timeout, exercise_budget_s=options.budget,
                             namespaces=options.namespaces, label=label, progress=options.progress)
            results = grade(kit, exercises, intake.layout, run)
            for exercise_id, why in intake.unreadable.items():
                for task in results.exercises[exercise_id].tasks:
                    task.message = why[:500]
        sources = {k: f.path.read_text(encoding="utf-8")[:MAX_SOURCE_CHARS] for k, f in intake.files.items()}
        meta = issued or {}
        candidate = str(meta.get("candidate") or (intake.manifest or {}).get("candidate") or submission.stem)
        document = results.to_dict()
        document["takehome"] = {
            "schema": "rnnkit.takehome-report/1", "candidate": candidate, "kit_id": meta.get("kit_id"),
            "kit_version": meta.get("kit_version"), "created_at": meta.get("created_at"),
            "hours": meta.get("hours"), "manifest_verified": issued is not None and not manifest_notes,
            "manifest_notes": manifest_notes, "graded_at": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
            "intake": intake.to_dict(), "timing": _timing(issued, intake), "sources": sources,
            "similarity": _similarity(exercises, sources, options.against, candidate, meta.get("kit_version")),
            "exercises": {e.id: {"module": e.module, "forbidden_ops": list(e.meta.forbidden_ops),
                                 "library": e.meta.library} for e in exercises},
        }
    return document


def write_report(document: dict[str, Any], html_path: Path) -> Path:
    """The JSON beside the HTML report (the same data); the JSON is written first."""
    from rnnkit.takehome.report import render_report

    json_path = html_path.with_suffix(".json")
    html_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = json_path.with_name(json_path.name + ".tmp")
    tmp.write_text(json.dumps(document, indent=2), encoding="utf-8")
    tmp.replace(json_path)
    html_path.write_text(render_report(document), encoding="utf-8")
    shutil.copymode(json_path, html_path)
    return json_path
