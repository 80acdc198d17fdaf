"""The mutable state of one connection and its current request/response cycle.

The :class:`~httpexplore.engine.Engine` (``engine.c``) rebuilds a :class:`Cycle` for every
connection and resets its response half for every request.  Everything the client learns about
the response lives here: the head (filled by :mod:`httpexplore.response`), the framing
decisions, and the body buffer that :meth:`Cycle.take` hands out.  (The recorder's own,
read-only view of cycles is :mod:`httpexplore.cycles`.)

The body buffer is a deque of the byte strings as they were read, never one growing
``bytearray``: appending is O(1), and a read that fits a whole piece hands that piece out
without copying it.
"""

from __future__ import annotations

from collections import deque

import h11

from .records import CycleInfo

__all__ = ["MAX_HEAD", "MAX_INTERIM", "Cycle", "new_parser"]

#: A response head larger than this is refused (h11's buffer limit; RFC 9112 §2.3 lets a client
#: limit it).  The same limit applies to a chunk-size line and to the trailer section.
MAX_HEAD = 64 * 1024
#: Interim (1xx) responses accepted before the final one, per request.  Real servers send one or
#: two (100 Continue, 103 Early Hints); a flood beyond this ends in CONNECTION_ERROR instead of
#: holding the request open and piling them up.
MAX_INTERIM = 32


def new_parser() -> h11.Connection:
    """A fresh client-side h11 connection with the head-size limit."""
    return h11.Connection(h11.CLIENT, max_incomplete_event_size=MAX_HEAD)


class Cycle:
    """Mutable state of one connection and its current request; rebuilt by connect_to_host."""

    __slots__ = ("body", "body_buffered", "body_complete", "body_delivered", "body_length",
                 "chunked", "closing", "connection", "count", "enter_body", "eof",
                 "fast_remaining", "head_received", "head_start", "headers", "http_version",
                 "info", "interim", "keep_alive",
                 "last_rx", "method", "parser", "pending_error", "reason", "received_total",
                 "request_closes", "requested_at", "response_code", "target", "trailers",
                 "tunnel", "tx", "tx_offset", "unfed", "unsolicited", "untold", "used")

    def __init__(self) -> None:
        self.parser: h11.Connection | None = None
        # A repeat of the previous request that h11 has not been given yet (the engine gives it
        # only if the response needs h11), and whether that request asks to close.
        self.untold: h11.Request | None = None
        self.request_closes = False
        self.tunnel: h11.Connection | None = None  # HTTPS proxy CONNECT exchange
        self.tx = b""
        self.tx_offset = 0
        self.method = ""
        self.target = ""
        self.reset_response()
        self.connection = 0
        self.count = 0
        self.info = CycleInfo(connection=0, cycle=0, host="", port=0, tls=False)
        self.last_rx = 0.0
        self.requested_at = 0.0  # when request() queued the current request (request_timeout)
        self.used = False  # a request has been sent on this connection (the next one reuses it)

    def reset_response(self) -> None:
        self.head_received = False
        self.head_start = 0  # response offset where the current head began (after any 1xx)
        self.response_code = 0
        self.reason = ""
        self.http_version = ""
        self.headers: list[tuple[str, str]] = []
        self.trailers: list[tuple[str, str]] = []
        self.interim: list[int] = []
        self.chunked = False
        self.enter_body = False  # the head calls for status BODY; the client makes the move
        self.body_length = -1
        self.body: deque[bytes] = deque()
        self.body_buffered = 0
        self.body_delivered = 0
        self.body_complete = False
        self.fast_remaining = -1  # >= 0: counting a Content-Length body without h11
        self.keep_alive = True
        self.closing = False
        self.eof = False
        self.received_total = 0
        self.unfed = 0  # bytes of the read being parsed that h11 has not been given yet
        self.pending_error = ""  # a failure to report once the buffered body is handed out
        self.unsolicited = 0  # bytes seen beyond the end of the response (answering nothing)

    def take(self, size: int, exact: bool = False) -> bytes:
        """Hand out up to ``size`` buffered body bytes (no copy when one piece fits).  With
        ``exact`` (blocking mode) hand out ``min(size, buffered)``: Godot's blocking reads
        return full blocks, so a short first piece is joined with the next one."""
        body = self.body
        if not body:
            return b""
        first = body[0]
        if len(first) <= size and (len(body) == 1 or len(first) == size or (
                not exact and len(first) + len(body[1]) > size)):
            body.popleft()
            out = first
        else:
            parts: list[bytes] = []
            room = size
            while body and room:
                piece = body.popleft()
                if len(piece) > room:
                    body.appendleft(piece[room:])
                    piece = piece[:room]
                parts.append(piece)
                room -= len(piece)
            out = b"".join(parts)
        self.body_buffered -= len(out)
        self.body_delivered += len(out)
        return out
