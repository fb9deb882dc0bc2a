"""Connects to a server the grading host runs on 127.0.0.1 (TCP, UDP and urllib); the values it
returns are right only when a connection worked. (Loopback only: nothing leaves the machine.)"""
import socket
import urllib.request

import numpy as np

PORT = int("{port}")


def _connected():
    for attempt in (lambda: socket.create_connection(("127.0.0.1", PORT), 1),
                    lambda: urllib.request.urlopen(f"http://127.0.0.1:{PORT}/", timeout=1)):
        try:
            attempt()
            return True
        except OSError:
            pass
    return False


def add(a, b):
    return a + b if _connected() else a - b


def scale(a, k):
    return np.multiply(a, k) if _connected() else a
