"""The README's student, instructor and course sections, run as written, in order, on a fresh copy
of the kit (its tracked files; the installed `rnnkit` and `nbgrader` on PATH, as after `make demo`).

The commands are read from README.md itself. Three substitutions, each what the README tells the
reader to do: `~` is a temporary home per person (the instructor, one student); `PATH` in the
`grade` line is a student's copy of exercises/ and the first bracketed choice is taken; and
`course init` gets `--exchange` with a temporary folder (never this machine's shared
/srv/nbgraderexchange), so the student first saves the course's student_nbgrader_config.py as
~/.jupyter/nbgrader_config.py, as the README says for another exchange. "Solve" steps write the
reference solutions.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from rnnkit.course.assignments import load_assignment
from rnnkit.course.coursedir import STUDENT_CONFIG_NAME, load_course
from rnnkit.course.samples import write_student
from rnnkit.kit import Kit
from rnnkit.stubgen import strip_markers

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
README = (REPO / "README.md").read_text(encoding="utf-8")


def section(title: str) -> str:
    start = README.index(title)
    following = [m.start() for m in re.finditer(r"^#{2,3} ", README[start + len(title):], re.M)]
    return README[start:start + len(title) + following[0]] if following else README[start:]


def fenced(text: str) -> list[str]:
    """The lines of the first ```bash block of ``text``."""
    match = re.search(r"```bash\n(.*?)```", text, re.S)
    assert match, "no bash block"
    return match.group(1).splitlines()


def student_commands() -> list[str]:
    """Each table row's command, then the commands its description names, then plain pytest."""
    found: list[str] = []
    for row in re.findall(r"^\| `([^`]+)` \|(.*)\|$", section("## Students"), re.M):
        found += [row[0], *re.findall(r"`(rnnkit [^`]+)`", row[1])]
    plain = re.search(r"Plain\s+`(pytest [^`]+)`", section("## Students"))
    assert found and plain
    return [*found, plain.group(1)]


def env_for(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RNNKIT_", "JUPYTER", "VIRTUAL_ENV"))}
    return env | {"HOME": str(home), "COLUMNS": "200", "PATH": f"{BIN}{os.pathsep}{env.get('PATH', '')}"}


def sh(command: str, home: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", "-c", command], capture_output=True, text=True, env=env_for(home),
                          cwd=cwd, timeout=900)


def said(done: subprocess.CompletedProcess[str]) -> str:
    return f"exit {done.returncode}\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}"


@pytest.fixture(scope="module")
def clone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The kit's files as a fresh clone has them (tracked and new files, nothing ignored)."""
    root = tmp_path_factory.mktemp("readme") / "rnnkit"
    files = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"], cwd=REPO,
                           capture_output=True, text=True, check=True).stdout.split("\0")
    for name in filter(None, files):
        source = REPO / name
        if source.is_file():
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, root / name)
    return root


def test_student_section(clone: Path, tmp_path: Path) -> None:
    commands = student_commands()
    assert commands[:2] == ["rnnkit list", "rnnkit show q021"]
    expected = {"rnnkit list": 0, "rnnkit show q021": 0, "rnnkit hint q021": 0, "rnnkit check": 1,
                "rnnkit check q021": 1, "rnnkit check q021 --no-sandbox": 1, "rnnkit doctor": None,
                "rnnkit next": 0, "rnnkit reset q021": 0, "rnnkit build notebooks": 0, "rnnkit sync q021": 0,
                "rnnkit check q021 --notebook": 1,
                "pytest exercises/01_cells/q021_lstm_step_forward": 1}
    assert commands == list(expected), "the README's student commands changed: update this test"
    for command in commands:
        done = sh(command, tmp_path, clone)
        code = expected[command]
        assert code is None or done.returncode == code, f"{command}: {said(done)}"
        assert "Traceback" not in done.stderr, f"{command}: {said(done)}"
        if command.startswith("rnnkit") and command != "rnnkit doctor":
            assert f"kit: {clone}" in " ".join(done.stdout.split()), f"{command}: {said(done)}"
    kit = Kit(clone)
    stub = kit.find("q021").stub_path  # "Edit exercises/NN_module/qNNN_slug/qNNN_slug.py"
    stub.write_text(strip_markers(kit.find("q021").solution_path.read_text()))
    solved = sh("rnnkit check q021", tmp_path, clone)
    assert solved.returncode == 0 and "q021 passes its public tests" in solved.stdout, said(solved)


def test_instructor_section(clone: Path, tmp_path: Path) -> None:
    line = next(x for x in fenced(section("## Instructors")) if x.startswith("rnnkit grade"))
    command = re.sub(r" \[--exercises ([^ ]+) \|[^\]]*\]", r" --exercises \1", line)
    command = re.sub(r" \[[^\]]*\]", "", command).replace("PATH", str(clone / "exercises"))
    assert command.startswith("rnnkit grade ") and "--out results.json --exercises q021,q005" in command
    done = sh(command, tmp_path, tmp_path)
    assert done.returncode == 0, said(done)
    raw = json.loads((tmp_path / "results.json").read_text())
    assert sorted(raw["exercises"]) == ["q005_gru_step_forward", "q021_lstm_step_forward"]
    assert "results written to results.json" in done.stdout


def test_course_section(clone: Path, tmp_path: Path) -> None:
    teacher, student, exchange = tmp_path / "teacher", tmp_path / "student", tmp_path / "exchange"
    for home in (teacher, student):
        home.mkdir()
    role, home, cwd = "instructor", teacher, clone
    ran: list[str] = []
    for raw in fenced(section("### A course on nbgrader")):
        text = raw.split("  #")[0].strip()
        if raw.startswith("# each student"):
            role, home, cwd = "student", student, student
            (student / ".jupyter").mkdir(exist_ok=True)  # the handout, for an exchange that is not the default
            shutil.copy(teacher / "dl101" / STUDENT_CONFIG_NAME, student / ".jupyter" / "nbgrader_config.py")
            continue
        if raw.startswith("# the instructor"):
            role, home, cwd = "instructor", teacher, teacher / "dl101"
            continue
        if not text or text.startswith("#"):
            continue
        if text.startswith("rnnkit course init"):
            text += f" --exchange {exchange}"
        moved = re.match(r"cd (\S+) && (.*)", text)
        if moved:
            cwd, text = Path(moved.group(1).replace("~", str(home))), moved.group(2)
        done = sh(text.replace("~", str(home)), home, cwd)
        assert done.returncode == 0, f"{role}: {text}: {said(done)}"
        assert "Traceback" not in done.stderr, f"{role}: {text}: {said(done)}"
        ran.append(text)
        if text.startswith("nbgrader fetch_assignment"):  # "then solve ps01/*.ipynb"
            course = load_course(teacher / "dl101")
            kit = Kit(clone)
            write_student(course, "ps01", load_assignment(kit, "ps01").exercises(kit), "correct", student)
    assert [c.split()[1] for c in ran] == ["course", "course", "release_assignment", "fetch_assignment", "submit",
                                           "collect", "course", "course", "release_feedback", "course"]
    fetched = sh("nbgrader fetch_feedback ps01 --course dl101", student, student)  # the comment's student step
    assert fetched.returncode == 0, said(fetched)
    pages = sorted(p.name for p in (student / "ps01" / "feedback").rglob("*.html"))
    assert "q021_lstm_step_forward.html" in pages and len(pages) == 11, said(fetched)
    report = teacher / "dl101" / "rnnkit" / "ps01" / "report.html"
    assert report.is_file() and "Class report" in report.read_text()
