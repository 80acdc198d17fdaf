"""httpexplore's ``HTTPClient`` in the Godot tutorial loop, busy-polling (no sleep).

``poll()`` until CONNECTED, ``request()``, ``poll()`` while REQUESTING, then
``poll(); read_response_body_chunk()`` while BODY; CONNECTED again means keep-alive.  Variants:
blocking mode, a readiness wait (``select.poll`` on ``client.fileno()`` whenever a poll found
nothing, so the client sleeps instead of spinning), recorder off, keeping the body
(``body += chunk``, default ``read_chunk_size``), and the inspector's auto-poll
(:mod:`benchmarks.clients.autopoll`).
"""

from __future__ import annotations

import select
from functools import cache
from typing import Any

from .common import READ_SIZE, ClientFailed, Outcome, Unavailable


@cache
def load() -> tuple[Any, Any]:
    """``(HTTPClient, Status)``, or :class:`Unavailable` while httpexplore has no client."""
    try:
        from httpexplore import HTTPClient, Status
    except ImportError as exc:
        raise Unavailable(f"httpexplore.HTTPClient is not importable ({exc})") from exc
    return HTTPClient, Status


def make_client(*, record: bool = True, blocking: bool = False,
                default_chunk: bool = False) -> Any:
    HTTPClient, _ = load()
    try:
        client = HTTPClient() if record else HTTPClient(record=False)
    except TypeError as exc:
        raise Unavailable(f"HTTPClient(record=False) is not supported ({exc})") from exc
    if not default_chunk:
        client.read_chunk_size = READ_SIZE
    if blocking:
        client.blocking_mode_enabled = True
    return client


def _failure(client: Any, what: str) -> ClientFailed:
    message = getattr(client, "error_message", "")
    return ClientFailed(f"{what}: status {client.get_status()!r} {message}".strip())


def connect(client: Any, host: str, port: int) -> None:
    _, Status = load()
    client.connect_to_host(host, port)
    while client.get_status() in (Status.RESOLVING, Status.CONNECTING):
        client.poll()
    if client.get_status() != Status.CONNECTED:
        raise _failure(client, "connect failed")


class _Waiter:
    """Sleeps until the client's socket is readable (at most 1 s, so a lost wake-up never hangs)."""

    def __init__(self, client: Any) -> None:
        fd = client.fileno()
        if fd is None:
            raise ClientFailed("client.fileno() is None on a socket connection")
        self._poller = select.poll()
        self._poller.register(fd, select.POLLIN)

    def wait(self) -> None:
        self._poller.poll(1000)


def start_request(client: Any, path: str, waiter: _Waiter | None = None) -> None:
    """``request()`` and ``poll()`` while REQUESTING: the head has arrived."""
    HTTPClient, Status = load()
    client.request(HTTPClient.METHOD_GET, path, [])
    client.poll()
    while client.get_status() == Status.REQUESTING:
        if waiter is not None:
            waiter.wait()
        client.poll()
    if client.get_response_code() != 200:
        raise _failure(client, f"response code {client.get_response_code()}")


def get(client: Any, path: str) -> int:
    """One request in the tutorial loop; the body is counted and dropped."""
    _, Status = load()
    start_request(client, path)
    total = 0
    poll, read = client.poll, client.read_response_body_chunk
    while client.get_status() == Status.BODY:
        poll()
        total += len(read())
    if client.get_status() != Status.CONNECTED:
        raise _failure(client, f"body ended after {total} bytes")
    return total


def get_waiting(client: Any, path: str, waiter: _Waiter) -> int:
    """The tutorial loop, but a poll that brought nothing is followed by a readiness wait."""
    _, Status = load()
    start_request(client, path, waiter)
    total = 0
    poll, read = client.poll, client.read_response_body_chunk
    while client.get_status() == Status.BODY:
        poll()
        n = len(read())
        if not n:
            waiter.wait()
        total += n
    if client.get_status() != Status.CONNECTED:
        raise _failure(client, f"body ended after {total} bytes")
    return total


def get_kept(client: Any, path: str) -> int:
    """One request in the tutorial loop, keeping the body as the tutorial does."""
    _, Status = load()
    start_request(client, path)
    body = bytearray()
    while client.get_status() == Status.BODY:
        client.poll()
        body += client.read_response_body_chunk()
    if client.get_status() != Status.CONNECTED:
        raise _failure(client, f"body ended after {len(body)} bytes")
    return len(body)


def _run(host: str, port: int, path: str, count: int, *, record: bool = True,
         blocking: bool = False, keep: bool = False, wait: bool = False) -> Outcome:
    client = make_client(record=record, blocking=blocking, default_chunk=keep)
    try:
        connect(client, host, port)
        if wait:
            waiter = _Waiter(client)
            return Outcome(sum(get_waiting(client, path, waiter) for _ in range(count)))
        fetch = get_kept if keep else get
        return Outcome(sum(fetch(client, path) for _ in range(count)))
    finally:
        client.close()


def run(host: str, port: int, path: str, count: int) -> Outcome:
    return _run(host, port, path, count)


def run_blocking(host: str, port: int, path: str, count: int) -> Outcome:
    return _run(host, port, path, count, blocking=True)


def run_wait(host: str, port: int, path: str, count: int) -> Outcome:
    return _run(host, port, path, count, wait=True)


def run_h11heads(host: str, port: int, path: str, count: int) -> Outcome:
    """The tutorial loop with the common-head reader off: h11 reads every head (an A/B)."""
    from httpexplore import response

    response.COMMON_HEADS = False
    return _run(host, port, path, count)


def run_norec(host: str, port: int, path: str, count: int) -> Outcome:
    return _run(host, port, path, count, record=False)


def run_keep(host: str, port: int, path: str, count: int) -> Outcome:
    return _run(host, port, path, count, keep=True)
