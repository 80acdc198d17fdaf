"""Idle cost: ``count`` calls that find nothing to read, timed alone (connection set up first).

The connection asks ``/hang``, which the server never answers, so every call finds nothing.
"""

from __future__ import annotations

import select
import socket
import time
from typing import Any

from . import explore
from .common import READ_SIZE, ClientFailed, Outcome, request_bytes


def _hanging_socket(host: str, port: int, path: str) -> socket.socket:
    sock = socket.create_connection((host, port))
    sock.sendall(request_bytes(host, port, path))
    sock.setblocking(False)
    return sock


def run_recv(host: str, port: int, path: str, count: int) -> Outcome:
    """A bare failed non-blocking ``recv``, exception handling included."""
    with _hanging_socket(host, port, path) as sock:
        recv = sock.recv
        start = time.perf_counter()
        for _ in range(count):
            try:
                recv(READ_SIZE)
            except BlockingIOError:
                pass
        return Outcome(count, time.perf_counter() - start)


def run_epoll(host: str, port: int, path: str, count: int) -> Outcome:
    """``epoll.poll(0)`` on that socket: the cheapest readiness check there is."""
    with _hanging_socket(host, port, path) as sock, select.epoll() as ep:
        ep.register(sock, select.EPOLLIN)
        poll = ep.poll
        start = time.perf_counter()
        for _ in range(count):
            if poll(0):
                raise ClientFailed("data arrived on /hang")
        return Outcome(count, time.perf_counter() - start)


def _timed_polls(client: Any, count: int, status: Any) -> Outcome:
    """``count`` polls timed alone; the client must still be in ``status`` afterwards."""
    poll = client.poll
    start = time.perf_counter()
    for _ in range(count):
        poll()
    elapsed = time.perf_counter() - start
    if client.get_status() != status:
        raise ClientFailed(f"status {client.get_status()!r} after idle polls")
    return Outcome(count, elapsed)


def _waiting(host: str, port: int, path: str, count: int, *, record: bool) -> Outcome:
    """``poll()`` in REQUESTING, the request written and no answer coming."""
    _, Status = explore.load()
    client = explore.make_client(record=record)
    try:
        explore.connect(client, host, port)
        HTTPClient, _ = explore.load()
        client.request(HTTPClient.METHOD_GET, path, [])
        for _ in range(100):  # let the request bytes go out first
            client.poll()
        return _timed_polls(client, count, Status.REQUESTING)
    finally:
        client.close()


def run_waiting(host: str, port: int, path: str, count: int) -> Outcome:
    return _waiting(host, port, path, count, record=True)


def run_waiting_norec(host: str, port: int, path: str, count: int) -> Outcome:
    return _waiting(host, port, path, count, record=False)


def run_connected(host: str, port: int, path: str, count: int) -> Outcome:
    """``poll()`` on an idle keep-alive connection (CONNECTED, no request outstanding)."""
    _, Status = explore.load()
    client = explore.make_client()
    try:
        explore.connect(client, host, port)
        return _timed_polls(client, count, Status.CONNECTED)
    finally:
        client.close()
