"""Variants of a solution as find/replace patches (``autograder/NN_module/qNNN_slug.mutants.toml``).

    [[mutants]]            # known-wrong: each must fail at least one hidden task
    name = "forgot_bias"
    why = "leaves the bias out of the affine map"
    patches = [{ find = "a = x @ Wx + prev_h @ Wh + b", replace = "a = x @ Wx + prev_h @ Wh" }]

    [[equivalents]]        # correct, written differently: each must pass every hidden task
    name = "separate_gate_matmuls"
    why = "one matmul per gate instead of one fused matmul"
    patches = [...]

Each ``find`` must occur exactly once in the solution, so a patch cannot silently miss.

Alternatives are whole files instead of patches: ``autograder/NN_module/alternatives/qNNN_slug/<name>.py``,
independent solutions by someone who never read the reference (graded like equivalents).
A failed task whose values equal one mutant's quotes its ``why`` to the student (rnnkit.diagnosis).
``show_students = false`` (top level: the file's default; or per mutant) keeps a sentence out of
everything students read; the results still name the mutant for the instructor.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from rnnkit.stubgen import strip_markers


class MutantError(ValueError):
    """A mutants file that does not parse, or a patch that does not apply exactly once."""


@dataclass(frozen=True)
class Patch:
    find: str
    replace: str


@dataclass(frozen=True)
class Mutant:
    name: str
    why: str
    patches: tuple[Patch, ...]
    show_students: bool = True  # the why may be shown to students (diagnosis of a failed task)

    def apply(self, solution: str, where: str = "solution") -> str:
        """The mutated solution source (markers removed: a runnable student file)."""
        text = solution
        for patch in self.patches:
            count = text.count(patch.find)
            if count != 1:
                raise MutantError(f"mutant {self.name}: {patch.find!r} occurs {count} times in {where}, expected once")
            text = text.replace(patch.find, patch.replace)
        return strip_markers(text)


def _variants(raw: dict[str, object], table: str, path: Path, shown: bool = True) -> list[Mutant]:
    entries = raw.get(table, [])
    if not isinstance(entries, list):
        raise MutantError(f"{path}: {table} must be an array of tables ([[{table}]])")
    variants = []
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict) or set(entry) - {"show_students"} != {"name", "why", "patches"}:
            raise MutantError(f"{path}: {table}[{i}] needs exactly name, why and patches (and may say show_students)")
        if not isinstance(entry.get("show_students", shown), bool):
            raise MutantError(f"{path}: {table}[{i}].show_students must be true or false")
        patches = entry["patches"]
        if not isinstance(patches, list) or not patches or any(
                not isinstance(p, dict) or set(p) != {"find", "replace"} for p in patches):
            raise MutantError(f"{path}: {table}[{i}].patches must be a list of {{find, replace}}")
        variants.append(Mutant(str(entry["name"]), str(entry["why"]),
                               tuple(Patch(str(p["find"]), str(p["replace"])) for p in patches),
                               bool(entry.get("show_students", shown))))
    return variants


def load_variants(path: Path) -> tuple[list[Mutant], list[Mutant]]:
    """(mutants, equivalents) of one exercise."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise MutantError(f"{path}: {exc}") from exc
    if set(raw) - {"mutants", "equivalents", "show_students"}:
        raise MutantError(f"{path}: only [[mutants]] and [[equivalents]] tables (and show_students) are allowed")
    shown = raw.get("show_students", True)
    if not isinstance(shown, bool):
        raise MutantError(f"{path}: show_students must be true or false")
    mutants, equivalents = _variants(raw, "mutants", path, shown), _variants(raw, "equivalents", path)
    names = [m.name for m in mutants + equivalents]
    if len(set(names)) != len(names):
        raise MutantError(f"{path}: variant names must be unique")
    return mutants, equivalents


def load_mutants(path: Path) -> list[Mutant]:
    return load_variants(path)[0]


def alternatives_dir(kit_root: Path, module: str, exercise_id: str) -> Path:
    """``autograder/<module>/alternatives/<exercise_id>/``: whole independent solutions (``<name>.py``),
    written by someone who never read the reference; each must pass every hidden task."""
    return kit_root / "autograder" / module / "alternatives" / exercise_id


def load_alternatives(kit_root: Path, module: str, exercise_id: str) -> list[tuple[str, str]]:
    """(name, source) of every alternative of one exercise, by name."""
    folder = alternatives_dir(kit_root, module, exercise_id)
    if not folder.is_dir():
        return []
    return [(path.stem, path.read_text(encoding="utf-8")) for path in sorted(folder.glob("*.py"))]
