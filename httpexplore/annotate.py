"""Byte meaning: label every byte written and read on a connection.

Theory of operation
-------------------
h11 (with the engine's strict reader of the common head, :mod:`httpexplore._fasthead`) is the
parser of record: it decides what the client does.  This module is a second, much
smaller scanner whose only job is to *explain* the bytes to a learner: it splits each direction
of each connection into :class:`Segment` objects (a status line, each header line, the blank
line ending the head, chunk-size lines, chunk data, ...) so that

* the segments of a direction, in order, concatenate to exactly the bytes on the wire, and
* the segments labelled ``body``, ``chunk-data`` and ``body-close-delimited`` concatenate to
  exactly the body bytes the client delivered.

It follows the same framing rules as h11 (RFC 9112 §6.3): no body after HEAD, 1xx, 204, 304 or a
2xx answer to CONNECT; ``Transfer-Encoding: chunked`` beats ``Content-Length``; otherwise a
response body runs until the connection closes.  Like h11 it accepts a bare LF as the end of a
head line, but requires CRLF after chunk-size lines and chunk data (§7.1).

A scanner never raises.  Bytes it cannot make sense of are labelled ``invalid`` (they break the
grammar) and the rest of that direction follows as ``invalid``; bytes it cannot follow because
some were not kept (the recorder's per-cycle cap) or because recording started mid-stream are
``unparsed``.  Both resynchronise when the client starts its next request.

Segments never span two steps: a header line that arrived in two reads is two segments, the
second with ``continued=True``.  A line is labelled when it is complete; until then
:meth:`ConnectionScanner.pending` reports its bytes with a provisional label.

Labels
------
Sent: ``request-line``, ``header``, ``end-of-head``, ``body`` (chunked request bodies use the
chunk labels).  Received: ``status-line``, ``header``, ``end-of-head``, ``interim-head`` (every
line of a 1xx head, the blank line included), ``chunk-size`` (size line with extensions and its
CRLF), ``chunk-data``, ``chunk-crlf``, ``last-chunk`` (``0\\r\\n``), ``trailer``,
``end-of-trailers`` (the blank line ending a chunked body), ``body`` (Content-Length),
``body-close-delimited``, ``unsolicited`` (bytes while no request was outstanding).  Either
direction: ``omitted`` (bytes counted but not kept: ``data`` is empty, ``size`` says how many),
``unparsed``, ``invalid``.
"""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass, field

__all__ = [
    "BODY_LABELS",
    "FRAMING_LABELS",
    "HEAD_LABELS",
    "LABELS",
    "ConnectionScanner",
    "MessageInfo",
    "Segment",
]

#: Labels of bytes that belong to a message head (request or response, interim included).
HEAD_LABELS = frozenset({"request-line", "status-line", "header", "end-of-head", "interim-head"})
#: Labels of delivered body bytes.
BODY_LABELS = frozenset({"body", "chunk-data", "body-close-delimited"})
#: Labels of chunked-encoding framing.
FRAMING_LABELS = frozenset({"chunk-size", "chunk-crlf", "last-chunk", "trailer",
                            "end-of-trailers"})
#: Every label a segment can carry.
LABELS = HEAD_LABELS | BODY_LABELS | FRAMING_LABELS | frozenset(
    {"unsolicited", "omitted", "unparsed", "invalid"})

# The grammar h11 applies (h11/_abnf.py, RFC 9112 §3, §4, §5, §7.1), kept in sync by tests.
_TOKEN = rb"[-!#$%&'*+.^_`|~0-9a-zA-Z]+"
_VALUE = rb"(?:[^\x00\s]+(?:[ \t]+[^\x00\s]+)*)?"
_HEADER_RE = re.compile(rb"(?P<name>" + _TOKEN + rb"):[ \t]*(?P<value>" + _VALUE + rb")[ \t]*")
_STATUS_RE = re.compile(rb"HTTP/(?P<version>[0-9]\.[0-9]) (?P<code>[0-9]{3})"
                        rb"(?: (?P<reason>(?:[ \t]|[^\x00\s])*))?")
_REQUEST_RE = re.compile(rb"(?P<method>" + _TOKEN + rb") (?P<target>[\x21-\x7e]+) "
                         rb"HTTP/(?P<version>[0-9]\.[0-9])")
_CHUNK_RE = re.compile(rb"(?P<size>[0-9A-Fa-f]{1,20})(?:;.*)?[ \t]*\r\n")
_CL_RE = re.compile(rb"[0-9]+")
# A line this long without its end is not HTTP (h11 gives up at 16 KiB); stop buffering it.
_MAX_LINE = 64 * 1024


@dataclass(frozen=True, slots=True)
class Segment:
    """A run of bytes with one meaning, read or written in one step.

    Attributes
    ----------
    direction:
        ``"sent"`` or ``"received"``.
    label:
        What the bytes are (see the module docstring).
    data:
        The bytes (empty for ``omitted``).
    record:
        Position of the step (in ``trace.records``) that wrote or read them.
    offset:
        Offset of the first byte in this direction of this connection (omitted bytes count).
    size:
        Number of bytes on the wire (``len(data)`` except for ``omitted``).
    connection:
        The connection number.
    continued:
        True when the segment continues a line or run begun in an earlier step.
    note:
        A short explanation for ``invalid``/``unparsed`` segments, or ``"incomplete"``/
        ``"provisional"`` for a line the stream never finished or has not finished yet.
    """

    direction: str
    label: str
    data: bytes
    record: int
    offset: int
    size: int
    connection: int
    continued: bool = False
    note: str = ""


@dataclass(slots=True)
class MessageInfo:
    """What the scanner understood of one message head and its body (mutable while parsing).

    ``headers`` keep names and values as on the wire (decoded as Latin-1, obs-fold joined);
    ``head_size`` counts the start line through the blank line; ``body_size`` counts body bytes
    (omitted ones included) and ``wire_body_size`` every byte after the head (chunk framing and
    trailers included).
    """

    direction: str
    record: int
    offset: int
    method: str = ""
    target: str = ""
    status_code: int = 0
    reason: str = ""
    http_version: str = ""
    interim: bool = False
    headers: list[tuple[str, str]] = field(default_factory=list)
    head_size: int = 0
    head_complete: bool = False
    framing: str = ""
    content_length: int = -1
    body_size: int = 0
    wire_body_size: int = 0
    trailers: list[tuple[str, str]] = field(default_factory=list)
    complete: bool = False
    error: str = ""


def _line_text(line: bytes) -> bytes:
    """A head line without its LF and one optional CR (h11's ReceiveBuffer rule)."""
    line = line[:-1] if line.endswith(b"\n") else line
    return line[:-1] if line.endswith(b"\r") else line


def _latin1(data: bytes) -> str:
    return data.decode("latin-1")


class _Scanner:
    """One direction of one connection.  Subclasses know what a start line means.

    ``state`` is one of: ``idle`` (between messages), ``start`` (start line), ``head`` (header
    lines), ``body`` (Content-Length bytes left in ``remaining``), ``chunk-size``,
    ``chunk-data`` (``remaining`` bytes of the chunk left), ``chunk-crlf`` (``remaining`` bytes
    of the CRLF left), ``trailer``, ``close`` (until end of stream), ``lost`` or ``invalid``.
    """

    direction = ""
    start_label = ""

    def __init__(self, connection: int, expect: deque[str], *, in_sync: bool) -> None:
        self.connection = connection
        self.expect = expect  # methods of requests written and not yet answered
        self.state = "idle" if in_sync else "lost"
        self.offset = 0
        self.remaining = 0
        self._run = 0  # size of the current body or chunk (``continued`` after its first read)
        self.out: list[Segment] = []
        self.messages: list[MessageInfo] = []
        self.msg: MessageInfo | None = None
        self._pending: list[tuple[int, bytes]] = []
        self._pending_size = 0
        self._note = "" if in_sync else "recording started in the middle of this connection"

    # -- output -------------------------------------------------------------------------------
    def _emit(self, label: str, record: int, data: bytes, *, continued: bool = False,
              size: int = -1, note: str = "") -> None:
        size = len(data) if size < 0 else size
        self.out.append(Segment(direction=self.direction, label=label, data=data, record=record,
                                offset=self.offset, size=size, connection=self.connection,
                                continued=continued, note=note))
        self.offset += size
        msg = self.msg
        if msg is not None and msg.head_complete and not msg.interim and label != "unsolicited":
            msg.wire_body_size += size  # framing, data and any broken bytes after the head

    def _emit_pending(self, label: str, last: tuple[int, bytes] | None = None,
                      note: str = "") -> None:
        pieces = self._pending + ([last] if last is not None else [])
        for i, (record, data) in enumerate(pieces):
            self._emit(label, record, data, continued=i > 0, note=note)
        self._pending, self._pending_size = [], 0

    def pending(self) -> list[Segment]:
        """Provisional segments for an unfinished line (not stored)."""
        out, offset = [], self.offset
        for i, (record, data) in enumerate(self._pending):
            out.append(Segment(direction=self.direction, label=self._guess(), data=data,
                               record=record, offset=offset, size=len(data),
                               connection=self.connection, continued=i > 0, note="provisional"))
            offset += len(data)
        return out

    def _guess(self) -> str:
        """The label an unfinished line will get if it turns out valid."""
        interim = self.msg is not None and self.msg.interim
        if self.state == "start":
            return self.start_label
        if self.state == "head":
            return "interim-head" if interim else "header"
        return {"chunk-size": "chunk-size", "trailer": "trailer"}.get(self.state, "unparsed")

    # -- input --------------------------------------------------------------------------------
    def feed(self, data: bytes, record: int) -> None:
        """Label ``data``, written or read by step ``record``."""
        pos = 0
        while pos < len(data):
            pos = self._step(data, pos, record)

    def omit(self, size: int, record: int) -> None:
        """Account for ``size`` bytes that were counted but not kept."""
        while size > 0:
            if self.state in ("body", "chunk-data", "close"):
                # The framing says how far the body goes, so the scanner stays in step.
                take = size if self.state == "close" else min(size, self.remaining)
                self._emit("omitted", record, b"", size=take)
                self._count_body(take)
                size -= take
            else:
                self._lose("earlier bytes were not kept")
                self._emit("omitted", record, b"", size=size)
                return

    def eof(self) -> None:
        """The connection ended: finish a close-delimited body, flush an unfinished line."""
        if self.state == "close" and self.msg is not None:
            self._finish()
        if self._pending:
            self._emit_pending(self._guess(), note="incomplete")

    def resync(self) -> None:
        """A new request starts: if the stream was lost, assume it starts afresh here."""
        if self.state in ("lost", "invalid"):
            if self._pending:
                self._emit_pending("unparsed" if self.state == "lost" else "invalid",
                                   note=self._note)
            self.state, self.msg, self._note = "idle", None, ""

    def _lose(self, note: str) -> None:
        if self._pending:
            self._emit_pending("unparsed", note=note)
        self.state, self._note = "lost", note

    def _fail(self, note: str, last: tuple[int, bytes] | None = None) -> None:
        """The grammar is broken here: label the offending bytes and the rest ``invalid``."""
        if self.msg is not None:
            self.msg.error = note
        self._emit_pending("invalid", last, note=note)
        self.state, self._note = "invalid", note

    def _step(self, data: bytes, pos: int, record: int) -> int:
        state = self.state
        if state == "idle":
            self._start_message(record)
            if self.state == "idle":  # nothing expected: the rest is not a message
                self._emit("unsolicited", record, data[pos:])
                return len(data)
            return pos
        if state in ("start", "head", "trailer", "chunk-size"):
            return self._line(data, pos, record)
        if state in ("body", "chunk-data"):
            take = min(self.remaining, len(data) - pos)
            self._emit(state, record, data[pos:pos + take], continued=self.remaining < self._run)
            self._count_body(take)
            return pos + take
        if state == "chunk-crlf":
            return self._chunk_crlf(data, pos, record)
        if state == "close":
            self._emit("body-close-delimited", record, data[pos:],
                       continued=self.msg is not None and self.msg.body_size > 0)
            self._count_body(len(data) - pos)
            return len(data)
        self._emit("invalid" if state == "invalid" else "unparsed", record, data[pos:],
                   note=self._note)
        return len(data)

    def _count_body(self, n: int) -> None:
        assert self.msg is not None
        self.msg.body_size += n
        if self.state in ("body", "chunk-data"):
            self.remaining -= n
            if self.remaining == 0 and self.state == "body":
                self._finish()
            elif self.remaining == 0:
                self.state, self.remaining = "chunk-crlf", 2

    def _chunk_crlf(self, data: bytes, pos: int, record: int) -> int:
        want = b"\r\n"[2 - self.remaining:]
        got = data[pos:pos + len(want)]
        if got != want[:len(got)]:  # h11: "malformed chunk footer"
            self._fail(f"expected CRLF after the chunk data, got {got!r}")
            return pos
        self._emit("chunk-crlf", record, got, continued=self.remaining == 1)
        self.remaining -= len(got)
        if self.remaining == 0:
            self.state = "chunk-size"
        return pos + len(got)

    def _line(self, data: bytes, pos: int, record: int) -> int:
        # h11 ends head and trailer lines at LF (CR optional) but chunk-size lines only at CRLF.
        end = b"\r\n" if self.state == "chunk-size" else b"\n"
        idx = data.find(end, pos)
        if (end == b"\r\n" and pos == 0 and data[:1] == b"\n" and self._pending
                and self._pending[-1][1].endswith(b"\r")):
            idx = -1  # the CRLF straddles two reads: the line ends at this LF
            stop = 1
        elif idx == -1:
            self._pending.append((record, data[pos:]))
            self._pending_size += len(data) - pos
            if self._pending_size > _MAX_LINE:
                self._fail(f"no end of line in {self._pending_size} bytes")
            return len(data)
        else:
            stop = idx + len(end)
        piece = (record, data[pos:stop])
        line = b"".join(p for _, p in self._pending) + piece[1]
        label, note = self._classify(line)
        if label == "invalid":
            self._fail(note, piece)
            return stop
        self._emit_pending(label, piece)
        self._after_line(label, _line_text(line) == b"")
        return stop

    # -- what lines mean ----------------------------------------------------------------------
    def _start_message(self, record: int) -> None:
        raise NotImplementedError

    def _classify_start(self, text: bytes) -> tuple[str, str]:
        raise NotImplementedError

    def _framing(self) -> None:
        raise NotImplementedError

    def _no_framing(self) -> None:
        raise NotImplementedError

    def _new_message(self, record: int, method: str = "") -> None:
        self.msg = MessageInfo(direction=self.direction, record=record, offset=self.offset,
                               method=method)
        self.messages.append(self.msg)
        self.state = "start"

    def _classify(self, line: bytes) -> tuple[str, str]:
        """Return ``(label, "")`` for a valid line, ``("invalid", why)`` otherwise."""
        if self.state == "chunk-size":
            m = _CHUNK_RE.fullmatch(line)
            if m is None:
                return "invalid", f"not a chunk-size line: {line[:40]!r}"
            self.remaining = self._run = int(m["size"], 16)
            return ("last-chunk" if self.remaining == 0 else "chunk-size"), ""
        text = _line_text(line)
        if self.state == "start":
            return self._classify_start(text)
        if self.state == "trailer":
            if text == b"":
                return "end-of-trailers", ""
            return self._header(text, "trailer", is_trailer=True)
        assert self.msg is not None
        label = "interim-head" if self.msg.interim else "header"
        if text == b"":
            return ("interim-head" if self.msg.interim else "end-of-head"), ""
        return self._header(text, label, is_trailer=False)

    def _header(self, text: bytes, label: str, *, is_trailer: bool) -> tuple[str, str]:
        assert self.msg is not None
        fields = self.msg.trailers if is_trailer else self.msg.headers
        if text[:1] in (b" ", b"\t"):  # obs-fold (RFC 9112 §5.2): h11 joins it with a space
            if not fields:
                return "invalid", "a continuation line before any field"
            name, value = fields[-1]
            text = (name + ":" + value + " ").encode("latin-1") + text.lstrip(b" \t")
            fields.pop()
        m = _HEADER_RE.fullmatch(text)
        if m is None:
            return "invalid", f"not a header line: {text[:60]!r}"
        fields.append((_latin1(m["name"]), _latin1(m["value"])))
        return label, ""

    def _after_line(self, label: str, blank: bool) -> None:
        if self.state == "start":
            self.state = "head"
        elif self.state == "head" and blank:
            self._end_of_head()
        elif label == "chunk-size":
            self.state = "chunk-data"
        elif label == "last-chunk":
            self.state = "trailer"
        elif label == "end-of-trailers":
            self._finish()

    def _end_of_head(self) -> None:
        assert self.msg is not None
        self.msg.head_size = self.offset - self.msg.offset
        self.msg.head_complete = True
        self._framing()

    def _body_from_headers(self) -> None:
        """Transfer-Encoding, then Content-Length (RFC 9112 §6.3), with h11's checks."""
        assert self.msg is not None
        te = [v for n, v in self.msg.headers if n.lower() == "transfer-encoding"]
        cl = [v for n, v in self.msg.headers if n.lower() == "content-length"]
        if te:
            if len(te) > 1 or te[0].lower() != "chunked":
                self._fail(f"unsupported Transfer-Encoding: {', '.join(te)!r}")
                return
            self.msg.framing, self.state = "chunked", "chunk-size"
            return
        if cl:
            values = {v.strip() for value in cl for v in value.split(",")}
            value = values.pop() if len(values) == 1 else ""
            if not _CL_RE.fullmatch(value.encode("latin-1")) or len(value) > 20:
                self._fail(f"bad or conflicting Content-Length: {', '.join(cl)!r}")
                return
            self.msg.framing, self.msg.content_length = "length", int(value)
            self.remaining = self._run = int(value)
            self.state = "body"
            if self.remaining == 0:
                self._finish()
            return
        self._no_framing()

    def _finish(self) -> None:
        assert self.msg is not None
        self.msg.complete = True
        self.state = "idle"


class _ResponseScanner(_Scanner):
    direction = "received"
    start_label = "status-line"

    def _start_message(self, record: int) -> None:
        if self.expect:
            self._new_message(record, method=self.expect.popleft())

    def _classify_start(self, text: bytes) -> tuple[str, str]:
        assert self.msg is not None
        m = _STATUS_RE.fullmatch(text)
        if m is None:
            return "invalid", f"not a status line: {text[:60]!r}"
        self.msg.http_version = m["version"].decode()
        self.msg.status_code = int(m["code"])
        self.msg.reason = _latin1(m["reason"] or b"")
        self.msg.interim = self.msg.status_code < 200
        return ("interim-head" if self.msg.interim else "status-line"), ""

    def _framing(self) -> None:
        assert self.msg is not None
        code, method = self.msg.status_code, self.msg.method
        if self.msg.interim:
            self._finish()
            if code == 101:  # the protocol switched: what follows is not HTTP/1.1
                self.state, self._note = "lost", "after 101 Switching Protocols"
            else:  # the request is still outstanding: its final response comes next
                self.expect.appendleft(method)
        elif code in (204, 304) or method == "HEAD" or (method == "CONNECT" and code < 300):
            self.msg.framing = "none"  # RFC 9112 §6.3 rules 1 and 2
            self._finish()
        else:
            self._body_from_headers()

    def _no_framing(self) -> None:
        assert self.msg is not None
        self.msg.framing, self.state = "close", "close"  # RFC 9112 §6.3 rule 8


class _RequestScanner(_Scanner):
    direction = "sent"
    start_label = "request-line"

    def _start_message(self, record: int) -> None:
        self._new_message(record)

    def _classify_start(self, text: bytes) -> tuple[str, str]:
        assert self.msg is not None
        m = _REQUEST_RE.fullmatch(text)
        if m is None:
            return "invalid", f"not a request line: {text[:60]!r}"
        self.msg.method = m["method"].decode()
        self.msg.target = _latin1(m["target"])
        self.msg.http_version = m["version"].decode()
        self.expect.append(self.msg.method)
        return "request-line", ""

    def _framing(self) -> None:
        self._body_from_headers()

    def _no_framing(self) -> None:
        assert self.msg is not None
        self.msg.framing = "none"  # RFC 9112 §6.3 rule 6: a request without framing has no body
        self._finish()


class ConnectionScanner:
    """Both directions of one connection.

    Parameters
    ----------
    connection:
        The connection number (copied into every segment).
    in_sync:
        False when recording started in the middle of the connection: labels are ``unparsed``
        until the next request.
    """

    def __init__(self, connection: int, *, in_sync: bool = True) -> None:
        expect: deque[str] = deque()
        self.sent = _RequestScanner(connection, expect, in_sync=in_sync)
        self.received = _ResponseScanner(connection, expect, in_sync=in_sync)

    def feed(self, record: int, sent: bytes, received: bytes, *, sent_omitted: int = 0,
             received_omitted: int = 0, eof: bool = False) -> list[Segment]:
        """Label one step's bytes; return the segments completed by it (possibly including
        bytes of earlier steps whose line ended now)."""
        n_sent, n_recv = len(self.sent.out), len(self.received.out)
        # Within one step the client writes before it reads.
        self.sent.feed(sent, record)
        if sent_omitted:
            self.sent.omit(sent_omitted, record)
        self.received.feed(received, record)
        if received_omitted:
            self.received.omit(received_omitted, record)
        if eof:
            self.received.eof()
        return self.sent.out[n_sent:] + self.received.out[n_recv:]

    def resync(self) -> None:
        """Called when the client starts a new request on this connection."""
        if self.received.state in ("lost", "invalid"):
            self.received.expect.clear()
        self.sent.resync()
        self.received.resync()

    def pending(self) -> list[Segment]:
        """Provisional segments for lines not finished yet, sent first."""
        return self.sent.pending() + self.received.pending()

    @property
    def messages(self) -> list[MessageInfo]:
        """Requests and responses seen so far, in the order their heads started."""
        return sorted(self.sent.messages + self.received.messages,
                      key=lambda m: (m.record, m.direction != "sent", m.offset))
