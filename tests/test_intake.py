"""rnnkit.intake on what people submit: every bad archive is built here with zipfile, tarfile,
os.symlink and git, with the status it must get; none aborts, none writes outside its scratch."""

from __future__ import annotations

import io
import json
import os
import random
import stat
import subprocess
import tarfile
import zipfile
from pathlib import Path

import pytest

from rnnkit.intake import Intake, Limits, take_in
from rnnkit.kit import Kit

Q021 = "q021_lstm_step_forward"
Q005 = "q005_gru_step_forward"


def noise(count: int) -> bytes:
    """Incompressible bytes, the same on every run."""
    return random.Random(count).randbytes(count)


CODE = "import numpy as np\n\n\ndef f(x):\n    return np.tanh(x)\n"


def snapshot(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


def run_intake(source: Path, kit: Kit, limits: Limits | None = None) -> Intake:
    """take_in with the check that nothing outside its scratch folder changed."""
    base = source.parent
    before = snapshot(base)
    scratch = base / "scratch"
    intake = take_in(source, scratch, list(kit.exercises), limits)
    after = {p for p in snapshot(base) if not p.startswith("scratch")}
    assert after == before - {p for p in before if p.startswith("scratch")}, "intake wrote outside its scratch"
    assert not Path("/tmp/rnnkit-intake-escape.py").exists()
    return intake


def make_zip(path: Path, members: dict[str, bytes], symlinks: dict[str, str] | None = None) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
        for name, target in (symlinks or {}).items():
            info = zipfile.ZipInfo(name)
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            archive.writestr(info, target)
    return path


def make_tar(path: Path, members: list[tarfile.TarInfo], data: dict[str, bytes] | None = None,
             fmt: int = tarfile.PAX_FORMAT) -> Path:
    with tarfile.open(path, "w:gz", format=fmt, encoding="utf-8", errors="surrogateescape") as archive:
        for info in members:
            body = (data or {}).get(info.name)
            if body is not None:
                info.size = len(body)
            archive.addfile(info, io.BytesIO(body) if body is not None else None)
    return path


def file_info(name: str, kind: bytes = tarfile.REGTYPE, link: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.linkname = kind, link
    return info


def accepted(intake: Intake) -> Intake:
    assert intake.status == "accepted", intake.reason
    return intake


def rejected(intake: Intake, problem: str, words: str) -> None:
    assert (intake.status, intake.problem) == ("rejected", problem), (intake.problem, intake.reason)
    assert words in intake.reason and intake.layout is None and not intake.files


# ---- good submissions of every kind ---------------------------------------------------------


def test_folder_in_kit_layout(tmp_path: Path, kit: Kit) -> None:
    folder = tmp_path / "sub" / "exercises" / "01_cells" / Q021
    folder.mkdir(parents=True)
    (folder / f"{Q021}.py").write_text(CODE)
    (tmp_path / "sub" / "takehome.json").write_text(json.dumps({"kit_id": "k-1"}))
    intake = accepted(run_intake(tmp_path / "sub", kit))
    assert intake.kind == "folder" and intake.manifest == {"kit_id": "k-1"}
    assert intake.files[Q021].origin == f"exercises/01_cells/{Q021}/{Q021}.py"
    assert intake.files[Q021].path.read_text() == CODE
    assert intake.layout is not None and (intake.layout / "01_cells" / Q021 / f"{Q021}.py").is_file()
    assert Q005 in intake.missing and not intake.flags


def test_zip_tarball_py_and_notebook(tmp_path: Path, kit: Kit) -> None:
    for name, make in (("a.zip", lambda p: make_zip(p, {f"deep/er/{Q021}.py": CODE.encode()})),
                       ("a.tar.gz", lambda p: make_tar(p, [file_info(f"x/{Q021}.py")], {f"x/{Q021}.py": CODE.encode()}))):
        (tmp_path / name).mkdir()
        intake = accepted(run_intake(make(tmp_path / name / name), kit))
        assert intake.kind in ("zip", "tar") and intake.files[Q021].path.read_text() == CODE
    (tmp_path / "py").mkdir()
    (tmp_path / "py" / f"{Q005}.py").write_text(CODE)
    assert accepted(run_intake(tmp_path / "py" / f"{Q005}.py", kit)).kind == "py"
    notebook = {"cells": [{"cell_type": "markdown", "source": "# hi"},
                          {"cell_type": "code", "source": ["%matplotlib inline\n", "import numpy as np\n"]},
                          {"cell_type": "code", "source": "def f(x):\n    return x\n"}], "nbformat": 4}
    (tmp_path / "nb").mkdir()
    (tmp_path / "nb" / f"{Q021}.ipynb").write_text(json.dumps(notebook))
    intake = accepted(run_intake(tmp_path / "nb" / f"{Q021}.ipynb", kit))
    text = intake.files[Q021].path.read_text()
    assert "# %matplotlib inline" in text and "def f(x):" in text and "code cells" in intake.flags[0]


def make_bundle(tmp_path: Path, name: str, steps: list[tuple[str, dict[str, str]]],
                links: dict[str, str] | None = None) -> Path:
    """A real git repository committed at the given times, then bundled with --all."""
    repo = tmp_path / f"{name}-repo"
    repo.mkdir()
    env = {**os.environ, "GIT_AUTHOR_NAME": "c", "GIT_AUTHOR_EMAIL": "c@x", "GIT_COMMITTER_NAME": "c",
           "GIT_COMMITTER_EMAIL": "c@x", "HOME": str(tmp_path)}
    git = ["git", "-C", str(repo)]
    subprocess.run([*git, "init", "-q", "-b", "main"], check=True, env=env)
    for step, (when, files) in enumerate(steps):
        for file_name, text in files.items():
            (repo / file_name).write_text(text)
        for link, target in (links or {}).items() if step == len(steps) - 1 else ():
            os.symlink(target, repo / link)
        subprocess.run([*git, "add", "-A"], check=True, env=env)
        subprocess.run([*git, "commit", "-q", "-m", f"step {step}"], check=True,
                       env={**env, "GIT_COMMITTER_DATE": when, "GIT_AUTHOR_DATE": when})
    (tmp_path / name).mkdir()
    bundle = tmp_path / name / f"{name}.bundle"
    subprocess.run([*git, "bundle", "create", "-q", str(bundle), "--all"], check=True, env=env)
    return bundle


def test_git_bundle_gives_commit_times(tmp_path: Path, kit: Kit) -> None:
    steps = [("2026-12-01T10:00:00+00:00", {f"{Q021}.py": CODE + "# step 0\n"}),
             ("2026-12-01T12:30:00+00:00", {f"{Q021}.py": CODE + "# step 1\n"})]
    intake = accepted(run_intake(make_bundle(tmp_path, "good", steps), kit))
    assert intake.kind == "git-bundle" and "# step 1" in intake.files[Q021].path.read_text()
    assert [c.subject for c in intake.commits] == ["step 1", "step 0"]
    assert intake.commits[0].epoch - intake.commits[1].epoch == 9000


def test_git_bundle_refusals(tmp_path: Path, kit: Kit) -> None:
    linked = make_bundle(tmp_path, "link", [("2026-12-01T10:00:00+00:00", {"a.txt": "x"})],
                         {f"{Q021}.py": str(kit.exercises[0].solution_path)})
    rejected(run_intake(linked, kit), "link", "symbolic link")
    big = make_bundle(tmp_path, "big", [("2026-12-01T10:00:00+00:00", {f"{Q021}.py": "x = 1\n" * 500})])
    rejected(run_intake(big, kit, Limits(max_file_bytes=1000)), "too-large", "per file")
    whole = make_bundle(tmp_path, "cut", [("2026-12-01T10:00:00+00:00", {f"{Q021}.py": CODE})]).read_bytes()
    (tmp_path / "cut" / "cut.bundle").write_bytes(whole[: len(whole) - 30])  # the pack is cut short
    rejected(run_intake(tmp_path / "cut" / "cut.bundle", kit), "corrupt", "git bundle cannot be read")


# ---- refused archives: each with its status -----------------------------------------------------

BAD_ZIPS = {
    "traversal": ({"ok/../../../rnnkit-intake-escape.py": b"x"}, "leaves it"),
    "absolute-path": ({"/tmp/rnnkit-intake-escape.py": b"x"}, "absolute path"),
    "backslash": ({"..\\..\\rnnkit-intake-escape.py": b"x"}, "leaves it"),
    "case-clash": ({f"a/{Q021}.py": b"x", f"a/{Q021.upper()}.py": b"y"}, "same name"),
    "control-name": ({"a\x1b[31m.py": b"x"}, "control characters"),
}


@pytest.mark.parametrize("case", sorted(BAD_ZIPS))
def test_bad_zip_names(tmp_path: Path, kit: Kit, case: str) -> None:
    members, words = BAD_ZIPS[case]
    intake = run_intake(make_zip(tmp_path / "bad.zip", {f"{Q021}.py": CODE.encode(), **members}), kit)
    problem = {"backslash": "traversal", "control-name": "bad-name"}.get(case, case)
    rejected(intake, problem, words)


def test_zip_symlink_and_duplicate_entry(tmp_path: Path, kit: Kit) -> None:
    rejected(run_intake(make_zip(tmp_path / "l.zip", {}, {f"{Q021}.py": "/etc/passwd"}), kit), "link", "symbolic link")
    (tmp_path / "d").mkdir()
    with zipfile.ZipFile(tmp_path / "d" / "dup.zip", "w") as archive, pytest.warns(UserWarning):
        archive.writestr(f"{Q021}.py", CODE)
        archive.writestr(f"{Q021}.py", "evil = 1\n")
    rejected(run_intake(tmp_path / "d" / "dup.zip", kit), "case-clash", "same name")


def test_names_that_are_not_utf8(tmp_path: Path, kit: Kit) -> None:
    raw = make_zip(tmp_path / "n.zip", {f"{Q021}.py": CODE.encode(), "qXX.py": b"x"}).read_bytes()
    (tmp_path / "n.zip").write_bytes(raw.replace(b"qXX.py", b"q\xff\xfe.py"))
    rejected(run_intake(tmp_path / "n.zip", kit), "bad-name", "not valid UTF-8")
    (tmp_path / "t").mkdir()
    name = "q\udcff.py"
    tar = make_tar(tmp_path / "t" / "n.tar.gz", [file_info(name)], {name: b"x"}, fmt=tarfile.GNU_FORMAT)
    rejected(run_intake(tar, kit), "bad-name", "not valid UTF-8")


@pytest.mark.parametrize("kind,problem,words", [
    (tarfile.SYMTYPE, "link", "symbolic link"), (tarfile.LNKTYPE, "link", "hard link"),
    (tarfile.CHRTYPE, "device", "device"), (tarfile.BLKTYPE, "device", "device"),
    (tarfile.FIFOTYPE, "device", "pipe")])
def test_tar_links_and_devices(tmp_path: Path, kit: Kit, kind: bytes, problem: str, words: str) -> None:
    members = [file_info(f"k/{Q021}.py"), file_info("k/other.py", kind, "/etc/passwd")]
    rejected(run_intake(make_tar(tmp_path / "t.tar.gz", members, {f"k/{Q021}.py": CODE.encode()}), kit), problem, words)


def test_folder_links(tmp_path: Path, kit: Kit) -> None:
    sub = tmp_path / "sym" / "sub"
    sub.mkdir(parents=True)
    os.symlink(kit.exercises[0].solution_path, sub / f"{Q021}.py")
    rejected(run_intake(sub, kit), "link", "symbolic link")
    hard = tmp_path / "hard" / "sub"
    hard.mkdir(parents=True)
    (tmp_path / "hard" / "outside.py").write_text(CODE)
    os.link(tmp_path / "hard" / "outside.py", hard / f"{Q021}.py")
    rejected(run_intake(hard, kit), "link", "hard link")
    piped = tmp_path / "fifo" / "sub"
    piped.mkdir(parents=True)
    (piped / f"{Q021}.py").write_text(CODE)
    os.mkfifo(piped / "pipe")
    rejected(run_intake(piped, kit), "device", "pipe")
    linked = tmp_path / "dirlink" / "sub"
    linked.mkdir(parents=True)
    os.symlink(kit.root / "solutions", linked / "exercises")
    rejected(run_intake(linked, kit), "link", "symbolic link")


def test_zip_bomb_by_ratio_and_by_total(tmp_path: Path, kit: Kit) -> None:
    bomb = make_zip(tmp_path / "bomb.zip", {f"{Q021}.py": CODE.encode(), "data.bin": bytes(4 * 2**20)})
    rejected(run_intake(bomb, kit, Limits(max_file_bytes=8 * 2**20)), "bomb", "zip bomb")
    (tmp_path / "big").mkdir()
    many = {f"f{i}.bin": noise(4000) for i in range(6)}
    big = make_zip(tmp_path / "big" / "big.zip", {f"{Q021}.py": CODE.encode(), **many})
    rejected(run_intake(big, kit, Limits(max_total_bytes=20_000)), "too-large", "unpacks to")


def test_too_many_and_too_large_files(tmp_path: Path, kit: Kit) -> None:
    many = make_zip(tmp_path / "many.zip", {f"f{i}.txt": b"x" for i in range(60)})
    rejected(run_intake(many, kit, Limits(max_files=50)), "too-many-files", "more than 50 files")
    (tmp_path / "l").mkdir()
    large = make_tar(tmp_path / "l" / "large.tar.gz", [file_info(f"{Q021}.py")], {f"{Q021}.py": noise(5000)})
    rejected(run_intake(large, kit, Limits(max_file_bytes=1000)), "too-large", "per file")


def test_nested_archives_one_level_only(tmp_path: Path, kit: Kit) -> None:
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as archive:
        archive.writestr(f"{Q021}.py", CODE)
    intake = accepted(run_intake(make_zip(tmp_path / "outer.zip", {"inner.zip": inner.getvalue()}), kit))
    assert intake.files[Q021].origin == f"inner.zip.d/{Q021}.py"
    (tmp_path / "deep").mkdir()
    third = make_zip(tmp_path / "deep" / "third.zip", {"inner.zip": inner.getvalue()}).read_bytes()
    rejected(run_intake(make_zip(tmp_path / "deep" / "outer.zip", {"middle.zip": third}), kit),
             "nested-archive", "archive inside an archive")


def test_corrupt_empty_and_unknown(tmp_path: Path, kit: Kit) -> None:
    whole = make_zip(tmp_path / "c.zip", {f"{Q021}.py": noise(3000)}).read_bytes()
    (tmp_path / "c.zip").write_bytes(whole[: len(whole) // 2])
    rejected(run_intake(tmp_path / "c.zip", kit), "corrupt", "cannot be read")
    for name, data, problem, words in (("e/empty.zip", None, "empty", "no exercise file"),
                                       ("u/notes.docx", b"hello", "unsupported", "not a folder")):
        path = tmp_path / name
        path.parent.mkdir()
        make_zip(path, {"README.md": b"hi"}) if data is None else path.write_bytes(data)
        rejected(run_intake(path, kit), problem, words)


# ---- names and encodings --------------------------------------------------------------------


def test_look_alikes_and_several_candidates(tmp_path: Path, kit: Kit) -> None:
    only = make_zip(tmp_path / "a.zip", {f"Downloads/{Q021} (1).py": CODE.encode()})
    intake = accepted(run_intake(only, kit))
    assert intake.files[Q021].origin == f"Downloads/{Q021} (1).py"
    assert any("look-alike" in f for f in intake.flags)
    (tmp_path / "b").mkdir()
    both = make_zip(tmp_path / "b" / "b.zip", {f"kit/exercises/01_cells/{Q021}/{Q021}.py": CODE.encode(),
                                               f"{Q021}.py": b"x = 1\n", f"kit/{Q021} copy.py": b"y = 2\n"})
    intake = accepted(run_intake(both, kit))
    assert intake.files[Q021].origin == f"kit/exercises/01_cells/{Q021}/{Q021}.py"
    assert any("3 candidate files" in f for f in intake.flags)


@pytest.mark.parametrize("raw,note", [
    ("x = 'é'\n".encode("latin-1"), "Latin-1"),
    ("x = 'é'\n".encode("utf-16"), "UTF-16"),
    ("x = 'é'\n".encode("utf-16-le"), "UTF-16-LE (no byte-order mark)"),
    (b"\xef\xbb\xbfx = 1\n", "byte-order mark removed"),
    (b"x = 1\r\ny = 2\r\n", "CRLF"),
    (b"x = 1\ny = 2\n\x00\x00", "NUL byte(s) removed"),
])
def test_encodings_are_decoded(tmp_path: Path, kit: Kit, raw: bytes, note: str) -> None:
    intake = accepted(run_intake(make_zip(tmp_path / "e.zip", {f"{Q021}.py": raw}), kit))
    text = intake.files[Q021].path.read_text(encoding="utf-8")
    assert text.startswith("x = ") and "\r" not in text and "\x00" not in text
    assert any(note in f for f in intake.flags), intake.flags


@pytest.mark.parametrize("raw,words", [
    (bytes(range(256)) * 4, "binary file"),
    (b"\xff\xfex\x00=\x00 \x001", "not valid UTF-16"),
])
def test_undecodable_files_say_why(tmp_path: Path, kit: Kit, raw: bytes, words: str) -> None:
    intake = run_intake(make_zip(tmp_path / "u.zip", {f"{Q021}.py": raw, f"{Q005}.py": CODE.encode()}), kit)
    assert intake.status == "accepted" and Q005 in intake.files and Q021 not in intake.files
    assert words in intake.unreadable[Q021]
