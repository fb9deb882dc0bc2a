"""A sandbox child's printed output: drained as it comes, the first bytes kept for the results."""

from __future__ import annotations

import os
import select
import threading
from dataclasses import dataclass, field

OUTPUT_CAP_BYTES = 64 * 1024


@dataclass
class OutputDrain:
    """Reads a child's stdout+stderr pipe to the end, keeping only the first bytes.

    A background thread empties the pipe so a chatty child never blocks on a full pipe; `take`
    also reads whatever is still in the pipe itself. Both read under one lock from a non-blocking
    fd, so output the child flushed before its reply is always in what `take` returns.
    """

    fd: int
    cap: int = OUTPUT_CAP_BYTES
    kept: bytearray = field(default_factory=bytearray)
    dropped: int = 0
    at_eof: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> None:
        os.set_blocking(self.fd, False)
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self) -> None:
        readable = select.poll()  # poll, not select: fds above 1024 are fine
        readable.register(self.fd, select.POLLIN)
        while True:
            readable.poll()  # an fd at EOF stays readable (POLLHUP): this never hangs at the end
            with self.lock:
                self._read_available()
                if self.at_eof:
                    os.close(self.fd)  # only this thread closes, so no poll waits on a closed fd
                    return

    def _read_available(self) -> None:
        """Move every byte now in the pipe into `kept` (caller holds the lock)."""
        while not self.at_eof:
            try:
                chunk = os.read(self.fd, 1 << 16)
            except BlockingIOError:
                return
            if not chunk:
                self.at_eof = True
                return
            room = max(self.cap - len(self.kept), 0)
            self.kept += chunk[:room]
            self.dropped += max(len(chunk) - room, 0)

    def take(self) -> str:
        """What was printed since the last take (decoded, with a note on what was cut)."""
        with self.lock:
            self._read_available()
            text = self.kept.decode("utf-8", errors="replace")
            if self.dropped:
                text += f"\n[... {self.dropped} more bytes of output not kept]"
            self.kept.clear()
            self.dropped = 0
        return text
