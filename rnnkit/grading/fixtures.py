"""The fixtures every exercise test may use:

    impl   the submission's module: a sandbox proxy (default) or, with --rnnkit-no-sandbox, the
           module run in this process; both behave the same (see rnnkit.sandbox.submission)
    ref    the reference solution, imported here in the grader (hidden tests only)
    rng    a numpy Generator seeded from the run's secret seed and the test's id
"""

from __future__ import annotations

import importlib.util
import sys
import types
import zlib

import numpy as np
import pytest

from rnnkit.grading.context import context_of
from rnnkit.grading.session import session_of
from rnnkit.sandbox.submission import Submission


@pytest.fixture
def impl(request: pytest.FixtureRequest) -> Submission:
    ctx = context_of(request.node)
    if ctx is None:
        raise pytest.UsageError("the impl fixture is for exercise tests (test_<id>.py / test_<id>_hidden.py)")
    return session_of(request.config).submission(ctx)


@pytest.fixture
def ref(request: pytest.FixtureRequest) -> types.ModuleType:
    ctx = context_of(request.node)
    if ctx is None or not ctx.solution_path.is_file():
        raise pytest.UsageError("the ref fixture needs the kit's solutions/ (hidden tests only)")
    session = session_of(request.config)
    if ctx.meta.id not in session.refs:
        name = f"rnnkit_reference.{ctx.meta.id}"
        spec = importlib.util.spec_from_file_location(name, ctx.solution_path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
        session.refs[ctx.meta.id] = module
    return session.refs[ctx.meta.id]


@pytest.fixture
def rng(request: pytest.FixtureRequest) -> np.random.Generator:
    session = session_of(request.config)
    stream = zlib.crc32(request.node.nodeid.split("::", 1)[-1].encode())
    return np.random.default_rng(np.random.SeedSequence([session.seed, stream]))
