"""Issue 8, students and the `grade` command: what a new user meets in the first hour, through the
real `rnnkit` command on a copy of the kit (and a real pseudo-terminal for the debugger)."""

from __future__ import annotations

import json
import os
import re
import select
import shutil
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import pytest

from rnnkit.kit import Kit
from rnnkit.stubgen import strip_markers

REPO = Path(__file__).resolve().parent.parent
RNNKIT = Path(sys.executable).parent / "rnnkit"
KIT_FOLDERS = ("exercises", "solutions", "autograder", "bank", "instructor")


@pytest.fixture(scope="module")
def kit_copy(tmp_path_factory: pytest.TempPathFactory) -> Kit:
    root = tmp_path_factory.mktemp("firsthour") / "kit"
    for folder in KIT_FOLDERS:
        shutil.copytree(REPO / folder, root / folder)
    shutil.copy(REPO / "pyproject.toml", root / "pyproject.toml")
    return Kit(root)


def rnnkit(*args: str, kit: Path | None = None, cwd: Path | None = None,
           columns: int = 160) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "RNNKIT_KIT"} | {"COLUMNS": str(columns)}
    if kit is not None:
        env["RNNKIT_KIT"] = str(kit)
    return subprocess.run([str(RNNKIT), *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=600)


def solution(kit: Kit, short: str) -> str:
    return strip_markers(kit.find(short).solution_path.read_text(encoding="utf-8"))


def flat(text: str) -> str:
    return " ".join(text.split())


# -- 1. the debugger in trusted local mode -------------------------------------------------------

def _read_until(fd: int, pattern: str, seen: list[str], timeout: float = 120.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.5)
        if ready:
            try:
                chunk = os.read(fd, 65536).decode("utf-8", "replace")
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            seen.append(chunk)
        if re.search(pattern, "".join(seen)):
            return "".join(seen)
    raise AssertionError(f"no {pattern!r} within {timeout} s; the terminal showed:\n{''.join(seen)[-3000:]}")


def test_breakpoint_opens_pdb_in_check_no_sandbox(kit_copy: Kit) -> None:
    """Item 1: `rnnkit check q047 --no-sandbox` with a breakpoint() stops in pdb on a real
    pseudo-terminal; `p 1+1` answers 2, `c` lets the check finish and pass."""
    exercise = kit_copy.find("q047")
    stub = exercise.stub_path
    original = stub.read_text(encoding="utf-8")
    planted = solution(kit_copy, "q047").replace(
        "def sigmoid(x: np.ndarray) -> np.ndarray:\n",
        "_STOPPED = []\n\n\ndef sigmoid(x: np.ndarray) -> np.ndarray:\n"
        "    if not _STOPPED:\n        _STOPPED.append(1)\n        breakpoint()\n", 1)
    assert "breakpoint()" in planted
    stub.write_text(planted, encoding="utf-8")
    master, slave = os.openpty()
    env = {k: v for k, v in os.environ.items() if k != "RNNKIT_KIT"} | {
        "RNNKIT_KIT": str(kit_copy.root), "COLUMNS": "120", "TERM": "xterm"}
    proc = subprocess.Popen([str(RNNKIT), "check", "q047", "--no-sandbox"], stdin=slave, stdout=slave,
                            stderr=slave, env=env, close_fds=True, start_new_session=True)
    os.close(slave)
    seen: list[str] = []
    try:
        _read_until(master, r"\(Pdb\) ", seen)
        os.write(master, b"p 1+1\n")
        after = _read_until(master, r"\n2\r?\n.*\(Pdb\) ", seen)
        assert "AttributeError" not in after
        os.write(master, b"c\n")
        _read_until(master, r"passes its public tests|Not yet", seen)
        assert proc.wait(timeout=120) == 0, "".join(seen)[-3000:]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(master)
        stub.write_text(original, encoding="utf-8")
    shown = "".join(seen)
    assert "q047 passes its public tests" in shown and "'Namespace' object" not in shown


# -- 2. a function that is missing ------------------------------------------------------------

MISSING = {
    "q048": ("typo", "tanh_via_sigmoid", "q048_tanh_bounds.py does not define tanh_via_sigmoid"),
    "q047": ("empty", "sigmoid", "q047_stable_sigmoid.py does not define sigmoid"),
    "q021": ("comments", "lstm_step_forward", "q021_lstm_step_forward.py does not define lstm_step_forward"),
}


def _missing_submission(kit: Kit, root: Path) -> Path:
    for short, (kind, name, _) in MISSING.items():
        exercise = kit.find(short)
        text = {"typo": solution(kit, short).replace(f"def {name}(", f"def {name}_(", 1),
                "empty": "", "comments": "# I will write this later\n# (nothing yet)\n"}[kind]
        target = root / exercise.module / exercise.id / f"{exercise.id}.py"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    return root


def test_a_missing_function_is_missing_in_grade(kit_copy: Kit, tmp_path: Path) -> None:
    """Item 2 (grade): an empty file, a comment-only file and a typo in a def name are `missing`,
    "<file> does not define <name>", never `crashed` with a wire error."""
    submission = _missing_submission(kit_copy, tmp_path / "sub")
    out = tmp_path / "results.json"
    graded = rnnkit("grade", str(submission), "--exercises", "q021,q047,q048", "--out", str(out), kit=kit_copy.root)
    assert graded.returncode == 0, graded.stdout + graded.stderr
    raw = json.loads(out.read_text())
    for short, (_, _, message) in MISSING.items():
        tasks = raw["exercises"][kit_copy.find(short).id]["tasks"]
        statuses = {t["status"] for t in tasks}
        assert "crashed" not in statuses and "missing" in statuses, (short, tasks)
        assert any(t["message"].startswith(message) for t in tasks), (short, tasks)
        assert not any("does not match the request" in t["message"] for t in tasks)
    q048 = raw["exercises"]["q048_tanh_bounds"]["tasks"]
    assert [t["status"] for t in q048][1:] != ["missing"] * (len(q048) - 1)  # the other functions are graded


@pytest.mark.parametrize("sandbox", [True, False], ids=["sandbox", "no-sandbox"])
def test_a_missing_function_is_missing_in_check(kit_copy: Kit, sandbox: bool) -> None:
    """Item 2 (check): the same message in the sandbox and in trusted local mode."""
    stub = kit_copy.find("q048").stub_path
    original = stub.read_text(encoding="utf-8")
    stub.write_text(solution(kit_copy, "q048").replace("def tanh_via_sigmoid(", "def tanh_via_sigmod(", 1))
    try:
        checked = rnnkit("check", "q048", *([] if sandbox else ["--no-sandbox"]), kit=kit_copy.root)
    finally:
        stub.write_text(original, encoding="utf-8")
    assert checked.returncode == 1
    text = flat(checked.stdout)
    assert "missing" in text and "q048_tanh_bounds.py does not define tanh_via_sigmoid" in text, text
    assert "crashed" not in text and "WireError" not in text and "does not match the request" not in text


# -- 3. the public check says what it checked ------------------------------------------------

def test_public_check_says_what_it_checked_and_shows_no_points(kit_copy: Kit) -> None:
    """Item 3: a wrong gate order in q021 passes the public bound check: the check names that check
    (not the hidden task "matches torch.nn.LSTMCell"), shows no points, and says the hidden grader
    checks more."""
    stub = kit_copy.find("q021").stub_path
    original = stub.read_text(encoding="utf-8")
    wrong = solution(kit_copy, "q021").replace("i = sigmoid(a[:, 0:H])", "i = sigmoid(a[:, H:2 * H])", 1)
    wrong = wrong.replace("f = sigmoid(a[:, H:2 * H])", "f = sigmoid(a[:, 0:H])", 1)
    stub.write_text(wrong, encoding="utf-8")
    try:
        checked = rnnkit("check", "q021", kit=kit_copy.root)
    finally:
        stub.write_text(original, encoding="utf-8")
    text = flat(checked.stdout)
    assert "hidden state is bounded" in text and "worked example" in text, text
    assert "matches torch.nn.LSTMCell" not in text and "2/2" not in text and "points" not in text.split("They earn")[0]
    assert "the hidden grader checks more" in text
    listing = flat(rnnkit("list", kit=kit_copy.root).stdout)
    assert "pass their public tests" in listing and "(from the public tests)" not in listing


# -- 4. tolerance messages ----------------------------------------------------------------------

def test_tolerance_message_reports_the_compared_quantity(kit_copy: Kit, tmp_path: Path) -> None:
    """Item 4: a sigmoid written as 0.5 (1 + tanh(x/2)) loses relative accuracy for very negative x:
    the message gives the relative error next to the relative limit, and the error is over it."""
    exercise = kit_copy.find("q047")
    text = solution(kit_copy, "q047")
    body = re.search(r"def sigmoid\(x: np.ndarray\) -> np.ndarray:\n(    \"\"\".*?\"\"\"\n)(.*?)\n\n\n", text, re.S)
    assert body is not None
    text = text.replace(body.group(2), "    return 0.5 * (1 + np.tanh(x / 2))")
    target = tmp_path / "sub" / f"{exercise.id}.py"
    target.parent.mkdir()
    target.write_text(text)
    out = tmp_path / "r.json"
    graded = rnnkit("grade", str(target.parent), "--exercises", "q047", "--out", str(out), kit=kit_copy.root)
    assert graded.returncode == 0, graded.stdout + graded.stderr
    task2 = json.loads(out.read_text())["exercises"][exercise.id]["tasks"][1]
    assert task2["status"] == "failed"
    found = re.search(r"relative error (\S+) \(must be <= (\S+)\)", task2["message"])
    assert found, task2["message"]
    assert float(found.group(1)) > float(found.group(2)) == 1e-15
    assert "allowed: rtol" not in task2["message"]


# -- 5. arguments by name ------------------------------------------------------------------------

def test_in_place_change_of_a_method_argument_names_it(kit_copy: Kit, tmp_path: Path) -> None:
    """Item 5: an object's forward that changes its state argument in place is told by name."""
    exercise = kit_copy.find("q009")
    text = solution(kit_copy, "q009")
    marker = "    def forward(self, x: torch.Tensor, state: tuple[torch.Tensor, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:\n"
    assert marker in text
    doc_end = text.index('"""', text.index('"""', text.index(marker) + len(marker)) + 3) + 3
    text = text[:doc_end] + "\n        state[1].add_(1.0)" + text[doc_end:]
    target = tmp_path / "sub" / f"{exercise.id}.py"
    target.parent.mkdir()
    target.write_text(text)
    out = tmp_path / "r.json"
    graded = rnnkit("grade", str(target.parent), "--exercises", "q009", "--out", str(out), kit=kit_copy.root)
    assert graded.returncode == 0, graded.stdout + graded.stderr
    messages = [t["message"] for t in json.loads(out.read_text())["exercises"][exercise.id]["tasks"]]
    assert any("changed its input argument state in place" in m for m in messages), messages
    assert not any(re.search(r"argument #\d", m) for m in messages), messages


# -- 6. show at 80 columns -----------------------------------------------------------------------

def test_show_keeps_preformatted_text_at_80_columns(kit_copy: Kit) -> None:
    """Item 6: every line of the spec and of each docstring appears as it is; the title is whole."""
    exercise = kit_copy.find("q047")
    shown = rnnkit("show", "q047", kit=kit_copy.root, columns=80)
    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.splitlines()
    assert f"{exercise.id}: {exercise.meta.title}" in shown.stdout
    import ast
    doc = ast.get_docstring(ast.parse(exercise.stub_path.read_text())) or ""
    for line in (x.rstrip() for x in doc.splitlines() if x.strip()):
        assert any(line in shown_line for shown_line in lines), f"re-wrapped: {line!r}"


# -- 8. finding the kit --------------------------------------------------------------------------

def test_a_folder_with_exercises_is_a_kit_and_the_kit_is_named(kit_copy: Kit, tmp_path: Path) -> None:
    """Item 8: a folder with exercises/ and no pyproject.toml is the kit (from a subfolder too),
    and the commands say which kit they use."""
    student = tmp_path / "student-kit"
    shutil.copytree(kit_copy.root / "exercises", student / "exercises")
    shutil.copytree(kit_copy.root / "bank", student / "bank")
    listing = rnnkit("list", cwd=student / "exercises" / "01_cells")
    assert listing.returncode == 0, listing.stdout + listing.stderr
    assert f"kit: {student}" in flat(listing.stdout)
    nowhere = rnnkit("list", cwd=tmp_path)
    assert f"kit: {REPO}" in flat(nowhere.stdout) and "installed from" in flat(nowhere.stdout)


# -- 9. the help says what exists -----------------------------------------------------------------

def test_help_and_description_count_what_exists(kit_copy: Kit) -> None:
    """Item 9: the help counts the kit's exercises; the package description claims no number and
    no take-home tooling (there is none)."""
    helped = rnnkit("--help", kit=kit_copy.root)
    assert helped.returncode == 0
    count = len(kit_copy.exercises)
    assert f"({count} in the kit in use)" in flat(helped.stdout)
    assert f"kit: {kit_copy.root} (from RNNKIT_KIT)" in helped.stdout
    assert "100" not in helped.stdout
    description = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["description"]
    assert not re.search(r"\d", description) and "take-home" not in description


# -- 10. grade a file or a folder of loose files --------------------------------------------------

def test_grade_accepts_a_file_and_a_folder_of_loose_files(kit_copy: Kit, tmp_path: Path) -> None:
    """Item 10: PATH/q021_lstm_step_forward.py grades that exercise; a folder of loose .py files
    grades each of them."""
    loose = tmp_path / "loose"
    loose.mkdir()
    for short in ("q021", "q047"):
        (loose / f"{kit_copy.find(short).id}.py").write_text(solution(kit_copy, short))
    out = tmp_path / "one.json"
    one = rnnkit("grade", str(loose / "q021_lstm_step_forward.py"), "--out", str(out), kit=kit_copy.root)
    assert one.returncode == 0, one.stdout + one.stderr
    raw = json.loads(out.read_text())
    assert list(raw["exercises"]) == ["q021_lstm_step_forward"] and raw["total"]["points"] == 4
    both = tmp_path / "both.json"
    folder = rnnkit("grade", str(loose), "--exercises", "q021,q047", "--out", str(both), kit=kit_copy.root)
    assert folder.returncode == 0 and json.loads(both.read_text())["total"] == {"points": 10, "max_points": 10}
    wrong = tmp_path / "notes.py"
    wrong.write_text("x = 1\n")
    refused = rnnkit("grade", str(wrong), kit=kit_copy.root)
    assert refused.returncode == 2 and "notes.py is not an exercise file" in flat(refused.stdout + refused.stderr)


# -- 11. nothing to grade: no traceback -----------------------------------------------------------

def test_grading_only_missing_files_prints_no_traceback(kit_copy: Kit, tmp_path: Path) -> None:
    """Item 11: when every selected file is missing the warm parent is never needed: no
    BrokenPipeError (or any traceback) reaches stderr, three runs out of three."""
    empty = tmp_path / "empty"
    empty.mkdir()
    for _ in range(3):
        graded = rnnkit("grade", str(empty), "--exercises", "q021,q047", kit=kit_copy.root)
        assert graded.returncode == 0
        assert "Traceback" not in graded.stderr and "BrokenPipe" not in graded.stderr, graded.stderr
        assert "missing" in graded.stdout


# -- 7. a stub gives away no other exercise's answer -----------------------------------------------

def test_no_stub_of_the_kit_provides_an_answer() -> None:
    """Item 7 (the kit): no stub hands over finished a function another exercise asks for (q021's
    stub used to ship q047's stable sigmoid)."""
    from rnnkit.devtools import asked_functions, provided_functions

    kit = Kit(REPO)
    asked = asked_functions(kit)
    assert "q047_stable_sigmoid" in asked["sigmoid"]
    given = {e.id: [n for n in provided_functions(e) if set(asked.get(n, [])) - {e.id}] for e in kit.exercises}
    assert {k: v for k, v in given.items() if v} == {}
    stub = kit.find("q021").stub_path.read_text()
    assert "np.exp(-np.abs(x))" not in stub and 'raise NotImplementedError("sigmoid is not implemented yet")' in stub


def test_dev_check_refuses_a_stub_that_provides_an_answer(kit_copy: Kit, tmp_path: Path) -> None:
    """Item 7 (the rule): `rnnkit dev check` names a stub that provides another exercise's answer."""
    kit_root = tmp_path / "kit"
    shutil.copytree(kit_copy.root, kit_root)
    solution_path = Kit(kit_root).find("q021").solution_path
    text = solution_path.read_text()
    head, rest = text.split("def lstm_step_forward(", 1)
    head = head.replace("    ### BEGIN SOLUTION\n", "").replace("    ### END SOLUTION\n", "")
    solution_path.write_text(head + "def lstm_step_forward(" + rest)
    assert rnnkit("dev", "build", "--exercises", "q021", kit=kit_root).returncode == 0
    checked = rnnkit("dev", "check", "--exercises", "q021", kit=kit_root)
    assert checked.returncode == 1
    said = flat(checked.stdout)
    assert ("q021_lstm_step_forward: the stub provides sigmoid finished, which other exercises ask students "
            "to write") in said, checked.stdout[-3000:]
    assert "q047_stable_sigmoid" in said.split("provides sigmoid finished")[1].split(";")[0]
