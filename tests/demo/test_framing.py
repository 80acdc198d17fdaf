"""Framing checked byte for byte over raw sockets: what a learner sees in the wire view."""

from __future__ import annotations

import hashlib
import itertools
import time

from demokit import Connect

from httpexplore.demo import content

HOST = b"Host: demo\r\n"


def get(path: str, *extra: bytes, version: bytes = b"HTTP/1.1", method: bytes = b"GET") -> bytes:
    return method + b" " + path.encode() + b" " + version + b"\r\n" + HOST + b"".join(
        extra) + b"\r\n"


def test_chunk_size_lines_exact(raw: Connect) -> None:
    conn = raw()
    conn.send(get("/chunked?chunks=3&size=20"))
    head = conn.read_head()
    assert head == (b"HTTP/1.1 200 OK\r\nServer: httpexplore-demo\r\n"
                    b"Content-Type: text/plain; charset=utf-8\r\n"
                    b"Transfer-Encoding: chunked\r\n\r\n")
    data = content.payload(60)
    expected = b"".join(b"14\r\n" + data[i:i + 20] + b"\r\n" for i in (0, 20, 40)) + b"0\r\n\r\n"
    assert conn.read_exact(len(expected)) == expected


def test_hex_chunk_sizes_are_lowercase_hex(raw: Connect) -> None:
    conn = raw()
    conn.send(get("/chunked?chunks=1&size=255"))
    conn.read_head()
    assert conn.read_until(b"\r\n") == b"ff\r\n"


def test_trailers_after_last_chunk(raw: Connect) -> None:
    conn = raw()
    conn.send(get("/trailers"))
    head = conn.read_head()
    assert b"\r\nTrailer: X-Checksum, X-Chunk-Count\r\n" in head
    assert b"\r\nTransfer-Encoding: chunked\r\n" in head
    body, sizes = b"", []
    while (size := int(conn.read_until(b"\r\n")[:-2], 16)) != 0:
        sizes.append(size)
        body += conn.read_exact(size)
        assert conn.read_exact(2) == b"\r\n"
    trailer = conn.read_until(b"\r\n\r\n")
    digest = hashlib.sha256(body).hexdigest()
    assert trailer == (f"X-Checksum: sha256={digest}\r\nX-Chunk-Count: 3\r\n\r\n").encode()
    assert len(sizes) == 3


def test_close_delimited_ends_with_close(raw: Connect) -> None:
    conn = raw()
    conn.send(get("/close"))
    data = conn.read_to_eof()
    head, _, body = data.partition(b"\r\n\r\n")
    assert b"Content-Length" not in head and b"Transfer-Encoding" not in head
    assert head.endswith(b"\r\nConnection: close")
    assert body.endswith(b"by seeing the close.\n")


def test_early_hints_then_final(raw: Connect) -> None:
    conn = raw()
    conn.send(get("/early-hints?delay=0"))
    assert conn.read_head() == (b"HTTP/1.1 103 Early Hints\r\n"
                                b"Link: </style.css>; rel=preload; as=style\r\n\r\n")
    head, body = conn.read_response()
    assert head.startswith(b"HTTP/1.1 200 OK\r\n")
    assert body == b"The final response, sent after 103 Early Hints.\n"


def test_no_interim_response_for_http10(raw: Connect) -> None:
    conn = raw()
    conn.send(get("/early-hints?delay=0", version=b"HTTP/1.0"))
    assert conn.read_to_eof().startswith(b"HTTP/1.1 200 OK\r\n")


def test_expect_100_continue(raw: Connect) -> None:
    conn = raw()
    conn.send(b"POST /continue HTTP/1.1\r\n" + HOST +
              b"Content-Length: 5\r\nExpect: 100-continue\r\n\r\n")
    # The client waits for the interim response before sending its body.
    assert conn.read_head() == b"HTTP/1.1 100 Continue\r\n\r\n"
    conn.send(b"hello")
    head, body = conn.read_response()
    assert head.startswith(b"HTTP/1.1 200 OK\r\n")
    assert body == (b'{\n  "expect": "100-continue",\n  "sent_100_continue": true,\n'
                    b'  "received": 5\n}\n')


def test_expect_100_continue_refused_before_body(raw: Connect) -> None:
    conn = raw()
    conn.send(b"POST /continue?max=3 HTTP/1.1\r\n" + HOST +
              b"Content-Length: 5\r\nExpect: 100-continue\r\n\r\n")
    data = conn.read_to_eof()
    assert data.startswith(b"HTTP/1.1 413 Content Too Large\r\n")
    assert b"\r\nConnection: close\r\n" in data
    assert b"100 Continue" not in data


def test_expect_100_continue_with_chunked_request_body(raw: Connect) -> None:
    conn = raw()
    conn.send(b"POST /continue HTTP/1.1\r\n" + HOST +
              b"Transfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n")
    assert conn.read_head() == b"HTTP/1.1 100 Continue\r\n\r\n"
    conn.send(b"3;ext=1\r\nabc\r\n2\r\nde\r\n0\r\nX-T: 1\r\n\r\n")
    _, body = conn.read_response()
    assert b'"received": 5' in body


def test_head_has_no_body_and_connection_stays_usable(raw: Connect) -> None:
    conn = raw()
    conn.send(get("/bytes/1000", method=b"HEAD") + get("/bytes/3?kind=text"))
    head = conn.read_head()
    assert b"\r\nContent-Length: 1000\r\n" in head
    # The next bytes must be the second response, not a body for the HEAD.
    head, body = conn.read_response()
    assert head.startswith(b"HTTP/1.1 200 OK\r\n")
    assert body == b"000"


def test_head_of_chunked_route_sends_no_last_chunk(raw: Connect) -> None:
    conn = raw()
    conn.send(get("/chunked", method=b"HEAD") + get("/status/201"))
    head = conn.read_head()
    assert b"Transfer-Encoding: chunked" in head
    assert conn.read_head().startswith(b"HTTP/1.1 201 Created\r\n")


def test_pipelined_requests_answered_in_order(raw: Connect) -> None:
    conn = raw()
    paths = ["/delay/0.2", "/status/202", "/bytes/5?kind=text", "/delay/0", "/status/404"]
    conn.send(b"".join(get(p) for p in paths))
    statuses = []
    for _ in paths:
        head, _ = conn.read_response()
        statuses.append(head.split(b" ")[1])
    assert statuses == [b"200", b"202", b"200", b"200", b"404"]


def test_keep_alive_reuses_one_connection(raw: Connect) -> None:
    conn = raw()
    for i in range(5):
        conn.send(get(f"/bytes/{i}?kind=text"))
        head, body = conn.read_response()
        assert b"Connection" not in head
        assert body == content.payload(i)


def test_connection_close_is_honoured(raw: Connect) -> None:
    conn = raw()
    conn.send(get("/bytes/4?kind=text", b"Connection: close\r\n") + get("/status/200"))
    data = conn.read_to_eof()
    assert data.count(b"HTTP/1.1") == 1  # the pipelined second request is not answered
    assert b"\r\nConnection: close\r\n\r\n0000" in data


def test_http10_request_gets_close_delimited_body_instead_of_chunked(raw: Connect) -> None:
    conn = raw()
    conn.send(get("/chunked?chunks=2&size=4", version=b"HTTP/1.0"))
    data = conn.read_to_eof()
    assert data == (b"HTTP/1.1 200 OK\r\nServer: httpexplore-demo\r\n"
                    b"Content-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n"
                    b"000000 a")


def test_http10_request_needs_no_host_and_closes(raw: Connect) -> None:
    conn = raw()
    conn.send(b"GET /bytes/2?kind=text HTTP/1.0\r\n\r\n")
    data = conn.read_to_eof()
    assert data.startswith(b"HTTP/1.1 200 OK\r\n")
    assert data.endswith(b"Content-Length: 2\r\nConnection: close\r\n\r\n00")


def test_http10_route_sends_http10_status_line_then_closes(raw: Connect) -> None:
    conn = raw()
    conn.send(get("/http10"))
    data = conn.read_to_eof()
    assert data.startswith(b"HTTP/1.0 200 OK\r\n")
    assert data.endswith(b"\r\n\r\nAn HTTP/1.0 response: the connection closes after this body.\n")


def test_echo_is_byte_exact(raw: Connect) -> None:
    request = (b"POST /echo HTTP/1.1\r\nhOsT: demo\r\nX-Odd-Case:  spaced value\t\r\n"
               b"Content-Length: 14\r\n\r\nhello\x00\xff\r\nworld")
    conn = raw()
    conn.send(request)
    _, body = conn.read_response()
    assert body == request


def test_echo_keeps_chunked_request_framing(raw: Connect) -> None:
    request = (b"PUT /echo HTTP/1.1\r\nHost: demo\r\nTransfer-Encoding: chunked\r\n\r\n"
               b"4\r\nwiki\r\n5;name=value\r\npedia\r\n0\r\nX-Trailer: yes\r\n\r\n")
    conn = raw()
    conn.send(request)
    _, body = conn.read_response()
    assert body == request


def test_echo_accepts_bare_lf_and_leading_empty_line(raw: Connect) -> None:
    conn = raw()
    conn.send(b"\r\nGET /echo HTTP/1.1\nHost: demo\n\n")
    _, body = conn.read_response()
    assert body == b"GET /echo HTTP/1.1\nHost: demo\n\n"


def test_changelog_chunks_arrive_over_time(raw: Connect) -> None:
    conn = raw()
    conn.send(get("/ChangeLog-5.php"))
    conn.read_head()
    times, sizes = [], []
    while (size := int(conn.read_until(b"\r\n")[:-2], 16)) != 0:
        conn.read_exact(size + 2)
        times.append(time.monotonic())
        sizes.append(size)
    assert len(sizes) == 8
    assert sum(sizes) == len(content.changelog())
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert min(gaps) >= 0.03


def test_slow_head_trickles(raw: Connect) -> None:
    conn = raw()
    conn.send(get("/slow-head?delay=0.4"))
    start = time.monotonic()
    first = conn.sock.recv(100)
    first_at = time.monotonic() - start
    conn.buffer = first
    head, body = conn.read_response()
    total = time.monotonic() - start
    assert len(first) < len(head)
    assert first_at < 0.2 and total >= 0.3
    assert body.startswith(b"The head of this response")
