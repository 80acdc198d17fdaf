"""Byte meaning: exact segment sequences, the concatenation invariants under random splits, and
agreement with h11 (the parser of record)."""

from __future__ import annotations

import h11
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from recorderkit import body_of, responses, scan, splits, wire_of

from httpexplore.annotate import LABELS, ConnectionScanner

GET = b"GET /x HTTP/1.1\r\nHost: a\r\n\r\n"
HEAD = b"HEAD /x HTTP/1.1\r\nHost: a\r\n\r\n"


def labels(segments: list, direction: str = "received") -> list[tuple[str, bytes]]:
    return [(s.label, s.data) for s in segments if s.direction == direction]


def test_request_with_body_and_content_length_response() -> None:
    req = b"POST /f HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc"
    resp = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"
    _sc, segs = scan([req], [resp])
    assert labels(segs, "sent") == [
        ("request-line", b"POST /f HTTP/1.1\r\n"), ("header", b"Host: a\r\n"),
        ("header", b"Content-Length: 3\r\n"), ("end-of-head", b"\r\n"), ("body", b"abc")]
    assert labels(segs) == [
        ("status-line", b"HTTP/1.1 200 OK\r\n"), ("header", b"Content-Length: 5\r\n"),
        ("end-of-head", b"\r\n"), ("body", b"hello")]
    assert [s.record for s in segs] == [0] * 5 + [1] * 4
    assert [s.offset for s in segs if s.direction == "received"] == [0, 17, 36, 38]


def test_chunked_with_extensions_trailers_and_interim_heads() -> None:
    resp = (b"HTTP/1.1 100 Continue\r\n\r\n"
            b"HTTP/1.1 103 Early Hints\r\nLink: </s.css>; rel=preload\r\n\r\n"
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
            b"5;name=val\r\nhello\r\n0\r\nX-Sum: 1\r\n\r\n")
    sc, segs = scan([GET], [resp])
    assert labels(segs) == [
        ("interim-head", b"HTTP/1.1 100 Continue\r\n"), ("interim-head", b"\r\n"),
        ("interim-head", b"HTTP/1.1 103 Early Hints\r\n"),
        ("interim-head", b"Link: </s.css>; rel=preload\r\n"), ("interim-head", b"\r\n"),
        ("status-line", b"HTTP/1.1 200 OK\r\n"), ("header", b"Transfer-Encoding: chunked\r\n"),
        ("end-of-head", b"\r\n"), ("chunk-size", b"5;name=val\r\n"), ("chunk-data", b"hello"),
        ("chunk-crlf", b"\r\n"), ("last-chunk", b"0\r\n"), ("trailer", b"X-Sum: 1\r\n"),
        ("end-of-trailers", b"\r\n")]
    final = sc.messages[-1]
    assert (final.status_code, final.framing, final.body_size, final.trailers) == (
        200, "chunked", 5, [("X-Sum", "1")])
    assert [m.status_code for m in sc.messages[1:]] == [100, 103, 200]
    assert final.head_size == len(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
    assert final.wire_body_size == len(b"5;name=val\r\nhello\r\n0\r\nX-Sum: 1\r\n\r\n")


def test_head_204_and_304_have_no_body_and_the_rest_is_unsolicited() -> None:
    resp = b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n"
    _sc, segs = scan([HEAD], [resp + b"junk"])
    assert labels(segs)[-1] == ("unsolicited", b"junk")
    for code in (204, 304):
        _sc, segs = scan([GET], [f"HTTP/1.1 {code} X\r\nContent-Length: 3\r\n\r\n".encode()
                                 + b"abc"])
        assert labels(segs)[-1] == ("unsolicited", b"abc")


def test_close_delimited_bare_lf_and_obs_fold() -> None:
    resp = b"HTTP/1.0 200 OK\nX-A: one\n  two\n\nbody until close"
    sc, segs = scan([GET], [resp], eof=True)
    assert labels(segs) == [
        ("status-line", b"HTTP/1.0 200 OK\n"), ("header", b"X-A: one\n"),
        ("header", b"  two\n"), ("end-of-head", b"\n"),
        ("body-close-delimited", b"body until close")]
    msg = sc.messages[-1]
    assert msg.headers == [("X-A", "one two")] and msg.complete and msg.framing == "close"


def test_keep_alive_two_requests_on_one_connection() -> None:
    sc = ConnectionScanner(1)
    sc.feed(0, GET, b"")
    sc.feed(1, b"", b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
    sc.feed(2, GET, b"")
    sc.feed(3, b"", b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
    assert [(m.direction, m.method, m.status_code) for m in sc.messages] == [
        ("sent", "GET", 0), ("received", "GET", 200), ("sent", "GET", 0),
        ("received", "GET", 404)]
    assert sc.received.out[-1].label == "end-of-head" and sc.received.state == "idle"


def test_lines_split_across_reads_are_labelled_once_complete() -> None:
    sc = ConnectionScanner(1)
    sc.feed(0, GET, b"")
    sc.feed(1, b"", b"HTTP/1.1 200 O")
    assert sc.received.out == []
    assert [(s.label, s.note) for s in sc.pending()] == [("status-line", "provisional")]
    sc.feed(2, b"", b"K\r\nTransfer-Encoding: chunked\r\n\r\n3\r")
    sc.feed(3, b"", b"\nabc\r")
    sc.feed(4, b"", b"\n0\r\n\r\n")
    got = [(s.label, s.data, s.record, s.continued) for s in sc.received.out]
    assert got[:2] == [("status-line", b"HTTP/1.1 200 O", 1, False),
                       ("status-line", b"K\r\n", 2, True)]
    assert ("chunk-size", b"3\r", 2, False) in got and ("chunk-size", b"\n", 3, True) in got
    assert ("chunk-crlf", b"\r", 3, False) in got and ("chunk-crlf", b"\n", 4, True) in got
    assert sc.pending() == []


@pytest.mark.parametrize(("response", "why"), [
    (b"HTPT/1.1 200 OK\r\n\r\n", "not a status line"),
    (b"HTTP/1.1 200 OK\r\nBad Header\r\n\r\n", "not a header line"),
    (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "not a chunk-size line"),
    (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabXY", "expected CRLF"),
    (b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab", "Content-Length"),
    (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nab", "Transfer-Encoding"),
    (b"\r\nHTTP/1.1 200 OK\r\n\r\n", "not a status line"),
])
def test_malformed_input_is_labelled_invalid_not_raised(response: bytes, why: str) -> None:
    _sc, segs = scan([GET], [response])
    assert wire_of(segs, "received") == response
    bad = [s for s in segs if s.label == "invalid"]
    assert bad and why in bad[0].note
    assert all(s.label == "invalid" for s in segs[segs.index(bad[0]):])


def test_omitted_bytes_keep_content_length_in_step_and_lose_chunked() -> None:
    sc = ConnectionScanner(1)
    sc.feed(0, GET, b"")
    sc.feed(1, b"", b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nab")
    sc.received.omit(8, 2)
    sc.feed(3, b"", b"x")  # after the body: nothing outstanding
    assert [(s.label, s.size) for s in sc.received.out[-2:]] == [("omitted", 8),
                                                                  ("unsolicited", 1)]
    sc2, _segs = scan([GET], [b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab"])
    sc2.received.omit(100, 2)
    sc2.feed(3, b"", b"more")
    assert [s.label for s in sc2.received.out[-2:]] == ["omitted", "unparsed"]
    sc2.resync()  # the next request starts afresh
    sc2.feed(4, GET, b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
    assert sc2.received.out[-1].label == "end-of-head"


def test_connect_tunnel_answer_has_no_body() -> None:
    req = b"CONNECT example.test:443 HTTP/1.1\r\nHost: example.test:443\r\n\r\n"
    _sc, segs = scan([req], [b"HTTP/1.1 200 Connection established\r\n\r\n"])
    assert [s.label for s in segs if s.direction == "received"] == ["status-line", "end-of-head"]


def test_every_label_is_documented() -> None:
    import httpexplore.annotate as annotate

    assert all(f"``{label}``" in (annotate.__doc__ or "") for label in LABELS)


# -- random responses, random splits -----------------------------------------------------------
def h11_view(request: bytes, response: bytes) -> tuple[list[tuple[int, int]], int, int]:
    """What h11 makes of ``response``: (status, header count) per head, body length, trailers."""
    conn = h11.Connection(h11.CLIENT)
    method, target = request.split(b" ")[:2]
    conn.send(h11.Request(method=method, target=target, headers=[("Host", "a")]
                          + ([("Content-Length", "2")] if method == b"POST" else [])))
    if method == b"POST":
        conn.send(h11.Data(data=b"hi"))
    conn.send(h11.EndOfMessage())
    conn.receive_data(response)
    conn.receive_data(b"")
    heads, body, trailers = [], 0, 0
    while True:
        event = conn.next_event()
        if isinstance(event, h11.InformationalResponse | h11.Response):
            heads.append((event.status_code, len(event.headers)))
        elif isinstance(event, h11.Data):
            body += len(event.data)
        elif isinstance(event, h11.EndOfMessage):
            trailers = len(event.headers)
        elif event is h11.NEED_DATA or isinstance(event, h11.ConnectionClosed) or \
                event is h11.PAUSED:
            return heads, body, trailers


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(responses(), st.lists(st.integers(0, 10_000), max_size=12),
       st.lists(st.integers(0, 10_000), max_size=3))
def test_random_splits_keep_the_invariants_and_agree_with_h11(
        sample: tuple[bytes, bytes, bytes, str], cuts: list[int], req_cuts: list[int]) -> None:
    request, response, delivered, framing = sample
    sc, segs = scan(splits(request, req_cuts), splits(response, cuts), eof=True)
    assert wire_of(segs, "sent") == request
    assert wire_of(segs, "received") == response
    assert body_of(segs) == delivered
    assert not [s for s in segs if s.label in ("invalid", "unparsed", "unsolicited")]
    heads, body_len, trailers = h11_view(request, response)
    got = [m for m in sc.messages if m.direction == "received"]
    assert [(m.status_code, len(m.headers)) for m in got] == heads
    assert got[-1].body_size == body_len == len(delivered)
    assert len(got[-1].trailers) == trailers
    assert got[-1].framing == framing and got[-1].complete
