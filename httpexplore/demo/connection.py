"""One client connection as a plan: read requests, hand them to the router, close cleanly.

Theory of operation
-------------------
:func:`connection_plan` is the persistent-connection model of RFC 9112 §9.3 written as a
plan (see :mod:`.plan`): read a request head, let the router answer it, and start over until
either side asks to close. Pipelined requests (§9.3.2) need nothing special: they wait in the
:class:`~.plan.Inbox` and are answered in the order they arrived. It does no I/O; the socket
server and the in-memory server execute the same plan.

Two clocks bound every connection, so that a silent or slow client cannot hold it:

* ``idle_timeout``: how long to wait for the first byte of the next request; when it expires
  the connection is closed without a word (nothing is outstanding, §9.5). Long by default
  (300 s), so that a class can pause between two requests on a kept-alive connection;
* ``request_timeout``: from the first byte of a request, the whole head and body must arrive
  within it, which defeats "slowloris" clients that trickle one header byte at a time; expiry
  is answered with ``408 Request Timeout`` and a close.

A request the server cannot parse gets an error response and the connection closes (§6.3,
§11.2): after a framing error the next "request" could start anywhere.
"""

from __future__ import annotations

from collections.abc import Callable, Generator

from .exchange import Exchange, Settings, head_bytes
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
from .plan import Action, Close, Inbox, Plan, RequestTimeout, Send

__all__ = ["Router", "busy_plan", "busy_response", "connection_plan", "error_response",
           "read_head"]

#: A router plans the answer to one exchange.
Router = Callable[[Exchange], Plan]


def read_head(inbox: Inbox) -> Generator[Action, None, tuple[RequestHead, int]]:
    """Read and check one request head; return it with its body framing (see http11)."""
    if inbox.buffer.startswith(b"\x16\x03"):
        raise ProtocolError(400, "a TLS handshake arrived on a plain-HTTP port: use http://, "
                                 "or start DemoServer(tls=True) for https://")
    # §2.2: a server should ignore at least one empty line received before the request line
    # (some clients send an extra CRLF after a POST body). We ignore a few, not forever.
    for _ in range(4):
        line = yield from inbox.read_line(MAX_REQUEST_LINE, 414)
        if strip_eol(line):
            break
    else:
        raise ProtocolError(400, "empty lines instead of a request line (RFC 9112 §2.2)")
    raw = bytearray(line)
    method, target, version = parse_request_line(strip_eol(line))
    fields: list[tuple[str, str]] = []
    while True:
        line = yield from inbox.read_line(max(MAX_HEAD - len(raw), 1), 431)
        raw += line
        if not strip_eol(line):
            break
        if len(fields) == MAX_FIELDS:
            raise ProtocolError(431, f"more than {MAX_FIELDS} header fields")
        fields.append(parse_field_line(strip_eol(line)))
    head = RequestHead(method, target, version, tuple(fields), bytes(raw))
    check_host(head)
    return head, body_framing(head)


def connection_plan(inbox: Inbox, settings: Settings, router: Router) -> Plan:
    """Answer requests until the connection must close; the last action is a :class:`Close`.

    :class:`~.plan.PeerClosed` and :class:`~.plan.ClientGone` thrown in by the executor end
    the plan (the executor closes without a staged close).
    """
    while True:
        inbox.set_deadline(settings.idle_timeout)
        if not (yield from inbox.wait_for_data()):
            yield Close(graceful=False)  # idle or closed between requests: nothing to answer
            return
        inbox.set_deadline(settings.request_timeout)
        exchange: Exchange | None = None
        try:
            head, framing = yield from read_head(inbox)
            exchange = Exchange(settings, head, framing, inbox)
            yield from router(exchange)
            if not exchange.finished or exchange.close_after:
                yield Close(graceful=exchange.graceful_close, reset=exchange.reset)
                return
            if not exchange.body_read:
                if head.expects_continue:
                    yield Close()  # we never said 100: the body may or may not follow
                    return
                yield from exchange.read_body()  # skip it: the next request starts after it
        except ProtocolError as error:
            if exchange is None or not exchange.started:
                yield from error_response(error.status, error.reason)
            yield Close()
            return
        except RequestTimeout:
            if exchange is None or not exchange.started:
                yield from error_response(408, "the request did not arrive in time "
                                               f"({settings.request_timeout:g} s)")
            yield Close()
            return


def error_response(status: int, reason: str) -> Plan:
    """A complete ``status`` response whose body is ``reason``, then the connection closes.

    The reason may quote what the client sent, so the body is plain text and
    ``X-Content-Type-Options: nosniff`` stops a browser from guessing it is HTML.
    """
    body = (reason + "\n").encode("utf-8")
    fields = [("Server", "httpexplore-demo"), ("Content-Type", "text/plain; charset=utf-8"),
              ("X-Content-Type-Options", "nosniff"),
              ("Content-Length", str(len(body))), ("Connection", "close")]
    yield Send(head_bytes(status, fields) + body)


_BUSY_BODY = b"too many connections; try again\n"


def busy_response() -> bytes:
    """The 503 sent to a connection beyond ``max_connections``."""
    return head_bytes(503, [("Content-Type", "text/plain; charset=utf-8"),
                            ("Content-Length", str(len(_BUSY_BODY))), ("Connection", "close"),
                            ("Retry-After", "1")]) + _BUSY_BODY


def busy_plan() -> Plan:
    """The whole plan of a connection beyond ``max_connections``: 503, then close."""
    yield Send(busy_response())
    yield Close()
