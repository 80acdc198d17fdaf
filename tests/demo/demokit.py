"""Helpers shared by the demo server tests (importable: conftest puts this folder on sys.path,
because ``--import-mode=importlib`` makes test modules unable to import each other)."""

from __future__ import annotations

import http.client
import socket
import time
from collections.abc import Callable

Fetch = Callable[..., tuple[http.client.HTTPResponse, bytes]]


class RawConnection:
    """A plain TCP client that sends bytes and reads exactly what the server sends."""

    def __init__(self, host: str, port: int, timeout: float = 5.0) -> None:
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.buffer = b""

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def _fill(self) -> bool:
        data = self.sock.recv(65536)
        self.buffer += data
        return bool(data)

    def read_until(self, marker: bytes) -> bytes:
        """Everything up to and including ``marker``."""
        while marker not in self.buffer:
            if not self._fill():
                raise EOFError(f"closed before {marker!r}; got {self.buffer!r}")
        end = self.buffer.index(marker) + len(marker)
        data, self.buffer = self.buffer[:end], self.buffer[end:]
        return data

    def read_exact(self, size: int) -> bytes:
        while len(self.buffer) < size:
            if not self._fill():
                raise EOFError(f"closed after {len(self.buffer)} of {size} bytes")
        data, self.buffer = self.buffer[:size], self.buffer[size:]
        return data

    def read_to_eof(self) -> bytes:
        """Everything until the server closes (raises on timeout, so a hang fails)."""
        while self._fill():
            pass
        data, self.buffer = self.buffer, b""
        return data

    def read_head(self) -> bytes:
        return self.read_until(b"\r\n\r\n")

    def read_response(self) -> tuple[bytes, bytes]:
        """One Content-Length response: (head, body)."""
        head = self.read_head()
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                return head, self.read_exact(int(line.split(b":")[1]))
        return head, b""

    def close(self) -> None:
        self.sock.close()


Connect = Callable[[], RawConnection]


def wait_until(predicate: Callable[[], bool], timeout: float = 5.0) -> bool:
    """Poll ``predicate`` until it is true or ``timeout`` passes; return its last value."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()
