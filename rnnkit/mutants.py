"""Known-wrong variants of a solution, as find/replace patches (``qNNN_slug.mutants.toml``).

    [[mutants]]
    name = "forgot_bias"
    why = "leaves the bias out of the affine map"
    patches = [{ find = "a = x @ Wx + prev_h @ Wh + b", replace = "a = x @ Wx + prev_h @ Wh" }]

Each ``find`` must occur exactly once in the solution, so a patch cannot silently miss.
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

    def apply(self, solution: str, where: str = "solution") -> str:
        """The mutated solution source (markers removed: a runnable student file)."""
        text = solution
        for patch in self.patches:
            count = text.count(patch.find)
            if count != 1:
                raise MutantError(f"mutant {self.name}: {patch.find!r} occurs {count} times in {where}, expected once")
            text = text.replace(patch.find, patch.replace)
        return strip_markers(text)


def load_mutants(path: Path) -> list[Mutant]:
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise MutantError(f"{path}: {exc}") from exc
    if set(raw) - {"mutants"}:
        raise MutantError(f"{path}: only [[mutants]] tables are allowed")
    mutants = []
    for i, entry in enumerate(raw.get("mutants", [])):
        if not isinstance(entry, dict) or set(entry) != {"name", "why", "patches"}:
            raise MutantError(f"{path}: mutants[{i}] needs exactly name, why and patches")
        patches = entry["patches"]
        if not isinstance(patches, list) or not patches or any(
                not isinstance(p, dict) or set(p) != {"find", "replace"} for p in patches):
            raise MutantError(f"{path}: mutants[{i}].patches must be a list of {{find, replace}}")
        mutants.append(Mutant(str(entry["name"]), str(entry["why"]),
                              tuple(Patch(str(p["find"]), str(p["replace"])) for p in patches)))
    names = [m.name for m in mutants]
    if len(set(names)) != len(names):
        raise MutantError(f"{path}: mutant names must be unique")
    return mutants
