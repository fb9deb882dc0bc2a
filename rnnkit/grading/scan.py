"""The static scan of a submission's source, before it runs: flags for a reviewer (each with its
line), and an import the exercise forbids (numpy-only), which fails every task."""

from __future__ import annotations

from pathlib import Path

from rnnkit.errors import SubmissionProblem
from rnnkit.exercise import ExerciseMeta
from rnnkit.guards import INTROSPECTION_NAMES, scan_source
from rnnkit.policy import check_policy
from rnnkit.sandbox.files import read_regular


def static_scan(meta: ExerciseMeta, file: Path | None, below: Path | None, flags: list[str]) -> str | None:
    """Append the findings to ``flags`` (sorted by line); returns the violation that fails every
    task, or None. ``below``: the submission's root (the file is read without following links)."""
    if file is None:
        return None
    try:  # never through a link: the file itself or nothing
        source = read_regular(file, below).decode("utf-8", errors="replace")
    except (OSError, SubmissionProblem):
        return None
    imports = frozenset(meta.forbidden_imports)
    findings = scan_source(source, imports, frozenset(meta.flagged_names) | INTROSPECTION_NAMES)
    found = [f"line {f.line}: {f.text}" for f in findings] + [f.flag() for f in check_policy(source)]
    flags.extend(sorted(set(found), key=lambda flag: (int(flag.split()[1].rstrip(":")), flag)))
    banned = [f for f in findings if f.banned_import]
    if not banned:
        return None
    return (f"{file.name} line {banned[0].line}: {banned[0].text} is not allowed in this exercise "
            f"(allowed: {meta.library} only)")
