"""In-process listeners: where an in-memory server says "I answer at host:port".

Theory of operation
-------------------
This module is the only meeting point between an in-memory server (the demo server's
``DemoServer(in_memory=True)``) and the client's :class:`~httpexplore.memory.MemoryTransport`.
It imports nothing from httpexplore, so neither side imports the other: the server registers a
:class:`Listener` under a host and port, and the transport looks one up when the client
connects. A listener hands out one :class:`Peer` per connection: the server's end of a byte
stream, driven by the client's calls (there is no thread on the server side; the server makes
progress when the client reads, writes or waits).

Ports are numbers in a private namespace. Where sockets work, a port is reserved by binding
(never listening on) a real socket, so no real server on the machine can have the same
address; where they do not (Pyodide), ports are counted from 49152.
"""

from __future__ import annotations

import contextlib
import threading
from typing import Any, Protocol

__all__ = ["Listener", "Peer", "find", "listen", "unlisten"]


class Peer(Protocol):
    """The server's end of one in-memory connection, as the client's transport sees it."""

    def send(self, data: bytes) -> int:
        """Hand request bytes to the server; the count accepted. ``ConnectionResetError``
        if the server reset the connection."""

    def receive(self, max_bytes: int) -> bytes | None:
        """Response bytes available now (at most ``max_bytes``), ``None`` if nothing yet, ``b""``
        once the server closed and everything was read. ``ConnectionResetError`` after a
        reset (once the bytes sent before it were read)."""

    def readable(self) -> bool:
        """True if :meth:`receive` would return bytes or the end, or raise (after running
        whatever the server's plan can do by now)."""

    def next_wakeup(self) -> float | None:
        """When (on the server's clock) the server next has something to do by itself, or
        None if it only waits for the client."""

    def clock(self) -> float:
        """The server's clock (``time.monotonic`` unless the server was given another)."""

    def close(self) -> None:
        """The client closed its end."""


class Listener(Protocol):
    """An in-memory server accepting connections."""

    def connect(self) -> Peer | None:
        """A new connection, or None if the server refuses it (stopped)."""


_lock = threading.Lock()
_listeners: dict[tuple[str, int], Listener] = {}
_reserved: dict[tuple[str, int], Any] = {}
_next_port = 49152


def _key(host: str, port: int) -> tuple[str, int]:
    host = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    return host.lower(), port


def listen(host: str, port: int, listener: Listener) -> int:
    """Register ``listener`` at ``host``/``port`` (0: pick a free port); return the port.

    Raises ``OSError`` if another in-memory listener already has that address.
    """
    with _lock:
        if port == 0:
            port = _free_port(host)
        key = _key(host, port)
        if key in _listeners:
            raise OSError(f"an in-memory server already listens at {host} port {port}")
        _listeners[key] = listener
        return port


def unlisten(host: str, port: int, listener: Listener) -> None:
    """Remove ``listener`` (if it is the one registered) and free its port."""
    with _lock:
        key = _key(host, port)
        if _listeners.get(key) is listener:
            del _listeners[key]
        reserved = _reserved.pop(key, None)
    if reserved is not None:
        with contextlib.suppress(OSError):
            reserved.close()


def find(host: str, port: int) -> Listener | None:
    """The in-memory listener at ``host``/``port``, if any."""
    if not _listeners:  # the common case, without a lock: no in-memory server at all
        return None
    with _lock:
        return _listeners.get(_key(host, port))


def _free_port(host: str) -> int:
    global _next_port
    try:
        import socket

        # Bound but not listening: a real connect to it is refused, and no other program
        # can bind it while the in-memory server holds the number.
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.bind((_key(host, 0)[0], 0))
        except OSError:
            sock.close()
            raise
        port = int(sock.getsockname()[1])
        if port == 0:  # Emscripten's emulated sockets "bind" without choosing a port
            sock.close()
            raise OSError("the system chose no port")
        _reserved[_key(host, port)] = sock
        return port
    except Exception:  # no usable sockets here (Pyodide, or a sandbox): count instead
        while _key(host, _next_port) in _listeners:
            _next_port += 1
        _next_port += 1
        return _next_port - 1
