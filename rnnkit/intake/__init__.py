"""Safe intake: what people submit (a folder, .zip, .tar.gz, a git bundle, one .py or notebook),
unpacked into a scratch folder and laid out like ``exercises/``.

    intake = take_in(Path("candidate-017.zip"), scratch, exercises)
    intake.status          "accepted" or "rejected" (intake.problem, intake.reason say why)
    intake.layout          scratch/layout/NN_module/qNNN_slug/qNNN_slug.py, one per found exercise
    intake.files, .flags, .missing, .unreadable, .commits, .manifest

Nothing is written outside ``scratch`` (which must not exist yet) and no submission can abort a
run: every problem becomes a status and a reason (see ``model.PROBLEMS``).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path, PurePosixPath

from rnnkit.intake.bundle import read_bundle
from rnnkit.intake.decode import Undecodable, decode_source
from rnnkit.intake.find import candidates, notebook_source
from rnnkit.intake.model import PROBLEMS, Commit, FoundFile, Intake, Limits, Rejected
from rnnkit.intake.readers import copy_file, read_any, read_folder, sniff
from rnnkit.intake.tree import Tree
from rnnkit.kit import Exercise

__all__ = ["PROBLEMS", "Commit", "FoundFile", "Intake", "Limits", "Rejected", "take_in"]
MANIFEST = "takehome.json"


def _unpack(source: Path, scratch: Path, tree: Tree, intake: Intake, limits: Limits) -> None:
    if source.is_symlink():
        raise Rejected("link", f"{source.name} is a symbolic link; submit the file or folder itself")
    if source.is_dir():
        intake.kind = "folder"
        read_folder(source, tree)
        return
    if not source.is_file():
        raise Rejected("unsupported", f"{source} is not a file or folder")
    intake.kind = sniff(source)
    if intake.kind in ("py", "ipynb"):
        copy_file(source, PurePosixPath(source.name), tree)
    elif intake.kind == "git-bundle":
        if source.stat().st_size > limits.max_archive_bytes:
            raise Rejected("too-large", f"the bundle is larger than {limits.max_archive_bytes} bytes")
        intake.commits = read_bundle(source, tree, scratch, limits.git_timeout_s)
    else:
        read_any(source, intake.kind, tree, scratch, limits)


def _manifest(tree: Tree, files: list[PurePosixPath], intake: Intake) -> None:
    found = sorted((f for f in files if f.name == MANIFEST), key=lambda f: (len(f.parts), str(f)))
    if not found:
        return
    try:
        raw = json.loads((tree.root / found[0]).read_text(encoding="utf-8"))
        if isinstance(raw, dict):
            intake.manifest = raw
            return
    except (OSError, ValueError, RecursionError):
        pass
    intake.flags.append(f"{found[0]} is not the kit's manifest any more (not a JSON object)")


def _take_exercise(tree: Tree, files: list[PurePosixPath], exercise: Exercise, layout: Path, intake: Intake) -> None:
    found = candidates(files, exercise.id)
    if not found:
        intake.missing.append(exercise.id)
        return
    chosen = found[0]
    if chosen.stem != exercise.id:
        intake.flags.append(f"{exercise.id}: no file has the exact name {exercise.id}.py; graded the "
                            f"look-alike {str(chosen)!r}")
    others = [str(f) for f in found[1:]]
    if others:
        intake.flags.append(f"{exercise.id}: {len(found)} candidate files; graded {str(chosen)!r}, "
                            f"not {', '.join(repr(o) for o in others[:5])}")
    raw = (tree.root / chosen).read_bytes()
    try:
        text, notes = decode_source(raw, chosen.name)
        if chosen.suffix == ".ipynb":
            text = notebook_source(text, chosen.name)
            notes.append("code cells taken from the notebook")
    except (Undecodable, ValueError) as exc:
        intake.unreadable[exercise.id] = str(exc)
        return
    target = layout / exercise.module / exercise.id / f"{exercise.id}.py"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    intake.files[exercise.id] = FoundFile(exercise.id, str(chosen), target, notes)
    intake.flags.extend(f"{exercise.id}: {note}" for note in notes)


def take_in(source: Path, scratch: Path, exercises: list[Exercise], limits: Limits | None = None) -> Intake:
    """Take a submission in; never raises for a bad submission (see the module docstring)."""
    limits = limits or Limits()
    scratch.mkdir(parents=True, exist_ok=False)
    intake = Intake(source=source.name, kind="unknown")
    tree = Tree(scratch / "unpacked", limits)
    try:
        _unpack(source, scratch, tree, intake, limits)
        files = tree.files()
        _manifest(tree, files, intake)
        layout = scratch / "layout"
        layout.mkdir()
        for exercise in exercises:
            _take_exercise(tree, files, exercise, layout, intake)
        intake.layout = layout
        if not intake.files and not intake.unreadable:
            raise Rejected("empty", "no exercise file found (expected names like "
                                    f"{exercises[0].id + '.py' if exercises else 'q021_lstm_step_forward.py'}); "
                                    "submit the kit's folder or its exercise files")
    except Rejected as exc:
        intake.status, intake.problem, intake.reason = "rejected", exc.problem, str(exc)
        intake.files, intake.layout = {}, None
        shutil.rmtree(scratch / "layout", ignore_errors=True)
        if intake.manifest is None:  # what was unpacked before the refusal may still name the kit
            _manifest(tree, tree.files(), intake)
    except (OSError, RecursionError, MemoryError) as exc:
        intake.status, intake.problem = "rejected", "corrupt"
        intake.reason = f"the submission could not be read ({type(exc).__name__}: {str(exc)[:200]})"
        intake.files, intake.layout = {}, None
    return intake
