"""The data model of a trace: request cycles and the connections they run on.

A *request cycle* (:class:`Exchange`) is one request and its response on one connection: the
positions of its steps in ``trace.records``, the response as the parser (h11) reported it, the
bytes written and read, labelled, and its :class:`Timings`.  A *connection* (:class:`Connection`)
is one TCP connection: its set-up steps (resolving, connecting, any proxy tunnel and TLS), when
each phase ended, the statuses it went through and the numbers of the cycles made on it.  A
:class:`~httpexplore.trace.Trace` builds these objects from its records; they are read-only for
everyone else.  How the timings are measured is explained in :mod:`httpexplore.trace`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from .annotate import MessageInfo, Segment
from .errors import Error
from .records import PollRecord
from .status import Status

__all__ = [
    "Connection",
    "Exchange",
    "InterimResponse",
    "TimelineRow",
    "Timings",
]

_REQUEST_OPS = ("request", "request_raw")


def _ms(start: float | None, end: float | None) -> float:
    """Milliseconds from ``start`` to ``end`` (never negative), or -1 if either is unknown."""
    if start is None or end is None:
        return -1.0
    return round(max(0.0, end - start) * 1000.0, 3)


@dataclass(frozen=True, slots=True)
class Timings:
    """One request cycle's timings in milliseconds; -1 means "not applicable" (HAR 1.2)."""

    blocked: float = -1.0
    dns: float = -1.0
    connect: float = -1.0
    ssl: float = -1.0
    send: float = 0.0
    wait: float = 0.0
    receive: float = 0.0

    @property
    def total(self) -> float:
        """HAR ``entry.time``: the phases that apply, added up (``ssl`` is inside ``connect``)."""
        phases = (self.blocked, self.dns, self.connect, self.send, self.wait, self.receive)
        return round(sum(p for p in phases if p >= 0), 3)


@dataclass(frozen=True, slots=True)
class InterimResponse:
    """A 1xx head that came before the final response (RFC 9110 §15.2)."""

    status_code: int
    reason: str
    http_version: str
    headers: tuple[tuple[str, str], ...]


class TimelineRow(NamedTuple):
    """One record (one step, or a folded run of ``repeat`` quiet steps), summarised: sizes
    count bytes on the wire, kept or not.

    ``start_ms`` is measured from the start of the trace; ``events`` are event kinds.  A named
    tuple (immutable) because one is built for every step.
    """

    index: int  # type: ignore[assignment]  # (shadows tuple.index, like PollRecord)
    op: str
    status_before: Status
    status_after: Status
    result: Error
    sent: int
    received: int
    body: int
    events: tuple[str, ...]
    error_message: str
    connection: int
    cycle: int
    start_ms: float
    duration_ms: float
    repeat: int = 1  # steps this row stands for (PollRecord.repeat)


def _pairs(raw: Any) -> list[tuple[str, str]]:
    return [(str(n), str(v)) for n, v in (raw or ())]


@dataclass(eq=False)
class Connection:
    """One TCP connection: its set-up steps and timestamps.  Treat as read-only."""

    number: int
    host: str
    port: int
    tls: bool
    proxy: str
    peer: tuple[str, int] | None = None
    addresses: list[str] = field(default_factory=list)
    started: float | None = None
    resolved_at: float | None = None
    tcp_at: float | None = None
    tunnel_at: float | None = None
    tls_at: float | None = None
    ready_at: float | None = None
    tls_version: str = ""
    tls_cipher: str = ""
    error: str = ""
    #: Positions of the steps that belong to no request cycle (connecting, closing).
    records: list[int] = field(default_factory=list)
    #: Numbers of the request cycles made on this connection.
    cycles: list[int] = field(default_factory=list)
    #: ``(position, status)`` each time the status changed, starting with the first status.
    transitions: list[tuple[int, Status]] = field(default_factory=list)
    sent_segments: list[Segment] = field(default_factory=list)
    received_segments: list[Segment] = field(default_factory=list)
    #: Messages outside any cycle (an HTTPS proxy's ``CONNECT`` exchange).
    messages: list[MessageInfo] = field(default_factory=list)

    def add(self, pos: int, record: PollRecord, omitted: tuple[int, int, int]) -> None:
        """A set-up step: note when each phase ended (known at the end of the step)."""
        self.records.append(pos)
        if self.started is None:
            self.started = record.started
        for event in record.events:
            kind, detail = event.kind, event.detail
            if kind == "Resolved":
                self.resolved_at = record.time
                self.addresses = [str(a) for a in detail.get("addresses", ())]
            elif kind == "TCPConnected":
                self.tcp_at = record.time
            elif kind == "TunnelEstablished":
                self.tunnel_at = record.time
            elif kind == "TLSHandshakeDone":
                self.tls_at = record.time
                self.tls_version = str(detail.get("version", ""))
                self.tls_cipher = str(detail.get("cipher", ""))
            elif kind == "Error":
                self.error = str(detail.get("message", ""))
        if record.status_before is Status.RESOLVING and self.resolved_at is None \
                and record.status_after is not Status.RESOLVING:
            self.resolved_at = record.time
        if record.error_message:
            self.error = record.error_message

    def note(self, pos: int, record: PollRecord) -> None:
        """Every step on this connection: status path and peer."""
        if not self.transitions:
            self.transitions.append((pos, record.status_before))
        if record.status_after is not self.transitions[-1][1]:
            self.transitions.append((pos, record.status_after))
        if record.status_after is Status.CONNECTED and self.ready_at is None:
            self.ready_at = record.time
        if record.cycle.peer is not None:
            self.peer = tuple(record.cycle.peer)  # type: ignore[assignment]

    def add_segment(self, segment: Segment) -> None:
        (self.sent_segments if segment.direction == "sent"
         else self.received_segments).append(segment)

    @property
    def dns(self) -> float:
        """Name resolution in ms, -1 for an IP literal."""
        return _ms(self.started, self.resolved_at)

    @property
    def connect(self) -> float:
        """From the end of resolution to CONNECTED (TCP, proxy tunnel and TLS), in ms."""
        return _ms(self.resolved_at if self.resolved_at is not None else self.started,
                   self.ready_at)

    @property
    def ssl(self) -> float:
        """The TLS handshake in ms (-1 without TLS); it is also part of :attr:`connect`."""
        if self.tls_at is None:
            return -1.0
        begin = next((t for t in (self.tunnel_at, self.tcp_at, self.resolved_at, self.started)
                      if t is not None), None)
        return min(_ms(begin, self.tls_at), max(self.connect, 0.0))


@dataclass(eq=False)
class Exchange:
    """One request cycle: a request and its response on one connection.  Treat as read-only.

    Response fields come from the parser's (h11's) events; request headers, head sizes and the
    request body come from the bytes as written.  ``body`` holds the delivered body bytes that
    were kept (see :attr:`body_size` for the total).
    """

    number: int
    connection: int
    reused: bool
    method: str
    target: str
    host: str
    port: int
    tls: bool
    proxy: str = ""
    peer: tuple[str, int] | None = None
    #: Positions (in ``trace.records``) of this cycle's steps.
    records: list[int] = field(default_factory=list)
    status_code: int = 0
    reason: str = ""
    http_version: str = ""
    response_headers: list[tuple[str, str]] = field(default_factory=list)
    interim: list[InterimResponse] = field(default_factory=list)
    trailers: list[tuple[str, str]] = field(default_factory=list)
    #: The end of the response was seen (h11's ``EndOfMessage``).
    complete: bool = False
    error: str = ""
    body_size: int = 0
    sent_size: int = 0
    received_size: int = 0
    #: Bytes of this cycle counted but not kept (the per-cycle cap).
    omitted: int = 0
    sent_segments: list[Segment] = field(default_factory=list)
    received_segments: list[Segment] = field(default_factory=list)
    #: What the byte scanner understood: the request head, then interim and final heads.
    messages: list[MessageInfo] = field(default_factory=list)
    first_on_connection: bool = True
    request_started: float | None = None
    first_send: float | None = None
    last_send: float | None = None
    first_byte: float | None = None
    last_byte: float | None = None
    _body: list[bytes] = field(default_factory=list, repr=False)
    _conn: Connection | None = field(default=None, repr=False)

    @classmethod
    def begin(cls, record: PollRecord, conn: Connection, first: bool) -> Exchange:
        c = record.cycle
        return cls(number=c.cycle, connection=c.connection, reused=c.reused, method=c.method,
                   target=c.target, host=c.host, port=c.port, tls=c.tls, proxy=c.proxy,
                   peer=c.peer, first_on_connection=first, _conn=conn)

    def fresh(self) -> Exchange:
        """An empty copy with the same identity (to replay part of the cycle)."""
        assert self._conn is not None
        return dataclasses.replace(
            self, records=[], response_headers=[], interim=[], trailers=[], sent_segments=[],
            received_segments=[], messages=[], _body=[], status_code=0, reason="",
            http_version="", complete=False, error="", body_size=0, sent_size=0,
            received_size=0, omitted=0, request_started=None, first_send=None, last_send=None,
            first_byte=None, last_byte=None)

    def add(self, pos: int, record: PollRecord, omitted: tuple[int, int, int]) -> None:
        """Fold one step of this cycle into the summary."""
        self.records.append(pos)
        if record.op in _REQUEST_OPS and self.request_started is None:
            self.request_started = record.started
        n_sent = len(record.sent) + omitted[0]
        n_recv = len(record.received) + omitted[1]
        self.sent_size += n_sent
        self.received_size += n_recv
        self.omitted += sum(omitted)
        if n_sent:
            if self.first_send is None:
                self.first_send = record.started
            self.last_send = record.time
        if n_recv and not self._response_over():
            if self.first_byte is None:
                self.first_byte = record.time
            self.last_byte = record.time
        if record.body:
            self._body.append(record.body)
        self.body_size += len(record.body) + omitted[2]
        if self.peer is None and record.cycle.peer is not None:  # one connection per cycle
            self.peer = tuple(record.cycle.peer)  # type: ignore[assignment]
        for event in record.events:
            self._event(event.kind, event.detail)
        if record.error_message:
            self.error = record.error_message

    def _response_over(self) -> bool:
        return self.complete or bool(self.error)

    def _event(self, kind: str, detail: dict[str, Any]) -> None:
        if kind == "InformationalResponse":
            self.interim.append(InterimResponse(
                status_code=int(detail.get("status_code", 0)),
                reason=str(detail.get("reason", "")),
                http_version=str(detail.get("http_version", "")),
                headers=tuple(_pairs(detail.get("headers")))))
        elif kind == "Response":
            self.status_code = int(detail.get("status_code", 0))
            self.reason = str(detail.get("reason", ""))
            self.http_version = str(detail.get("http_version", ""))
            self.response_headers = _pairs(detail.get("headers"))
        elif kind == "EndOfMessage":
            self.trailers = _pairs(detail.get("trailers"))
            self.complete = True
        elif kind == "Error":
            self.error = str(detail.get("message", ""))

    def add_segment(self, segment: Segment) -> None:
        (self.sent_segments if segment.direction == "sent"
         else self.received_segments).append(segment)

    # -- derived --------------------------------------------------------------------------------
    @property
    def url(self) -> str:
        """The absolute URL of the request (HAR needs one)."""
        return self.display_url(ports=True)

    def display_url(self, *, ports: bool = True) -> str:
        """The URL, optionally without the port (for deterministic notebook output)."""
        if self.target.startswith(("http://", "https://")):
            return self.target
        scheme, default = ("https", 443) if self.tls else ("http", 80)
        host = f"[{self.host}]" if ":" in self.host else self.host
        if ports and self.port != default:
            host = f"{host}:{self.port}"
        return f"{scheme}://{host}{'' if self.target == '*' else self.target}"

    @property
    def has_response(self) -> bool:
        return self.status_code > 0

    @property
    def request_message(self) -> MessageInfo | None:
        return next((m for m in self.messages if m.direction == "sent"), None)

    @property
    def response_message(self) -> MessageInfo | None:
        """The scanner's view of the final response head."""
        return next((m for m in self.messages if m.direction == "received" and not m.interim),
                    None)

    @property
    def request_headers(self) -> list[tuple[str, str]]:
        """Request header fields in the order and case they were written."""
        msg = self.request_message
        return list(msg.headers) if msg is not None else []

    @property
    def request_body(self) -> bytes:
        """The request body bytes as written (kept part)."""
        return b"".join(s.data for s in self.sent_segments if s.label in ("body", "chunk-data"))

    @property
    def request_body_size(self) -> int:
        msg = self.request_message
        return msg.body_size if msg is not None else 0

    @property
    def body(self) -> bytes:
        """The delivered response body (kept part; ``len(body) < body_size`` when capped)."""
        if len(self._body) > 1:
            self._body[:] = [b"".join(self._body)]
        return self._body[0] if self._body else b""

    def body_preview(self, limit: int) -> bytes:
        """The first ``limit`` bytes of the body, without joining all of it."""
        out, size = [], 0
        for part in self._body:
            if size >= limit:
                break
            out.append(part[:limit - size])
            size += len(out[-1])
        return b"".join(out)

    def header(self, name: str) -> str | None:
        """The first response header called ``name`` (any case), or None."""
        lname = name.lower()
        return next((v for n, v in self.response_headers if n.lower() == lname), None)

    @property
    def _no_body(self) -> bool:
        # RFC 9112 §6.3 rules 1 and 2, as the client applies them.
        code = self.status_code
        return self.method == "HEAD" or code in (204, 304) or (
            self.method == "CONNECT" and 200 <= code < 300)

    @property
    def chunked(self) -> bool:
        """``is_response_chunked()``: a Transfer-Encoding on a response that has a body."""
        return self.header("transfer-encoding") is not None and not self._no_body

    @property
    def body_length(self) -> int:
        """``get_response_body_length()``: Content-Length, 0 without a body, else -1."""
        if not self.has_response:
            return -1
        if self._no_body:
            return 0
        value = self.header("content-length")
        if value is None or self.header("transfer-encoding") is not None:
            return -1
        value = value.split(",")[0].strip()
        return int(value) if value.isdigit() else -1

    @property
    def timings(self) -> Timings:
        """See the module docstring: per-step resolution, -1 where not applicable."""
        conn = self._conn
        first = self.first_on_connection and not self.reused and conn is not None
        send = _ms(self.first_send, self.last_send)
        wait = _ms(self.last_send, self.first_byte)
        return Timings(
            blocked=_ms(self.request_started, self.first_send),
            dns=conn.dns if first and conn is not None else -1.0,
            connect=conn.connect if first and conn is not None else -1.0,
            ssl=conn.ssl if first and conn is not None and self.tls else -1.0,
            send=max(send, 0.0), wait=max(wait, 0.0),
            receive=max(_ms(self.first_byte, self.last_byte), 0.0))

    @property
    def started(self) -> float | None:
        """Monotonic start: the connection's start for its first cycle, else ``request()``."""
        conn = self._conn
        if self.first_on_connection and not self.reused and conn is not None \
                and conn.started is not None:
            return conn.started
        return self.request_started
