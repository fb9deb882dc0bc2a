"""Framing on a stream socket: u64 length, then the frame."""

from __future__ import annotations

import socket
import struct
import time

from rnnkit.wire.types import MAX_MESSAGE_BYTES, WireError


def send_frame(sock: socket.socket, frame: bytes) -> None:
    sock.sendall(struct.pack("<Q", len(frame)) + frame)


def recv_exact(sock: socket.socket, n: int, deadline: float | None = None) -> bytes:
    """Read n bytes; with a deadline (time.monotonic()), raise TimeoutError when it passes."""
    chunks, got = [], 0
    while got < n:
        if deadline is not None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("no complete reply before the deadline")
            sock.settimeout(remaining)
        try:
            chunk = sock.recv(min(n - got, 1 << 20))
        except TimeoutError as exc:
            raise TimeoutError("no complete reply before the deadline") from exc
        if not chunk:
            raise EOFError("peer closed the connection")
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


def recv_frame(
    sock: socket.socket, limit: int = MAX_MESSAGE_BYTES, deadline: float | None = None
) -> bytes:
    (size,) = struct.unpack("<Q", recv_exact(sock, 8, deadline))
    if size > limit:
        raise WireError(f"reply of {size} bytes is over the {limit}-byte limit")
    return recv_exact(sock, size, deadline)
