"""Hosts and request targets (issue #12 item 5): a host is one valid reg-name, IPv4 or IPv6
address, with or without a proxy; userinfo is refused; a fragment is never sent; through an
HTTP proxy an absolute-form target is used as given (with a matching Host) and ``OPTIONS *``
becomes the bare authority (RFC 9112 §3.2.4); a name the IDNA codec cannot encode ends in
CANT_RESOLVE instead of an exception out of ``poll()``."""

from __future__ import annotations

import time

import pytest
from clientkit import scripted_client

from httpexplore import Error, HTTPClient, Method, Status, TLSOptions
from httpexplore.errors import TransportError
from httpexplore.transport import Phase, SocketTransport

E, S = Error, Status
BAD_HOSTS = [
    "good.example@evil.example", "evil.example#.good.example", "evil.example/?.good.example",
    "evil.example/x", "good.example:8080", "a" * 300, ("a" * 64) + ".example",
    "bad..example", "[::1", "[not-ipv6]", "1.2.3", "0x7f.1", "127.0.0.01", "b\u00fccher.example",
    "ex%zzample.com",
]


@pytest.mark.parametrize("host", BAD_HOSTS)
def test_a_host_that_is_not_one_host_is_refused_up_front(host: str) -> None:
    client, transport = scripted_client()
    assert client.connect_to_host(host, 80) is E.ERR_INVALID_PARAMETER
    assert client.error_message and client.get_status() is S.DISCONNECTED
    assert transport.opened == []


@pytest.mark.parametrize("host", BAD_HOSTS)
@pytest.mark.parametrize("setter", ["set_http_proxy", "set_https_proxy"])
def test_a_bad_proxy_host_is_refused(host: str, setter: str) -> None:
    client = HTTPClient(record=False)
    assert getattr(client, setter)(host, 3128) is E.ERR_INVALID_PARAMETER
    assert "proxy host" in client.error_message


@pytest.mark.parametrize("host", ["example.com", "EXAMPLE.com.", "a-b_c.example", "192.0.2.1",
                                  "::1", "[2001:db8::1]", "localhost", "xn--bcher-kva.example"])
def test_valid_hosts_are_accepted(host: str) -> None:
    client, _t = scripted_client()
    assert client.connect_to_host(host, 80) is E.OK, client.error_message


def test_the_connect_through_an_https_proxy_names_only_the_host() -> None:
    client, transport = scripted_client([b"HTTP/1.1 200 OK\r\n\r\n"])
    client.set_https_proxy("proxy.test", 3128)
    assert client.connect_to_host("evil.example/x", 443, TLSOptions.client()) \
        is E.ERR_INVALID_PARAMETER
    assert bytes(transport.sent) == b""


def request_line(headers: list[str] | None = None, url: str = "/x", *, proxy: bool = False,
                 method: Method = Method.GET) -> tuple[Error, bytes, str]:
    client, transport = scripted_client()
    if proxy:
        client.set_http_proxy("proxy.test", 3128)
    client.connect_to_host("good.example", 80)
    while client.get_status() is not S.CONNECTED:
        client.poll()
    result = client.request(method, url, headers or [])
    client.poll()
    return result, bytes(transport.sent), client.error_message


def test_a_fragment_is_not_sent() -> None:
    result, wire, _m = request_line(url="/a?q=1#frag")
    assert result is E.OK and wire.startswith(b"GET /a?q=1 HTTP/1.1\r\n")
    assert b"frag" not in wire


@pytest.mark.parametrize("url", ["http://user:pass@good.example/x", "https://u@good.example/",
                                 "http://good.example@evil.example/x"])
def test_userinfo_in_a_target_is_refused(url: str) -> None:
    result, wire, message = request_line(url=url)
    assert result is E.ERR_INVALID_PARAMETER and wire == b""
    assert "userinfo" in message


@pytest.mark.parametrize("url", ["http://ev\\il.example/x", "http://ev il/", "http://a:99999/",
                                 "http://[::1/"])
def test_a_bad_authority_in_a_target_is_refused(url: str) -> None:
    result, wire, _m = request_line(url=url)
    assert result is E.ERR_INVALID_PARAMETER and wire == b""


def test_http_proxy_keeps_an_absolute_target_and_its_host() -> None:
    result, wire, _m = request_line(url="http://other.example:8080/y#f", proxy=True)
    assert result is E.OK
    head = wire.split(b"\r\n")
    assert head[0] == b"GET http://other.example:8080/y HTTP/1.1"
    assert b"Host: other.example:8080" in head


def test_http_proxy_builds_the_absolute_form_of_a_path() -> None:
    _r, wire, _m = request_line(url="/x", proxy=True)
    assert wire.startswith(b"GET http://good.example:80/x HTTP/1.1\r\n")


def test_options_star_through_an_http_proxy_is_the_bare_authority() -> None:
    result, wire, _m = request_line(url="*", proxy=True, method=Method.OPTIONS)
    assert result is E.OK and wire.startswith(b"OPTIONS http://good.example:80 HTTP/1.1\r\n")


def test_options_star_without_a_proxy_stays_star() -> None:
    _r, wire, _m = request_line(url="*", method=Method.OPTIONS)
    assert wire.startswith(b"OPTIONS * HTTP/1.1\r\n")


def test_a_name_idna_cannot_encode_is_cant_resolve_not_an_exception() -> None:
    """Defence in depth under the up-front check: the transport's own lookup."""
    transport = SocketTransport()
    assert transport.open("a" * 300, 80) is Phase.RESOLVING
    with pytest.raises(TransportError) as info:
        while transport.advance() is Phase.RESOLVING:
            time.sleep(0.001)
    assert "not a valid internationalised domain name" in info.value.message
    transport.close()
