"""The demo server's whole malformed catalogue (``httpexplore.demo.MALFORMED``), fetched live
with the tutorial loop.  Known entries have an exact expectation; an entry added later still
gets the general checks (no exception, no hang, an error status comes with a message, and a
response that ends CONNECTED/DISCONNECTED is one the RFC lets a client accept)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from clientkit import connect_live, live_exchange

from httpexplore import Error, HTTPClient, Method, Status
from httpexplore.demo import MALFORMED, DemoServer

S = Status
CE = S.CONNECTION_ERROR

#: name -> (final status(es), words the message must contain, body handed out or None)
EXPECT: dict[str, tuple[frozenset[Status], tuple[str, ...], bytes | None]] = {
    "conflicting-content-length": (frozenset({CE}), ("conflicting Content-Length",), b""),
    "bad-chunk-size": (frozenset({CE}), ("a chunk of the chunked body is malformed",), None),
    # h11 accepts a 20-digit chunk-size; the close then makes the body incomplete.
    "chunk-size-overflow": (frozenset({CE}), ("closed the connection before the body",), None),
    "chunk-missing-crlf": (frozenset({CE}), ("not followed by CRLF",), None),
    "missing-last-chunk": (frozenset({CE}), ("closed the connection before the body",), None),
    "truncated-body": (frozenset({CE}), ("24 body bytes of the 100 announced",), None),
    "reset-mid-body": (frozenset({CE}), (), None),
    "close-before-response": (frozenset({CE}), ("before a complete response head", "0 bytes"),
                              b""),
    "silence": (frozenset({CE}), ("read_timeout",), b""),
    # Tolerated: CONNECTED, or DISCONNECTED when the server's close is already readable as
    # the body ends (timing: the client looks once, without blocking).
    "bare-lf": (frozenset({S.CONNECTED, S.DISCONNECTED}), (), b"hello"),
    "cr-only": (frozenset({CE}), ("before a complete response head",), b""),
    "obs-fold": (frozenset({S.CONNECTED, S.DISCONNECTED}), (), b"hello"),
    "space-before-colon": (frozenset({CE}), ("a header line is malformed",), b""),
    "nul-in-header": (frozenset({CE}), ("a header line is malformed",), b""),
    "oversized-head": (frozenset({CE}), ("larger than 65536 bytes",), b""),
    "garbage-status-line": (frozenset({CE}), ("the status line",), b""),
    "invalid-status-code": (frozenset({CE}), ("the status line",), b""),
    "http2-status-line": (frozenset({CE}), ("the status line",), b""),
    "unknown-version": (frozenset({CE}), ("major HTTP version",), b""),
    "negative-content-length": (frozenset({CE}), ("invalid Content-Length",), b""),
    "te-without-chunked": (frozenset({CE}), ("Transfer-Encoding",), b""),
    "double-chunked": (frozenset({CE}), ("Transfer-Encoding",), b""),
    # Read as chunked, then the connection is closed (RFC 9112 §6.3 item 3).
    "te-and-content-length": (frozenset({S.DISCONNECTED}), (), b"hello"),
    # The extra response is unsolicited: the first one is handed out whole, then the bytes
    # behind it end the connection (RFC 9112 §9.3.2), however they were split in time.
    "extra-response": (frozenset({CE}), ("RFC 9112 §9.3.2",), b"hello"),
}


@pytest.fixture(scope="module")
def demo() -> Iterator[DemoServer]:
    with DemoServer(silence_timeout=2.0) as server:
        yield server


@pytest.mark.parametrize("name", list(MALFORMED))
def test_demo_malformed_entry(demo: DemoServer, name: str) -> None:
    c = HTTPClient(record=False, read_timeout=0.3)
    assert connect_live(c, demo.host, demo.port)[-1] is S.CONNECTED
    out = live_exchange(c, Method.GET, f"/malformed/{name}", deadline=15)
    assert out.final in (S.CONNECTED, S.DISCONNECTED, CE)
    if out.final is CE:
        assert out.error is Error.ERR_CONNECTION_ERROR and out.message
        assert S.CONNECTED not in out.statuses and S.DISCONNECTED not in out.statuses
        assert c.poll() is Error.ERR_CONNECTION_ERROR
    if name in EXPECT:
        finals, words, body = EXPECT[name]
        assert out.final in finals, (out.final, out.message)
        for word in words:
            assert word in out.message, out.message
        if body is not None:
            assert out.body == body
    c.close()


def test_reset_mid_body_hands_out_at_most_what_was_sent(demo: DemoServer) -> None:
    c = HTTPClient(record=False)
    connect_live(c, demo.host, demo.port)
    out = live_exchange(c, Method.GET, "/malformed/reset-mid-body")
    assert out.final is CE and len(out.body) <= 1024 and set(out.body) <= {ord("x")}
    assert "ECONNRESET" in out.message or "closed the connection" in out.message
    c.close()
