"""Property tests: for any well-formed request, /echo is byte-exact and /headers agrees with
h11, an independent HTTP/1.1 parser."""

from __future__ import annotations

import json
import string
from collections.abc import Iterator

import h11
import pytest
from demokit import RawConnection
from hypothesis import given, settings
from hypothesis import strategies as st

from httpexplore.demo import DemoServer

TCHAR = "!#$%&'*+-.^_`|~" + string.ascii_letters + string.digits
FRAMING = {"host", "content-length", "transfer-encoding", "connection", "expect"}
# Field values: visible ASCII, obs-text and inner spaces/tabs (RFC 9110 §5.5).
VALUE_CHARS = st.sampled_from([chr(c) for c in range(0x21, 0x7F)] + [" ", "\t", "é", "\xff"])

names = st.text(alphabet=TCHAR, min_size=1, max_size=16).filter(lambda n: n.lower() not in
                                                                FRAMING)
values = st.text(alphabet=VALUE_CHARS, max_size=30).map(lambda v: v.strip(" \t"))
fields = st.lists(st.tuples(names, values), max_size=10)


@pytest.fixture(scope="module")
def shared() -> Iterator[DemoServer]:
    with DemoServer() as srv:
        yield srv


def build(method: str, path: str, pairs: list[tuple[str, str]], body: bytes) -> bytes:
    head = f"{method} {path} HTTP/1.1\r\nHost: demo\r\n" + "".join(
        f"{name}: {value}\r\n" for name, value in pairs) + f"Content-Length: {len(body)}\r\n\r\n"
    return head.encode("latin-1") + body


def h11_headers(request: bytes) -> list[tuple[str, str]]:
    conn = h11.Connection(h11.SERVER)
    conn.receive_data(request)
    event = conn.next_event()
    assert isinstance(event, h11.Request)
    return [(name.decode("latin-1"), value.decode("latin-1"))
            for name, value in event.headers.raw_items()]


@settings(max_examples=40, deadline=None)
@given(pairs=fields, body=st.binary(max_size=3000))
def test_echo_is_byte_exact_for_any_request(shared: DemoServer, pairs: list[tuple[str, str]],
                                            body: bytes) -> None:
    request = build("PUT", "/echo", pairs, body)
    conn = RawConnection(shared.host, shared.port)
    try:
        conn.send(request)
        head, echoed = conn.read_response()
    finally:
        conn.close()
    assert head.startswith(b"HTTP/1.1 200 OK\r\n")
    assert echoed == request


@settings(max_examples=40, deadline=None)
@given(pairs=fields)
def test_headers_agree_with_h11(shared: DemoServer, pairs: list[tuple[str, str]]) -> None:
    request = build("GET", "/headers", pairs, b"")
    conn = RawConnection(shared.host, shared.port)
    try:
        conn.send(request)
        _, body = conn.read_response()
    finally:
        conn.close()
    received = [tuple(pair) for pair in json.loads(body)["headers"]]
    assert received == h11_headers(request)
    assert received[1:-1] == pairs
