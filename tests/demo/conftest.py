"""Fixtures for the demo server tests: a running server and a raw-socket client.

The reference clients are ones the project does not own: ``http.client`` for ordinary
exchanges and plain sockets where the exact bytes on the wire matter.
"""

from __future__ import annotations

import http.client
import socket
import time
from collections.abc import Callable, Iterator

import pytest

from httpexplore.demo import DemoServer


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


@pytest.fixture
def server() -> Iterator[DemoServer]:
    """A plain-HTTP demo server with short timeouts, stopped after the test."""
    srv = DemoServer(idle_timeout=3.0, request_timeout=1.0, silence_timeout=2.0).start()
    yield srv
    srv.stop()


@pytest.fixture
def raw(server: DemoServer) -> Iterator[Callable[[], RawConnection]]:
    """Factory of raw connections to ``server``; all are closed after the test."""
    made: list[RawConnection] = []

    def connect() -> RawConnection:
        made.append(RawConnection(server.host, server.port))
        return made[-1]

    yield connect
    for conn in made:
        conn.close()


@pytest.fixture
def conn(server: DemoServer) -> Iterator[http.client.HTTPConnection]:
    """An ``http.client`` connection to ``server`` (one socket, kept alive)."""
    conn = http.client.HTTPConnection(server.host, server.port, timeout=10)
    yield conn
    conn.close()


def get(conn: http.client.HTTPConnection, path: str, method: str = "GET",
        body: bytes | None = None, headers: dict[str, str] | None = None,
        ) -> tuple[http.client.HTTPResponse, bytes]:
    """Send one request and read the whole response."""
    conn.request(method, path, body=body, headers=headers or {})
    response = conn.getresponse()
    return response, response.read()


@pytest.fixture
def fetch(conn: http.client.HTTPConnection) -> Callable[..., tuple[http.client.HTTPResponse,
                                                                  bytes]]:
    """``fetch(path, method="GET", body=None, headers=None) -> (response, body)``."""
    def do(path: str, method: str = "GET", body: bytes | None = None,
           headers: dict[str, str] | None = None) -> tuple[http.client.HTTPResponse, bytes]:
        return get(conn, path, method, body, headers)
    return do


def wait_until(predicate: Callable[[], bool], timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()


@pytest.fixture
def eventually() -> Callable[..., bool]:
    """``eventually(predicate, timeout=5.0)``: poll until true (or give up and return it)."""
    return wait_until


@pytest.fixture
def raw_class() -> type[RawConnection]:
    return RawConnection
