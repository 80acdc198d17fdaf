"""Proxy credentials (issue #12 item 7): ``credentials=`` on ``set_http(s)_proxy`` are sent as
``Proxy-Authorization`` on the proxy hop only (the ``CONNECT`` request, or each absolute-form
request to an HTTP proxy); a ``Proxy-Authorization`` header given to ``request()`` never
travels through a tunnel (or directly) to an origin server."""

from __future__ import annotations

import base64

import pytest
from clientkit import RecordingTransport

from httpexplore import Error, HTTPClient, Method, Status, TLSOptions

BASIC = "Basic " + base64.b64encode(b"alice:s3cret").decode()
OK_RESPONSE = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"


def via_https_proxy(credentials: object = None) -> tuple[HTTPClient, RecordingTransport]:
    transport = RecordingTransport([b"HTTP/1.1 200 Connection established\r\n\r\n",
                                    OK_RESPONSE])
    client = HTTPClient(record=False, transport_factory=lambda: transport)
    kwargs = {} if credentials is None else {"credentials": credentials}
    assert client.set_https_proxy("proxy.test", 3128, **kwargs) is Error.OK  # type: ignore
    client.connect_to_host("https://origin.test", 443, TLSOptions.client())
    while client.get_status() in (Status.RESOLVING, Status.CONNECTING):
        client.poll()
    assert client.get_status() is Status.CONNECTED, client.error_message
    return client, transport


def test_https_proxy_credentials_go_with_connect_only() -> None:
    client, transport = via_https_proxy(("alice", "s3cret"))
    connect, _sep, _rest = bytes(transport.sent).partition(b"\r\n\r\n")
    assert connect.startswith(b"CONNECT origin.test:443 HTTP/1.1")
    assert f"Proxy-Authorization: {BASIC}".encode() in connect
    before = len(transport.sent)
    assert client.request(Method.GET, "/", []) is Error.OK
    client.poll()
    tunnelled = bytes(transport.sent[before:])
    assert tunnelled.startswith(b"GET / HTTP/1.1") and b"Proxy-Authorization" not in tunnelled


def test_a_proxy_authorization_header_never_goes_through_the_tunnel() -> None:
    client, transport = via_https_proxy()
    before = len(transport.sent)
    result = client.request(Method.GET, "/", [f"Proxy-Authorization: {BASIC}"])
    assert result is Error.ERR_INVALID_PARAMETER
    assert "origin server" in client.error_message
    client.poll()
    assert bytes(transport.sent[before:]) == b""


def test_a_proxy_authorization_header_without_a_proxy_is_refused() -> None:
    transport = RecordingTransport([OK_RESPONSE])
    client = HTTPClient(record=False, transport_factory=lambda: transport)
    client.connect_to_host("origin.test", 80)
    while client.get_status() is not Status.CONNECTED:
        client.poll()
    assert client.request(Method.GET, "/", ["proxy-authorization: x"]) \
        is Error.ERR_INVALID_PARAMETER
    assert bytes(transport.sent) == b""


def test_http_proxy_credentials_go_with_each_absolute_form_request() -> None:
    transport = RecordingTransport([OK_RESPONSE])
    client = HTTPClient(record=False, transport_factory=lambda: transport)
    assert client.set_http_proxy("proxy.test", 3128, credentials="Bearer t0k") is Error.OK
    client.connect_to_host("origin.test", 80)
    while client.get_status() is not Status.CONNECTED:
        client.poll()
    assert client.request(Method.GET, "/x", []) is Error.OK
    client.poll()
    head = bytes(transport.sent).split(b"\r\n")
    assert head[0] == b"GET http://origin.test:80/x HTTP/1.1"
    assert b"Proxy-Authorization: Bearer t0k" in head


@pytest.mark.parametrize("credentials", [("a:b", "c"), "x\r\nInjected: 1", ""])
def test_bad_credentials_are_refused_and_nothing_changes(credentials: object) -> None:
    client = HTTPClient(record=False)
    assert client.set_http_proxy("proxy.test", 3128, credentials=credentials) \
        is Error.ERR_INVALID_PARAMETER  # type: ignore[arg-type]
    assert client.error_message
