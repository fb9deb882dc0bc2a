"""The hiring loop through the real thing: `rnnkit takehome new` renders a kit with cookiecutter,
the kit's own public-test command runs without rnnkit, and `rnnkit takehome grade` grades four
candidates (reference, one wrong exercise, a renamed copy of another candidate, torch.nn.LSTM
where it is forbidden) in the sandbox; `compare` ranks them; chromium draws a report."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import zipfile
from pathlib import Path
from typing import Any

import pytest

from rnnkit.kit import Kit

REPO = Path(__file__).resolve().parent.parent
CLI = Path(sys.executable).parent / "rnnkit"
Q021, Q009 = "q021_lstm_step_forward", "q009_peephole_lstm"
CHOSEN = [f"01_cells/{Q009}", f"01_cells/{Q021}"]

OWN_Q021 = '''import numpy as np


def sigmoid(x):
    return 0.5 * (1.0 + np.tanh(0.5 * x))


def lstm_step_forward(x, prev_h, prev_c, Wx, Wh, b):
    # one product per gate, then the usual update
    width = prev_h.shape[1]
    blocks = [x @ Wx[:, k * width:(k + 1) * width] + prev_h @ Wh[:, k * width:(k + 1) * width]
              + b[k * width:(k + 1) * width] for k in range(4)]
    gate_in, gate_forget, cand, gate_out = sigmoid(blocks[0]), sigmoid(blocks[1]), np.tanh(blocks[2]), sigmoid(blocks[3])
    cell = gate_forget * prev_c + gate_in * cand
    return gate_out * np.tanh(cell), cell
'''
RENAMES = {"width": "hid", "blocks": "parts", "gate_in": "ii", "gate_forget": "ff", "cand": "gg",
           "gate_out": "oo", "cell": "c_new", "# one product per gate, then the usual update": "# my own work"}
USES_NN_LSTM = '''
import torch
from torch import nn


class PeepholeLSTMCell(nn.Module):
    def __init__(self, input_size, hidden_size):
        super().__init__()
        H = hidden_size
        self.weight_ih = nn.Parameter(torch.zeros(4 * H, input_size))
        self.weight_hh = nn.Parameter(torch.zeros(4 * H, H))
        self.bias = nn.Parameter(torch.zeros(4 * H))
        self.p_i, self.p_f, self.p_o = (nn.Parameter(torch.zeros(H)) for _ in range(3))

    def forward(self, x, state):
        h, c = state
        lstm = torch.nn.LSTM(x.shape[1], h.shape[1])
        with torch.no_grad():
            lstm.weight_ih_l0.copy_(self.weight_ih)
            lstm.weight_hh_l0.copy_(self.weight_hh)
            lstm.bias_ih_l0.copy_(self.bias)
            lstm.bias_hh_l0.zero_()
        _, (h1, c1) = lstm(x[None], (h[None], c[None]))
        return h1[0], c1[0]
'''


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """The installed `rnnkit` command in a subprocess."""
    env = {**os.environ, "RNNKIT_KIT": str(REPO), "COLUMNS": "200"}
    return subprocess.run([str(CLI), "takehome", *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=300)


def invoke(*args: str, cwd: Path) -> tuple[int, str]:
    """The same command in this process (click's runner): the sandbox's warm parents, which import
    torch, are started once for all the candidates instead of once per command."""
    from click.testing import CliRunner

    from rnnkit.cli import main

    with contextlib.chdir(cwd):
        done = CliRunner().invoke(main, ["takehome", *args], env={"RNNKIT_KIT": str(REPO)}, catch_exceptions=False)
    return done.exit_code, done.output


def copy_solutions(kit_dir: Path, kit: Kit, ids: list[str]) -> None:
    for exercise in kit.select(",".join(ids)):
        shutil.copyfile(exercise.solution_path, kit_dir / "exercises" / exercise.module / exercise.id / f"{exercise.id}.py")


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("takehome")


@pytest.fixture(scope="module")
def kit_dir(work: Path) -> Path:
    made = cli("new", "--candidate", "candidate-017", "--exercises", "q021,q009", "--hours", "3",
               "-o", "out", "--registry", "registry", cwd=work)
    assert made.returncode == 0, made.stdout + made.stderr
    return work / "out" / "candidate-017"


def test_rendered_kit_holds_scaffolding_and_the_chosen_exercises(kit_dir: Path, work: Path) -> None:
    files = sorted(p.relative_to(kit_dir).as_posix() for p in kit_dir.rglob("*") if p.is_file())
    # rnnkit/: the public test helpers and the probes, with the step functions and callables the probes build
    expected = [".gitignore", "README.md", "conftest.py", "pytest.ini", "rnnkit/__init__.py", "rnnkit/callables.py",
                "rnnkit/probes.py", "rnnkit/stepfns.py", "rnnkit/testing.py", "run_tests.py", "takehome.json"]
    for folder in CHOSEN:
        name = folder.split("/")[1]
        expected += [f"exercises/{folder}/{f}" for f in ("exercise.toml", f"{name}.py", f"test_{name}.py")]
    assert files == sorted(expected)
    readme = (kit_dir / "README.md").read_text()
    assert "candidate-017" in readme and "3 hours" in readme and "python run_tests.py" in readme
    assert "How to submit" in readme and "git bundle create" in readme and "LSTM cell equations (numpy)" in readme
    manifest = json.loads((kit_dir / "takehome.json").read_text())
    assert manifest["exercises"] == [Q009, Q021] and manifest["candidate"] == "candidate-017"
    assert manifest["kit_version"] and manifest["created_at"] and manifest["kit_id"].startswith("candidate-017-")
    record = json.loads((work / "registry" / f"{manifest['kit_id']}.json").read_text())
    assert {k: record[k] for k in manifest} == manifest
    assert not (Path.home() / ".cookiecutter_replay" / "takehome.json").exists()


def test_nothing_hidden_reaches_the_kit(tmp_path: Path) -> None:
    """A canary planted in a copy of every hidden file (solutions, graders, mutants) never shows up."""
    from rnnkit.takehome.new import new_kit

    copy = tmp_path / "kit"
    for part in ("exercises", "solutions", "autograder", "instructor", "bank"):
        shutil.copytree(REPO / part, copy / part)
    canary = "CANARY-7f3a9c-hidden"
    hidden = [p for p in (copy / "solutions").rglob("*") if p.is_file()] + \
             [p for p in (copy / "autograder").rglob("*") if p.is_file()]
    for path in hidden:
        path.write_text(path.read_text() + f"\n# {canary}\n")
    kit = Kit(copy)
    issued = new_kit(kit, list(kit.exercises), "candidate-x", 2, tmp_path / "out", tmp_path / "reg")
    for path in issued.folder.rglob("*"):
        assert "hidden" not in path.name and "mutants" not in path.name and path.suffix != ".pyc"
        if path.is_file():
            text = path.read_bytes()
            assert canary.encode() not in text, path
            assert b"BEGIN SOLUTION" not in text, path


def test_usage_errors_exit_2(kit_dir: Path, work: Path) -> None:
    again = cli("new", "--candidate", "candidate-017", "--exercises", "q021", "-o", "out", "--registry", "registry", cwd=work)
    assert again.returncode == 2 and "already exists" in again.stdout
    for args, words in ((["--exercises", "q021,q999"], "no exercise 'q999'"),
                        (["--exercise", "q021"], "No such option"),
                        (["--exercises", "q021", "--candidate", "../c1"], "letters, digits"),
                        (["--exercises", "q021", "--preset", "demo"], "one way"),
                        (["--preset", "nope"], "no assignment 'nope'")):
        code, output = invoke("new", "--candidate", "c1", *args, "-o", "out2", cwd=work)
        assert code == 2 and words in output, output
    assert not (work / "out2").exists()
    code, output = invoke("grade", str(work / "registry"), "--report", "r.html", "--registry", "registry", cwd=work)
    assert code == 2 and "--exercises" in output


def test_pick_draws_a_balanced_reproducible_set(kit: Kit) -> None:
    from rnnkit.takehome.new import choose

    first = choose(kit, None, None, 4, None, 5)
    assert [e.id for e in first] == [e.id for e in choose(kit, None, None, 4, None, 5)]
    assert {e.meta.library for e in first} == {"numpy", "torch"}
    assert all(e.meta.difficulty == 2 for e in choose(kit, None, None, 2, 2, 1))
    assert [e.id for e in choose(kit, None, "demo", None, None, None)] == ["q021_lstm_step_forward", "q047_stable_sigmoid"]


def test_public_test_command_needs_no_rnnkit(work: Path, kit: Kit) -> None:
    """python -S: numpy, torch and pytest from site-packages, but no .pth, so no rnnkit install."""
    env = {"PATH": os.environ["PATH"], "PYTHONPATH": sysconfig.get_paths()["purelib"], "HOME": str(work)}
    where = subprocess.run([sys.executable, "-S", "-c", "import rnnkit.grader"], capture_output=True, text=True,
                           env=env, cwd=work)
    assert "ModuleNotFoundError" in where.stderr
    from rnnkit.takehome.new import new_kit

    # Every exercise of the kit: the kit's own conftest must give each public test what rnnkit's plugin gives it.
    mine = new_kit(kit, list(kit.exercises), "public", 3, work / "everything", work / "registry").folder
    stubs = subprocess.run([sys.executable, "-S", "run_tests.py"], capture_output=True, text=True, env=env,
                           cwd=mine, timeout=300)
    assert stubs.returncode == 1 and "NotImplementedError" in stubs.stdout and " failed" in stubs.stdout
    copy_solutions(mine, kit, [e.id for e in kit.exercises])
    solved = subprocess.run([sys.executable, "-S", "run_tests.py"], capture_output=True, text=True, env=env,
                            cwd=mine, timeout=300)
    assert solved.returncode == 0 and " passed" in solved.stdout and "failed" not in solved.stdout, solved.stdout


def _zip(folder: Path, target: Path) -> Path:
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*")):
            archive.write(path, Path(folder.name) / path.relative_to(folder))
    return target


def _bundle(folder: Path, target: Path, created: str) -> Path:
    env = {**os.environ, "GIT_AUTHOR_NAME": "c", "GIT_AUTHOR_EMAIL": "c@x", "GIT_COMMITTER_NAME": "c",
           "GIT_COMMITTER_EMAIL": "c@x", "HOME": str(folder.parent)}
    git = ["git", "-C", str(folder)]
    subprocess.run([*git, "init", "-q", "-b", "main"], check=True, env=env)
    for step, offset in enumerate((1, 2)):
        when = (dt.datetime.fromisoformat(created) + dt.timedelta(hours=offset)).isoformat()
        (folder / f"step{step}.txt").write_text(str(step))
        subprocess.run([*git, "add", "-A"], check=True, env=env)
        subprocess.run([*git, "commit", "-q", "-m", f"step {step}"], check=True,
                       env={**env, "GIT_COMMITTER_DATE": when, "GIT_AUTHOR_DATE": when})
    subprocess.run([*git, "bundle", "create", "-q", str(target), "--all"], check=True, env=env)
    return target


@pytest.fixture(scope="module")
def graded(kit_dir: Path, work: Path, kit: Kit) -> dict[str, Any]:
    """Four candidates, each with its own kit, graded through the CLI into reports/."""
    from rnnkit.takehome.new import new_kit

    subs = work / "subs"
    subs.mkdir()
    kits = {"candidate-017": kit_dir}
    for name in ("candidate-018", "candidate-019", "candidate-020"):
        kits[name] = new_kit(kit, kit.select("q021,q009"), name, 3, work / "out", work / "registry").folder
    q021 = lambda d: d / "exercises" / "01_cells" / Q021 / f"{Q021}.py"  # noqa: E731
    q009 = lambda d: d / "exercises" / "01_cells" / Q009 / f"{Q009}.py"  # noqa: E731
    copy_solutions(kits["candidate-017"], kit, [Q021, Q009])
    q021(kits["candidate-018"]).write_text(OWN_Q021)  # right and its own; q009 is left as the stub
    copy_solutions(kits["candidate-019"], kit, [Q009])
    renamed = OWN_Q021
    for old, new in RENAMES.items():
        renamed = re.sub(rf"\b{re.escape(old)}\b" if old[0].isalpha() else re.escape(old), new, renamed)
    q021(kits["candidate-019"]).write_text(renamed)
    copy_solutions(kits["candidate-020"], kit, [Q021])
    q009(kits["candidate-020"]).write_text(USES_NN_LSTM)
    created = json.loads((kits["candidate-020"] / "takehome.json").read_text())["created_at"]
    submissions = {"candidate-017": _zip(kits["candidate-017"], subs / "c017.zip"),
                   "candidate-018": subs / "c018.tar.gz",
                   "candidate-019": kits["candidate-019"],
                   "candidate-020": _bundle(kits["candidate-020"], subs / "c020.bundle", created)}
    with tarfile.open(submissions["candidate-018"], "w:gz") as archive:
        archive.add(kits["candidate-018"], "c018")
    out: dict[str, Any] = {}
    for name, sub in submissions.items():
        code, output = invoke("grade", str(sub), "--report", f"reports/{name}.html", "--registry", "registry",
                              "--against", "reports", cwd=work)
        assert code == 0, output
        out[name] = {"stdout": output, "doc": json.loads((work / "reports" / f"{name}.json").read_text()),
                     "html": (work / "reports" / f"{name}.html").read_text()}
    return out


def _points(doc: dict[str, Any], exercise: str) -> tuple[float, float]:
    return doc["exercises"][exercise]["points"], doc["exercises"][exercise]["max_points"]


def test_reference_gets_full_marks(graded: dict[str, Any]) -> None:
    from rnnkit.results import validate

    doc = graded["candidate-017"]["doc"]
    validate(doc)
    assert doc["total"]["points"] == doc["total"]["max_points"] > 0
    th = doc["takehome"]
    assert th["candidate"] == "candidate-017" and th["manifest_verified"] and th["intake"]["kind"] == "zip"
    assert th["similarity"][Q021]["reference"] == 1.0  # it is the reference: a reviewer must see that
    assert "alike to the reference solution" in graded["candidate-017"]["html"]
    assert isinstance(doc["seed"], int) and str(doc["seed"]) in graded["candidate-017"]["html"]


def test_one_wrong_exercise_loses_exactly_its_points(graded: dict[str, Any]) -> None:
    doc = graded["candidate-018"]["doc"]
    q009_points, q009_max = _points(doc, Q009)
    assert q009_points == 0 and doc["total"]["points"] == doc["total"]["max_points"] - q009_max
    assert _points(doc, Q021)[0] == _points(doc, Q021)[1]  # its own, different q021 is right
    assert doc["takehome"]["similarity"][Q021]["reference"] < 0.9
    assert "not implemented yet" in graded["candidate-018"]["html"]


def test_renamed_copy_of_another_candidate_is_flagged(graded: dict[str, Any]) -> None:
    doc = graded["candidate-019"]["doc"]
    closest = doc["takehome"]["similarity"][Q021]["closest"]
    assert closest["candidate"] == "candidate-018" and closest["score"] >= 0.9
    assert doc["takehome"]["similarity"][Q021]["reference"] < 0.9
    html = graded["candidate-019"]["html"]
    assert "alike to candidate candidate-018" in html and "Closest pair" in html and "c_new" in html
    assert "alike to candidate candidate-018" in graded["candidate-019"]["stdout"]


def test_nn_lstm_where_forbidden_scores_zero_and_is_flagged(graded: dict[str, Any]) -> None:
    doc = graded["candidate-020"]["doc"]
    tasks = doc["exercises"][Q009]["tasks"]
    forbidden = [t for t in tasks if t["status"] == "forbidden"]
    assert forbidden and all(t["points"] == 0 for t in forbidden)
    assert any("lstm" in t["message"].lower() for t in forbidden)
    assert any("LSTM" in flag and flag.startswith("line ") for flag in doc["exercises"][Q009]["flags"])
    assert _points(doc, Q021)[0] == _points(doc, Q021)[1]
    html = graded["candidate-020"]["html"]
    assert "forbidden API" in html and f"exercises/01_cells/{Q009}/{Q009}.py" in html
    timing = doc["takehome"]["timing"]
    assert timing["commits"] == 2 and timing["elapsed_s"] == 2 * 3600 and "after the kit was created" in html


def test_refused_submission_gets_a_report_not_a_crash(work: Path, kit_dir: Path) -> None:
    bad = work / "refused-sub" / "traversal.zip"
    bad.parent.mkdir()
    edited = {**json.loads((kit_dir / "takehome.json").read_text()), "candidate": "someone-else"}
    with zipfile.ZipFile(bad, "w") as archive:
        archive.writestr("kit/takehome.json", json.dumps(edited))
        archive.writestr(f"kit/../../{Q021}.py", "x = 1\n")
    code, output = invoke("grade", str(bad), "--report", str(work / "refused" / "r.html"), "--registry", "registry",
                          cwd=work)
    assert code == 0 and "Submission refused (traversal)" in output, output
    doc = json.loads((work / "refused" / "r.json").read_text())
    assert doc["total"]["points"] == 0 and doc["takehome"]["intake"]["status"] == "rejected"
    assert doc["takehome"]["candidate"] == "candidate-017"  # from the registry, not from the submission
    assert not doc["takehome"]["manifest_verified"] and "was edited" in doc["takehome"]["manifest_notes"][0]
    assert all(t["status"] == "missing" for ex in doc["exercises"].values() for t in ex["tasks"])
    assert "Submission refused" in (work / "refused" / "r.html").read_text()
    assert not (work / f"{Q021}.py").exists() and not (work.parent / f"{Q021}.py").exists()


def test_compare_ranks_candidates(graded: dict[str, Any], work: Path) -> None:
    reports = sorted(str(p) for p in (work / "reports").glob("*.json"))
    done = cli("compare", *reports, "--html", "ranking.html", cwd=work)
    assert done.returncode == 0, done.stdout + done.stderr
    order = [line.split("│")[2].strip() for line in done.stdout.splitlines() if "candidate-0" in line]
    assert set(order[:2]) == {"candidate-017", "candidate-019"} and len(order) == 4  # full marks first
    html = (work / "ranking.html").read_text()
    assert html.index("candidate-017") < html.index("candidate-018") and "serious" in html
    bad = cli("compare", str(work / "registry" / next(iter(os.listdir(work / "registry")))), cwd=work)
    assert bad.returncode == 2 and "not a take-home report" in bad.stdout


@pytest.mark.skipif(shutil.which("chromium") is None, reason="chromium is not installed (apt-get install chromium)")
def test_report_renders_in_a_headless_browser(graded: dict[str, Any], work: Path) -> None:
    shot = work / "shot.png"
    subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu", f"--screenshot={shot}",
                    "--window-size=1280,2000", (work / "reports" / "candidate-020.html").as_uri()],
                   capture_output=True, timeout=120, check=False)
    assert shot.is_file() and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000
