"""One client connection: read requests, hand them to the router, close cleanly.

Theory of operation
-------------------
Each accepted connection gets its own thread running :func:`serve_connection`. The loop is
the persistent-connection model of RFC 9112 §9.3: read a request head, let the router answer
it, and start over on the same socket until either side asks to close. Pipelined requests
(§9.3.2) need nothing special: they wait in :class:`SocketReader`'s buffer and are answered in
the order they arrived, because one thread answers them one after the other.

Three clocks bound every connection, so that a silent or slow client cannot hold a thread:

* ``idle_timeout``: how long to wait for the first byte of the next request; when it expires
  the connection is closed without a word (nothing is outstanding, §9.5);
* ``request_timeout``: from the first byte of a request, the whole head and body must arrive
  within it, which defeats "slowloris" clients that trickle one header byte at a time; expiry
  is answered with ``408 Request Timeout`` and a close;
* writes time out after ``idle_timeout`` too (a client that stops reading).

A request the server cannot parse gets an error response and the connection closes (§6.3,
§11.2): after a framing error the next "request" could start anywhere.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import time
from collections.abc import Callable

from .exchange import ClientGone, Exchange, Stopping, Wire, head_bytes
from .http11 import (
    MAX_FIELDS,
    MAX_HEAD,
    MAX_REQUEST_LINE,
    ProtocolError,
    RequestHead,
    body_framing,
    check_host,
    parse_field_line,
    parse_request_line,
    strip_eol,
)

__all__ = ["PeerClosed", "RequestTimeout", "SocketReader", "read_head", "serve_connection"]

Router = Callable[[Exchange], None]

# After a final "Connection: close" response, keep reading (and discarding) for a moment
# before closing: closing a socket with unread input makes the kernel send RST, which can
# destroy the response before the client reads it (RFC 9112 §9.6 "staged" close).
_LINGER_SECONDS = 1.0
_LINGER_BYTES = 1024 * 1024


class RequestTimeout(Exception):
    """Part of a request arrived, but not all of it within ``request_timeout``."""


class PeerClosed(Exception):
    """The client closed its side of the connection."""


class SocketReader:
    """Buffered line and byte reads from a socket, bounded by an absolute deadline."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buffer = bytearray()
        self.deadline = 0.0

    def set_deadline(self, seconds: float) -> None:
        self.deadline = time.monotonic() + seconds

    def _fill(self) -> None:
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise RequestTimeout
        try:
            self.sock.settimeout(remaining)
            data = self.sock.recv(65536)
        except TimeoutError as exc:
            raise RequestTimeout from exc
        except OSError as exc:
            raise ClientGone(str(exc)) from exc
        if not data:
            raise PeerClosed
        self.buffer += data

    def wait_for_data(self) -> bool:
        """Wait for the first byte of a request; False if the client closed or stayed idle."""
        if self.buffer:
            return True
        try:
            self._fill()
        except (PeerClosed, RequestTimeout, ClientGone):
            return False
        return True

    def read_line(self, limit: int, status: int = 400) -> bytes:
        """One line including its LF; ``ProtocolError(status)`` if it exceeds ``limit``."""
        while True:
            end = self.buffer.find(b"\n", 0, limit)
            if end >= 0:
                line = bytes(self.buffer[: end + 1])
                del self.buffer[: end + 1]
                return line
            if len(self.buffer) >= limit:
                what = "request line" if status == 414 else "line"
                raise ProtocolError(status, f"{what} longer than {limit} bytes")
            self._fill()

    def read_exact(self, size: int) -> bytes:
        while len(self.buffer) < size:
            self._fill()
        data = bytes(self.buffer[:size])
        del self.buffer[:size]
        return data


def read_head(reader: SocketReader) -> tuple[RequestHead, int]:
    """Read and check one request head; return it with its body framing (see http11)."""
    if reader.buffer.startswith(b"\x16\x03"):
        raise ProtocolError(400, "a TLS handshake arrived on a plain-HTTP port: use http://, "
                                 "or start DemoServer(tls=True) for https://")
    # §2.2: a server should ignore at least one empty line received before the request line
    # (some clients send an extra CRLF after a POST body). We ignore a few, not forever.
    for _ in range(4):
        line = reader.read_line(MAX_REQUEST_LINE, 414)
        if strip_eol(line):
            break
    else:
        raise ProtocolError(400, "empty lines instead of a request line (RFC 9112 §2.2)")
    raw = bytearray(line)
    method, target, version = parse_request_line(strip_eol(line))
    fields: list[tuple[str, str]] = []
    while True:
        line = reader.read_line(max(MAX_HEAD - len(raw), 1), 431)
        raw += line
        if not strip_eol(line):
            break
        if len(fields) == MAX_FIELDS:
            raise ProtocolError(431, f"more than {MAX_FIELDS} header fields")
        fields.append(parse_field_line(strip_eol(line)))
    head = RequestHead(method, target, version, tuple(fields), bytes(raw))
    check_host(head)
    return head, body_framing(head)


def serve_connection(sock: socket.socket, wire: Wire, router: Router,
                     before_close: Callable[[socket.socket], None]) -> None:
    """Serve requests on ``sock`` until either side closes; always closes ``sock``.

    ``before_close(sock)`` is called just before the file descriptor is closed (the server
    uses it to stop tracking the socket).
    """
    graceful = False
    try:
        if isinstance(sock, ssl.SSLSocket) and not _handshake(sock, wire):
            return
        graceful = _request_loop(sock, wire, router)
    except (ClientGone, PeerClosed, Stopping):
        pass
    finally:
        _finish(sock, graceful and not wire.stop.is_set())
        before_close(sock)
        sock.close()


def _handshake(sock: ssl.SSLSocket, wire: Wire) -> bool:
    try:
        sock.settimeout(wire.settings.request_timeout)
        sock.do_handshake()
    except (OSError, ValueError):  # a client that rejects our certificate ends up here
        return False
    return True


def _request_loop(sock: socket.socket, wire: Wire, router: Router) -> bool:
    """Answer requests until the connection must close; True if a staged close is due."""
    reader = SocketReader(sock)
    settings = wire.settings
    while not wire.stop.is_set():
        reader.set_deadline(settings.idle_timeout)
        if not reader.wait_for_data():
            return False  # idle or closed between requests: nothing to answer
        reader.set_deadline(settings.request_timeout)
        exchange: Exchange | None = None
        try:
            head, framing = read_head(reader)
            exchange = Exchange(wire, head, framing, reader)
            router(exchange)
            if not exchange.finished or exchange.close_after:
                return exchange.graceful_close
            if not exchange.body_read:
                if head.expects_continue:
                    return True  # we never said 100: the body may or may not follow
                exchange.read_body()  # skip it, so the next request starts where it should
        except ProtocolError as error:
            if exchange is None or not exchange.started:
                _send_error(wire, error.status, error.reason)
            return True
        except RequestTimeout:
            if exchange is None or not exchange.started:
                _send_error(wire, 408, "the request did not arrive in time "
                                       f"({settings.request_timeout:g} s)")
            return True
    return False


def _send_error(wire: Wire, status: int, reason: str) -> None:
    body = (reason + "\n").encode("utf-8")
    fields = [("Server", "httpexplore-demo"), ("Content-Type", "text/plain; charset=utf-8"),
              ("Content-Length", str(len(body))), ("Connection", "close")]
    wire.sendall(head_bytes(status, fields) + body)


def _finish(sock: socket.socket, graceful: bool) -> None:
    """Before closing: if ``graceful``, signal the end of data and drain the client."""
    if not graceful:
        return
    with contextlib.suppress(OSError, ValueError):
        sock.settimeout(_LINGER_SECONDS)
        if isinstance(sock, ssl.SSLSocket):
            sock.unwrap()  # close_notify (RFC 9112 §9.8): the body really ended here
        else:
            sock.shutdown(socket.SHUT_WR)
            _drain(sock)


def _drain(sock: socket.socket) -> None:
    deadline = time.monotonic() + _LINGER_SECONDS
    received = 0
    while received < _LINGER_BYTES:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return
        sock.settimeout(remaining)
        data = sock.recv(65536)
        if not data:
            return
        received += len(data)
