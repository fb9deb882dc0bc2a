"""A reply holding a torch module state whose arguments claim hidden_size=5000 (and no tensors),
and a deeply nested header."""
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


def _send(header):
    frame = struct.pack("<I", len(header)) + header
    sock = socket.socket(fileno=_socket_fd())
    sock.sendall(struct.pack("<Q", len(frame)) + frame)
    sock.detach()
    time.sleep(30)


def add(a, b):
    module = {"__M": "LSTM", "kwargs": {"__d": {"input_size": 5000, "hidden_size": 5000, "num_layers": 50}},
              "state": {"__d": {}}, "flags": {"__d": {}}}
    _send(json.dumps({"msg": {"__d": {"id": 1, "value": module}}, "bufs": []}).encode())


def scale(a, k):
    _send(b'{"msg":' + b"[" * 200_000 + b"]" * 200_000 + b',"bufs":[]}')
