"""Broken, hostile or slow clients: the server answers with the right status and closes."""

from __future__ import annotations

import select
import socket
import time

import pytest
from demokit import Connect, RawConnection

from httpexplore.demo import DemoServer
from httpexplore.demo.http11 import (
    CHUNKED,
    ProtocolError,
    RequestHead,
    body_framing,
    parse_chunk_size,
    parse_field_line,
    parse_request_line,
)


def refused(raw: Connect, request: bytes) -> tuple[int, bytes]:
    """Send ``request``; return the status and body of the answer, checking it closes."""
    conn = raw()
    try:
        conn.send(request)
    except OSError:  # the server may refuse before reading everything
        pass
    data = conn.read_to_eof()
    head, _, body = data.partition(b"\r\n\r\n")
    assert b"\r\nConnection: close" in head, data
    return int(head.split(b" ")[1]), body


@pytest.mark.parametrize(("request_bytes", "status", "reason"), [
    (b"GET /  HTTP/1.1\r\nHost: x\r\n\r\n", 400, b"malformed request line"),
    (b"GET / HTTP/1.1 extra\r\nHost: x\r\n\r\n", 400, b"malformed request line"),
    (b"G(T / HTTP/1.1\r\nHost: x\r\n\r\n", 400, b"malformed request line"),
    (b"GET / HTTP/2.0\r\nHost: x\r\n\r\n", 505, b"HTTP/2.0 is not supported"),
    (b"GET / HTTP/1.1\r\n\r\n", 400, b"exactly one Host"),
    (b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400, b"exactly one Host"),
    (b"GET / HTTP/1.1\r\nHost : x\r\n\r\n", 400, b"whitespace between field name and colon"),
    (b"GET / HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n folded\r\n\r\n", 400, b"obsolete line folding"),
    (b"GET / HTTP/1.1\r\nHost: x\r\nX-A: a\x00b\r\n\r\n", 400, b"control character"),
    (b"GET / HTTP/1.1\r\nHost: x\r\nNoColon\r\n\r\n", 400, b"without a colon"),
    (b"GET / HTTP/1.1\r\nHost: x\rX: y\r\n\r\n", 400, b"bare CR"),
    (b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", 400,
     b"conflicting Content-Length"),
    (b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n", 400, b"invalid Content-Length"),
    (b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"
     b"0\r\n\r\n", 400, b"both Transfer-Encoding and Content-Length"),
    (b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n", 400,
     b"final coding is not chunked"),
    (b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501,
     b"'gzip' is not implemented"),
    (b"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400,
     b"HTTP/1.0 request"),
    (b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400,
     b"invalid chunk-size line"),
    (b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
     b"FFFFFFFFFFFFFFFFFFFF\r\n", 400, b"invalid chunk-size line"),
    (b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcd\r\n", 400,
     b"not followed by CRLF"),
    (b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 9999999999\r\n\r\n", 413,
     b"exceeds the 8388608-byte limit"),
    (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 400, b"TLS handshake"),
    (b"\r\n\r\n\r\n\r\n\r\n", 400, b"empty lines"),
])
def test_malformed_requests(raw: Connect, request_bytes: bytes, status: int, reason: bytes) -> None:
    got_status, body = refused(raw, request_bytes)
    assert (got_status, reason in body) == (status, True), body


def test_request_line_too_long_is_414(raw: Connect) -> None:
    status, _ = refused(raw, b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n")
    assert status == 414


def test_huge_header_section_is_431(raw: Connect) -> None:
    fields = b"".join(b"X-Filler-%d: %s\r\n" % (i, b"v" * 1000) for i in range(40))
    status, body = refused(raw, b"GET / HTTP/1.1\r\nHost: x\r\n" + fields + b"\r\n")
    assert status == 431 and body.startswith(b"line longer than")


def test_too_many_header_fields_is_431(raw: Connect) -> None:
    fields = b"".join(b"X-%d: 1\r\n" % i for i in range(101))
    status, body = refused(raw, b"GET / HTTP/1.1\r\nHost: x\r\n" + fields + b"\r\n")
    assert status == 431 and b"more than 100 header fields" in body


def test_slowloris_gets_408_and_close(raw: Connect) -> None:
    # request_timeout is 1 s in the fixture: a head trickled forever must be cut off.
    conn = raw()
    conn.send(b"GET / HTTP/1.1\r\nHost: x\r\n")
    start = time.monotonic()
    while time.monotonic() - start < 5:
        readable, _, _ = select.select([conn.sock], [], [], 0.1)
        if readable:
            break
        conn.send(b"X-A: b\r\n")
    answered = time.monotonic() - start
    data = conn.read_to_eof()
    assert data.startswith(b"HTTP/1.1 408 Request Timeout\r\n")
    assert data.endswith(b"the request did not arrive in time (1 s)\n")
    assert 0.8 < answered < 2


def test_idle_connection_is_closed_silently() -> None:
    with DemoServer(idle_timeout=0.5) as server:
        conn = RawConnection(server.host, server.port)
        try:
            start = time.monotonic()
            assert conn.read_to_eof() == b""
            assert 0.4 < time.monotonic() - start < 2
        finally:
            conn.close()


def test_bad_query_keeps_connection_alive(raw: Connect) -> None:
    conn = raw()
    conn.send(b"GET /bytes/nope HTTP/1.1\r\nHost: x\r\n\r\n")
    head, body = conn.read_response()
    assert head.startswith(b"HTTP/1.1 400 Bad Request\r\n")
    assert b"Connection" not in head
    assert body == b"n must be an integer, not 'nope'\n"
    conn.send(b"GET /status/200 HTTP/1.1\r\nHost: x\r\n\r\n")
    assert conn.read_response()[0].startswith(b"HTTP/1.1 200 OK")


def test_refused_response_arrives_despite_unread_request_bytes(raw: Connect) -> None:
    # The server stops reading at the error, then drains before closing: the client still
    # gets the 431 instead of a connection reset.
    conn = raw()
    conn.sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 20)
    fields = b"X-Big: " + b"v" * 200_000 + b"\r\n"
    conn.send(b"GET / HTTP/1.1\r\nHost: x\r\n" + fields + b"\r\n")
    assert conn.read_to_eof().startswith(b"HTTP/1.1 431 ")


# -- the parser on its own --------------------------------------------------------------------

def make_head(*fields: tuple[str, str], version: tuple[int, int] = (1, 1)) -> RequestHead:
    return RequestHead("POST", "/", version, tuple(fields), b"")


def test_parser_accepts_valid_pieces() -> None:
    assert parse_request_line(b"OPTIONS * HTTP/1.1") == ("OPTIONS", "*", (1, 1))
    assert parse_field_line(b"X-Tab:\tvalue with obs-text \xe9 ") == ("X-Tab", "value with "
                                                                      "obs-text \xe9")
    assert parse_chunk_size(b"1aF;name=\"v\"") == 0x1AF
    assert body_framing(make_head(("Content-Length", "5, 5"))) == 5
    assert body_framing(make_head(("Transfer-Encoding", "Chunked"))) == CHUNKED
    assert body_framing(make_head()) == 0


def test_absolute_form_target_is_routed_by_path() -> None:
    head = RequestHead("GET", "http://example.test/bytes/3?kind=text", (1, 1), (), b"")
    assert head.path == "/bytes/3"
    assert head.query == (("kind", "text"),)


def test_protocol_error_carries_status() -> None:
    with pytest.raises(ProtocolError) as info:
        body_framing(make_head(("Transfer-Encoding", "chunked, chunked")))
    assert info.value.status == 400


def test_absolute_form_request_end_to_end(raw: Connect) -> None:
    conn = raw()
    conn.send(b"GET http://demo/bytes/2?kind=text HTTP/1.1\r\nHost: demo\r\n\r\n")
    assert conn.read_response()[1] == b"00"
