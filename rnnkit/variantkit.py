"""Every graded variant of the kit's exercises as an exercise of its own, in a throwaway kit.

``rnnkit dev check`` grades, per exercise, the solution, the stub, the stubs that only raise, every
mutant, equivalent and alternative, and each of them under several seeds. Grading one submission
tree at a time would cost one pytest session per variant and seed. Instead each variant becomes
an exercise of a temporary kit (``q047_stable_sigmoid__m03``) holding copies of the exercise's
metadata, hidden and public tests and reference, with the variant as that exercise's file: ONE
grading run (one pytest session, one warm sandbox parent) then grades every variant for a seed.

The ``rng`` fixture's stream depends on the run seed and the test's name and parameters, not on
its file, so a variant draws exactly what the real exercise draws under the same seed.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from rnnkit.kit import Exercise, Kit

# kind -> the tag of its ids in the variant kit
KINDS = {"solution": "s", "stub": "z", "raises": "r", "mutant": "m", "equivalent": "e", "alternative": "a"}
_ID_LINE = re.compile(r'^id\s*=\s*"[^"\n]*"', re.MULTILINE)


@dataclass(frozen=True)
class Variant:
    exercise: Exercise  # the real exercise
    kind: str  # a key of KINDS
    name: str  # the mutant's name, "ValueError" for a raising stub, the alternative's file stem
    source: str  # the whole exercise file

    @property
    def label(self) -> str:
        if self.kind in ("solution", "stub"):
            return f"the {self.kind}"
        if self.kind == "raises":
            return f"the stub with every body raising {self.name}"
        return f"{self.kind} {self.name}"


def build_variant_kit(root: Path, variants: list[Variant]) -> dict[str, Variant]:
    """Write the kit under ``root`` (its exercises/ folder is also the submission tree); returns
    the variants by their id in it."""
    by_id: dict[str, Variant] = {}
    counts: dict[tuple[str, str], int] = {}
    for variant in variants:
        e = variant.exercise
        key = (e.id, variant.kind)
        counts[key] = counts.get(key, 0) + 1
        vid = f"{e.id}__{KINDS[variant.kind]}{counts[key]:02d}"
        folder = root / "exercises" / e.module / vid
        folder.mkdir(parents=True)
        meta, found = _ID_LINE.subn(f'id = "{vid}"', e.meta_path.read_text(encoding="utf-8"), count=1)
        if not found:
            raise ValueError(f"{e.meta_path}: no id line")
        (folder / "exercise.toml").write_text(meta, encoding="utf-8")
        (folder / f"{vid}.py").write_text(variant.source, encoding="utf-8")
        if e.public_test_path.is_file():
            shutil.copyfile(e.public_test_path, folder / f"test_{vid}.py")
        for src, dst in ((e.hidden_test_path, root / "autograder" / e.module / f"test_{vid}_hidden.py"),
                         (e.solution_path, root / "solutions" / e.module / f"{vid}.py")):
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, dst)
        by_id[vid] = variant
    return by_id


def variant_exercises(root: Path) -> dict[str, Exercise]:
    """The variant kit's exercises by id (after build_variant_kit)."""
    return {e.id: e for e in Kit(root).exercises}
