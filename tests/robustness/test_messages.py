"""Messages show the offending bytes as readable text, never as a Python repr (issue #13 item
12): h11 quotes bytes as ``bytearray(b'...')``; the client's messages write them in double
quotes with control characters escaped (``"X\\x00: y"``)."""

from __future__ import annotations

import re

import pytest
from clientkit import exchange, scripted_client
from malformed_cases import CASES

from httpexplore import Error, Method
from httpexplore.transport import EOF

REPR = re.compile(r"bytearray\(|\bb'|\bb\"")
QUOTED = [c for c in CASES if c.kind != "tolerated"]


@pytest.mark.parametrize("name", [c.name for c in QUOTED])
def test_no_python_repr_in_any_malformed_case_message(name: str) -> None:
    case = next(c for c in QUOTED if c.name == name)
    out, _client, _t = exchange([case.wire, EOF], method=Method[case.method])
    assert out.message and not REPR.search(out.message), out.message


def test_a_bad_header_line_is_quoted_as_text() -> None:
    out, _c, _t = exchange([b"HTTP/1.1 200 OK\r\nX-A\x00b: y\r\n\r\n", EOF])
    assert 'Parser said: illegal header line: "X-A\\x00b: y"' in out.message, out.message


def test_a_refused_request_header_is_quoted_as_text() -> None:
    client, _t = scripted_client()
    client.connect_to_host("192.0.2.1", 80)
    client.poll()
    assert client.request(Method.GET, "/", ["N\u00e4me: x"]) is Error.ERR_INVALID_PARAMETER
    assert "N\\xc3\\xa4me" in client.error_message and not REPR.search(client.error_message)


def test_show_bytes_escapes_what_cannot_be_seen() -> None:
    from httpexplore.errors import show_bytes
    assert show_bytes(b'a\r\n\t\x00\x7f\xff"\\') == '"a\\r\\n\\t\\x00\\x7f\\xff\\"\\\\"'
