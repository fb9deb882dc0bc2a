"""The isolation layers for real: a child in new namespaces and a private root (no mocks)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

SCRIPT = r'''
import ctypes, json, os, sys
from pathlib import Path
from rnnkit.sandbox import isolation

extra = Path(sys.argv[1])          # stands for a venv or kit that lives under /tmp
mountpoint = Path(sys.argv[2])
probe = {}
read, write = os.pipe()
pid = os.fork()
if pid == 0:
    os.close(read)
    layers = isolation.enter_namespaces()
    inner = os.fork()
    if inner == 0:
        system_paths = isolation._system_paths
        isolation._system_paths = lambda: system_paths() + [extra]
        isolation.build_private_root(mountpoint, {"q900_x.py": b"print(1)\n"}, isolation.Limits())
        isolation.drop_capabilities()
        probe["layers"] = layers
        probe["cwd"] = os.getcwd()
        probe["files"] = sorted(os.listdir("."))
        probe["extra_visible"] = (extra / "marker").read_text()
        probe["repo_autograder_visible"] = os.path.exists(sys.argv[3])
        probe["tmp_writable"] = Path("/tmp/ok").write_text("x") == 1
        for name, action in (("write_bound", lambda: (extra / "new").write_text("x")),
                             ("remount_rw", lambda: isolation._mount(None, str(extra), None, isolation.MS_REMOUNT | isolation.MS_BIND)),
                             ("network", lambda: __import__("socket").create_connection(("127.0.0.1", 22), 1))):
            try:
                action()
                probe[name] = "allowed"
            except OSError as exc:
                probe[name] = type(exc).__name__ + ":" + str(exc.errno)
        probe["pid"] = os.getpid()
        os.write(write, json.dumps(probe).encode())
        os._exit(0)
    os.waitpid(inner, 0)
    os._exit(0)
os.close(write)
os.waitpid(pid, 0)
print(os.read(read, 65536).decode())
'''


def test_private_root_with_bound_paths_under_tmp(tmp_path: Path) -> None:
    extra = tmp_path / "venv-like"
    extra.mkdir()
    (extra / "marker").write_text("visible")
    mountpoint = tmp_path / "root"
    mountpoint.mkdir()
    out = subprocess.run([sys.executable, "-c", SCRIPT, str(extra), str(mountpoint), str(REPO / "autograder")],
                         capture_output=True, text=True, timeout=60, cwd="/")
    assert out.returncode == 0, out.stderr
    probe = json.loads(out.stdout)
    # A root grader maps an unprivileged id for the submission too (it switches to it later).
    assert probe["layers"] == ["namespaces", "no-network"] + (["unprivileged-user"] if os.getuid() == 0 else [])
    assert probe["cwd"] == "/submission" and probe["files"] == ["q900_x.py"]
    assert probe["extra_visible"] == "visible"
    assert probe["repo_autograder_visible"] is False, "the kit's hidden graders must not be reachable"
    assert probe["tmp_writable"] is True
    assert probe["write_bound"].startswith("OSError:30"), probe  # EROFS: bound folders are read-only
    assert probe["remount_rw"] == "PermissionError:1", probe     # EPERM: no capabilities left
    assert probe["network"].startswith("OSError:101"), probe     # ENETUNREACH: no network
    assert probe["pid"] == 1
    assert not (extra / "new").exists()
