"""Reading a response: h11's events applied to a :class:`~httpexplore._cycle.Cycle`.

Theory of operation
-------------------
h11 is the parser of record for every byte of framing.  The client feeds it what arrived and
calls :func:`drain_events`, which takes h11's events one by one and records what they say in the
cycle: interim (1xx) responses, the final head, body pieces, the end of the message and its
trailers.  The framing decisions of RFC 9112 §6.3 are made once, when the final head arrives
(:func:`_on_head`): does the response have a body, is it chunked, how long is it, does the
connection close after it?

A few checks are added to h11's: the size limit of a *complete* head, chunk-size line or
trailer section (h11 limits only incomplete ones, so its verdict depended on how the bytes were
split into reads), and the HTTP version (1.x only; no Transfer-Encoding in HTTP/1.0).  A
violation raises ``h11.RemoteProtocolError``, so the client handles it like h11's own.

Nothing here changes the client's status: a head that calls for status BODY sets
``cycle.enter_body`` and the client makes the move.  Events for the ``on_poll`` record are
appended to ``events`` (``None`` when nobody subscribes, to skip building them).

:func:`tunnel_answer` reads an HTTPS proxy's answer to ``CONNECT`` the same way.
"""

from __future__ import annotations

from typing import Any, TypeAlias

import h11

from ._cycle import MAX_HEAD, Cycle
from .errors import FailureKind, TransportError, explain_protocol_error
from .records import EventInfo

__all__ = ["drain_events", "head_detail", "latin1", "tunnel_answer", "unparsed"]

_NO_BODY_CODES = (204, 304)

#: Where events for the ``on_poll`` record go; None when nobody subscribes.
Events: TypeAlias = list[EventInfo] | None


def latin1(b: bytes) -> str:
    return b.decode("latin-1")


def unparsed(parser: h11.Connection) -> int:
    """Bytes h11 holds but has not parsed yet.  (``trailing_data`` would copy them all, at every
    chunk.)  This reads a private attribute, which is why pyproject pins h11 below 0.17."""
    return len(parser._receive_buffer)


def head_detail(event: h11.Response | h11.InformationalResponse) -> dict[str, Any]:
    """A response head as the JSON-able detail of its :class:`~httpexplore.records.EventInfo`."""
    return {"status_code": event.status_code, "reason": latin1(event.reason),
            "http_version": latin1(event.http_version),
            "headers": [[latin1(n), latin1(v)] for n, v in event.headers.raw_items()]}


def _note(events: Events, kind: str, **detail: Any) -> None:
    if events is not None:
        events.append(EventInfo(kind=kind, detail=detail))


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
    end = c.received_total - unparsed(parser)
    size, c.head_start = end - c.head_start, end
    if size > MAX_HEAD:
        raise h11.RemoteProtocolError("Receive buffer too long")


def _check_line_size(c: Cycle, parser: h11.Connection, event: h11.Data | None) -> None:
    """The same limit for a chunk-size line (``event`` starts a chunk) and for the last-chunk
    line plus the trailer section (``event`` is None, at the end of the message)."""
    end = c.received_total - unparsed(parser)
    if event is None or event.chunk_start:
        line_end = end - (len(event.data) if event is not None else 0)
        if line_end - c.head_start > MAX_HEAD:
            raise h11.RemoteProtocolError("Receive buffer too long")
    if event is not None and event.chunk_end:
        c.head_start = end + 2  # the CRLF after the data; then the next chunk-size line


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
    c.head_received = True
    c.response_code = event.status_code
    c.reason = latin1(event.reason)
    c.http_version = latin1(event.http_version)
    raw = event.headers.raw_items()
    c.headers = [(n.decode("latin-1"), v.decode("latin-1")) for n, v in raw]
    if events is not None:  # head_detail(event), sharing the strings just decoded
        events.append(EventInfo(kind="Response", detail={
            "status_code": event.status_code, "reason": c.reason,
            "http_version": c.http_version, "headers": [[n, v] for n, v in c.headers]}))
    # One pass over the (already h11-validated) fields for what decides the framing.
    lengths: list[bytes] = []
    codings: list[bytes] = []
    # The request may have said "Connection: close" too (h11 then holds our side in
    # MUST_CLOSE): RFC 9112 §9.6, the client closes after this response.
    close = c.http_version == "1.0" or parser.our_state is h11.MUST_CLOSE
    for name, value in raw:
        low = name.lower()
        if low == b"content-length":
            lengths.append(value)
        elif low == b"transfer-encoding":
            codings.append(value)
        elif low == b"connection" and b"close" in value.lower():
            close = True
    c.keep_alive = not close
    no_body = (c.method == "HEAD" or event.status_code in _NO_BODY_CODES
               or (c.method == "CONNECT" and 200 <= event.status_code < 300))
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
    c.enter_body = True


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
    _note(events, "EndOfMessage", trailers=[list(t) for t in c.trailers])


def _unsolicited(c: Cycle, data: bytes, events: Events) -> None:
    """Bytes beyond the end of the response: never taken as a next response (SPEC §2.3 #5).
    The response is complete; the connection will be closed once it is handed out."""
    if data:
        _note(events, "Unsolicited", length=len(data))
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
