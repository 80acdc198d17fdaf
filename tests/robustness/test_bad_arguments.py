"""Caller mistakes (README, divergence 8; docs/limits.md): wrong *values* return the documented
``Error`` and leave a plain-language ``error_message`` (nothing changes); wrong *types* raise
``TypeError``."""

from __future__ import annotations

from typing import Any

import pytest
from clientkit import ADDRESS, scripted_client

from httpexplore import Error, HTTPClient, Method, Status, TLSOptions

S = Status
INVALID = Error.ERR_INVALID_PARAMETER


def connected() -> HTTPClient:
    c, _t = scripted_client()
    c.connect_to_host(ADDRESS, 80)
    c.poll()
    assert c.get_status() is S.CONNECTED
    return c


# -- wrong types ----------------------------------------------------------------------------------
@pytest.mark.parametrize("args", [
    (None,), (123,), (b"example.com",), ("example.com", "80"), ("example.com", 1.5),
    ("example.com", True), ("example.com", None), ("example.com", 80, "tls"),
    ("example.com", 443, object()),
    ("example.com", 443, TLSOptions.client(trusted_chain=123)),  # type: ignore[arg-type]
    ("example.com", 443, TLSOptions.client(common_name_override=5)),  # type: ignore[arg-type]
])
def test_connect_to_host_wrong_types_raise(args: tuple[Any, ...]) -> None:
    c = HTTPClient(record=False)
    with pytest.raises(TypeError):
        c.connect_to_host(*args)
    assert c.get_status() is S.DISCONNECTED


@pytest.mark.parametrize("args", [
    ("GET", "/", []), (1.0, "/", []), (True, "/", []), (None, "/", []),
    (Method.GET, None, []), (Method.GET, b"/", []),
    (Method.GET, "/", "X: y"), (Method.GET, "/", None), (Method.GET, "/", [1]),
    (Method.GET, "/", [b"X: y"]), (Method.POST, "/", [], b"body"), (Method.POST, "/", [], None),
])
def test_request_wrong_types_raise(args: tuple[Any, ...]) -> None:
    c = connected()
    with pytest.raises(TypeError):
        c.request(*args)
    assert c.get_status() is S.CONNECTED


@pytest.mark.parametrize("body", ["text", None, 5])
def test_request_raw_wrong_body_type_raises(body: Any) -> None:
    c = connected()
    with pytest.raises(TypeError):
        c.request_raw(Method.POST, "/", [], body)
    assert c.request_raw(Method.POST, "/", [], bytearray(b"ok")) is Error.OK


@pytest.mark.parametrize("value", ["1024", 1024.0, True, None])
def test_read_chunk_size_wrong_type_raises(value: Any) -> None:
    c = HTTPClient(record=False)
    with pytest.raises(TypeError):
        c.read_chunk_size = value
    with pytest.raises(TypeError):
        c.set_read_chunk_size(value)
    assert c.read_chunk_size == 65536


@pytest.mark.parametrize("setter", ["set_http_proxy", "set_https_proxy"])
@pytest.mark.parametrize("args", [(None, 80), (123, 80), ("proxy.test", "80"),
                                  ("proxy.test", None), ("proxy.test", 80.0)])
def test_proxy_setters_wrong_types_raise(setter: str, args: tuple[Any, ...]) -> None:
    c = HTTPClient(record=False)
    with pytest.raises(TypeError):
        getattr(c, setter)(*args)


@pytest.mark.parametrize("fields", [[("a", 1)], "a=1", None, 5])
def test_query_string_from_dict_wrong_type_raises(fields: Any) -> None:
    with pytest.raises(TypeError):
        HTTPClient.query_string_from_dict(fields)


# -- wrong values ---------------------------------------------------------------------------------
@pytest.mark.parametrize("host,port,tls,words", [
    ("abc", 80, None, ("too short",)),
    ("", 80, None, ("too short",)),
    ("exa mple.com", 80, None, ("whitespace",)),
    ("example.com", 65536, None, ("65536", "between 0 and 65535")),
    ("example.com", -2, None, ("-2",)),
    ("example.com", 443, TLSOptions.server(), ("server-side",)),
    ("https://", -1, None, ("too short",)),
])
def test_connect_to_host_bad_values(host: str, port: int, tls: TLSOptions | None,
                                    words: tuple[str, ...]) -> None:
    c, transport = scripted_client()
    assert c.connect_to_host(host, port, tls) is INVALID
    assert c.get_status() is S.DISCONNECTED and c.error is INVALID
    for word in words:
        assert word in c.error_message
    assert transport.opened == [], "nothing was opened"
    assert c.poll() is Error.ERR_UNCONFIGURED


@pytest.mark.parametrize("method,url,headers,words", [
    (-1, "/", [], ("method -1",)),
    (Method.MAX, "/", [], ("method 9",)),
    (Method.GET, "no-slash", [], ("must start with",)),
    (Method.GET, "/a b", [], ("space or control",)),
    (Method.GET, "/a\r\nX: y", [], ("space or control",)),
    (Method.GET, "/é", [], ("not valid HTTP/1.1",)),
    (Method.GET, "/\x7f", [], ("not valid HTTP/1.1",)),
    (Method.CONNECT, "nohostport", [], ("host:port",)),
    (Method.GET, "/", ["X: a\r\nInjected: 1"], ("CR, LF or NUL",)),
    (Method.GET, "/", ["X: a\x00"], ("CR, LF or NUL",)),
    (Method.GET, "/", ["X-€: 1"], ("not valid HTTP/1.1",)),
    (Method.GET, "/", ["Bad Name: 1"], ("not valid HTTP/1.1",)),
    (Method.GET, "/", ["NoColon"], ("index 0",)),
])
def test_request_bad_values(method: int, url: str, headers: list[str],
                            words: tuple[str, ...]) -> None:
    c, transport = scripted_client()
    c.connect_to_host(ADDRESS, 80)
    c.poll()
    assert c.request(method, url, headers) is INVALID
    assert c.get_status() is S.CONNECTED and c.error is INVALID
    for word in words:
        assert word in c.error_message, c.error_message
    c.poll()
    assert transport.sent == b"", "nothing was sent"
    assert c.request(Method.GET, "/", []) is Error.OK and c.error is Error.OK
    assert c.error_message == "", "a successful call clears the last mistake"


def test_non_ascii_header_value_is_sent_as_utf8_like_godot() -> None:
    c, transport = scripted_client()
    c.connect_to_host(ADDRESS, 80)
    c.poll()
    assert c.request(Method.GET, "/", ["X-Name: Zoë"]) is Error.OK
    c.poll()
    assert b"\r\nX-Name: Zo\xc3\xab\r\n" in transport.sent


@pytest.mark.parametrize("status", ["disconnected", "requesting", "error"])
def test_request_outside_connected(status: str) -> None:
    c, _t = scripted_client([b"HTTP/1.1 200 OK\r\n", b"garbage\r\n\r\n"])
    if status != "disconnected":
        c.connect_to_host(ADDRESS, 80)
        c.poll()
        c.request(Method.GET, "/", [])
    if status == "error":
        c.poll()
        c.poll()
        assert c.get_status() is S.CONNECTION_ERROR
    before = c.get_status()
    assert c.request(Method.GET, "/", []) is INVALID
    assert before.name in c.error_message and c.get_status() is before


@pytest.mark.parametrize("setter", ["set_http_proxy", "set_https_proxy"])
def test_proxy_port_out_of_range_is_refused_and_kept(setter: str) -> None:
    c, transport = scripted_client()
    assert getattr(c, setter)("proxy.test", 3128) is Error.OK
    assert getattr(c, setter)("proxy.test", 70000) is INVALID
    assert "70000" in c.error_message
    c.connect_to_host("https://example.com" if "https" in setter else "example.com")
    assert transport.opened == [("proxy.test", 3128)], "the earlier setting is kept"


def test_poll_read_close_with_no_connection_do_nothing_harmful() -> None:
    c = HTTPClient(record=False)
    assert c.poll() is Error.ERR_UNCONFIGURED
    assert c.error is Error.ERR_UNCONFIGURED and "connect_to_host" in c.error_message
    assert c.read_response_body_chunk() == b""
    c.close()
    c.close()
    assert c.get_status() is S.DISCONNECTED and c.error is Error.OK
