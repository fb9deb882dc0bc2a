"""Finding each exercise's file in an unpacked submission, by its name at any folder depth.

The exact name (``q021_lstm_step_forward.py`` or ``.ipynb``) wins; a look-alike
(``q021_lstm_step_forward (1).py``, ``... copy.py``, ``q021.py``, a typo) is used only when no
exact name exists, and flagged either way; several candidates for one exercise are flagged with
the one that was graded (the kit's own layout first, then the shallowest path).
"""

from __future__ import annotations

import difflib
import json
import re
from pathlib import PurePosixPath

_COPY_SUFFIX = re.compile(r"(\s*\(\d+\)|[\s_-]*\(?copy\)?(\s*\d+)?|[\s_-]+(v\d+|final|old|backup|bak|new))$", re.I)
SOURCE_SUFFIXES = (".py", ".ipynb")


def _normal(stem: str) -> str:
    previous = None
    stem = stem.strip().lower()
    while previous != stem:
        previous, stem = stem, _COPY_SUFFIX.sub("", stem).strip()
    return stem.replace(" ", "_").replace("-", "_")


def looks_like(name: str, exercise_id: str) -> bool:
    """A file name that is probably meant as this exercise's file, without being exactly it."""
    path = PurePosixPath(name)
    if path.suffix.lower() not in SOURCE_SUFFIXES or path.stem.lower().startswith("test_"):
        return False
    stem = _normal(path.stem)
    short = exercise_id.split("_", 1)[0]
    if stem in (exercise_id, short):
        return True
    return stem.startswith(short + "_") and difflib.SequenceMatcher(None, stem, exercise_id).ratio() >= 0.85


def _rank(path: PurePosixPath, exercise_id: str) -> tuple[int, int, int, str]:
    in_layout = len(path.parts) >= 2 and path.parts[-2] == exercise_id
    exact = path.stem == exercise_id
    return (0 if exact else 1, 0 if in_layout else 1, len(path.parts), str(path))


def candidates(files: list[PurePosixPath], exercise_id: str) -> list[PurePosixPath]:
    """Every file that may be this exercise's, best first."""
    found = [f for f in files if f.name in (exercise_id + ".py", exercise_id + ".ipynb") or looks_like(f.name, exercise_id)]
    return sorted(found, key=lambda f: _rank(f, exercise_id))


def notebook_source(raw: str, name: str) -> str:
    """The code cells of a notebook, one after the other (IPython magics commented out)."""
    try:
        notebook = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise ValueError(f"{name} is not a valid notebook (not JSON: {str(exc)[:80]})") from None
    cells = notebook.get("cells") if isinstance(notebook, dict) else None
    if not isinstance(cells, list):
        raise ValueError(f"{name} is not a valid notebook (it has no list of cells)")
    parts = []
    for cell in cells:
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        text = "".join(source) if isinstance(source, list) else str(source)
        lines = [f"# {line}" if line.lstrip().startswith(("%", "!")) else line for line in text.splitlines()]
        parts.append("\n".join(lines))
    if not parts:
        raise ValueError(f"{name} has no code cell")
    return "\n\n".join(parts) + "\n"
