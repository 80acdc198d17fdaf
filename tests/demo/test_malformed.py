"""The malformed-response catalogue: its data, its rendering, and the bytes on the wire."""

from __future__ import annotations

import re
import socket
import time

import pytest
from demokit import Connect, Fetch, RawConnection

from httpexplore.demo import MALFORMED, DemoServer, MalformedResponse

REQUIRED = {
    "conflicting-content-length", "bad-chunk-size", "missing-last-chunk", "truncated-body",
    "bare-lf", "obs-fold", "garbage-status-line", "oversized-head", "nul-in-header",
    "te-without-chunked", "reset-mid-body", "silence", "close-before-response",
    "space-before-colon", "negative-content-length", "http2-status-line",
    "chunk-size-overflow", "cr-only", "te-and-content-length",
}
CLOSING = [name for name, entry in MALFORMED.items() if entry.ending == "close"]


def test_catalogue_has_the_required_entries() -> None:
    assert set(MALFORMED) >= REQUIRED
    assert len(MALFORMED) >= 15


@pytest.mark.parametrize("name", list(MALFORMED))
def test_every_entry_is_documented(name: str) -> None:
    entry = MALFORMED[name]
    assert isinstance(entry, MalformedResponse) and entry.name == name
    assert re.fullmatch(r"RFC 91(12|10) §\d.*", entry.rfc), entry.rfc
    assert "\n" not in entry.description and 10 < len(entry.description) < 200
    assert entry.ending in ("close", "reset", "silence", "keep-open")


def test_entries_break_what_they_claim() -> None:
    assert len(MALFORMED["oversized-head"].payload.partition(b"\r\n\r\n")[0]) > 64 * 1024
    assert b"\x00" in MALFORMED["nul-in-header"].payload
    assert b"\r\n" not in MALFORMED["bare-lf"].payload
    assert b"\n" not in MALFORMED["cr-only"].payload
    assert MALFORMED["close-before-response"].payload == b""
    assert MALFORMED["reset-mid-body"].ending == "reset"
    assert MALFORMED["silence"].ending == "silence"


def test_catalogue_renders_deterministically_and_escaped() -> None:
    text = str(MALFORMED)
    assert text.splitlines()[0].split() == ["name", "breaks", "what", "the", "server", "sends"]
    assert all(name in text for name in MALFORMED)
    assert repr(MALFORMED).startswith(f"<malformed-response catalogue: {len(MALFORMED)} entries>")
    page = MALFORMED._repr_html_()
    assert page.startswith("<table") and page.count("<tr>") == len(MALFORMED) + 1
    assert "&#x27;zz&#x27;" in page and "'zz'" not in page  # quotes escaped


def test_index_lists_the_catalogue(fetch: Fetch) -> None:
    response, body = fetch("/malformed/")
    assert response.status == 200
    assert body.decode() == str(MALFORMED) + "\n"
    response, body = fetch("/malformed/no-such-entry")
    assert response.status == 404 and b"bad-chunk-size" in body


@pytest.mark.parametrize("name", CLOSING)
def test_closing_entries_send_exact_bytes_then_close(raw: Connect, name: str) -> None:
    conn = raw()
    conn.send(b"GET /malformed/" + name.encode() + b" HTTP/1.1\r\nHost: x\r\n\r\n")
    assert conn.read_to_eof() == MALFORMED[name].payload


def test_reset_mid_body_sends_rst(raw: Connect) -> None:
    conn = raw()
    conn.send(b"GET /malformed/reset-mid-body HTTP/1.1\r\nHost: x\r\n\r\n")
    expected = MALFORMED["reset-mid-body"].payload
    received = b""
    with pytest.raises(ConnectionResetError):
        while chunk := conn.sock.recv(65536):
            received += chunk
    # Anything that arrived before the reset is a prefix of the payload.
    assert expected.startswith(received)


def test_silence_says_nothing_until_its_timeout() -> None:
    with DemoServer(silence_timeout=1.0) as server:
        conn = RawConnection(server.host, server.port)
        try:
            conn.send(b"GET /malformed/silence HTTP/1.1\r\nHost: x\r\n\r\n")
            conn.sock.settimeout(0.5)
            with pytest.raises(TimeoutError):
                conn.sock.recv(1)
            conn.sock.settimeout(5.0)
            start = time.monotonic()
            assert conn.read_to_eof() == b""
            assert time.monotonic() - start < 1.5
        finally:
            conn.close()


def test_silence_ends_when_the_server_stops() -> None:
    server = DemoServer(silence_timeout=30).start()
    conn = RawConnection(server.host, server.port)
    try:
        conn.send(b"GET /malformed/silence HTTP/1.1\r\nHost: x\r\n\r\n")
        time.sleep(0.2)
        start = time.monotonic()
        server.stop()
        assert time.monotonic() - start < 2
        try:
            assert conn.read_to_eof() == b""
        except ConnectionResetError:
            pass  # a reset is as good as a close here: the point is that nothing hangs
    finally:
        conn.close()
        server.stop()


def test_malformed_over_http10_is_the_same_bytes(raw: Connect) -> None:
    conn = raw()
    conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    conn.send(b"GET /malformed/bare-lf HTTP/1.0\r\n\r\n")
    assert conn.read_to_eof() == MALFORMED["bare-lf"].payload
