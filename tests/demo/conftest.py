"""Fixtures for the demo server tests: a running server and raw-socket / http.client clients.

The reference clients are ones the project does not own: ``http.client`` for ordinary
exchanges and plain sockets where the exact bytes on the wire matter.
"""

from __future__ import annotations

import http.client
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

_here = str(Path(__file__).resolve().parent)
if _here not in sys.path:
    sys.path.insert(0, _here)

from demokit import Connect, Fetch, RawConnection  # noqa: E402

from httpexplore.demo import DemoServer  # noqa: E402


@pytest.fixture
def server() -> Iterator[DemoServer]:
    """A plain-HTTP demo server with short timeouts, stopped after the test."""
    srv = DemoServer(idle_timeout=3.0, request_timeout=1.0, silence_timeout=2.0).start()
    yield srv
    srv.stop()


@pytest.fixture
def raw(server: DemoServer) -> Iterator[Connect]:
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
    connection = http.client.HTTPConnection(server.host, server.port, timeout=10)
    yield connection
    connection.close()


@pytest.fixture
def fetch(conn: http.client.HTTPConnection) -> Fetch:
    """``fetch(path, method="GET", body=None, headers=None) -> (response, body)``."""
    def do(path: str, method: str = "GET", body: bytes | None = None,
           headers: dict[str, str] | None = None) -> tuple[http.client.HTTPResponse, bytes]:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response, response.read()
    return do
