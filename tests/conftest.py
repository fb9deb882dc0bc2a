"""Shared fixtures: the real kit (this checkout) and a generated minikit for the tool's tests."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from minikit import make_minikit  # noqa: E402

from rnnkit.kit import Kit  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent


@pytest.fixture(scope="session")
def kit() -> Kit:
    return Kit(REPO)


@pytest.fixture(scope="session")
def minikit_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A read-only-by-convention minikit with 12 exercises (tests that change it copy it first)."""
    return make_minikit(tmp_path_factory.mktemp("minikit"), 12)


@pytest.fixture(scope="session")
def minikit(minikit_root: Path) -> Kit:
    return Kit(minikit_root)


@pytest.fixture
def rnnkit_cli() -> Path:
    return VENV_BIN / "rnnkit"
