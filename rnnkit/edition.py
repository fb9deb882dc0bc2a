"""The student edition of the rnnkit package: the modules the student's commands need, and no more.

A student kit installs rnnkit from a copy of these files (``tool/rnnkit/`` in the kit). Which
files they are is read from the source, never listed by hand: the modules reachable by import
from the entry points below (the CLI, the pytest plugin, the sandbox's warm parent, the helpers
that public tests and notebook cells import), plus the package's data files. An import inside a
``try`` whose handler catches ``ImportError`` or ``ModuleNotFoundError`` is optional and not
followed: that is how the CLI registers the instructor, hiring and authoring commands where they
are installed. So the course, take-home, intake and authoring code (and with them every path to
solutions, hidden tests and mutants) stays out of the student edition by construction.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
ENTRY_POINTS = ("rnnkit.cli", "rnnkit.plugin", "rnnkit.sandbox.zygote", "rnnkit.testing", "rnnkit.notebook",
                "rnnkit.probes")
DATA_FILES = ("py.typed", "data/grading.ini")
OPTIONAL = {"ImportError", "ModuleNotFoundError"}


def module_path(name: str, package: Path = PACKAGE) -> Path | None:
    """The file of module ``rnnkit.a.b`` (``a/b.py`` or ``a/b/__init__.py``), None if it is not one."""
    parts = name.split(".")[1:]
    base = package.joinpath(*parts) if parts else package
    for candidate in (base.with_suffix(".py") if parts else None, base / "__init__.py"):
        if candidate is not None and candidate.is_file():
            return candidate
    return None


def _module_name(path: Path, package: Path) -> str:
    parts = path.relative_to(package.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _optional_nodes(tree: ast.AST) -> set[int]:
    """ids of the import nodes inside a ``try`` that catches ImportError / ModuleNotFoundError."""
    optional: set[int] = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Try):
            continue
        caught: set[str] = set()
        for handler in node.handlers:
            kinds = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
            caught.update(k.id for k in kinds if isinstance(k, ast.Name))
        if caught & OPTIONAL:
            optional.update(id(sub) for stmt in node.body for sub in ast.walk(stmt))
    return optional


def imports_of(path: Path, package: Path = PACKAGE) -> set[str]:
    """The rnnkit modules a file imports for sure (optional imports left out)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    optional = _optional_nodes(tree)
    own = _module_name(path, package)
    anchor = own if path.name == "__init__.py" else own.rsplit(".", 1)[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in optional:
            continue
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = anchor.split(".")[: len(anchor.split(".")) - node.level + 1]
                base = ".".join([*parts, base] if base else parts)
            found.add(base)
            found.update(f"{base}.{a.name}" for a in node.names)  # `from rnnkit import probes`
    return {name for name in found if name == "rnnkit" or name.startswith("rnnkit.")}


def student_modules(package: Path = PACKAGE) -> list[Path]:
    """Every module file of the student edition, sorted, parents' ``__init__.py`` included."""
    return import_closure(ENTRY_POINTS, package)


def import_closure(entry_points: tuple[str, ...], package: Path = PACKAGE) -> list[Path]:
    """The module files these modules need for sure, sorted: themselves, what they import, what that
    imports, and so on (parents' ``__init__.py`` included)."""
    seen: set[Path] = set()
    todo = list(entry_points)
    while todo:
        name = todo.pop()
        parts = name.split(".")
        for depth in range(1, len(parts) + 1):  # importing a.b.c runs a/__init__ and a/b/__init__ too
            path = module_path(".".join(parts[:depth]), package)
            if path is not None and path not in seen:
                seen.add(path)
                todo.extend(imports_of(path, package))
    return sorted(seen)


def student_files(package: Path = PACKAGE) -> list[Path]:
    """The files a student kit's ``tool/rnnkit/`` holds: the modules and the data files."""
    return sorted({*student_modules(package), *(package / f for f in DATA_FILES)})
