"""The library never imports the CLI: only the two command-line modules import ``rnnkit.cli``,
``rnnkit.course.cli`` or their shared support module (read from the source with ast)."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "rnnkit"
CLIS = {"rnnkit.cli", "rnnkit.course.cli", "rnnkit.authorcli"}
CLI_ONLY = CLIS | {"rnnkit.clisupport"}


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """Every module an import statement in the file names (relative imports resolved)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = _module_name(path).rsplit(".", 1)[0] if path.name != "__init__.py" else _module_name(path)
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def test_only_the_clis_import_the_cli_layer() -> None:
    offenders = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        name = _module_name(path)
        if name in CLIS:
            continue
        hits = sorted(i for i in _imports(path) if i in CLI_ONLY or any(i.startswith(c + ".") for c in CLIS))
        if hits and not (name == "rnnkit.clisupport" and not set(hits) & CLIS):
            offenders[name] = hits
    assert offenders == {}, f"library modules importing the CLI layer: {offenders}"


def test_the_check_sees_imports() -> None:
    """The scanner itself: it finds both spellings the old course CLI used."""
    cli = _imports(PACKAGE / "cli.py")
    course_cli = _imports(PACKAGE / "course" / "cli.py")
    assert "rnnkit.clisupport" in cli and "rnnkit.clisupport" in course_cli
    assert "rnnkit.course.cli" in cli  # the top-level CLI registers the course group
