"""The HTTP/1.1 engine: requests to bytes, received bytes to what happened.  No I/O, no clock.

Theory of operation
-------------------
:class:`Engine` owns h11 (through :mod:`httpexplore.request`, :mod:`httpexplore.response` and
:mod:`httpexplore._h11compat`) and the state of the current connection and response
(:class:`~httpexplore._cycle.Cycle`, ``engine.c``).  It never reads a socket or a clock: the
driver (:mod:`httpexplore.driver`) gives it the bytes it read (:meth:`Engine.feed`,
:meth:`Engine.feed_counted`), takes the bytes to write (:meth:`Engine.outgoing`,
:meth:`Engine.wrote`), passes the time where one is needed, and turns the verdicts into
Godot's statuses.  So the whole of HTTP/1.1 framing can be driven by tests byte by byte.

Parsers.  h11 parses every response head but the most common form (complete in the first
read, HTTP/1.1, one Content-Length, nothing unusual: :mod:`httpexplore._fasthead`, one strict
match, labelled ``synthesised`` in the trace), every chunk-size line and trailer, and every
close-delimited body.  Two kinds of payload are counted rather than parsed (docs/architecture.md,
"Where the project departs from h11"): a Content-Length body once its head is parsed
(:meth:`Engine.feed_counted`; its end of message is the engine's, labelled ``synthesised`` in
the trace), and chunk data inside a chunked body (:mod:`httpexplore.response`).  One h11
connection serves consecutive keep-alive cycles when h11 saw the whole exchange; after a counted
Content-Length body h11 never saw the end of the message, so the next request gets a fresh h11
connection (:func:`~httpexplore.request.next_parser`).

Events for the ``on_poll`` record are appended to the ``events`` list given to each call
(``None`` when nobody subscribes, which skips building them).
"""

from __future__ import annotations

import h11

from . import response
from ._cycle import MAX_HEAD, Cycle
from .errors import (
    explain_protocol_error,
    head_cut_short_message,
    idle_closed_message,
    truncated_body_message,
)
from .records import EventInfo
from .request import RequestWriter, next_parser
from .response import Events, end_counted, receive, receive_common

__all__ = ["BROKEN", "DONE", "DONE_CLOSE", "WAIT", "Engine"]

#: Verdicts of :meth:`Engine.body_verdict`.
WAIT, DONE, DONE_CLOSE, BROKEN = 0, 1, 2, 3


class Engine:
    """HTTP/1.1 for one client, without I/O.

    Parameters
    ----------
    user_agent:
        The ``User-Agent`` sent when the caller gives none (Godot's automatic headers).
    """

    __slots__ = ("c", "writer")

    def __init__(self, user_agent: str) -> None:
        self.c = Cycle()
        self.writer = RequestWriter(user_agent)

    def new_connection(self, connection: int, requests: int) -> Cycle:
        """Forget everything about the previous connection; ``connection`` counts them."""
        c = self.c = Cycle()
        c.connection = connection
        c.count = requests
        return c

    def forget_connection(self) -> None:
        """The connection closed: forget the response, the parsers and unsent bytes."""
        c = self.c
        c.reset_response()
        c.parser = c.tunnel = c.untold = None
        c.tx, c.tx_offset = b"", 0

    # -- what to send ----------------------------------------------------------------------------
    def serialise(self, method: str, target: str, fields: list[tuple[str, str]], body: bytes,
                  host: str, port: int, tls: bool) -> bytes:
        """The request's bytes (h11 checks it: raises ``h11.LocalProtocolError``).  The h11
        connection that will parse the response is chosen here (``next_parser``)."""
        c = self.c
        c.method, c.target = method, target
        repeat = self.writer.repeat(method, target, fields, body, host, port, tls)
        if repeat is not None and response.COMMON_HEADS:
            # The previous request again: its bytes are known and h11 accepted it before.  h11
            # is told only if the response needs it (``_tell_h11``): a response of the common
            # form is read without h11 (``receive_common``), so it never needs to know.
            c.untold, wire, c.request_closes = repeat
            return wire
        c.untold = None
        parser = c.parser = next_parser(c.parser)
        wire = self.writer.write(parser, method, target, fields, body, host, port, tls)
        c.request_closes = parser.our_state is h11.MUST_CLOSE
        return wire

    def _tell_h11(self) -> h11.Connection:
        """The h11 connection for the current response, given the request it was not given
        yet (:meth:`serialise`), if any."""
        c = self.c
        req = c.untold
        if req is not None:
            c.untold = None
            c.parser = next_parser(c.parser)
            self.writer.tell(c.parser, req)
        assert c.parser is not None
        return c.parser

    def queue(self, wire: bytes) -> None:
        """``wire`` is what :meth:`outgoing` hands out next."""
        c = self.c
        c.tx, c.tx_offset = wire, 0

    def queue_connect(self, authority: str, proxy_auth: str | None) -> None:
        """An HTTPS proxy's ``CONNECT authority`` (RFC 9110 §9.3.6), on its own h11 exchange."""
        c = self.c
        c.tunnel, c.tx = self.writer.connect_request(authority, proxy_auth)
        c.tx_offset = 0

    def outgoing(self) -> memoryview | None:
        """The queued bytes not written yet, or None when all are."""
        c = self.c
        return memoryview(c.tx)[c.tx_offset:] if c.tx_offset < len(c.tx) else None

    def wrote(self, n: int) -> bytes:
        """``n`` bytes of :meth:`outgoing` were written; returns them (for the record)."""
        c = self.c
        start = c.tx_offset
        c.tx_offset = start + n
        return c.tx[start:start + n]

    # -- what arrived ------------------------------------------------------------------------------
    def feed(self, data: bytes, events: Events, in_head: bool) -> str | None:
        """Parse one read (``b""``: end of stream) of the response.  ``in_head``: no final
        head has been announced to the caller yet (status REQUESTING).

        Returns a message when the connection must end now (CONNECTION_ERROR), else None; the
        driver then reads ``c.enter_body`` (the head calls for status BODY) and
        ``c.body_complete``.  A failure after some body bytes is kept in ``c.pending_error``
        and reported once they are handed out, so nothing that arrived is lost.
        """
        c = self.c
        if not data:
            c.eof = True
            if events is not None:
                events.append(EventInfo("PeerClosed"))
            if in_head:
                # Checked before h11 sees the EOF, which it would report as "can't handle event
                # type ConnectionClosed" (nothing received) or "peer unexpectedly closed".
                if c.info.reused and not c.received_total:
                    return idle_closed_message(during_request=True)
                return head_cut_short_message(c.received_total)
        try:
            if c.untold is None or not (data and receive_common(c, data, events)):
                receive(c, self._tell_h11(), data, events)
        except h11.RemoteProtocolError as exc:
            in_head = in_head and not c.enter_body  # (the head arrived before the failure)
            body = None if in_head else c.body_delivered + c.body_buffered
            message = explain_protocol_error(exc, body, MAX_HEAD)
            if not in_head and c.body_buffered:
                # Hand out what arrived before the failure first: the error status follows
                # the last good byte (see body_verdict).
                c.pending_error, c.eof = message, True
                return None
            return message
        return None

    def feed_counted(self, data: bytes, events: Events) -> None:
        """Bytes of a Content-Length body (``c.fast_remaining > 0``), counted without h11:
        every byte up to the announced length is payload whatever it contains.  ``b""``: the
        stream ended.  The last byte ends the message with a ``synthesised`` EndOfMessage."""
        c = self.c
        if data:
            c.body.append(data)
            c.body_buffered += len(data)
            c.fast_remaining -= len(data)
            # No Data event: these bytes are counted, not parsed (the record still carries
            # them in ``received``).
            if c.fast_remaining == 0:
                end_counted(c, events)
        else:
            c.eof = True
            if events is not None:
                events.append(EventInfo("PeerClosed"))

    def body_verdict(self) -> tuple[int, str]:
        """In BODY, with nothing buffered: is the response complete (:data:`DONE`, or
        :data:`DONE_CLOSE` when the connection closes after it), broken (:data:`BROKEN` and a
        message: a failure kept for after the body, or a Content-Length body cut short), or
        still arriving (:data:`WAIT`)?"""
        c = self.c
        if c.body_complete:
            return (DONE_CLOSE if c.closing else DONE), ""
        if c.pending_error:
            return BROKEN, c.pending_error
        if c.eof and c.fast_remaining > 0:
            # (h11 decides for chunked and close-delimited bodies: it was fed the EOF.)
            return BROKEN, truncated_body_message(c.body_delivered, c.body_length,
                                                  c.fast_remaining)
        return WAIT, ""
