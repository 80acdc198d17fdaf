"""One request/response exchange: reading the request body and writing a framed response.

Route handlers receive an :class:`Exchange` and talk HTTP through it. The framing decisions
of RFC 9112 live here, in one place, so that every route gets them right:

* a response either carries ``Content-Length`` (§6.2), or ``Transfer-Encoding: chunked``
  (§7.1), or is delimited by closing the connection (§6.3 rule 8);
* chunked framing is never sent to an HTTP/1.0 client (§6.1): it falls back to a
  close-delimited body;
* responses to HEAD carry the same header fields as GET and no content (RFC 9110 §9.3.2);
* 1xx interim responses are never sent to an HTTP/1.0 client (RFC 9110 §15.2);
* ``Connection: close`` is sent on the last response of a connection (§9.6).

Handlers that need to break the rules on purpose (the malformed catalogue, ``/http10``,
``/slow-head``) write bytes with :meth:`Exchange.write`, which frames nothing.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from email.utils import formatdate
from typing import Literal, Protocol

from .http11 import (
    CHUNKED,
    MAX_BODY,
    MAX_FIELDS,
    ProtocolError,
    RequestHead,
    parse_chunk_size,
    strip_eol,
)

__all__ = [
    "ClientGone", "Exchange", "Framing", "LineReader", "Settings", "Stopping", "Wire",
    "head_bytes", "read_body", "reason_phrase",
]

Framing = Literal["length", "chunked", "close"]
Headers = Sequence[tuple[str, str]]


class ClientGone(Exception):
    """The peer closed, reset or stalled the connection; nothing more can be sent."""


class Stopping(Exception):
    """The server is stopping; the handler must give up now."""


@dataclass(frozen=True)
class Settings:
    """Timeouts and switches shared by every connection of one server."""

    idle_timeout: float = 15.0
    request_timeout: float = 10.0
    silence_timeout: float = 30.0
    send_date: bool = False


class Wire:
    """The socket of one connection, seen by the server thread that owns it.

    Writes map every socket failure to :class:`ClientGone`; sleeps wake up at once when the
    server stops, so no handler ever delays a clean shutdown.
    """

    def __init__(self, sock: socket.socket, stop: threading.Event, settings: Settings) -> None:
        self.sock = sock
        self.stop = stop
        self.settings = settings

    def sendall(self, data: bytes) -> None:
        try:
            self.sock.settimeout(self.settings.idle_timeout)
            self.sock.sendall(data)
        except OSError as exc:  # includes timeouts and ssl.SSLError
            raise ClientGone(str(exc)) from exc

    def sleep(self, seconds: float) -> None:
        if seconds > 0 and self.stop.wait(seconds):
            raise Stopping
        if self.stop.is_set():
            raise Stopping


# Reason phrases as registered by RFC 9110 §15 (and 103 from RFC 8297), fixed here rather
# than taken from http.HTTPStatus, whose wording changes between Python versions.
_REASONS = {
    100: "Continue", 101: "Switching Protocols", 103: "Early Hints",
    200: "OK", 201: "Created", 202: "Accepted", 203: "Non-Authoritative Information",
    204: "No Content", 205: "Reset Content", 206: "Partial Content",
    300: "Multiple Choices", 301: "Moved Permanently", 302: "Found", 303: "See Other",
    304: "Not Modified", 305: "Use Proxy", 307: "Temporary Redirect", 308: "Permanent Redirect",
    400: "Bad Request", 401: "Unauthorized", 402: "Payment Required", 403: "Forbidden",
    404: "Not Found", 405: "Method Not Allowed", 406: "Not Acceptable",
    407: "Proxy Authentication Required", 408: "Request Timeout", 409: "Conflict", 410: "Gone",
    411: "Length Required", 412: "Precondition Failed", 413: "Content Too Large",
    414: "URI Too Long", 415: "Unsupported Media Type", 416: "Range Not Satisfiable",
    417: "Expectation Failed", 418: "I'm a teapot", 421: "Misdirected Request",
    422: "Unprocessable Content", 425: "Too Early", 426: "Upgrade Required",
    428: "Precondition Required", 429: "Too Many Requests",
    431: "Request Header Fields Too Large", 451: "Unavailable For Legal Reasons",
    500: "Internal Server Error", 501: "Not Implemented", 502: "Bad Gateway",
    503: "Service Unavailable", 504: "Gateway Timeout", 505: "HTTP Version Not Supported",
    511: "Network Authentication Required",
}


def reason_phrase(status: int) -> str:
    """The registered reason phrase, or "" (a valid, empty reason: RFC 9112 §4)."""
    return _REASONS.get(status, "")


class Exchange:
    """The server's side of one request: read its body, write one framed response."""

    def __init__(self, wire: Wire, head: RequestHead, framing: int, reader: LineReader) -> None:
        self.wire = wire
        self.request = head
        self.head_only = head.method == "HEAD"
        #: True once the connection must close after this response (§9.6).
        self.close_after = not head.keep_alive
        self._framing = framing
        self._reader = reader
        self._body: bytes | None = None
        self._body_raw = b""
        self._sent_continue = False
        self._mode: Framing | None = None
        self._remaining = 0
        #: True once a final (non-1xx) status line has been written.
        self.started = False
        #: True once the response is complete on the wire.
        self.finished = False
        #: False when the connection must end abruptly (no FIN handshake, no drain).
        self.graceful_close = True
        self._pending = b""  # a response head not yet written (see start)

    # -- the request body -------------------------------------------------------------------

    @property
    def declared_length(self) -> int | None:
        """The Content-Length of the request, or None for a chunked request body."""
        return None if self._framing == CHUNKED else self._framing

    @property
    def body_read(self) -> bool:
        return self._body is not None

    @property
    def body_raw(self) -> bytes:
        """The body bytes exactly as received (chunk framing included); read the body first."""
        return self._body_raw

    def read_body(self) -> bytes:
        """Read (once) and return the decoded request body.

        For a client that sent ``Expect: 100-continue``, first answer ``100 Continue``
        (RFC 9110 §10.1.1): the client is waiting for it before sending the body.
        """
        if self._body is None:
            if self.request.expects_continue and self._framing != 0 and not self.started:
                self.interim(100)
                self._sent_continue = True
            self._body, self._body_raw = read_body(self._reader, self._framing)
        return self._body

    @property
    def sent_continue(self) -> bool:
        return self._sent_continue

    # -- writing ----------------------------------------------------------------------------

    def write(self, data: bytes) -> None:
        """Send bytes exactly as given, with no framing (for deliberately odd responses).

        Call :meth:`done` when the hand-written response is complete.
        """
        self.started = True
        self._emit(data)

    def _emit(self, data: bytes) -> None:
        if self._pending:
            data, self._pending = self._pending + data, b""
        if data:
            self.wire.sendall(data)

    def done(self, *, close: bool, graceful: bool = True) -> None:
        """Mark a response written with :meth:`write` as complete.

        ``close`` ends the connection after it; ``graceful=False`` skips the orderly close
        (used with SO_LINGER 0 to send a reset).
        """
        self.started = self.finished = True
        self.close_after = self.close_after or close
        self.graceful_close = graceful

    def sleep(self, seconds: float) -> None:
        """Pause the response; raises :class:`Stopping` if the server stops meanwhile.

        What was written so far leaves first, so the client sees it during the pause.
        """
        self._emit(b"")
        self.wire.sleep(seconds)

    def interim(self, status: int, headers: Headers = ()) -> None:
        """Send a 1xx interim response, except to HTTP/1.0 clients (RFC 9110 §15.2)."""
        if self.request.http10:
            return
        self._emit(head_bytes(status, headers))

    def start(self, status: int, headers: Headers = (), *, length: int | None = None,
              framing: Framing | None = None) -> None:
        """Send the status line and header fields of the final response.

        ``length`` selects Content-Length framing. Otherwise ``framing`` is ``"chunked"``
        (the default) or ``"close"``. 204 and 304 responses never have content
        (RFC 9110 §6.4.1), so they get no framing field at all.
        """
        mode: Framing = "length" if length is not None else (framing or "chunked")
        if mode == "chunked" and self.request.http10:
            mode = "close"  # §6.1: never send Transfer-Encoding to an HTTP/1.0 client.
        fields = [("Server", "httpexplore-demo")]
        if self.wire.settings.send_date:
            fields.append(("Date", formatdate(usegmt=True)))
        fields += list(headers)
        if status in (204, 304):
            mode, length = "length", 0
        elif mode == "length":
            fields.append(("Content-Length", str(length)))
        elif mode == "chunked":
            fields.append(("Transfer-Encoding", "chunked"))
        if mode == "close":
            self.close_after = True
        if self.close_after:
            fields.append(("Connection", "close"))
        self._mode, self._remaining = mode, length or 0
        self.started = True
        # Held back until the first body bytes (or the end): one write, one TCP segment,
        # for a small response.
        self._pending = head_bytes(status, fields)

    def send(self, data: bytes) -> None:
        """Send one piece of the body, framed as the response head announced."""
        if self.head_only or not data:
            # An empty chunk would be the last-chunk (§7.1): skipping it keeps framing intact.
            return
        if self._mode == "chunked":
            self._emit(b"%x\r\n" % len(data) + data + b"\r\n")
            return
        if self._mode == "length":
            if len(data) > self._remaining:
                raise RuntimeError("body longer than the Content-Length sent")
            self._remaining -= len(data)
        self._emit(data)

    def finish(self, trailers: Headers = ()) -> None:
        """End the body: the last-chunk and trailer section for chunked (§7.1.2)."""
        if self._mode == "chunked" and not self.head_only:
            self._emit(b"0\r\n" + _field_bytes(trailers) + b"\r\n")
        elif self._mode == "length" and self._remaining and not self.head_only:
            raise RuntimeError("body shorter than the Content-Length sent")
        self._emit(b"")
        self.finished = True

    def respond(self, status: int, body: bytes = b"", headers: Headers = (),
                content_type: str = "text/plain; charset=utf-8") -> None:
        """Send a complete response with a Content-Length body, in a single write."""
        fields = [("Content-Type", content_type), *headers]
        if status in (204, 304):  # RFC 9110 §6.4.1: these never have content
            body, fields = b"", list(headers)
        self.start(status, fields, length=len(body))
        self.send(body)
        self.finish()

    def stream(self, status: int, headers: Headers, pieces: Iterable[bytes], *,
               length: int | None = None, framing: Framing | None = None,
               delay: float = 0.0, trailers: Headers = ()) -> None:
        """Send a response whose body is ``pieces``, pausing ``delay`` seconds between them.

        A HEAD request gets the head only, at once: there is no body to pace.
        """
        self.start(status, headers, length=length, framing=framing)
        if not self.head_only:
            for index, piece in enumerate(pieces):
                if index and delay:
                    self.sleep(delay)
                self.send(piece)
        self.finish(trailers)


class LineReader(Protocol):
    """What reading a body needs from the connection (``connection.SocketReader``)."""

    def read_line(self, limit: int, status: int = 400) -> bytes:
        """One line with its terminator; ProtocolError ``status`` if longer than ``limit``."""

    def read_exact(self, size: int) -> bytes:
        """Exactly ``size`` bytes."""


def read_body(reader: LineReader, framing: int) -> tuple[bytes, bytes]:
    """Return ``(decoded body, raw bytes)`` for a request body framed as ``framing``."""
    if framing != CHUNKED:
        data = reader.read_exact(framing)
        return data, data
    # RFC 9112 §7.1.3, the decoding algorithm: size line, data, CRLF ... last-chunk, then
    # trailer fields up to an empty line. Trailers are kept in the raw bytes only.
    body, raw = bytearray(), bytearray()
    while True:
        line = reader.read_line(1024)
        raw += line
        size = parse_chunk_size(strip_eol(line))
        if size == 0:
            break
        if len(body) + size > MAX_BODY:
            raise ProtocolError(413, f"chunked request body exceeds {MAX_BODY} bytes")
        data = reader.read_exact(size)
        try:
            end = reader.read_line(2)
        except ProtocolError:  # more than a line end follows the data
            end = b""
        if end not in (b"\r\n", b"\n"):
            raise ProtocolError(400, "chunk data not followed by CRLF (RFC 9112 §7.1)")
        body += data
        raw += data + end
    for _ in range(MAX_FIELDS + 1):
        line = reader.read_line(8192)
        raw += line
        if line in (b"\r\n", b"\n"):
            return bytes(body), bytes(raw)
    raise ProtocolError(431, "too many trailer fields")


def _field_bytes(fields: Headers) -> bytes:
    return b"".join(f"{name}: {value}\r\n".encode("latin-1") for name, value in fields)


def head_bytes(status: int, fields: Headers) -> bytes:
    # §4: status-line = HTTP-version SP status-code SP [ reason-phrase ]; the SP before an
    # empty reason is still required.
    line = f"HTTP/1.1 {status} {reason_phrase(status)}\r\n".encode("ascii")
    return line + _field_bytes(fields) + b"\r\n"
