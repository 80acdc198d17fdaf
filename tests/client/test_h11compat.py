"""The h11 compat module: the only place that touches h11's internals, for known releases only.

``test_installed_h11_is_a_release_the_compat_module_was_written_for`` fails on an h11 release
nobody has read yet: its reader and its error texts must be checked (and ``WRITTEN_FOR``
extended) before httpexplore trusts it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import h11
import pytest

import httpexplore
from httpexplore import _h11compat as compat
from httpexplore.errors import explain_protocol_error

PACKAGE = Path(httpexplore.__file__).resolve().parent
#: h11's private names used by the engine; only the compat module may spell them.
PRIVATE = ("_readers", "_receive_buffer", "_reader", "_bytes_in_chunk", "_bytes_to_discard",
           "_reading_trailer")


def test_installed_h11_is_a_release_the_compat_module_was_written_for() -> None:
    assert compat.h11_release() in compat.WRITTEN_FOR, (
        f"h11 {compat.H11_VERSION} is not in _h11compat.WRITTEN_FOR {compat.WRITTEN_FOR}: read "
        "its _readers.ChunkedReader and its RemoteProtocolError texts, then add it")


def test_release_parsing() -> None:
    assert compat.h11_release("0.16.0") == (0, 16)
    assert compat.h11_release("1.2rc1") == (1, 2)
    assert compat.h11_release("0.17.0") not in compat.WRITTEN_FOR


def test_no_other_module_touches_h11_internals() -> None:
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        if path.name == "_h11compat.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            name = (node.attr if isinstance(node, ast.Attribute)
                    else node.module if isinstance(node, ast.ImportFrom) else None)
            if name and any(name == p or name.endswith("." + p) for p in PRIVATE):
                offenders.append(f"{path.relative_to(PACKAGE)}:{node.lineno} {name}")
    assert offenders == []


def test_the_reader_accessors_follow_h11_through_a_chunk() -> None:
    conn = h11.Connection(h11.CLIENT)
    conn.send(h11.Request(method="GET", target="/", headers=[("Host", "x")]))
    conn.send(h11.EndOfMessage())
    conn.receive_data(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n")
    assert isinstance(conn.next_event(), h11.Response)
    assert conn.next_event() is h11.NEED_DATA
    reader = compat.chunked_reader(conn)
    assert reader is not None
    assert compat.chunk_left(reader) == 5 and compat.unparsed(conn) == 0
    # Count the 5 payload bytes without h11, as the engine does, then let h11 check the rest.
    compat.set_chunk_left(reader, 0)
    compat.end_chunk(reader)
    assert compat.crlf_pending(reader) == 2
    conn.receive_data(b"\r\n0\r\n\r\n")
    assert isinstance(conn.next_event(), h11.EndOfMessage)


def test_a_missing_crlf_after_counted_payload_is_still_h11s_verdict() -> None:
    conn = h11.Connection(h11.CLIENT)
    conn.send(h11.Request(method="GET", target="/", headers=[("Host", "x")]))
    conn.send(h11.EndOfMessage())
    conn.receive_data(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\n")
    conn.next_event()
    conn.next_event()
    reader = compat.chunked_reader(conn)
    assert reader is not None
    compat.set_chunk_left(reader, 0)
    compat.end_chunk(reader)
    conn.receive_data(b"XY0\r\n\r\n")
    with pytest.raises(h11.RemoteProtocolError) as caught:
        conn.next_event()
    assert compat.complaint(caught.value) == "chunk_footer"


@pytest.mark.parametrize(("head", "key"), [
    (b"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n", "bad_length"),
    (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", "bad_coding"),
    (b"HTTP/1.1 2000 OK\r\n\r\n", "status_line"),
    (b" HTTP/1.1 200 OK\r\n\r\n", "no_status_line"),
    (b"HTTP/1.1 200 OK\r\n folded\r\n\r\n", "continuation"),
    (b"HTTP/1.1 200 OK\r\nX a: b\r\n\r\n", "header_line"),
])
def test_h11s_complaints_map_to_known_keys(head: bytes, key: str) -> None:
    """h11's words for each fault, as this release says them; a release that rewords them
    fails here before a learner sees the generic fallback message."""
    conn = h11.Connection(h11.CLIENT)
    conn.send(h11.Request(method="GET", target="/", headers=[("Host", "x")]))
    conn.send(h11.EndOfMessage())
    conn.receive_data(head)
    with pytest.raises(h11.RemoteProtocolError) as caught:
        conn.next_event()
    assert compat.complaint(caught.value) == key
    assert "not valid HTTP/1.1" not in explain_protocol_error(caught.value, None, 65536)


def test_unknown_complaint_gets_the_fallback_message() -> None:
    exc = h11.RemoteProtocolError("something h11 never said")
    assert compat.complaint(exc) == "other"
    assert "is not valid HTTP/1.1" in explain_protocol_error(exc, None, 65536)
