"""A reply whose dict keys all share one hash (n * (2**61 - 1) hashes to 0): quadratic to decode.
Sent both as a plain return value and as a hand-made frame."""
import os
import socket
import stat
import struct
import time

P = 2**61 - 1


def _socket_fd():
    for fd in range(3, 256):
        try:
            if stat.S_ISSOCK(os.fstat(fd).st_mode):
                return fd
        except OSError:
            pass
    raise RuntimeError("no socket")


def add(a, b):
    pairs = ",".join(f"[{n * P},0]" for n in range(60_000))
    header = ('{"msg":{"__d":{"id":1,"value":{"__dk":[' + pairs + ']}}},"bufs":[]}').encode()
    frame = struct.pack("<I", len(header)) + header
    sock = socket.socket(fileno=_socket_fd())
    sock.sendall(struct.pack("<Q", len(frame)) + frame)
    sock.detach()
    time.sleep(30)


def scale(a, k):
    return {n * P: 0 for n in range(3000)}
