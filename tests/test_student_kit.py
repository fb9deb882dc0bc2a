"""The student's edition through the real thing: `rnnkit build student-kit` renders a kit with
cookiecutter from a copy of this repository whose hidden files carry a canary; the kit installs
with its own README commands into a fresh venv (offline, the Makefile's pip options); its
`rnnkit check` fails on the stubs and passes on the reference solutions; nothing hidden is in the
kit or in the package it installed; a second build gives the same bytes; errors are one sentence.

One kit and one venv for the whole module (the install is most of its cost)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from rnnkit.edition import student_modules
from rnnkit.kit import Kit

REPO = Path(__file__).resolve().parent.parent
CLI = Path(sys.executable).parent / "rnnkit"
CANARY = "CANARY-5d1e07-hidden"
Q021, Q009 = "q021_lstm_step_forward", "q009_peephole_lstm"


def _canary_repo(root: Path) -> Path:
    """A copy of the repository's kit parts; every hidden file gets the canary."""
    for part in ("exercises", "solutions", "autograder", "instructor", "bank"):
        shutil.copytree(REPO / part, root / part)
    for name in ("pyproject.toml", "constraints.txt"):
        shutil.copyfile(REPO / name, root / name)
    for path in [*(root / "solutions").rglob("*"), *(root / "autograder").rglob("*")]:
        if path.is_file():
            path.write_text(path.read_text(encoding="utf-8") + f"\n# {CANARY}\n", encoding="utf-8")
    return root


def _build(source: Path, out: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "RNNKIT_KIT": str(source), "COLUMNS": "200"}
    return subprocess.run([str(CLI), "build", "student-kit", "-o", str(out), *args], capture_output=True,
                          text=True, env=env, timeout=120)


def _setup_commands(readme: str) -> list[str]:
    block = re.search(r"## Set up and start\n\n```bash\n(.*?)```", readme, re.S)
    assert block, "the README has no set-up block"
    return block.group(1).strip().splitlines()


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("studentkit")


@pytest.fixture(scope="module")
def source(work: Path) -> Path:
    return _canary_repo(work / "repo")


@pytest.fixture(scope="module")
def kit_dir(work: Path, source: Path) -> Path:
    made = _build(source, work / "kit", "--modules", "01")
    assert made.returncode == 0, made.stdout + made.stderr
    return work / "kit"


@pytest.fixture(scope="module")
def installed(kit_dir: Path) -> Path:
    """The README's first command, as written, in the kit folder; returns the venv's bin/."""
    setup, start = _setup_commands((kit_dir / "README.md").read_text(encoding="utf-8"))
    assert start == ".venv/bin/rnnkit watch"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "RNNKIT", "PYTHON"))}
    done = subprocess.run(setup, shell=True, cwd=kit_dir, capture_output=True, text=True, env=env, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr[-3000:]
    return kit_dir / ".venv" / "bin"


def student(bin_dir: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """The kit's own `rnnkit` (what the student runs), with nothing of this repository around."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "RNNKIT", "PYTHON"))}
    return subprocess.run([str(bin_dir / "rnnkit"), *args], capture_output=True, text=True, cwd=cwd,
                          env={**env, "COLUMNS": "200"}, timeout=300)


def test_the_kit_holds_the_chosen_exercises_and_the_tool(kit_dir: Path, source: Path) -> None:
    kit = Kit(source)
    chosen = [e for e in kit.exercises if e.module == "01_cells"]
    found = {p.name for p in (kit_dir / "exercises" / "01_cells").iterdir()}
    assert found == {e.id for e in chosen} and not (kit_dir / "exercises" / "02_training_stability").exists()
    for exercise in chosen:
        folder = kit_dir / "exercises" / "01_cells" / exercise.id
        assert sorted(p.name for p in folder.iterdir()) == sorted(
            ["exercise.toml", f"{exercise.id}.py", f"test_{exercise.id}.py"])
        assert (kit_dir / ".stubs" / "01_cells" / f"{exercise.id}.py").read_bytes() == exercise.stub_path.read_bytes()
    readme = (kit_dir / "README.md").read_text(encoding="utf-8")
    assert "rnnkit watch" in readme and "How to submit" not in readme and "LSTM cell equations (numpy)" in readme
    assert not (kit_dir / "takehome.json").exists() and not (kit_dir / "run_tests.py").exists()
    assert ".rnnkit/" in (kit_dir / ".gitignore").read_text()
    assert (kit_dir / "constraints.txt").read_text() == (REPO / "constraints.txt").read_text()


def test_building_twice_gives_the_same_bytes(source: Path, work: Path) -> None:
    for name in ("first", "second"):
        made = _build(source, work / name, "--modules", "01")
        assert made.returncode == 0, made.stdout + made.stderr

    def tree(root: Path) -> dict[str, bytes]:
        return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}

    first = tree(work / "first")
    assert first == tree(work / "second") and len(first) > 100


def test_nothing_hidden_is_in_the_kit_or_its_installed_package(kit_dir: Path, installed: Path, source: Path) -> None:
    site = next((kit_dir / ".venv" / "lib").glob("python3*/site-packages"))
    package = site / "rnnkit"
    blocks = []  # every solution body: none may appear anywhere
    for path in (source / "solutions").rglob("*.py"):
        blocks += [b.strip() for b in re.findall(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", path.read_text(), re.S)
                   if len(b.strip()) > 40]
    scanned = 0
    for root in (kit_dir, package):
        for path in root.rglob("*"):
            if ".venv" in path.relative_to(root).parts or not path.is_file() or path.suffix == ".pyc":
                continue
            scanned += 1
            assert "hidden" not in path.name and "mutants" not in path.name and "alternatives" not in path.parts
            text = path.read_bytes().decode("utf-8", errors="replace")
            assert CANARY not in text, path
            assert not re.search(r"^\s*### BEGIN SOLUTION\s*$", text, re.M), path
            assert not [b for b in blocks if b in text], path
    assert scanned > 50
    shipped = sorted(p.relative_to(package).as_posix() for p in package.rglob("*.py"))
    assert shipped == sorted(p.relative_to(REPO / "rnnkit").as_posix() for p in student_modules())
    for absent in ("authorcli.py", "devtools.py", "demo.py", "course/cli.py", "takehome", "intake"):
        assert not (package / absent).exists(), absent


def test_check_fails_on_the_stubs_and_passes_on_the_references(kit_dir: Path, installed: Path, source: Path) -> None:
    folder = kit_dir / "exercises" / "01_cells"
    stub = student(installed, "check", "q021", cwd=folder)  # from inside exercises/: the kit is found upward
    assert stub.returncode == 1 and "Not yet" in stub.stdout, stub.stdout + stub.stderr
    for path in (source / "solutions" / "01_cells").glob("q*.py"):
        shutil.copyfile(path, folder / path.stem / path.name)
    for exercise in (Q021, Q009):
        solved = student(installed, "check", exercise[:4], cwd=kit_dir)
        assert solved.returncode == 0 and "passes its public tests" in solved.stdout, solved.stdout + solved.stderr
    listed = student(installed, "list", cwd=kit_dir)
    assert listed.returncode == 0 and "2/11 solved" in listed.stdout, listed.stdout
    upcoming = student(installed, "next", cwd=kit_dir)
    assert upcoming.returncode == 0 and "q001_lstm_layer_forward" in upcoming.stdout, upcoming.stdout
    # Every reference passes every public test of the kit, through the kit's own pytest plugin.
    python = installed / "python"
    everything = subprocess.run([str(python), "-m", "pytest", "-q", "exercises"], cwd=kit_dir, capture_output=True,
                                text=True, timeout=300)
    assert everything.returncode == 0 and " passed" in everything.stdout, everything.stdout[-3000:]
    helped = student(installed, "--help", cwd=kit_dir)
    commands = re.findall(r"^  (\w[\w-]*) ", helped.stdout.split("Commands:")[1], re.M)
    assert commands == ["build", "check", "doctor", "hint", "list", "next", "reset", "show", "sync", "watch"]
    assert "Instructors:" not in helped.stdout and "takehome" not in helped.stdout


def test_errors_are_one_sentence_with_what_to_do(kit_dir: Path, installed: Path, work: Path) -> None:
    outside = student(installed, "list", cwd=work)
    assert outside.returncode != 0 and "no rnnkit kit here: run this inside a kit" in outside.stderr
    assert "Traceback" not in outside.stderr
    blocked = subprocess.run([str(installed / "python"), "-c",
                              "import sys; sys.modules['numpy'] = None; sys.argv = ['rnnkit', 'check', 'q021']; "
                              "from rnnkit.cli import main; main()"],
                             capture_output=True, text=True, cwd=kit_dir, env={**os.environ, "COLUMNS": "300"})
    assert blocked.returncode == 3 and "Traceback" not in blocked.stdout + blocked.stderr
    assert "needs the Python package 'numpy'" in blocked.stdout and "README" in blocked.stdout
    broken = kit_dir / "exercises" / "01_cells" / Q021 / f"{Q021}.py"
    broken.write_text(broken.read_text() + "\ndef oops(:\n")
    syntax = student(installed, "check", "q021", cwd=kit_dir)
    assert syntax.returncode == 1 and "Traceback" not in syntax.stdout + syntax.stderr
    assert re.search(r"q021_lstm_step_forward\.py, line \d+: invalid syntax\. Fix that line", syntax.stdout.replace("\n", ""))
    reset = student(installed, "reset", "q021", cwd=kit_dir)
    assert reset.returncode == 0 and "is the stub again" in reset.stdout, reset.stdout + reset.stderr
    assert "def oops(:" in next((kit_dir / ".rnnkit" / "backups").glob(f"{Q021}.*.py")).read_text()
    unknown = student(installed, "reset", "q999", cwd=kit_dir)
    assert unknown.returncode == 2 and "no exercise 'q999'" in unknown.stderr


def test_usage_errors_of_the_build_exit_2(kit_dir: Path, source: Path, work: Path) -> None:
    for args, words in ((["--modules", "01"], "already exists"),
                        (["--modules", "01", "--exercises", "q021"], "one way"),
                        (["--modules", "07"], "no module '07'"),
                        (["--exercises", "q021,q999"], "no exercise 'q999'")):
        out = kit_dir if words == "already exists" else work / "refused"
        done = _build(source, out, *args)
        assert done.returncode == 2 and words in done.stdout.replace("\n", " "), done.stdout + done.stderr
        assert "Traceback" not in done.stdout + done.stderr
    assert not (work / "refused").exists()
