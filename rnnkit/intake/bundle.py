"""A git bundle: cloned (bare, so nothing is checked out) into the scratch folder with the real
``git``, its tree listed before any blob is read (links and submodules refused, sizes checked),
the blobs written through the ``Tree``, and the commit times read with ``git log``."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path, PurePosixPath

from rnnkit.intake.model import Commit, Rejected
from rnnkit.intake.tree import Tree, clean_name, raw_name_ok

MAX_COMMITS = 500


def _git(args: list[str], cwd: Path, home: Path, timeout: float) -> bytes:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home), "LC_ALL": "C",
           "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull, "GIT_TERMINAL_PROMPT": "0"}
    command = ["git", "-c", "core.hooksPath=/dev/null", "-c", "core.fsmonitor=false",
               "-c", "protocol.allow=never", "-c", "protocol.file.allow=always", *args]
    try:
        done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, timeout=timeout,
                              stdin=subprocess.DEVNULL, check=False)
    except FileNotFoundError:
        raise Rejected("unsupported", "git is not installed on the grading machine; ask the candidate for a zip") from None
    except subprocess.TimeoutExpired:
        raise Rejected("corrupt", f"git took longer than {timeout:g} s on the bundle") from None
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise Rejected("corrupt", f"the git bundle cannot be read ({message[-1] if message else 'git failed'}); "
                                  "create it with: git bundle create kit.bundle --all")
    return done.stdout


def read_bundle(path: Path, tree: Tree, scratch: Path, timeout: float) -> list[Commit]:
    repo = scratch / "bundle.git"
    _git(["clone", "--bare", "--quiet", "--", str(path.resolve()), str(repo)], scratch, scratch, timeout)
    heads = _git(["for-each-ref", "--format=%(refname)", "refs/heads"], repo, scratch, timeout).split()
    head = "HEAD"
    try:
        _git(["rev-parse", "--verify", "--quiet", "HEAD^{commit}"], repo, scratch, timeout)
    except Rejected:
        if not heads:
            raise Rejected("empty", "the git bundle holds no branch; commit your work and bundle it with --all") from None
        head = heads[0].decode("utf-8", "replace")
    listing = _git(["ls-tree", "-r", "-l", "-z", "--full-tree", head], repo, scratch, timeout)
    blobs: list[tuple[PurePosixPath, str, int]] = []
    for entry in filter(None, listing.split(b"\0")):
        meta, _, raw_name = entry.partition(b"\t")
        mode, kind, blob_sha, blob_size = meta.split()
        name = raw_name_ok(raw_name)
        if mode == b"120000":
            raise Rejected("link", f"{name!r} is a symbolic link in the last commit; commit the file itself")
        if kind != b"blob":
            raise Rejected("unsupported", f"{name!r} is a git submodule; commit the files themselves")
        rel = clean_name(name)
        if rel is not None and int(blob_size) > tree.limits.max_file_bytes:
            raise Rejected("too-large", f"{name!r} is {int(blob_size)} bytes (at most {tree.limits.max_file_bytes} "
                                        "per file); leave data files out")
        if rel is not None:
            blobs.append((rel, blob_sha.decode(), int(blob_size)))
    if sum(size for _, _, size in blobs) > tree.limits.max_total_bytes:
        raise Rejected("too-large", f"the last commit holds more than {tree.limits.max_total_bytes} bytes")
    for rel, sha, size in blobs:
        data = _git(["cat-file", "blob", sha], repo, scratch, timeout) if size else b""
        tree.add(rel, [data], size)
    log = _git(["log", f"--max-count={MAX_COMMITS}", "--format=%H%x1f%cI%x1f%ct%x1f%s%x1e", head],
               repo, scratch, timeout)
    commits = []
    for record in filter(None, (r.strip() for r in log.split(b"\x1e"))):
        commit_sha, when, epoch, subject = record.decode("utf-8", "replace").split("\x1f", 3)
        commits.append(Commit(commit_sha, when, int(epoch), subject[:200]))
    return commits
