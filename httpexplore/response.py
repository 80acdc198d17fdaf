"""Reading a response: h11's events applied to a :class:`~httpexplore._cycle.Cycle`.

Theory of operation
-------------------
h11 parses every byte of framing (heads, chunk-size lines, trailers) and close-delimited
bodies, except the most common head, which :func:`receive_common` reads with one strict match
(:mod:`httpexplore._fasthead`) when it is complete in the response's first read and nothing
about it is unusual; payload whose length is already known is counted instead (below, and
:meth:`httpexplore.engine.Engine.feed_counted` for a Content-Length body).  The engine feeds
h11 what arrived and calls :func:`drain_events`, which takes h11's events one by one and
records what they say in the cycle: interim (1xx) responses, the final head, body pieces, the
end of the message and its trailers.  The framing decisions of RFC 9112 §6.3 are made once,
when the final head arrives (:func:`_on_head`): does the response have a body, is it chunked,
how long is it, does the connection close after it?

Chunk payload is counted (docs/architecture.md, "Where the project departs from h11"): it is
not framing, so :func:`receive` counts it without h11 once h11 has parsed the chunk-size line,
and gives h11 every other byte (see :func:`_receive_chunked`).  The events, the body and h11's
own state come out as if h11 had been fed the whole read, except that the ``Data`` events made
here are labelled ``synthesised``.

A few checks are added to h11's: the size limit of a *complete* head, chunk-size line or
trailer section (h11 limits only incomplete ones, so its verdict depended on how the bytes were
split into reads), and the HTTP version (1.x only; no Transfer-Encoding in HTTP/1.0).  A
violation raises ``h11.RemoteProtocolError``, so the client handles it like h11's own.

Nothing here changes the client's status: a head that calls for status BODY sets
``cycle.enter_body`` and the driver makes the move.  Events for the ``on_poll`` record are
appended to ``events`` (``None`` when nobody subscribes, to skip building them).

:func:`tunnel_answer` reads an HTTPS proxy's answer to ``CONNECT`` the same way.
"""

from __future__ import annotations

import re
from typing import Any, TypeAlias

import h11

from . import _fasthead
from . import _h11compat as compat
from ._cycle import MAX_HEAD, MAX_INTERIM, Cycle
from .errors import FailureKind, TransportError, explain_protocol_error
from .records import EventInfo

__all__ = ["FRAMING_CONFLICT", "drain_events", "end_counted", "head_detail", "latin1", "receive",
           "tunnel_answer", "unparsed"]

_NO_BODY_CODES = (204, 304)
#: Why a response with both Content-Length and Transfer-Encoding closes its connection.
FRAMING_CONFLICT = ("the response has both Content-Length and Transfer-Encoding: it is read as "
                    "chunked, and the connection is closed afterwards instead of being reused "
                    "(RFC 9112 §6.3 item 3: such a message ought to be handled as an error)")

#: Read the first read of a response with :mod:`._fasthead` when it can (tests turn it off to
#: compare with plain h11).
COMMON_HEADS = True

#: Where events for the ``on_poll`` record go; None when nobody subscribes.
Events: TypeAlias = list[EventInfo] | None


_new_event = tuple.__new__


def latin1(b: bytes) -> str:
    return b.decode("latin-1")


unparsed = compat.unparsed


def _consumed(c: Cycle, parser: h11.Connection) -> int:
    """Response offset of the first byte h11 has not consumed yet: what arrived, less what h11
    holds unparsed and what the current read has not given it yet (``c.unfed``).  Payload
    counted by :func:`_receive_chunked` is consumed."""
    return c.received_total - c.unfed - unparsed(parser)


def head_detail(event: h11.Response | h11.InformationalResponse) -> dict[str, Any]:
    """A response head as the JSON-able detail of its :class:`~httpexplore.records.EventInfo`."""
    return {"status_code": event.status_code, "reason": latin1(event.reason),
            "http_version": latin1(event.http_version),
            "headers": tuple((latin1(n), latin1(v)) for n, v in event.headers.raw_items())}


def _note(events: Events, kind: str, **detail: Any) -> None:
    if events is not None:
        events.append(EventInfo(kind=kind, detail=detail))


def receive(c: Cycle, parser: h11.Connection, data: bytes, events: Events) -> None:
    """Feed one read (``b""`` = end of stream) and apply h11's events to ``c`` (raises
    RemoteProtocolError).  Inside a chunked body the payload is counted here rather than
    parsed by h11 (:func:`_receive_chunked`); everything else goes to h11 whole."""
    reader = compat.chunked_reader(parser) if data else None
    if reader is not None:
        _receive_chunked(c, parser, reader, data, events)
    elif (data and parser.their_state is h11.SEND_RESPONSE and not compat.unparsed(parser)
          and receive_common(c, data, events)):
        return
    else:
        parser.receive_data(data)
        drain_events(c, parser, events)


def _receive_chunked(c: Cycle, parser: h11.Connection, reader: compat.ChunkedReader, data: bytes,
                     events: Events) -> None:
    """One read of a chunked body: the payload is counted here, the framing parsed by h11.

    h11's chunked reader keeps what is left of the current chunk, the CRLF still expected
    after the chunk data, and whether the trailer is being read; :mod:`httpexplore._h11compat`
    reads and sets them (the only place that touches h11's internals).  While the reader is
    inside a chunk's data with nothing unparsed, the next :func:`~._h11compat.chunk_left` bytes
    are payload whatever they contain: they are taken here and the count is lowered, which is
    all a ``Data`` event would have done (h11's state machine keeps SEND_BODY for it).  When a
    chunk's last byte is taken, :func:`~._h11compat.end_chunk` moves the reader on with the
    very statement h11 runs after the last byte of a chunk, so h11 itself checks the CRLF
    that must follow (RFC 9112 §7.1) when it is fed, with its own message if it is missing.
    (Leaving the last byte to h11 would do the same at the cost of one h11 event per chunk.)

    Every other byte goes to h11, in order, in windows that end at the first LF after the CRLF
    still to discard.  A chunk-size line ends at a CRLF, so h11 stops at the end of the line
    (extensions included), exactly as if the read had been cut there, and is never given
    payload; cutting reads changes nothing h11 decides (tests/robustness cut every malformed
    response at every byte).  The last chunk, the trailer section and anything after them
    are given to h11 in one piece.  The size limit of each chunk-size line is checked as
    soon as h11 has parsed it, wherever the read ends.

    Records: h11 makes no ``Data`` event here, so one is made per chunk piece of this read,
    with the flags h11 would have given for the read (``chunk_start`` when the chunk-size line
    ended in this read, ``chunk_end`` when the piece ends the chunk), and labelled
    ``"synthesised": True`` in its detail: the engine made it, not h11.  The body: the payload of
    the read becomes one piece, copied once (not at all when the read is all payload), added
    in ``finally`` so that what came before a framing error is still handed out.
    """
    n = len(data)
    buffered = compat.buffered(parser)
    view = memoryview(data)
    pieces: list[memoryview] = []
    taken = 0
    pos = 0
    fresh = False  # the next piece starts a chunk whose size line ended in this read
    try:
        while True:
            left = compat.chunk_left(reader)
            # (h11's reader hands out all it holds before it waits inside chunk data, so the
            # buffer is empty then; while chunk_left > 0, no CRLF is pending
            # and no trailer is being read.)
            if left and pos < n and not len(buffered):  # type: ignore[arg-type]
                end = pos + left if pos + left < n else n
                pieces.append(view[pos:end])
                size = end - pos
                taken += size
                left -= size
                compat.set_chunk_left(reader, left)
                if not left:
                    compat.end_chunk(reader)  # h11's own end-of-chunk step
                    c.head_start = c.received_total - (n - end) + 2  # the next size line
                if events is not None:
                    # (tuple.__new__ builds the EventInfo without its Python-level __new__:
                    # this runs for every chunk of a download)
                    events.append(_new_event(EventInfo, ("Data", {
                        "length": size, "chunk_start": fresh, "chunk_end": not left,
                        "synthesised": True})))
                fresh = False
                pos = end
            elif pos < n:
                if not len(buffered) and not compat.reading_trailer(reader):  # type: ignore[arg-type]
                    line = _size_line(data, pos, compat.crlf_pending(reader))
                    if line is not None:  # the usual size line: read here, as h11 would
                        size, pos = line
                        compat.start_chunk(reader, size)
                        _check_line_end(c, c.received_total - (n - pos))
                        fresh = True
                        continue
                if compat.reading_trailer(reader):
                    end = n
                else:
                    lf = data.find(b"\n", pos + compat.crlf_pending(reader))
                    end = n if lf < 0 else lf + 1
                c.unfed = n - end
                parser.receive_data(data[pos:end])
                drain_events(c, parser, events)
                pos = end
                if compat.chunk_left(reader):
                    # h11 parsed a chunk-size line, which ended the window: at offset ``end``.
                    _check_line_end(c, c.received_total - c.unfed)
                    fresh = True
            else:
                return
    finally:
        c.unfed = 0
        if taken:
            c.body.append(data if taken == n else b"".join(pieces))
            c.body_buffered += taken


#: The usual chunk-size line: hex digits (at most 16: below h11's 20) and CRLF, no extension.
_SIZE_LINE = re.compile(rb"([0-9A-Fa-f]{1,16})\r\n")
_CRLF_TAIL = (b"", b"\n", b"\r\n")  # the CRLF bytes still expected, by count


def _size_line(data: bytes, pos: int, crlf: int) -> tuple[int, int] | None:
    """``(size, end)`` when ``data[pos:]`` holds the CRLF still expected after the previous
    chunk's data (``crlf`` bytes of it) and then a complete chunk-size line of the usual form
    announcing a chunk of ``size`` > 0 bytes, the line ending before ``end``; else None, and
    h11 reads what is there (extensions, the last chunk, a split or malformed line)."""
    if crlf:
        tail = _CRLF_TAIL[crlf]
        if not data.startswith(tail, pos):
            return None
        pos += crlf
    match = _SIZE_LINE.match(data, pos)
    if match is None:
        return None
    size = int(match[1], 16)
    return (size, match.end()) if size else None


def drain_events(c: Cycle, parser: h11.Connection, events: Events) -> None:
    """Apply every event h11 can produce from what it was fed (raises RemoteProtocolError)."""
    while True:
        event = parser.next_event()
        if event is h11.NEED_DATA or event is h11.PAUSED:
            if event is h11.PAUSED and c.body_complete:
                _unsolicited(c, parser.trailing_data[0], events)
            return
        if type(event) is h11.Data:
            if c.chunked and (event.chunk_start or event.chunk_end):
                _check_line_size(c, parser, event)
            _on_data(c, event, events)
        elif isinstance(event, h11.Response):
            _check_head_size(c, parser)
            _on_head(c, event, parser, events)
            if c.fast_remaining >= 0 and parser.their_state is h11.SEND_BODY:
                # Drain what h11 already buffered; the rest is counted without h11.
                continue
        elif isinstance(event, h11.InformationalResponse):
            _check_head_size(c, parser)
            if parser.their_state is h11.SWITCHED_PROTOCOL:
                _on_switch(c, event, events)
                return
            if len(c.interim) >= MAX_INTERIM:
                raise h11.RemoteProtocolError(
                    f"too many interim responses: more than {MAX_INTERIM} before the final one")
            c.interim.append(event.status_code)
            if events is not None:
                events.append(EventInfo(kind="InformationalResponse", detail=head_detail(event)))
        elif isinstance(event, h11.EndOfMessage):
            if c.chunked:
                _check_line_size(c, parser, None)
            _on_end(c, event, events)
        elif isinstance(event, h11.ConnectionClosed):
            _note(events, "ConnectionClosed")
            return


def _check_head_size(c: Cycle, parser: h11.Connection) -> None:
    """Refuse a head larger than ``MAX_HEAD`` however it arrived.

    h11 only limits a head that is still *incomplete*, so a 70 KiB head was refused when it
    trickled in but accepted when it came in one read: the verdict depended on packet
    boundaries.  Complete heads are measured here, with h11's own words for the refusal.
    ``c.head_start`` is where the element being measured began (response offset).
    """
    end = _consumed(c, parser)
    size, c.head_start = end - c.head_start, end
    if size > MAX_HEAD:
        raise h11.RemoteProtocolError("Receive buffer too long")


def _check_line_size(c: Cycle, parser: h11.Connection, event: h11.Data | None) -> None:
    """The same limit for a chunk-size line (``event`` starts a chunk) and for the last-chunk
    line plus the trailer section (``event`` is None, at the end of the message)."""
    end = _consumed(c, parser)
    if event is None or event.chunk_start:
        _check_line_end(c, end - (len(event.data) if event is not None else 0))
    if event is not None and event.chunk_end:
        c.head_start = end + 2  # the CRLF after the data; then the next chunk-size line


def _check_line_end(c: Cycle, line_end: int) -> None:
    """Refuse a chunk-size line (or last chunk and trailers) that began at ``c.head_start``
    and ended at response offset ``line_end`` when it is larger than ``MAX_HEAD``."""
    if line_end - c.head_start > MAX_HEAD:
        raise h11.RemoteProtocolError("Receive buffer too long")


def _on_switch(c: Cycle, event: h11.InformationalResponse, events: Events) -> None:
    """101 Switching Protocols to the caller's ``Upgrade`` request: the connection now
    speaks another protocol, which this client does not.  Report the 101 as the final
    response and close the connection (it used to wait in REQUESTING forever)."""
    c.head_received = True
    c.response_code = event.status_code
    c.reason = latin1(event.reason)
    c.http_version = latin1(event.http_version)
    c.headers = [(latin1(n), latin1(v)) for n, v in event.headers.raw_items()]
    _note(events, "Response", **head_detail(event))
    c.body_length = 0
    c.body_complete = c.closing = True


def _on_head(c: Cycle, event: h11.Response, parser: h11.Connection, events: Events) -> None:
    """The final head: record it and decide the framing of the body (RFC 9112 §6.3)."""
    # h11 accepts any "HTTP/d.d", but only HTTP/1.x framing is known here (RFC 9112 §2.3).
    if not event.http_version.startswith(b"1."):
        raise h11.RemoteProtocolError(
            f"unsupported HTTP version {latin1(event.http_version)}")
    # RFC 9112 §6.1: Transfer-Encoding in an HTTP/1.0 message means faulty framing (h11
    # would decode it as chunked).
    if event.http_version == b"1.0" and any(
            name == b"transfer-encoding" for name, _v in event.headers):
        raise h11.RemoteProtocolError("HTTP/1.0 response with Transfer-Encoding")
    _apply_head(c, event.status_code, event.reason, latin1(event.http_version),
                event.headers.raw_items(), parser.our_state is h11.MUST_CLOSE, events, {})


def _apply_head(c: Cycle, status_code: int, reason: bytes, http_version: str,
                raw: list[tuple[bytes, bytes]], request_closes: bool, events: Events,
                label: dict[str, Any]) -> None:
    """Record a final head (from h11, or from :mod:`._fasthead` with ``label`` saying so)
    and decide the framing of its body."""
    c.head_received = True
    c.response_code = status_code
    c.reason = latin1(reason)
    c.http_version = http_version
    c.headers = [(n.decode("latin-1"), v.decode("latin-1")) for n, v in raw]
    if events is not None:  # head_detail(event), sharing the strings just decoded
        events.append(EventInfo(kind="Response", detail={
            "status_code": status_code, "reason": c.reason,
            "http_version": c.http_version, "headers": tuple(c.headers),
            **label}))
    # One pass over the (already validated) fields for what decides the framing.
    lengths: list[bytes] = []
    codings: list[bytes] = []
    # The request may have said "Connection: close" too (h11 then holds our side in
    # MUST_CLOSE): RFC 9112 §9.6, the client closes after this response.
    close = c.http_version == "1.0" or request_closes
    for name, value in raw:
        low = name.lower()
        if low == b"content-length":
            lengths.append(value)
        elif low == b"transfer-encoding":
            codings.append(value)
        elif low == b"connection" and b"close" in value.lower():
            close = True
    c.keep_alive = not close
    no_body = (c.method == "HEAD" or status_code in _NO_BODY_CODES
               or (c.method == "CONNECT" and 200 <= status_code < 300))
    c.chunked = bool(codings) and not no_body
    if no_body:
        c.body_length = 0
        # Godot shows BODY for these (then one empty read); keep that where Godot would.
        c.closing = not c.keep_alive
        if c.method == "HEAD" or lengths or codings:
            c.enter_body = True
        return
    if lengths and not codings:
        c.body_length = int(lengths[0])
        c.fast_remaining = c.body_length
    elif lengths:
        # RFC 9112 §6.3 item 3: Transfer-Encoding wins, but a message with both "ought to be
        # handled as an error" (it may be a smuggling attempt, or a proxy that mangled the
        # framing): read it as chunked, then close the connection instead of reusing it.
        c.keep_alive = False
        _note(events, "FramingConflict", message=FRAMING_CONFLICT)
    c.enter_body = True


#: Detail added to the records of a response read by :func:`receive_common`, not by h11.
_ENGINE_PARSED: dict[str, Any] = {"synthesised": True}


def receive_common(c: Cycle, data: bytes, events: Events) -> bool:
    """The first read of a response, when it holds a complete head of the common form
    (:func:`._fasthead.parse`) and no more than the body it announces: read it without h11.
    The caller knows h11 holds nothing of this response (its parser waits for the response
    head with nothing unparsed, or has not been given the request at all: ``c.untold``).

    Returns False, having changed nothing, for anything else; h11 then reads it as before.
    The head is recorded as h11 would record it, the body bytes after it are counted as
    :meth:`~httpexplore.engine.Engine.feed_counted` counts the rest, and every record made
    here says ``"synthesised": True``.  h11 never saw this response, so the next request on
    the connection gets a fresh h11 connection (:func:`~httpexplore.request.next_parser`), as
    after any counted body.
    """
    if (not COMMON_HEADS or c.received_total != len(data) or c.head_received or c.interim
            or c.method in ("HEAD", "CONNECT")):
        return False
    head = _fasthead.parse(data, MAX_HEAD)
    if head is None:
        return False
    rest = len(data) - head.size
    if rest > head.content_length:
        return False  # bytes beyond the body: h11 and _unsolicited judge them
    c.head_start = head.size
    _apply_head(c, head.status_code, head.reason, "1.1", head.fields, c.request_closes, events,
                _ENGINE_PARSED)
    if rest:
        c.body.append(data[head.size:])
        c.body_buffered += rest
        c.fast_remaining -= rest
        if events is not None:
            events.append(EventInfo("Data", {"length": rest, "chunk_start": False,
                                             "chunk_end": False, "synthesised": True}))
    if c.fast_remaining == 0:
        end_counted(c, events)
    return True


def end_counted(c: Cycle, events: Events) -> None:
    """The last byte of a counted Content-Length body arrived: the message is complete, with a
    ``synthesised`` EndOfMessage (h11 did not see these bytes)."""
    c.fast_remaining = -1
    c.body_complete = True
    if not c.keep_alive:
        c.closing = True
    if events is not None:
        events.append(EventInfo("EndOfMessage", {"trailers": (), "synthesised": True}))


def _on_data(c: Cycle, event: h11.Data, events: Events) -> None:
    data = bytes(event.data)
    if data:
        c.body.append(data)
        c.body_buffered += len(data)
        if c.fast_remaining > 0:
            c.fast_remaining -= len(data)
    if events is not None:
        events.append(EventInfo(kind="Data", detail={
            "length": len(data), "chunk_start": event.chunk_start,
            "chunk_end": event.chunk_end}))


def _on_end(c: Cycle, event: h11.EndOfMessage, events: Events) -> None:
    c.trailers = [(latin1(n), latin1(v)) for n, v in event.headers.raw_items()]
    c.body_complete = True
    c.fast_remaining = -1
    if not c.keep_alive or c.eof:
        c.closing = True
    _note(events, "EndOfMessage", trailers=tuple(c.trailers))


def _unsolicited(c: Cycle, data: bytes, events: Events) -> None:
    """Bytes beyond the end of the response: never taken as a next response (RFC 9112
    §9.3.2).  The response is complete; once it is handed out the client closes the
    connection and reports the bytes (``Driver._complete``)."""
    if len(data) > c.unsolicited:  # (h11's trailing data is all of it, each time)
        _note(events, "Unsolicited", length=len(data) - c.unsolicited)
        c.unsolicited = len(data)
        c.closing = True


def tunnel_answer(tunnel: h11.Connection, data: bytes, authority: str) -> int | None:
    """Feed ``data`` from an HTTPS proxy to the ``CONNECT authority`` exchange ``tunnel``.

    Returns the 2xx status code once the answer's head is complete, None while more is needed.
    Raises :class:`~httpexplore.errors.TransportError` (``CONNECT``) when the proxy closes, answers
    with something that is not HTTP, or refuses the tunnel (RFC 9110 §9.3.6).
    """
    if not data:
        # Checked before h11 sees the EOF: h11 would report it as a protocol error
        # ("can't handle event type ConnectionClosed").
        raise TransportError(FailureKind.CONNECT, "the proxy closed the connection instead of "
                             "answering CONNECT")
    tunnel.receive_data(data)
    try:
        event = tunnel.next_event()
    except h11.RemoteProtocolError as exc:
        raise TransportError(
            FailureKind.CONNECT, "the proxy's answer to CONNECT is not valid HTTP: "
            + explain_protocol_error(exc, None, MAX_HEAD)) from exc
    if event is h11.NEED_DATA:
        return None
    if not isinstance(event, h11.Response) or not 200 <= event.status_code < 300:
        code = getattr(event, "status_code", 0)
        reason = latin1(getattr(event, "reason", b""))
        raise TransportError(
            FailureKind.CONNECT, f"the HTTPS proxy refused the tunnel: CONNECT "
            f"{authority} got {code} {reason}".rstrip())
    return event.status_code
