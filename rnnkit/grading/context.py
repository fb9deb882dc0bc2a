"""Which exercise a test module belongs to, and what a test says about itself.

A test module belongs to an exercise by its name: ``test_<id>_hidden.py`` (hidden grader, in
``autograder/<module>/``) or ``test_<id>.py`` next to the exercise's ``exercise.toml`` (public
tests). Modules that are not exercise tests are left alone.
"""

from __future__ import annotations

import ast
import inspect
from dataclasses import dataclass
from pathlib import Path

import pytest

from rnnkit.exercise import ExerciseMeta, load_meta


@dataclass(frozen=True)
class ExerciseContext:
    meta: ExerciseMeta
    kit_root: Path
    hidden: bool
    default_file: Path  # the exercise's own file in the kit (used without --rnnkit-submission)

    @property
    def solution_path(self) -> Path:
        module = self.default_file.parent.parent.name
        return self.kit_root / "solutions" / module / f"{self.meta.id}.py"


def exercise_of(path: Path) -> ExerciseContext | None:
    name = path.name
    if name.startswith("test_") and name.endswith("_hidden.py"):
        exercise_id = name[len("test_"):-len("_hidden.py")]
        kit_root = path.resolve().parent.parent.parent
        module = path.parent.name
        meta_path = kit_root / "exercises" / module / exercise_id / "exercise.toml"
        if meta_path.is_file():
            return ExerciseContext(load_meta(meta_path), kit_root, True,
                                   meta_path.parent / f"{exercise_id}.py")
    elif name.startswith("test_q") and name.endswith(".py"):
        exercise_id = name[len("test_"):-len(".py")]
        meta_path = path.resolve().parent / "exercise.toml"
        if path.parent.name == exercise_id and meta_path.is_file():
            return ExerciseContext(load_meta(meta_path), meta_path.parent.parent.parent.parent, False,
                                   meta_path.parent / f"{exercise_id}.py")
    return None


def context_of(item: pytest.Item) -> ExerciseContext | None:
    module = getattr(item, "module", None)
    if module is None or not getattr(module, "__file__", None):
        return None
    if not hasattr(module, "__rnnkit_context__"):
        module.__rnnkit_context__ = exercise_of(Path(module.__file__))
    context: ExerciseContext | None = module.__rnnkit_context__
    return context


def task_of(item: pytest.Item) -> int | None:
    marker = item.get_closest_marker("task")
    if marker is None or not marker.args or not isinstance(marker.args[0], int):
        return None
    return marker.args[0]


def what_it_checks(item: pytest.Item) -> str:
    """A public test in words: its docstring's first line, else its name
    (``test_worked_example`` -> "worked example")."""
    function = getattr(item, "function", None)
    doc = inspect.getdoc(function) if function is not None else None
    if doc:
        return doc.strip().splitlines()[0].rstrip(".")
    name = getattr(item, "originalname", None) or item.name
    return name.removeprefix("test_").replace("_", " ")


def zygote_flavor(meta: ExerciseMeta) -> str:
    """Numpy-only exercises run in children of a warm parent that never imported torch."""
    return "numpy" if "torch" in meta.forbidden_imports else "torch"


def parameter_names(stub: Path) -> dict[str, tuple[str, ...]]:
    """Parameter names read from the exercise's stub (for messages: "prev_c", not "#3"): per
    public function, and per class method as ``Class.method`` without ``self`` (``Class`` alone
    for ``__init__``; a call of an object is its ``forward``, else its ``__call__``)."""
    try:
        tree = ast.parse(stub.read_text(encoding="utf-8"))
    except (OSError, SyntaxError, ValueError):
        return {}

    def names(node: ast.FunctionDef, skip: int = 0) -> tuple[str, ...]:
        return tuple(a.arg for a in (*node.args.posonlyargs, *node.args.args))[skip:]

    found: dict[str, tuple[str, ...]] = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            found[node.name] = names(node)
        elif isinstance(node, ast.ClassDef):
            for sub in node.body:
                if isinstance(sub, ast.FunctionDef):
                    key = node.name if sub.name == "__init__" else f"{node.name}.{sub.name}"
                    found[key] = names(sub, skip=1)
            call = found.get(f"{node.name}.forward", found.get(f"{node.name}.__call__"))
            if call is not None:
                found[f"{node.name}()"] = call
    return found
