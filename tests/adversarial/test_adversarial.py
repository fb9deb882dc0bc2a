"""Every case of shared/security.md's table, and the hardening classes, graded in one real batch.

Each case is a small submission in ``cases/`` with its expected outcome in ``expected.toml``; the
correct and partly correct submissions sit beside the attacks in the same run and must keep
exactly their scores. The run as a whole must leave the host as it found it. The naive baseline
(``naive.py``) grades the same cases in the grader's own process, for the table in README.md.
"""

from __future__ import annotations

import hashlib
import http.server
import json
import os
import resource
import secrets
import shutil
import threading
import time
import tomllib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from minikit import MODULE, exercise_id, make_minikit

from rnnkit.grader import RunOptions, grade
from rnnkit.kit import Kit
from rnnkit.results import validate

HERE = Path(__file__).resolve().parent
EXPECTED: dict[str, dict] = tomllib.loads((HERE / "expected.toml").read_text())
NAMES = list(EXPECTED)
SHADOWS = {"numpy.py": "raise SystemExit('shadowed numpy imported')\n", "conftest.py": "import os\nos._exit(0)\n",
           "sitecustomize.py": "import os\nos._exit(0)\n", "evil.pth": "import os; os._exit(0)\n"}
HOST_SETTINGS = ["/proc/sys/kernel/hostname", "/proc/sys/kernel/core_pattern", "/proc/sys/kernel/threads-max",
                 "/proc/sys/vm/overcommit_memory", "/proc/sys/user/max_user_namespaces"]
# The hidden grader of every slot: task 2 runs with numpy's error mode on (self_report_errstate).
HIDDEN = '''import pytest

from rnnkit.testing import assert_close, expect_array

CANARY = "{canary}"


@pytest.mark.task(1)
@pytest.mark.parametrize("case", range(2))
def test_add(impl, ref, rng, case):
    a, b = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    expected = ref.add(a.copy(), b.copy())
    out = expect_array(impl.add(a, b), (3, 4), "add(a, b)")
    assert_close(out, expected, "add(a, b)")


@pytest.mark.task(2)
def test_scale(impl, ref, rng):
    a, k = rng.standard_normal((2, 5)), float(rng.standard_normal())
    expected = ref.scale(a.copy(), k)
    out = expect_array(impl.scale.with_options(errstate=True)(a, k), (2, 5), "scale(a, k)")
    assert_close(out, expected, "scale(a, k)")
'''


def slot(name: str) -> str:
    return exercise_id(NAMES.index(name) + 1)


def _tree_digest(root: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.is_symlink() and "__pycache__" not in path.parts:
            digest.update(str(path.relative_to(root)).encode() + path.read_bytes())
    return digest.hexdigest()


def _read(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError as exc:
        return f"unreadable: {exc.errno}"


class _Server(http.server.BaseHTTPRequestHandler):
    hits = 0

    def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
        type(self).hits += 1
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def _lay_out(root: Path, kit_root: Path, port: int) -> Path:
    submission = root / "submission"
    planted = root / "planted"
    for name, expected in EXPECTED.items():
        ex_id = slot(name)
        folder = submission / MODULE / ex_id
        folder.mkdir(parents=True)
        target = folder / f"{ex_id}.py"
        solution = kit_root / "solutions" / MODULE / f"{ex_id}.py"
        setup = expected.get("setup", "")
        if setup == "symlink:solution":
            target.symlink_to(solution)
        elif setup.startswith("symlink:/"):
            target.symlink_to(setup.removeprefix("symlink:"))
        elif setup == "hardlink:solution":
            os.link(solution, target)
        elif setup == "symlink-folder:solution":
            (planted / ex_id).mkdir(parents=True)
            shutil.copy(solution, planted / ex_id / f"{ex_id}.py")
            folder.rmdir()
            folder.symlink_to(planted / ex_id)
        else:
            target.write_text((HERE / "cases" / f"{name}.py").read_text().replace("{port}", str(port)))
        if setup == "shadows":
            for shadow, text in SHADOWS.items():
                (folder / shadow).write_text(text)
    return submission


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory) -> dict:
    root = tmp_path_factory.mktemp("adversarial")
    canary = f"CANARY-{secrets.token_hex(8)}"
    kit_root = make_minikit(root / "kit", len(NAMES))
    for ex_id in (exercise_id(n) for n in range(1, len(NAMES) + 1)):
        (kit_root / "autograder" / MODULE / f"test_{ex_id}_hidden.py").write_text(HIDDEN.replace("{canary}", canary))
        for planted in (kit_root / "solutions" / MODULE / f"{ex_id}.py",
                        kit_root / "autograder" / MODULE / f"{ex_id}.mutants.toml"):
            with planted.open("a") as fh:
                fh.write(f"# {canary}\n")
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Server)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    submission = _lay_out(root, kit_root, server.server_address[1])
    settings_before = {p: _read(p) for p in HOST_SETTINGS}
    kit_before, shm_before = _tree_digest(kit_root), sorted(os.listdir("/dev/shm"))
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.monotonic()
    kit = Kit(kit_root)
    results = grade(kit, list(kit.exercises), submission, RunOptions(call_timeout_s=3.0, exercise_budget_s=20.0))
    server.shutdown()
    return {
        "raw": results.to_dict(), "seconds": time.monotonic() - started, "canary": canary, "root": root,
        "kit_root": kit_root, "submission": submission, "server_hits": _Server.hits,
        "settings": (settings_before, {p: _read(p) for p in HOST_SETTINGS}),
        "kit_digest": (kit_before, _tree_digest(kit_root)), "shm": (shm_before, sorted(os.listdir("/dev/shm"))),
        "rss_growth_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before,
    }


def test_the_batch_finishes_with_complete_valid_results(batch: dict) -> None:
    raw = batch["raw"]
    validate(json.loads(json.dumps(raw)))
    assert set(raw["exercises"]) == {slot(n) for n in NAMES}
    for layer in ("namespaces", "private-root", "no-capabilities", "syscall-filter"):
        assert layer in raw["isolation"], raw["isolation"]
    if os.getuid() == 0:
        assert "unprivileged-user" in raw["isolation"] and raw["child_uids"] == [65534]


@pytest.mark.parametrize("name", NAMES)
def test_case_scores_as_expected(batch: dict, name: str) -> None:
    exercise = batch["raw"]["exercises"][slot(name)]
    expected = EXPECTED[name]
    assert exercise["points"] == expected["points"], exercise["tasks"]
    assert {t["status"] for t in exercise["tasks"]} <= set(expected["statuses"]), exercise["tasks"]
    for task in exercise["tasks"]:
        assert task["status"] == "passed" or task["message"], "every lost point says why"


def test_the_negative_controls_are_never_flagged(batch: dict) -> None:
    for name in ("correct", "correct_1e7", "correct_prints", "partial"):
        assert batch["raw"]["exercises"][slot(name)]["flags"] == [], name


def test_nothing_hidden_leaks(batch: dict) -> None:
    text = json.dumps(batch["raw"])
    assert batch["canary"] not in text  # planted in every hidden test, solution and mutants file


def test_the_host_is_left_as_it_was(batch: dict) -> None:
    before, after = batch["settings"]
    assert before == after
    assert batch["kit_digest"][0] == batch["kit_digest"][1], "a file of the kit changed"
    assert batch["shm"][0] == batch["shm"][1], "something was left in /dev/shm"
    assert not list(Path("/tmp").glob("hoard.bin"))
    assert batch["server_hits"] == 0, "a submission reached the host's loopback server"


def test_the_grader_memory_stays_bounded(batch: dict) -> None:
    # decode bombs, floods and 64 GB allocations: the grader itself grows by well under 1 GiB
    assert batch["rss_growth_kib"] < 1 << 20, batch["rss_growth_kib"]


def test_no_process_is_left_behind(batch: dict) -> None:
    from rnnkit.sandbox.client import shared_zygote

    zygote_pid = shared_zygote().proc.pid
    deadline = time.monotonic() + 5
    while _children(zygote_pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _children(zygote_pid) == []


def test_hostile_text_is_escaped_in_messages(batch: dict) -> None:
    tasks = batch["raw"]["exercises"][slot("hostile_text")]["tasks"]
    text = json.dumps(tasks, ensure_ascii=False)
    text.encode("utf-8")  # every string is encodable
    assert "Boom" in tasks[0]["message"]


def _children(pid: int) -> list[int]:
    kids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            kids.append(int(stat.parent.name))
    return kids


def fooled(points: int | None, expected: int) -> bool:
    """A grader is fooled by a case when it gives more points than the case earns, or when the case
    leaves it without a result."""
    return points is None or points > expected


def test_rnnkit_is_fooled_by_no_case_and_the_naive_baseline_by_many(batch: dict) -> None:
    from naive import naive_grade

    runnable = [n for n in NAMES if EXPECTED[n].get("naive", True) and not n.startswith("decode_bomb")]

    def run(name: str) -> tuple[str, int | None]:
        target = batch["submission"] / MODULE / slot(name) / f"{slot(name)}.py"
        return name, naive_grade(target, batch["root"] / "naive" / name).points

    with ThreadPoolExecutor(max_workers=2) as pool:
        naive = dict(pool.map(run, runnable))
    ours = {n: batch["raw"]["exercises"][slot(n)]["points"] for n in NAMES}
    naive_fooled = sorted(n for n in runnable if fooled(naive[n], EXPECTED[n]["points"]))
    assert [n for n in NAMES if fooled(ours[n], EXPECTED[n]["points"])] == []
    (batch["root"] / "naive.json").write_text(json.dumps({"naive": naive, "rnnkit": ours}, indent=1))
    print(f"\nnaive fooled by {len(naive_fooled)} of {len(runnable)}: {naive_fooled}")
    assert len(naive_fooled) >= 12, naive_fooled
