"""``rnnkit reset q021``: put an exercise's untouched stub back, keeping the student's version.

The untouched stub comes from the kit: a student kit keeps a copy of every stub in
``.stubs/NN_module/qNNN_slug.py`` (written by ``rnnkit build student-kit``); the authors' kit
generates it from the solution, as ``rnnkit dev build`` does. The student's file is copied to
``.rnnkit/backups/qNNN_slug.<n>.py`` first (``n`` counts up: no backup is ever overwritten), and
the exercise's recorded check is forgotten (its hints stay shown).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rnnkit.kit import Exercise, Kit
from rnnkit.progress import Progress

STUBS = ".stubs"


class ResetError(ValueError):
    """The stub cannot be restored; the message says why and what to do."""


@dataclass(frozen=True)
class Reset:
    path: Path
    backup: Path | None  # None: the file was the stub already


def pristine_stub_path(kit_root: Path, exercise: Exercise) -> Path:
    """Where a student kit keeps an exercise's untouched stub."""
    return kit_root / STUBS / exercise.module / f"{exercise.id}.py"


def pristine_stub(kit: Kit, exercise: Exercise) -> str:
    kept = pristine_stub_path(kit.root, exercise)
    if kept.is_file():
        return kept.read_text(encoding="utf-8")
    if exercise.solution_path.is_file():
        try:
            from rnnkit.stubgen import generate_stub
        except ModuleNotFoundError:  # the student edition: a kit with solutions needs the full rnnkit
            raise ResetError(f"this kit's untouched copy of {exercise.id}.py is missing ({STUBS}/{exercise.module}/): "
                             "copy the file from a freshly built kit") from None
        rel = exercise.solution_path.relative_to(kit.root).as_posix()
        return generate_stub(exercise.solution_path.read_text(encoding="utf-8"), rel, exercise.meta.short_id)
    raise ResetError(f"this kit has no untouched copy of {exercise.id}.py ({STUBS}/{exercise.module}/ is missing): "
                     "copy the file from a freshly built kit")


def backup(kit: Kit, path: Path, data: bytes) -> Path:
    """Save ``data`` as the next free ``.rnnkit/backups/<stem>.<n><suffix>``."""
    folder = kit.root / ".rnnkit" / "backups"
    folder.mkdir(parents=True, exist_ok=True)
    number = 1
    while (folder / f"{path.stem}.{number}{path.suffix}").exists():
        number += 1
    target = folder / f"{path.stem}.{number}{path.suffix}"
    target.write_bytes(data)
    return target


def reset_exercise(kit: Kit, exercise: Exercise) -> Reset:
    stub = pristine_stub(kit, exercise)
    path = exercise.stub_path
    current = path.read_bytes() if path.is_file() else None
    if current == stub.encode("utf-8"):
        return Reset(path, None)
    saved = backup(kit, path, current) if current is not None else None
    path.write_text(stub, encoding="utf-8")
    progress = Progress.load(kit)
    progress.checks.pop(exercise.id, None)
    progress.save()
    return Reset(path, saved)
