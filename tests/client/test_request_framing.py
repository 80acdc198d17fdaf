"""The caller's framing headers (issue #12 item 4): both Content-Length and
Transfer-Encoding (RFC 9112 §6.2, the CL.TE smuggling set-up), a repeated Content-Length, or
one that is not digits only (RFC 9110 §8.6) are refused with ERR_INVALID_PARAMETER before
anything is queued: the status stays CONNECTED and nothing reaches the wire."""

from __future__ import annotations

import pytest
from clientkit import ADDRESS, scripted_client

from httpexplore import Error, Method, Status


def connected() -> tuple[object, object]:
    client, transport = scripted_client()
    assert client.connect_to_host(ADDRESS, 80) is Error.OK
    client.poll()
    assert client.get_status() is Status.CONNECTED
    return client, transport


@pytest.mark.parametrize("headers,words", [
    (["Content-Length: 5", "Transfer-Encoding: chunked"], "both Content-Length and"),
    (["transfer-encoding: chunked", "content-length: 5"], "both Content-Length and"),
    (["Content-Length: 5, 5"], "digits only"),
    (["Content-Length: +5"], "digits only"),
    (["Content-Length: 0x5"], "digits only"),
    (["Content-Length: 5", "Content-Length: 5"], "Content-Length 2 times"),
    (["Content-Length: \u0665"], "digits only"),  # an Arabic-Indic five: isdigit(), not ASCII
])
def test_ambiguous_request_framing_is_refused_and_nothing_is_written(
        headers: list[str], words: str) -> None:
    client, transport = connected()
    assert client.request(Method.POST, "/", headers, "hello") is Error.ERR_INVALID_PARAMETER
    assert words in client.error_message, client.error_message
    assert client.get_status() is Status.CONNECTED
    client.poll()
    assert bytes(transport.sent) == b""


@pytest.mark.parametrize("headers", [["Content-Length: 5"], ["Transfer-Encoding: chunked"], []])
def test_one_clear_framing_is_accepted(headers: list[str]) -> None:
    client, transport = connected()
    assert client.request(Method.POST, "/", headers, "hello") is Error.OK, client.error_message
    client.poll()
    assert bytes(transport.sent).startswith(b"POST / HTTP/1.1\r\n")
