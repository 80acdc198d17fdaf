"""One request/response exchange: reading the request body and planning a framed response.

Route handlers receive an :class:`Exchange` and talk HTTP through it. Every method that puts
bytes on the wire or waits is a generator of plan actions (see :mod:`.plan`): a handler is a
generator too and writes ``yield from ex.respond(...)``, so the same handler runs on a socket
or in memory. The framing decisions of RFC 9112 live here, in one place, so that every route
gets them right:

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

from collections.abc import Generator, Iterable, Sequence
from dataclasses import dataclass
from email.utils import formatdate
from typing import Literal

from .http11 import (
    CHUNKED,
    MAX_BODY,
    MAX_FIELDS,
    ProtocolError,
    RequestHead,
    parse_chunk_size,
)
from .plan import Action, Inbox, Pause, Plan, Send

__all__ = [
    "Exchange", "Framing", "Settings", "head_bytes", "read_body", "reason_phrase",
]

Framing = Literal["length", "chunked", "close"]
Headers = Sequence[tuple[str, str]]


@dataclass(frozen=True)
class Settings:
    """Timeouts and switches shared by every connection of one server."""

    idle_timeout: float = 300.0
    request_timeout: float = 10.0
    silence_timeout: float = 30.0
    send_date: bool = False


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
    """The server's side of one request: read its body, plan one framed response.

    Methods that send or wait are generators of plan actions: call them with ``yield from``.
    """

    def __init__(self, settings: Settings, head: RequestHead, framing: int,
                 inbox: Inbox) -> None:
        self.settings = settings
        self.request = head
        self.head_only = head.method == "HEAD"
        #: True once the connection must close after this response (§9.6).
        self.close_after = not head.keep_alive
        self._framing = framing
        self._inbox = inbox
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
        #: True when the connection must end with a reset (RST) instead of a close.
        self.reset = False
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
    def body(self) -> bytes:
        """The decoded request body; read it first (:meth:`read_body`)."""
        return self._body or b""

    @property
    def body_raw(self) -> bytes:
        """The body bytes exactly as received (chunk framing included); read the body first."""
        return self._body_raw

    def read_body(self) -> Generator[Action, None, bytes]:
        """Read (once) and return the decoded request body.

        For a client that sent ``Expect: 100-continue``, first answer ``100 Continue``
        (RFC 9110 §10.1.1): the client is waiting for it before sending the body.
        """
        if self._body is None:
            if self.request.expects_continue and self._framing != 0 and not self.started:
                yield from self.interim(100)
                self._sent_continue = True
            self._body, self._body_raw = yield from read_body(self._inbox, self._framing)
        return self._body

    @property
    def sent_continue(self) -> bool:
        return self._sent_continue

    # -- writing ----------------------------------------------------------------------------

    def write(self, data: bytes) -> Plan:
        """Send bytes exactly as given, with no framing (for deliberately odd responses).

        Call :meth:`done` when the hand-written response is complete.
        """
        self.started = True
        yield from self._emit(data)

    def _emit(self, data: bytes) -> Plan:
        if self._pending:
            data, self._pending = self._pending + data, b""
        if data:
            yield Send(data)

    def done(self, *, close: bool, graceful: bool = True, reset: bool = False) -> None:
        """Mark a response written with :meth:`write` as complete.

        ``close`` ends the connection after it; ``graceful=False`` skips the orderly close;
        ``reset`` ends it with a TCP reset (RST) instead.
        """
        self.started = self.finished = True
        self.close_after = self.close_after or close or reset
        self.graceful_close = graceful and not reset
        self.reset = reset

    def sleep(self, seconds: float) -> Plan:
        """Pause the response. What was written so far leaves first, so the client sees it
        during the pause."""
        yield from self._emit(b"")
        if seconds > 0:
            yield Pause(seconds)

    def interim(self, status: int, headers: Headers = ()) -> Plan:
        """Send a 1xx interim response, except to HTTP/1.0 clients (RFC 9110 §15.2)."""
        if self.request.http10:
            return
        yield from self._emit(head_bytes(status, headers))

    def start(self, status: int, headers: Headers = (), *, length: int | None = None,
              framing: Framing | None = None) -> None:
        """Prepare the status line and header fields of the final response.

        ``length`` selects Content-Length framing. Otherwise ``framing`` is ``"chunked"``
        (the default) or ``"close"``. 204 and 304 responses never have content
        (RFC 9110 §6.4.1), so they get no framing field at all. The head is held back and
        leaves with the first body bytes (one write, one TCP segment, for a small response).
        """
        mode: Framing = "length" if length is not None else (framing or "chunked")
        if mode == "chunked" and self.request.http10:
            mode = "close"  # §6.1: never send Transfer-Encoding to an HTTP/1.0 client.
        fields = [("Server", "httpexplore-demo")]
        if self.settings.send_date:
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
        self._pending = head_bytes(status, fields)

    def send(self, data: bytes) -> Plan:
        """Send one piece of the body, framed as the response head announced."""
        if self.head_only or not data:
            # An empty chunk would be the last-chunk (§7.1): skipping it keeps framing intact.
            return
        if self._mode == "chunked":
            yield from self._emit(b"%x\r\n" % len(data) + data + b"\r\n")
            return
        if self._mode == "length":
            if len(data) > self._remaining:
                raise RuntimeError("body longer than the Content-Length sent")
            self._remaining -= len(data)
        yield from self._emit(data)

    def finish(self, trailers: Headers = ()) -> Plan:
        """End the body: the last-chunk and trailer section for chunked (§7.1.2)."""
        if self._mode == "chunked" and not self.head_only:
            yield from self._emit(b"0\r\n" + _field_bytes(trailers) + b"\r\n")
        elif self._mode == "length" and self._remaining and not self.head_only:
            raise RuntimeError("body shorter than the Content-Length sent")
        yield from self._emit(b"")
        self.finished = True

    def respond(self, status: int, body: bytes = b"", headers: Headers = (),
                content_type: str = "text/plain; charset=utf-8") -> Plan:
        """Send a complete response with a Content-Length body, in a single write."""
        fields = [("Content-Type", content_type), *headers]
        if status in (204, 304):  # RFC 9110 §6.4.1: these never have content
            body, fields = b"", list(headers)
        self.start(status, fields, length=len(body))
        yield from self.send(body)
        yield from self.finish()

    def stream(self, status: int, headers: Headers, pieces: Iterable[bytes], *,
               length: int | None = None, framing: Framing | None = None,
               delay: float = 0.0, trailers: Headers = ()) -> Plan:
        """Send a response whose body is ``pieces``, pausing ``delay`` seconds between them.

        ``pieces`` is consumed lazily. A HEAD request gets the head only, at once: there is
        no body to pace.
        """
        self.start(status, headers, length=length, framing=framing)
        if not self.head_only:
            for index, piece in enumerate(pieces):
                if index and delay:
                    yield from self.sleep(delay)
                yield from self.send(piece)
        yield from self.finish(trailers)


def read_body(inbox: Inbox, framing: int) -> Generator[Action, None, tuple[bytes, bytes]]:
    """Return ``(decoded body, raw bytes)`` for a request body framed as ``framing``."""
    if framing != CHUNKED:
        data = yield from inbox.read_exact(framing)
        return data, data
    # RFC 9112 §7.1.3, the decoding algorithm: size line, data, CRLF ... last-chunk, then
    # trailer fields up to an empty line. Trailers are kept in the raw bytes only. Every line
    # of the chunked framing must end in CRLF: a bare LF is refused here, as strictly as the
    # client refuses it, because lenient and strict parsers disagreeing about where a chunk
    # ends is how request smuggling starts (RFC 9112 §11.2).
    body, raw = bytearray(), bytearray()
    while True:
        line = yield from inbox.read_line(1024)
        raw += line
        size = parse_chunk_size(_crlf_line(line, "chunk-size line"))
        if size == 0:
            break
        if len(body) + size > MAX_BODY:
            raise ProtocolError(413, f"chunked request body exceeds {MAX_BODY} bytes")
        data = yield from inbox.read_exact(size)
        end = yield from inbox.read_exact(2)
        if end != b"\r\n":
            raise ProtocolError(400, "chunk data not followed by CRLF (RFC 9112 §7.1)")
        body += data
        raw += data + end
    for _ in range(MAX_FIELDS + 1):
        line = yield from inbox.read_line(8192)
        raw += line
        if not _crlf_line(line, "trailer line"):
            return bytes(body), bytes(raw)
    raise ProtocolError(431, "too many trailer fields")


def _crlf_line(line: bytes, what: str) -> bytes:
    """``line`` without its CRLF; a bare LF is refused (RFC 9112 §7.1 uses CRLF throughout)."""
    if not line.endswith(b"\r\n"):
        raise ProtocolError(400, f"{what} ends with a bare LF instead of CRLF in a chunked body "
                                 "(RFC 9112 §7.1)")
    return line[:-2]


def _field_bytes(fields: Headers) -> bytes:
    return b"".join(f"{name}: {value}\r\n".encode("latin-1") for name, value in fields)


def head_bytes(status: int, fields: Headers) -> bytes:
    # §4: status-line = HTTP-version SP status-code SP [ reason-phrase ]; the SP before an
    # empty reason is still required.
    line = f"HTTP/1.1 {status} {reason_phrase(status)}\r\n".encode("ascii")
    return line + _field_bytes(fields) + b"\r\n"
