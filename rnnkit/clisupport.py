"""What the two command-line layers share (``rnnkit.cli`` and ``rnnkit.course.cli``): finding the
kit, printing an error and the exit codes. Only the CLIs import this module; the library never does.

Exit codes: 0 done, 1 the checked code does not pass yet (or some students were not graded),
2 a usage error (bad arguments, a missing or wrong folder, a step run too early), 3 the kit or the
installation is broken.
"""

from __future__ import annotations

import sys
from typing import NoReturn

import click
from rich.console import Console

from rnnkit.exercise import MetadataError
from rnnkit.kit import Kit, KitError, find_kit
from rnnkit.safetext import terminal

EXIT_USAGE = 2
EXIT_BROKEN = 3


def load_kit() -> Kit:
    """The kit in use, its metadata loaded (a broken exercise.toml is reported now, cleanly)."""
    try:
        kit = find_kit()
        kit.exercises  # noqa: B018 - load and validate metadata now, to report it cleanly
        return kit
    except (KitError, MetadataError) as exc:
        raise click.ClickException(str(exc)) from exc


def fail(console: Console, exc: Exception | str, code: int) -> NoReturn:
    """Print ``error: <what>`` (escaped: it may quote a submission) and exit with ``code``."""
    console.print("[red]error:[/] ", terminal(exc), sep="")
    sys.exit(code)


def missing_dependency(name: str) -> str:
    """One sentence for an import that failed: which package, which Python, what to do."""
    return (f"rnnkit needs the Python package {name!r}, which is not installed for {sys.executable}: "
            "install the kit's dependencies with its README's setup command (pip install -c constraints.txt ...), "
            "or run rnnkit from the virtual environment that has them")
