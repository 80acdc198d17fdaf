"""``MemoryTransport``: a byte stream to an in-memory server of the same process, no socket.

Theory of operation
-------------------
An in-memory server (``DemoServer(in_memory=True)``, the default under Pyodide where there are
no sockets and no threads) registers itself in :mod:`httpexplore._listeners` under its host
and port. When the client connects to that address with its default transport factory, it gets
a :class:`MemoryTransport` instead of a :class:`~httpexplore.transport.SocketTransport` (see
:func:`transport_for`), and every notebook runs unchanged.

The transport goes through the same phases as a socket: ``RESOLVING`` for a name, then
``CONNECTING``, then ``READY`` one ``advance()`` later, so the client's status flow is the one a
learner sees over a socket. What the server's plan does maps to the socket outcomes: a close is
an end of stream (``b""``) after the bytes sent before it; a reset raises the same
``TransportError`` as ``ECONNRESET`` on a socket; a stopped server refuses new connections like
a closed port (``ECONNREFUSED``). TLS is not available: ``start_tls`` fails with a message.

The server has no thread: it makes progress when this transport reads, writes or waits, and
paces its output against its clock, so a body sent in timed pieces still arrives over several
reads when the client polls quickly.
"""

from __future__ import annotations

import errno
import os
import time
from typing import TYPE_CHECKING

from . import _listeners
from .errors import FailureKind, TransportError
from .hosts import ip_literal
from .transport import Phase

if TYPE_CHECKING:
    import ssl

__all__ = ["TRANSPORT_KIND", "MemoryTransport", "transport_for"]

#: The value of the ``transport`` detail of the trace's ``TCPConnected`` event.
TRANSPORT_KIND = "in-memory"


def _os_error_text(code: int) -> str:
    # The wording SocketTransport uses for the same failure, so messages do not depend on
    # whether the server is in memory.
    return f"{os.strerror(code)} ({errno.errorcode.get(code, '')})"


def transport_for(host: str, port: int) -> MemoryTransport | None:
    """A :class:`MemoryTransport` if an in-memory server listens at ``host``/``port``."""
    if _listeners.find(host, port) is None:
        return None
    return MemoryTransport()


class MemoryTransport:
    """The :class:`~httpexplore.transport.Transport` protocol over an in-process listener."""

    kind = TRANSPORT_KIND

    def __init__(self) -> None:
        self._peer_end: _listeners.Peer | None = None
        self._phase = Phase.RESOLVING
        self._host = ""
        self._port = 0
        self._addresses: list[str] = []
        self._peer: tuple[str, int] | None = None
        self._closed = False

    @property
    def peer(self) -> tuple[str, int] | None:
        return self._peer

    @property
    def addresses(self) -> list[str]:
        return list(self._addresses)

    def open(self, host: str, port: int) -> Phase:
        self._host, self._port = host, port
        literal = ip_literal(host)
        if literal is not None:
            self._addresses = [literal]
            self._phase = Phase.CONNECTING
        else:
            self._phase = Phase.RESOLVING
        return self._phase

    def advance(self) -> Phase:
        if self._phase is Phase.RESOLVING:
            self._addresses = [self._host]
            self._phase = Phase.CONNECTING
        elif self._phase is Phase.CONNECTING:
            listener = _listeners.find(self._host, self._port)
            peer_end = listener.connect() if listener is not None else None
            if peer_end is None:
                raise TransportError(
                    FailureKind.CONNECT,
                    f"could not connect to {self._host!r} port {self._port} (in memory); "
                    f"last error: {self._host} port {self._port}: "
                    f"{_os_error_text(errno.ECONNREFUSED)}: the in-memory server is stopped")
            self._peer_end = peer_end
            self._peer = (self._addresses[0] if self._addresses else self._host, self._port)
            self._phase = Phase.READY
        return self._phase

    def start_tls(self, context: ssl.SSLContext, server_hostname: str) -> None:
        raise TransportError(FailureKind.TLS,
                             "TLS is not available to an in-memory server: it serves plain "
                             "HTTP only (use http://, or a socket server for HTTPS)")

    def tls_info(self) -> dict[str, str]:
        return {}

    def _end(self) -> _listeners.Peer:
        if self._closed or self._peer_end is None:
            raise TransportError(FailureKind.IO, "the connection is closed")
        return self._peer_end

    def send(self, data: bytes | memoryview) -> int:
        end = self._end()
        try:
            return end.send(bytes(data))
        except ConnectionResetError as exc:
            raise TransportError(
                FailureKind.IO, f"sending failed: {_os_error_text(errno.ECONNRESET)}") from exc

    def recv(self, max_bytes: int) -> bytes | None:
        end = self._end()
        try:
            return end.receive(max_bytes)
        except ConnectionResetError as exc:
            raise TransportError(
                FailureKind.IO, f"receiving failed: {_os_error_text(errno.ECONNRESET)}") from exc

    def wait(self, *, read: bool, write: bool, timeout: float | None) -> bool:
        """Blocking mode: sleep until the server has something for us, or ``timeout``."""
        end = self._peer_end
        if end is None or self._closed or write:
            return True  # writes never block: the server takes every byte
        deadline = None if timeout is None else end.clock() + timeout
        while True:
            if end.readable():
                return True
            now = end.clock()
            if deadline is not None and now >= deadline:
                return False
            wake = end.next_wakeup()
            if wake is None and deadline is None:
                return False  # the server waits for us: waiting longer would hang forever
            target = min(t for t in (wake, deadline) if t is not None)
            time.sleep(min(max(target - now, 0.0), 0.05))

    def fileno(self) -> int | None:
        return None  # no socket: readiness comes from the in-memory server (see wait)

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            if self._peer_end is not None:
                self._peer_end.close()
