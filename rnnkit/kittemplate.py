"""The one cookiecutter template of every kit rnnkit hands out (``instructor/takehome/``).

Its ``edition`` key says which kit it renders: ``takehome`` (a candidate's repository, see
``rnnkit.takehome.new``) or ``student`` (a self-taught student's repository, see
``rnnkit.studentkit``). The parts that differ are ``{% if cookiecutter.edition == ... %}`` blocks,
and files of one edition only have a name that renders empty in the other (cookiecutter skips
them). After rendering, both builders copy in the chosen exercises with ``copy_exercises``.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

from rnnkit.kit import Exercise, Kit

EDITIONS = ("takehome", "student")


class TemplateError(ValueError):
    """The template could not be rendered; the message says what was wrong and what to do."""


def template_dir(kit: Kit) -> Path:
    return kit.root / "instructor" / "takehome"


def render(template: Path, context: dict[str, str], out: Path) -> Path:
    """Run cookiecutter itself on the template; unknown keys are an error here (cookiecutter would
    drop them silently), and its replay file goes to a temporary folder, not ~/.cookiecutter_replay."""
    from cookiecutter.exceptions import CookiecutterException, OutputDirExistsException
    from cookiecutter.main import cookiecutter

    known = set(json.loads((template / "cookiecutter.json").read_text(encoding="utf-8")))
    unknown = sorted(set(context) - known)
    if unknown:
        raise TemplateError(f"{template}/cookiecutter.json has no key(s) {', '.join(unknown)}")
    if context.get("edition") not in EDITIONS:
        raise TemplateError(f"edition {context.get('edition')!r}: the template renders {' or '.join(EDITIONS)}")
    with tempfile.TemporaryDirectory(prefix="rnnkit-cookiecutter-") as tmp:
        config = {"replay_dir": tmp, "cookiecutters_dir": tmp, "abbreviations": {}}
        try:
            made = cookiecutter(str(template), no_input=True, extra_context=context, output_dir=str(out),
                                default_config=config, accept_hooks=False, overwrite_if_exists=False)
        except OutputDirExistsException as exc:
            raise TemplateError(f"{out / context['folder']} already exists: choose another -o folder or "
                                "remove it (a kit is never rendered over another)") from exc
        except CookiecutterException as exc:
            raise TemplateError(f"cookiecutter could not render {template}: {exc}") from exc
    return Path(made)


def exercise_lines(exercises: list[Exercise]) -> str:
    """The README's table rows: one per exercise."""
    return "\n".join(f"| {e.meta.short_id}: `exercises/{e.module}/{e.id}/` | {e.meta.title} | {e.meta.max_points} |"
                     for e in exercises)


def copy_exercises(folder: Path, exercises: list[Exercise]) -> None:
    """The stubs, public tests and metadata of the chosen exercises; nothing else of the kit."""
    for exercise in exercises:
        target = folder / "exercises" / exercise.module / exercise.id
        target.mkdir(parents=True)
        for source in (exercise.meta_path, exercise.stub_path, exercise.public_test_path):
            shutil.copyfile(source, target / source.name)
