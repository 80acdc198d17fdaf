"""Every endpoint, through ``http.client`` (a client this project does not own)."""

from __future__ import annotations

import gzip
import hashlib
import http.client
import json
import time

import pytest
from demokit import Fetch

from httpexplore.demo import DemoServer, content

TEXT = "text/plain; charset=utf-8"


def test_changelog_is_chunked_paced_and_deterministic(fetch: Fetch, server: DemoServer) -> None:
    conn = http.client.HTTPConnection(server.host, server.port, timeout=5)
    try:
        conn.request("GET", "/ChangeLog-5.php")
        response = conn.getresponse()
        assert response.status == 200
        assert response.getheader("Transfer-Encoding") == "chunked"
        assert response.getheader("Content-Type") == TEXT
        arrivals, pieces = [], []
        while piece := response.read1(65536):
            arrivals.append(time.monotonic())
            pieces.append(piece)
    finally:
        conn.close()
    body = b"".join(pieces)
    assert body == content.changelog()
    assert 4096 <= len(body) <= 8192
    assert body.isascii()
    assert body.startswith(b"ChangeLog for the 5.x series")
    assert b"Version 5.6.40\n" in body and b". Fixed bug #" in body
    # 8 chunks 50 ms apart: the body visibly grows over ~350 ms, in several reads.
    assert len(pieces) >= 4
    assert arrivals[-1] - arrivals[0] >= 0.25
    _, again = fetch("/ChangeLog-5.php?delay=0")
    assert again == body


@pytest.mark.parametrize("size", [0, 1, 1000, 65536, 200_000])
@pytest.mark.parametrize("kind", ["text", "binary"])
def test_bytes_fixed_length(fetch: Fetch, size: int, kind: str) -> None:
    response, body = fetch(f"/bytes/{size}?kind={kind}")
    assert response.status == 200
    assert response.getheader("Content-Length") == str(size)
    assert response.getheader("Transfer-Encoding") is None
    assert body == content.payload(size, kind)
    if kind == "text":
        assert body.isascii()
        assert body[:7] == b"000000 "[: min(size, 7)]


def test_bytes_seed_changes_binary_content_deterministically(fetch: Fetch) -> None:
    _, first = fetch("/bytes/64?seed=7")
    _, again = fetch("/bytes/64?seed=7")
    _, other = fetch("/bytes/64?seed=8")
    assert first == again != other
    assert len(first) == len(other) == 64


def test_bytes_256_mib_streams_without_buffering(server: DemoServer) -> None:
    psutil = pytest.importorskip("psutil")
    size = 256 * 1024 * 1024
    process = psutil.Process()
    before = process.memory_info().rss
    conn = http.client.HTTPConnection(server.host, server.port, timeout=30)
    try:
        conn.request("GET", f"/bytes/{size}")
        response = conn.getresponse()
        assert response.getheader("Content-Length") == str(size)
        digest, received, peak = hashlib.sha256(), 0, before
        while piece := response.read(1 << 20):
            digest.update(piece)
            received += len(piece)
            peak = max(peak, process.memory_info().rss)
    finally:
        conn.close()
    assert received == size
    expected = hashlib.sha256()
    for piece in content.pieces(size, "binary"):
        expected.update(piece)
    assert digest.hexdigest() == expected.hexdigest()
    # Server and client share this process: neither may have held the body in memory.
    assert peak - before < 64 * 1024 * 1024


def test_bytes_bounds(fetch: Fetch) -> None:
    response, _ = fetch(f"/bytes/{256 * 1024 * 1024}", method="HEAD")
    assert response.status == 200
    response, body = fetch(f"/bytes/{256 * 1024 * 1024 + 1}")
    assert response.status == 400
    assert b"between 0 and 268435456" in body
    response, body = fetch("/bytes/10?kind=emoji")
    assert response.status == 400 and b"kind must be one of text, binary" in body


def test_chunked_sizes(fetch: Fetch) -> None:
    response, body = fetch("/chunked?chunks=5&size=100")
    assert response.status == 200
    assert response.getheader("Transfer-Encoding") == "chunked"
    assert body == content.payload(500)


def test_chunked_delay_bounded(fetch: Fetch) -> None:
    response, body = fetch("/chunked?chunks=100&delay=1")
    assert response.status == 400
    assert b"total delay 99 s exceeds the 10 s limit" in body
    response, _ = fetch("/chunked?chunks=10001")
    assert response.status == 400
    response, _ = fetch("/chunked?delay=nan")
    assert response.status == 400


def test_drip_is_content_length_and_paced(fetch: Fetch) -> None:
    start = time.monotonic()
    response, body = fetch("/drip?bytes=20&pieces=5&delay=0.05")
    elapsed = time.monotonic() - start
    assert response.getheader("Content-Length") == "20"
    assert response.getheader("Transfer-Encoding") is None
    assert body == content.payload(20)
    assert elapsed >= 0.2


def test_stream_json_lines(fetch: Fetch) -> None:
    response, body = fetch("/stream/4")
    assert response.getheader("Transfer-Encoding") == "chunked"
    lines = [json.loads(line) for line in body.splitlines()]
    assert [line["id"] for line in lines] == [0, 1, 2, 3]


def test_close_delimited(server: DemoServer) -> None:
    conn = http.client.HTTPConnection(server.host, server.port, timeout=5)
    try:
        conn.request("GET", "/close")
        response = conn.getresponse()
        assert response.getheader("Content-Length") is None
        assert response.getheader("Transfer-Encoding") is None
        assert response.getheader("Connection") == "close"
        assert response.read().startswith(b"This body has neither")
        assert response.will_close
    finally:
        conn.close()


def test_http10_response(fetch: Fetch) -> None:
    response, body = fetch("/http10")
    assert response.version == 10
    assert body.startswith(b"An HTTP/1.0 response")


@pytest.mark.parametrize("code", [200, 201, 400, 404, 418, 500, 503, 599])
def test_status_codes(fetch: Fetch, code: int) -> None:
    response, body = fetch(f"/status/{code}", method="POST", body=b"ignored")
    assert response.status == code
    assert body.startswith(str(code).encode())


@pytest.mark.parametrize("code", [204, 304])
def test_status_without_body(fetch: Fetch, code: int) -> None:
    response, body = fetch(f"/status/{code}")
    assert response.status == code
    assert body == b""
    assert response.getheader("Content-Length") is None
    # The connection is still usable: no stray body bytes were sent.
    response, body = fetch("/status/200")
    assert response.status == 200


def test_status_refuses_interim_codes(fetch: Fetch) -> None:
    response, body = fetch("/status/103")
    assert response.status == 400 and b"/early-hints" in body


def test_redirect_chain(fetch: Fetch) -> None:
    response, _ = fetch("/redirect/3?status=307")
    assert response.status == 307
    assert response.getheader("Location") == "/redirect/2?status=307"
    response, _ = fetch("/redirect/1")
    assert response.status == 302
    assert response.getheader("Location") == "/headers"


@pytest.mark.parametrize("code", [301, 302, 303, 307, 308])
def test_redirect_to(fetch: Fetch, code: int) -> None:
    response, _ = fetch(f"/redirect-to?url=/bytes/3&status={code}")
    assert response.status == code
    assert response.getheader("Location") == "/bytes/3"


def test_redirect_to_refuses_header_injection(fetch: Fetch) -> None:
    response, body = fetch("/redirect-to?url=/x%0d%0aSet-Cookie:%20a=b")
    assert response.status == 400
    assert body == b"url must be 1 to 2048 visible ASCII characters\n"
    assert response.getheader("Set-Cookie") is None
    response, _ = fetch("/redirect-to")
    assert response.status == 400
    response, _ = fetch("/redirect-to?url=/&status=200")
    assert response.status == 400


def test_gzip(fetch: Fetch) -> None:
    response, body = fetch("/gzip")
    assert response.getheader("Content-Encoding") == "gzip"
    assert json.loads(gzip.decompress(body))["gzipped"] is True
    _, again = fetch("/gzip")
    assert again == body


def test_echo_returns_request_bytes(fetch: Fetch, server: DemoServer) -> None:
    response, body = fetch("/echo?type=text", method="PUT", body=b"payload",
                           headers={"X-Case-Kept": "Yes"})
    assert response.getheader("Content-Type") == "text/plain; charset=iso-8859-1"
    assert body.startswith(b"PUT /echo?type=text HTTP/1.1\r\n")
    assert b"\r\nX-Case-Kept: Yes\r\n" in body
    assert body.endswith(b"\r\n\r\npayload")


def test_headers_keeps_order_and_case(fetch: Fetch) -> None:
    sent = [("X-Zeta", "1"), ("x-alpha", "two"), ("X-Mixed-CASE", "3")]
    response, body = fetch("/headers", headers=dict(sent))
    assert response.getheader("Content-Type") == "application/json"
    received = [tuple(pair) for pair in json.loads(body)["headers"]]
    names = [name for name, _ in received]
    assert [pair for pair in received if pair[0].lower().startswith("x-")] == sent
    assert names[0] == "Host"


def test_sse(fetch: Fetch) -> None:
    response, body = fetch("/sse?count=2&delay=0")
    assert response.getheader("Content-Type") == "text/event-stream; charset=utf-8"
    assert body == (b'id: 1\nevent: tick\ndata: {"n": 1, "of": 2}\n\n'
                    b'id: 2\nevent: tick\ndata: {"n": 2, "of": 2}\n\n')


def test_slow_head_takes_its_time(fetch: Fetch) -> None:
    start = time.monotonic()
    response, body = fetch("/slow-head?delay=0.3")
    assert time.monotonic() - start >= 0.25
    assert response.getheader("X-Slow") == "yes"
    assert body.startswith(b"The head of this response")


def test_delay(fetch: Fetch) -> None:
    start = time.monotonic()
    response, body = fetch("/delay/0.2")
    assert time.monotonic() - start >= 0.2
    assert json.loads(body) == {"delay": 0.2}
    response, _ = fetch("/delay/11")
    assert response.status == 400


def test_trailers_through_http_client(fetch: Fetch) -> None:
    response, body = fetch("/trailers")
    assert response.getheader("Trailer") == "X-Checksum, X-Chunk-Count"
    assert body.startswith(b"Trailer fields come after the last chunk")


def test_continue_without_expect(fetch: Fetch) -> None:
    response, body = fetch("/continue", method="POST", body=b"12345")
    assert response.status == 200
    assert json.loads(body) == {"expect": None, "sent_100_continue": False, "received": 5}


def test_unknown_path_and_method(fetch: Fetch) -> None:
    response, body = fetch("/no/such/path")
    assert response.status == 404 and b"/no/such/path" in body
    response, body = fetch("/gzip", method="DELETE")
    assert response.status == 405
    assert response.getheader("Allow") == "GET, HEAD"


def test_unknown_query_parameter(fetch: Fetch) -> None:
    response, body = fetch("/sse?cuont=3")
    assert response.status == 400
    assert body == b"unknown query parameter 'cuont' (known: count, delay)\n"


def test_index_and_routes_json(fetch: Fetch) -> None:
    response, body = fetch("/")
    assert response.getheader("Content-Type") == "text/html; charset=utf-8"
    assert b"/ChangeLog-5.php" in body and b"<table" in body
    response, body = fetch("/routes.json")
    routes = json.loads(body)
    assert {
        k: v for k, v in next(r for r in routes if r["path"] == "/delay/<s>").items()
        if k in ("path", "methods")} == {"path": "/delay/<s>", "methods": None}


def test_every_get_route_answers_head_like_get(fetch: Fetch) -> None:
    # (http.client reconnects by itself after /close and /http10 end the connection.)
    paths = ["/", "/routes.json", "/ChangeLog-5.php?delay=0", "/bytes/100", "/chunked",
             "/drip?delay=0", "/stream/2", "/close", "/gzip", "/trailers", "/sse?delay=0",
             "/slow-head?delay=0", "/malformed/", "/status/200", "/headers", "/http10"]
    for path in paths:
        get_response, get_body = fetch(path)
        head_response, head_body = fetch(path, method="HEAD")
        assert head_body == b"", path
        assert head_response.status == get_response.status, path
        length = head_response.getheader("Content-Length")
        assert length is None or int(length) == len(get_body), path
        if path != "/headers":  # its Content-Length depends on the request's own headers
            assert head_response.getheaders() == get_response.getheaders(), path
