"""Demo server details from the hardening review: safe redirects, error pages that cannot be
sniffed into HTML, chunked request bodies as strict as the client, the unsolicited-response
lab entry (checked as raw bytes), and an idle timeout long enough for a class."""

from __future__ import annotations

import pytest
from demokit import Connect, Fetch

from httpexplore.demo import MALFORMED, DemoServer
from httpexplore.demo.server import DEFAULT_IDLE_TIMEOUT


@pytest.mark.parametrize("url", [
    "javascript:alert(1)", "JavaScript:alert(1)", "data:text/html,<script>x</script>",
    "//evil.example/x", "/\\evil.example", "ftp://example.org/", "http:/nohost",
    "vbscript:msgbox",
])
def test_redirect_to_refuses_other_than_http_urls_and_paths(fetch: Fetch, url: str) -> None:
    response, body = fetch("/redirect-to?url=" + url.replace("%", "%25").replace("&", "%26"))
    assert response.status == 400, url
    assert response.getheader("Location") is None
    assert b"http:// or https:// URL or a path" in body


@pytest.mark.parametrize("url", ["/headers", "headers?x=1", "http://example.org/a",
                                 "HTTPS://example.org:8443/b?c=d#e"])
def test_redirect_to_accepts_http_urls_and_paths(fetch: Fetch, url: str) -> None:
    response, _ = fetch("/redirect-to?url=" + url.replace("?", "%3F").replace("&", "%26")
                        .replace("#", "%23"))
    assert response.status == 302 and response.getheader("Location") == url


@pytest.mark.parametrize("path", ["/no-such-page/<script>", "/bytes/abc", "/bytes/1?kind=x"])
def test_error_pages_echoing_the_request_say_nosniff(fetch: Fetch, path: str) -> None:
    response, _ = fetch(path)
    assert response.status in (400, 404)
    assert response.getheader("X-Content-Type-Options") == "nosniff"
    assert response.getheader("Content-Type") == "text/plain; charset=utf-8"


def test_method_not_allowed_says_nosniff(fetch: Fetch) -> None:
    response, _ = fetch("/ChangeLog-5.php", method="DELETE")
    assert response.status == 405 and response.getheader("X-Content-Type-Options") == "nosniff"


def test_protocol_errors_say_nosniff(raw: Connect) -> None:
    conn = raw()
    conn.send(b"GET /<b>x</b> HTTP/1.1\r\nHost: x\r\nBad Header: 1\r\n\r\n")
    head = conn.read_head()
    assert head.startswith(b"HTTP/1.1 400 ") and b"X-Content-Type-Options: nosniff\r\n" in head


def test_ok_pages_are_unchanged(fetch: Fetch) -> None:
    response, _ = fetch("/status/200")
    assert response.getheader("X-Content-Type-Options") is None


POST = b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"


@pytest.mark.parametrize("body, why", [
    (b"3\nabc\r\n0\r\n\r\n", b"bare LF"),
    (b"3\r\nabc\n0\r\n\r\n", b"not followed by CRLF"),
    (b"3\r\nabc\r\n0\n\r\n", b"bare LF"),
    (b"3\r\nabc\r\n0\r\nX-T: 1\n\r\n", b"bare LF"),
    (b"3\r\nabc\r\n0\r\n\n", b"bare LF"),
    (b"3 ;ext=1\r\nabc\r\n0\r\n\r\n", b"chunk-size"),
    (b"3\t;ext=1\r\nabc\r\n0\r\n\r\n", b"chunk-size"),
    (b"3 \r\nabc\r\n0\r\n\r\n", b"chunk-size"),
])
def test_lenient_chunked_request_bodies_are_refused(raw: Connect, body: bytes,
                                                    why: bytes) -> None:
    conn = raw()
    conn.send(POST + body)
    answer = conn.read_to_eof()
    assert answer.startswith(b"HTTP/1.1 400 Bad Request\r\n"), answer
    assert why in answer


def test_strict_chunked_request_body_is_still_read(raw: Connect) -> None:
    conn = raw()
    conn.send(POST + b"3;ext=1\r\nabc\r\n2\r\nde\r\n0\r\nX-T: 1\r\n\r\n")
    _head, body = conn.read_response()
    assert body.endswith(b"3;ext=1\r\nabc\r\n2\r\nde\r\n0\r\nX-T: 1\r\n\r\n")


def test_unsolicited_response_bytes_on_the_wire(raw: Connect) -> None:
    entry = MALFORMED["unsolicited-response"]
    assert entry.rfc == "RFC 9112 §9.3.2" and entry.ending == "keep-open"
    conn = raw()
    conn.send(b"GET /malformed/unsolicited-response HTTP/1.1\r\nHost: x\r\n\r\n")
    assert conn.read_exact(len(entry.payload)) == entry.payload
    assert conn.read_exact(len(entry.later)) == entry.later
    assert entry.later.startswith(b"HTTP/1.1 200 OK\r\n") and entry.later.endswith(b"POISON")
    # Not a close: the connection still answers requests, in order.
    conn.send(b"GET /status/202 HTTP/1.1\r\nHost: x\r\n\r\n")
    assert conn.read_head().startswith(b"HTTP/1.1 202 Accepted\r\n")


def test_unsolicited_response_is_in_the_catalogue_listing(fetch: Fetch) -> None:
    _, body = fetch("/malformed/")
    assert b"unsolicited-response" in body and b"RFC 9112 \xc2\xa79.3.2" in body


def test_default_idle_timeout_is_long_enough_for_a_class() -> None:
    assert DEFAULT_IDLE_TIMEOUT >= 300
    server = DemoServer()
    assert server._settings.idle_timeout == DEFAULT_IDLE_TIMEOUT
    assert server._settings.request_timeout == 10.0  # slow requests: still cut short
