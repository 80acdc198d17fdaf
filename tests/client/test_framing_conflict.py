"""A response with both Content-Length and Transfer-Encoding (issue #12 item 6, RFC 9112 §6.3
item 3): read as chunked, then the connection is closed (never reused), and the trace says
why."""

from __future__ import annotations

import pytest
from clientkit import LoopbackServer, connect_live, exchange, live_exchange, respond

from httpexplore import Error, HTTPClient, Method, Status, export
from httpexplore.transport import WOULD_BLOCK

WIRE = (b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"5\r\nhello\r\n0\r\n\r\n")


@pytest.mark.parametrize("split", [len(WIRE), 40, 70])
def test_both_framings_read_as_chunked_then_the_connection_closes(split: int) -> None:
    # Scripted: the server keeps the connection open (no EOF), so only the framing closes it.
    out, client, transport = exchange([WIRE[:split], WOULD_BLOCK, WIRE[split:], WOULD_BLOCK])
    assert out.body == b"hello" and client.is_response_chunked()
    assert out.final is Status.DISCONNECTED and transport.closed
    assert client.request(Method.GET, "/again", []) is Error.ERR_INVALID_PARAMETER


def test_live_the_trace_says_why_and_no_second_request_uses_it() -> None:
    with LoopbackServer(respond(WIRE, WIRE)) as server:
        client = HTTPClient()
        connect_live(client, "127.0.0.1", server.port)
        out = live_exchange(client, Method.GET, "/")
        assert out.body == b"hello" and out.final is Status.DISCONNECTED
        assert len(server.requests) == 1
        events = [e for r in client.trace.records for e in r.events
                  if e.kind == "FramingConflict"]
        assert len(events) == 1 and "RFC 9112 §6.3" in events[0].detail["message"]
        assert "FramingConflict: the response has both Content-Length and Transfer-Encoding" \
            in export.to_text(client.trace)
