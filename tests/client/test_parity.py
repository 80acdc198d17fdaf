"""Godot's HTTPClient behaviour, checked line by line against this client.

Where the README's "Godot parity and deliberate divergences" lists a divergence, the test
asserts the RFC 9112 behaviour instead and names it (``divergence_N`` in the test name: the
README's item N).  The
``HTTPRequest``-style lines of the checklist are not tested: httpexplore has no such layer.
"""

from __future__ import annotations

import time

import pytest
from clientkit import ADDRESS, Driver, RecordingTransport, exchange, scripted_client, tutorial

import httpexplore
from httpexplore import (
    ERR_INVALID_PARAMETER,
    OK,
    Error,
    HTTPClient,
    Method,
    ResponseCode,
    Status,
    TLSOptions,
)
from httpexplore.errors import FailureKind, TransportError
from httpexplore.transport import AFTER_SEND, EOF, WOULD_BLOCK

S, E = Status, Error
UA = f"User-Agent: httpexplore/{httpexplore.__version__}"


def connected(incoming: list[object] | None = None, **kwargs: object
              ) -> tuple[HTTPClient, RecordingTransport]:
    client, transport = scripted_client(incoming or [], **kwargs)
    assert client.connect_to_host("example.com", 80) is OK
    client.poll()
    client.poll()
    assert client.get_status() is S.CONNECTED
    return client, transport


def sent_request(method: Method, url: str, headers: list[str], body: str = "", *,
                 host: str = "example.com", port: int = 80,
                 tls: TLSOptions | None = None) -> bytes:
    client, transport = scripted_client(handshake_steps=1)
    client.connect_to_host(host, port, tls)
    for _ in range(4):
        client.poll()
    assert client.get_status() is S.CONNECTED
    assert client.request(method, url, headers, body) is OK
    client.poll()
    return bytes(transport.sent)


# -- construction / properties ------------------------------------------------------------------
def test_new_client_defaults() -> None:
    client = HTTPClient(record=False)
    assert client.get_status() is S.DISCONNECTED and client.get_status() == 0
    assert client.get_response_code() == 0
    assert client.get_response_body_length() == -1
    assert client.read_chunk_size == 65536
    assert client.blocking_mode_enabled is False


def test_poll_while_disconnected_is_err_unconfigured_and_changes_nothing() -> None:
    client = HTTPClient(record=False)
    assert client.poll() is E.ERR_UNCONFIGURED and client.poll() == 3
    assert client.get_status() is S.DISCONNECTED


@pytest.mark.parametrize("bad", [255, 16777217, 0, -1])
def test_read_chunk_size_out_of_range_is_refused_with_a_message(bad: int) -> None:
    client = HTTPClient(record=False)
    client.read_chunk_size = 1024
    client.read_chunk_size = bad
    assert client.read_chunk_size == 1024
    assert client.error is ERR_INVALID_PARAMETER
    assert "256" in client.error_message and "16777216" in client.error_message
    assert str(bad) in client.error_message
    assert client.set_read_chunk_size(bad) is ERR_INVALID_PARAMETER
    assert client.get_read_chunk_size() == 1024


@pytest.mark.parametrize("good", [256, 16777216])
def test_read_chunk_size_limits_are_accepted(good: int) -> None:
    client = HTTPClient(record=False)
    assert client.set_read_chunk_size(good) is OK
    assert client.read_chunk_size == good
    client.read_chunk_size = 65536
    client.read_chunk_size = good
    assert client.read_chunk_size == good


def test_enum_values_match_godot() -> None:
    assert [(s.name, s.value) for s in Status] == [
        ("DISCONNECTED", 0), ("RESOLVING", 1), ("CANT_RESOLVE", 2), ("CONNECTING", 3),
        ("CANT_CONNECT", 4), ("CONNECTED", 5), ("REQUESTING", 6), ("BODY", 7),
        ("CONNECTION_ERROR", 8), ("TLS_HANDSHAKE_ERROR", 9)]
    assert [(m.name, m.value) for m in Method] == [
        ("GET", 0), ("HEAD", 1), ("POST", 2), ("PUT", 3), ("DELETE", 4), ("OPTIONS", 5),
        ("TRACE", 6), ("CONNECT", 7), ("PATCH", 8), ("MAX", 9)]
    assert all(code.value == int(code) for code in ResponseCode)
    for name, value in [("CONTINUE", 100), ("OK", 200), ("NO_CONTENT", 204),
                        ("NOT_MODIFIED", 304), ("NOT_FOUND", 404), ("IM_A_TEAPOT", 418),
                        ("NETWORK_AUTH_REQUIRED", 511)]:
        assert ResponseCode[name] == value
        assert getattr(HTTPClient, f"RESPONSE_{name}") == value
    assert {e.name: e.value for e in Error} == {
        "OK": 0, "FAILED": 1, "ERR_UNAVAILABLE": 2, "ERR_UNCONFIGURED": 3, "ERR_FILE_EOF": 18,
        "ERR_CANT_CONNECT": 25, "ERR_CANT_RESOLVE": 26, "ERR_CONNECTION_ERROR": 27,
        "ERR_INVALID_DATA": 30, "ERR_INVALID_PARAMETER": 31, "ERR_BUSY": 44, "ERR_BUG": 47}
    assert HTTPClient.STATUS_BODY == 7 and HTTPClient.METHOD_PATCH == 8
    assert httpexplore.OK == 0 and httpexplore.ERR_CANT_RESOLVE == 26


# -- connect_to_host ----------------------------------------------------------------------------
def test_connect_host_shorter_than_four_characters_is_invalid_parameter() -> None:
    client = HTTPClient(record=False)
    assert client.connect_to_host("abc") is ERR_INVALID_PARAMETER
    assert client.get_status() is S.DISCONNECTED
    assert "'abc'" in client.error_message and "4" in client.error_message


def test_default_port_is_80_and_443_with_tls() -> None:
    client, transport = scripted_client()
    client.connect_to_host("example.com", -1)
    client.connect_to_host("example.com", -1, TLSOptions.client())
    client.connect_to_host("https://example.com")
    assert transport.opened == [("example.com", 80), ("example.com", 443), ("example.com", 443)]


def test_https_prefix_enables_tls_and_http_prefix_disables_it_despite_options() -> None:
    client, transport = scripted_client(handshake_steps=1)
    client.connect_to_host("https://example.com")
    assert client.tls_enabled and client.host == "example.com"
    for _ in range(3):
        client.poll()
    assert client.get_status() is S.CONNECTED and transport.tls_started == 1
    client2, transport2 = scripted_client()
    client2.connect_to_host("HTTP://example.com", -1, TLSOptions.client())
    assert not client2.tls_enabled and client2.port == 80
    client2.poll()
    client2.poll()
    assert client2.get_status() is S.CONNECTED and transport2.tls_started == 0


def test_server_side_tls_options_are_invalid_parameter() -> None:
    client = HTTPClient(record=False)
    assert client.connect_to_host("example.com", 443, TLSOptions.server()) is ERR_INVALID_PARAMETER
    assert client.get_status() is S.DISCONNECTED
    assert "server-side" in client.error_message


def test_hostname_resolves_first_and_ip_literal_connects_at_once() -> None:
    client, _t = scripted_client()
    assert client.connect_to_host("example.com", 80) is OK
    assert client.get_status() is S.RESOLVING
    assert client.connect_to_host(ADDRESS, 80) is OK
    assert client.get_status() is S.CONNECTING


def test_unresolvable_name_is_cant_resolve_on_every_later_poll() -> None:
    """Real resolver, reserved ``.invalid`` name (RFC 6761: never resolves)."""
    client = HTTPClient(record=False)
    assert client.connect_to_host("no-such-host.invalid", 80) is OK
    assert client.get_status() is S.RESOLVING
    results = []
    end = time.monotonic() + 20
    while client.get_status() is S.RESOLVING:
        assert time.monotonic() < end
        results.append(client.poll())
        time.sleep(0.001)
    assert client.get_status() is S.CANT_RESOLVE
    assert results[-1] is E.ERR_CANT_RESOLVE and set(results[:-1]) <= {OK}
    assert client.poll() is E.ERR_CANT_RESOLVE and client.poll() == 26
    assert "no-such-host.invalid" in client.error_message
    assert "resolve" in client.error_message


def test_refused_connection_is_cant_connect_after_every_address() -> None:
    fail = TransportError(FailureKind.CONNECT, "could not connect (tried 192.0.2.1)")
    client, _t = scripted_client(fail=fail)
    client.connect_to_host("example.com", 80)
    assert client.poll() is OK
    assert client.poll() is E.ERR_CANT_CONNECT and client.get_status() is S.CANT_CONNECT
    assert client.poll() == 25


def test_tls_handshake_failure_returns_cant_connect_then_connection_error() -> None:
    client, _t = scripted_client(fail=TransportError(FailureKind.TLS, "bad certificate"))
    client.connect_to_host(ADDRESS, 443, TLSOptions.client())
    assert client.poll() is OK
    assert client.poll() is E.ERR_CANT_CONNECT
    assert client.get_status() is S.TLS_HANDSHAKE_ERROR
    assert client.poll() is E.ERR_CONNECTION_ERROR


def test_connect_on_a_connected_client_closes_it_first() -> None:
    transports: list[RecordingTransport] = []

    def factory() -> RecordingTransport:
        transports.append(RecordingTransport([b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n"]))
        return transports[-1]

    client = HTTPClient(record=False, transport_factory=factory)
    client.connect_to_host(ADDRESS, 80)
    client.poll()
    client.request(Method.GET, "/", [])
    client.poll()
    assert client.get_status() is S.BODY and client.has_response()
    assert client.connect_to_host(ADDRESS, 81) is OK
    assert transports[0].closed and not transports[1].closed
    assert client.get_status() is S.CONNECTING
    assert client.get_response_code() == 0 and not client.has_response()
    assert client.get_response_body_length() == -1


# -- request ------------------------------------------------------------------------------------
@pytest.mark.parametrize("method,url,ok", [
    (Method.GET, "index.html", False), (Method.GET, "", False), (Method.GET, "*", False),
    (Method.GET, "ftp://x/", False), (Method.GET, "HTTP://x/", False),
    (Method.GET, "/", True), (Method.GET, "http://example.com/", True),
    (Method.GET, "https://example.com/", True),
    (Method.OPTIONS, "*", True), (Method.OPTIONS, "x", False),
    (Method.CONNECT, "example.com:443", True), (Method.CONNECT, "example.com", False),
    (Method.CONNECT, ":443", False), (Method.CONNECT, "example.com:", False)])
def test_request_url_forms(method: Method, url: str, ok: bool) -> None:
    client, transport = connected()
    result = client.request(method, url, [])
    if ok:
        assert result is OK and client.get_status() is S.REQUESTING
    else:
        assert result is ERR_INVALID_PARAMETER
        assert client.get_status() is S.CONNECTED and repr(url) in client.error_message
        client.poll()
        assert transport.sent == b""


def test_request_outside_connected_is_invalid_parameter_and_changes_nothing() -> None:
    client, transport = connected([b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n"])
    assert client.request(Method.GET, "/a", []) is OK
    assert client.request(Method.GET, "/b", []) is ERR_INVALID_PARAMETER  # REQUESTING
    assert "REQUESTING" in client.error_message
    client.poll()
    assert client.get_status() is S.BODY
    sent = bytes(transport.sent)
    assert client.request(Method.GET, "/c", []) is ERR_INVALID_PARAMETER  # BODY
    assert "BODY" in client.error_message and client.get_status() is S.BODY
    assert client.get_response_code() == 200 and bytes(transport.sent) == sent
    assert sent.count(b"GET ") == 1


@pytest.mark.parametrize("header", ["", "   ", "NoColon", ":x", " :x"])
def test_malformed_request_header_is_invalid_parameter(header: str) -> None:
    client, _t = connected()
    assert client.request(Method.GET, "/", ["Good: 1", header]) is ERR_INVALID_PARAMETER
    assert "index 1" in client.error_message
    assert client.get_status() is S.CONNECTED


@pytest.mark.parametrize("method", [-1, 9, 100])
def test_method_outside_0_to_8_is_invalid_parameter(method: int) -> None:
    client, _t = connected()
    assert client.request(method, "/", []) is ERR_INVALID_PARAMETER
    assert str(method) in client.error_message and client.get_status() is S.CONNECTED


def test_successful_request_sets_requesting_and_writes_nothing_until_poll() -> None:
    client, transport = connected()
    assert client.request(Method.GET, "/", []) is OK
    assert client.get_status() is S.REQUESTING
    assert transport.sent == b""
    client.poll()
    assert transport.sent.startswith(b"GET / HTTP/1.1\r\n")


def test_request_line_then_user_headers_in_order_then_auto_headers() -> None:
    wire = sent_request(Method.PUT, "/a/b?c=d", ["X-First: 1", "x-second: Two", "Zeta: z"],
                        port=8080)
    assert wire == (b"PUT /a/b?c=d HTTP/1.1\r\nX-First: 1\r\nx-second: Two\r\nZeta: z\r\n"
                    b"Host: example.com:8080\r\n" + UA.encode() + b"\r\nAccept: */*\r\n\r\n")


def test_request_header_spacing_is_normalised_by_h11() -> None:
    """Godot sends header strings unstripped; h11 writes ``name: value`` (documented here so a
    change is noticed)."""
    wire = sent_request(Method.GET, "/", ["X-Tight:v", "  X-Loose:  w  "])
    assert b"\r\nX-Tight: v\r\nX-Loose: w\r\n" in wire


@pytest.mark.parametrize("user,name", [
    ("host: other.test", b"host"), ("USER-AGENT: me", b"user-agent"),
    ("accept: text/html", b"accept"), ("Content-Length: 3", b"content-length")])
def test_auto_headers_are_omitted_when_the_user_sent_them(user: str, name: bytes) -> None:
    wire = sent_request(Method.POST, "/", [user], body="abc")
    lines = wire.split(b"\r\n\r\n")[0].split(b"\r\n")
    assert lines[1] == user.encode(), "the caller's header comes first, as given"
    assert [ln.split(b":")[0].lower() for ln in lines].count(name) == 1


def test_accept_language_does_not_suppress_accept() -> None:
    wire = sent_request(Method.GET, "/", ["Accept-Language: fr"])
    assert b"\r\nAccept-Language: fr\r\n" in wire and b"\r\nAccept: */*\r\n" in wire


@pytest.mark.parametrize("host,port,tls,expected", [
    ("example.com", 80, False, b"Host: example.com\r\n"),
    ("example.com", 8080, False, b"Host: example.com:8080\r\n"),
    ("example.com", 443, False, b"Host: example.com:443\r\n"),
    ("example.com", 443, True, b"Host: example.com\r\n"),
    ("example.com", 80, True, b"Host: example.com:80\r\n"),
    ("example.com", 8443, True, b"Host: example.com:8443\r\n"),
    ("::1", 8080, False, b"Host: [::1]:8080\r\n"),
    ("[::1]", 80, False, b"Host: [::1]\r\n"),
])
def test_host_header_omits_the_default_port_only(host: str, port: int, tls: bool,
                                                 expected: bytes) -> None:
    wire = sent_request(Method.GET, "/", [], host=host, port=port,
                        tls=TLSOptions.client_unsafe() if tls else None)
    assert expected in wire


def test_content_length_only_for_non_empty_bodies_in_utf8_bytes() -> None:
    wire = sent_request(Method.POST, "/", [], body="héllo €")
    assert b"\r\nContent-Length: 10\r\n" in wire and wire.endswith("héllo €".encode())
    empty = sent_request(Method.POST, "/", [])
    assert b"Content-Length" not in empty and empty.endswith(b"\r\n\r\n")


def test_get_with_a_body_sends_the_body() -> None:
    wire = sent_request(Method.GET, "/", [], body="q=1")
    assert wire.endswith(b"\r\nContent-Length: 3\r\n" + UA.encode()
                         + b"\r\nAccept: */*\r\n\r\nq=1")


def test_request_raw_sends_bytes_unencoded() -> None:
    client, transport = connected()
    assert client.request_raw(Method.POST, "/", [], b"\x00\xff\x80") is OK
    client.poll()
    assert transport.sent.endswith(b"\r\nContent-Length: 3\r\n" + UA.encode()
                                   + b"\r\nAccept: */*\r\n\r\n\x00\xff\x80")


def test_http_proxy_uses_an_absolute_target_and_connects_to_the_proxy() -> None:
    client, transport = scripted_client()
    client.set_http_proxy("proxy.test", 3128)
    client.connect_to_host("example.com", 80)
    client.poll()
    client.poll()
    client.request(Method.GET, "/x?y=1", [])
    client.poll()
    assert transport.opened == [("proxy.test", 3128)]
    assert transport.sent.startswith(b"GET http://example.com:80/x?y=1 HTTP/1.1\r\n"
                                     b"Host: example.com\r\n")


# -- response head ------------------------------------------------------------------------------
def test_head_terminated_by_bare_lf_is_accepted() -> None:
    out, _c, _t = exchange([b"HTTP/1.1 200 OK\nContent-Length: 2\nX: y\n\nhi"])
    assert out.final is S.CONNECTED and out.body == b"hi" and out.headers == ["Content-Length: 2",
                                                                               "X: y"]


def test_response_code_is_the_number_in_the_status_line() -> None:
    out, client, _t = exchange([b"HTTP/1.1 418 I'm a teapot\r\nContent-Length: 0\r\n\r\n"])
    assert out.code == 418 and client.get_response_reason() == "I'm a teapot"


@pytest.mark.parametrize("head,after", [
    (b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", S.BODY),
    (b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n", S.BODY),
    (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", S.BODY),
    (b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n", S.BODY),
])
def test_status_after_head_with_framing_or_close_is_body(head: bytes, after: Status) -> None:
    client, _t = connected([head])
    client.request(Method.GET, "/", [])
    client.poll()
    assert client.get_status() is after


def test_rfc9112_6_3_rule_8_head_without_framing_is_a_close_delimited_body() -> None:
    """Godot goes to CONNECTED for a head with neither Content-Length nor chunked (keep-alive),
    leaving the body unread.  RFC 9112 §6.3 rule 8 (and h11): the body runs until the server
    closes; the client reads it all, then ends DISCONNECTED.  Not listed in the README; it is
    the same principle as divergences 2 and 3 (never a silently truncated response)."""
    out, client, _t = exchange([b"HTTP/1.1 200 OK\r\nX: y\r\n\r\n", b"all ", b"of it", EOF])
    assert out.statuses == [S.REQUESTING, S.BODY, S.DISCONNECTED]
    assert out.body == b"all of it" and client.get_response_body_length() == -1


def test_divergence_1_head_response_has_no_body_and_one_read_ends_it() -> None:
    """HEAD: BODY with length 0 whatever Content-Length says; one empty read → CONNECTED."""
    client, _t = connected([b"HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n"])
    client.request(Method.HEAD, "/", [])
    client.poll()
    assert client.get_status() is S.BODY
    assert client.get_response_body_length() == 0
    assert client.read_response_body_chunk() == b""
    assert client.get_status() is S.CONNECTED


@pytest.mark.parametrize("code", [204, 304])
def test_divergence_1_204_and_304_have_no_body_whatever_their_headers_say(code: int) -> None:
    """Godot waits for Content-Length bytes after a 304; RFC 9112 §6.3 rule 1: no body."""
    out, client, _t = exchange(
        [f"HTTP/1.1 {code} X\r\nContent-Length: 10\r\n\r\n".encode(), WOULD_BLOCK])
    assert out.final is S.CONNECTED and out.body == b"" and client.get_response_code() == code
    assert client.get_response_body_length() == 0


def test_divergence_1_interim_1xx_responses_are_not_the_response() -> None:
    """Godot reports a 1xx as *the* response; RFC 9110 §15.2: interim, the final one counts."""
    out, client, _t = exchange([b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\n"
                                b"Link: </a.css>\r\n\r\nHTTP/1.1 201 Created\r\n"
                                b"Content-Length: 2\r\n\r\nok"])
    assert out.code == 201 and out.body == b"ok" and out.headers == ["Content-Length: 2"]
    assert client.get_interim_responses() == [100, 103]


def test_divergence_4_transfer_coding_names_are_case_insensitive() -> None:
    """Godot treats ``Transfer-Encoding: Chunked`` as not chunked; RFC 9112 §7: coding names
    are case-insensitive."""
    out, client, _t = exchange([b"HTTP/1.1 200 OK\r\nTransfer-Encoding: Chunked\r\n\r\n"
                                b"3\r\nabc\r\n0\r\n\r\n"])
    assert client.is_response_chunked() and out.body == b"abc" and out.final is S.CONNECTED


def test_divergence_7_has_response_stays_true_after_reading_headers() -> None:
    """Godot clears the headers when read, so has_response() turns false; httpexplore keeps
    them until the next request."""
    client, _t = connected([b"HTTP/1.1 200 OK\r\nA: 1\r\nContent-Length: 0\r\n\r\n"])
    client.request(Method.GET, "/", [])
    assert not client.has_response()
    client.poll()
    assert client.has_response()
    assert client.get_response_headers() == ["A: 1", "Content-Length: 0"]
    assert client.has_response()
    client.read_response_body_chunk()
    assert client.get_status() is S.CONNECTED and client.has_response()
    client.request(Method.GET, "/", [])
    assert not client.has_response(), "a new request clears the previous response"


def test_divergence_7_second_get_response_headers_returns_the_same_list() -> None:
    """Godot returns an empty list the second time."""
    client, _t = connected([b"HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\nContent-Length: 0\r\n\r\n"])
    client.request(Method.GET, "/", [])
    client.poll()
    first = client.get_response_headers()
    assert client.get_response_headers() == first == ["A: 1", "B: 2", "Content-Length: 0"]


def test_headers_dictionary_keeps_case_strips_values_last_one_wins() -> None:
    client, _t = connected([b"HTTP/1.1 200 OK\r\nX-Case: a\r\nSet-Cookie: one\r\n"
                            b"set-cookie:   two  \r\nContent-Length: 0\r\n\r\n"])
    client.request(Method.GET, "/", [])
    client.poll()
    assert client.get_response_headers_as_dictionary() == {
        "X-Case": "a", "Set-Cookie": "one", "set-cookie": "two", "Content-Length": "0"}
    assert client.get_response_headers() == ["X-Case: a", "Set-Cookie: one", "set-cookie: two",
                                              "Content-Length: 0"]
    client2, _t = connected([b"HTTP/1.1 200 OK\r\nA: 1\r\nA: 2\r\nContent-Length: 0\r\n\r\n"])
    client2.request(Method.GET, "/", [])
    client2.poll()
    assert client2.get_response_headers_as_dictionary() == {"A": "2", "Content-Length": "0"}


@pytest.mark.parametrize("step", [EOF, TransportError(FailureKind.IO, "receiving failed: "
                                                      "Connection reset by peer (ECONNRESET)")])
def test_eof_or_socket_error_awaiting_the_head_is_connection_error(step: object) -> None:
    client, _t = connected([b"HTTP/1.1 200", step])
    client.request(Method.GET, "/", [])
    assert client.poll() is OK
    assert client.poll() is E.ERR_CONNECTION_ERROR
    assert client.get_status() is S.CONNECTION_ERROR and client.poll() == 27
    assert client.error_message


# -- body ---------------------------------------------------------------------------------------
def test_read_outside_body_returns_empty_and_changes_nothing() -> None:
    client, _t = connected([b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi"])
    assert client.read_response_body_chunk() == b""
    assert client.get_status() is S.CONNECTED
    client.request(Method.GET, "/", [])
    assert client.read_response_body_chunk() == b""
    assert client.get_status() is S.REQUESTING
    assert HTTPClient(record=False).read_response_body_chunk() == b""


def test_content_length_reads_are_at_most_min_remaining_and_chunk_size() -> None:
    body = bytes(range(256)) * 4 + b"tail"  # 1028 bytes
    pieces = [body[:300], WOULD_BLOCK, body[300:1000], body[1000:]]
    client, _t = connected([b"HTTP/1.1 200 OK\r\nContent-Length: 1028\r\n\r\n", *pieces])
    client.read_chunk_size = 256
    client.request(Method.GET, "/", [])
    client.poll()
    got, sizes, remaining = b"", [], 1028
    while client.get_status() is S.BODY:
        chunk = client.read_response_body_chunk()
        assert len(chunk) <= min(remaining, 256)
        remaining -= len(chunk)
        got += chunk
        sizes.append(len(chunk))
        if remaining:
            assert client.get_status() is S.BODY
    assert got == body and client.get_status() is S.CONNECTED
    assert 0 in sizes, "a read with nothing available returns empty"


def test_divergence_4_chunked_reads_are_not_aligned_to_chunks() -> None:
    """Godot returns exactly one whole chunk per read (even beyond read_chunk_size); here reads
    are capped by read_chunk_size and chunk boundaries are visible in the trace instead."""
    big = b"x" * 1000
    client, _t = connected([b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                            b"3e8\r\n" + big + b"\r\n3\r\nabc\r\n0\r\n\r\n"])
    client.read_chunk_size = 256
    client.request(Method.GET, "/", [])
    out = tutorial(client)
    assert out.body == big + b"abc"
    assert max(out.reads) <= 256 and len(out.reads) >= 4


def test_divergence_4_trailers_are_kept() -> None:
    """Godot discards trailers; httpexplore keeps them (get_response_trailers)."""
    out, client, _t = exchange([b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
                                b"Trailer: X-Sum\r\n\r\n4\r\ndata\r\n0\r\nX-Sum: 42\r\n"
                                b"X-More: yes\r\n\r\n"])
    assert out.final is S.CONNECTED and out.body == b"data"
    assert client.get_response_trailers() == ["X-Sum: 42", "X-More: yes"]
    assert "X-Sum: 42" not in client.get_response_headers()


def test_divergence_4_chunk_extensions_are_accepted() -> None:
    """Godot fails on ``1a;x=y``; RFC 9112 §7.1.1 allows chunk extensions."""
    out, _c, _t = exchange([b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                            b"1a;x=y\r\nabcdefghijklmnopqrstuvwxyz\r\n0;last\r\n\r\n"])
    assert out.final is S.CONNECTED and out.body == b"abcdefghijklmnopqrstuvwxyz"


def test_non_hex_chunk_size_is_connection_error() -> None:
    out, _c, _t = exchange([b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                            b"1g\r\nx\r\n0\r\n\r\n"])
    assert out.final is S.CONNECTION_ERROR and "chunk" in out.message


def test_divergence_4_chunk_over_16_mib_is_streamed() -> None:
    """Godot refuses a chunk over 16 MiB because it buffers whole chunks; RFC 9112 §7.1 sets
    no limit, and httpexplore streams chunk data in read_chunk_size pieces."""
    size = 16 * 1024 * 1024 + 1
    data = b"z" * size
    out, _c, _t = exchange([b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                            + f"{size:x}\r\n".encode(), data, b"\r\n0\r\n\r\n"])
    assert out.final is S.CONNECTED and len(out.body) == size and out.body == data
    assert max(out.reads) <= 65536


def test_close_delimited_body_ends_disconnected_with_the_last_bytes() -> None:
    client, transport = connected([b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n",
                                   b"abc", WOULD_BLOCK, b"def", EOF])
    client.request(Method.GET, "/", [])
    out = tutorial(client)
    assert out.body == b"abcdef" and out.final is S.DISCONNECTED and transport.closed
    assert client.get_response_body_length() == -1


def test_divergence_2_content_length_body_cut_short_is_connection_error() -> None:
    """Godot ends DISCONNECTED (looks complete); RFC 9112 §8: incomplete, say so."""
    out, _c, _t = exchange([b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n", b"1234", EOF])
    assert out.final is S.CONNECTION_ERROR and out.body == b"1234"
    assert "4 body bytes of the 10 announced by Content-Length" in out.message


def test_divergence_2_chunked_body_without_last_chunk_is_connection_error() -> None:
    out, _c, _t = exchange([b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                            b"4\r\nabcd\r\n", EOF])
    assert out.final is S.CONNECTION_ERROR and out.body == b"abcd"
    assert "4 body bytes arrived" in out.message


def test_body_length_is_minus_one_for_chunked_and_close_delimited() -> None:
    for head in (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
                 b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n"):
        client, _t = connected([head])
        client.request(Method.GET, "/", [])
        client.poll()
        assert client.get_status() is S.BODY and client.get_response_body_length() == -1
    client, _t = connected([b"HTTP/1.1 200 OK\r\nContent-Length: 7\r\n\r\n"])
    client.request(Method.GET, "/", [])
    client.poll()
    assert client.get_response_body_length() == 7 and not client.is_response_chunked()


@pytest.mark.parametrize("response,body", [
    (b"HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\nhello world", b"hello world"),
    (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n"
     b"0\r\n\r\n", b"hello world"),
    (b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nhello world", b"hello world"),
])
def test_tutorial_loop_reassembles_the_exact_body(response: bytes, body: bytes) -> None:
    out, _c, _t = exchange([response[:40], WOULD_BLOCK, response[40:], EOF])
    assert out.body == body and out.final in (S.CONNECTED, S.DISCONNECTED)


# -- keep-alive / close / blocking --------------------------------------------------------------
def test_keep_alive_second_request_on_the_same_connection() -> None:
    client, transport = connected([b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\na", AFTER_SEND,
                                   b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nb"])
    for letter in (b"a", b"b"):
        assert client.request(Method.GET, "/" + letter.decode(), []) is OK
        out = tutorial(client)
        assert out.body == letter and out.final is S.CONNECTED
    assert transport.opened == [("example.com", 80)] and not transport.closed
    assert transport.sent.count(b"GET /") == 2
    assert client.connection_count == 1 and client.request_count == 2


def test_idle_keep_alive_closed_is_connection_error_and_no_reconnect() -> None:
    # The server closes later (WOULD_BLOCK first): an EOF already readable when the body ends
    # gives DISCONNECTED instead.
    client, transport = connected([b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\na", WOULD_BLOCK,
                                   EOF])
    client.request(Method.GET, "/", [])
    tutorial(client)
    assert client.poll() is E.ERR_CONNECTION_ERROR
    assert client.get_status() is S.CONNECTION_ERROR
    assert client.poll() is E.ERR_CONNECTION_ERROR
    assert transport.opened == [("example.com", 80)], "no automatic reconnect"


def test_close_resets_and_keeps_proxy_settings() -> None:
    client, transport = scripted_client([b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n"])
    client.set_http_proxy("proxy.test", 3128)
    client.connect_to_host("example.com", 80)
    client.poll()
    client.poll()
    client.request(Method.GET, "/", [])
    client.poll()
    assert client.get_response_code() == 200
    client.close()
    assert client.get_status() is S.DISCONNECTED
    assert client.get_response_code() == 0 and client.get_response_body_length() == -1
    client.connect_to_host("example.com", 80)
    assert transport.opened == [("proxy.test", 3128)] * 2


def test_blocking_mode_one_poll_from_requesting_to_body() -> None:
    client, _t = connected([WOULD_BLOCK, WOULD_BLOCK, b"HTTP/1.1 204 No Content\r\n\r\n"])
    client.blocking_mode_enabled = True
    client.request(Method.GET, "/", [])
    assert client.poll() is OK and client.get_status() is S.CONNECTED


# -- README divergences not on Godot's checklist ---------------------------------------------------
@pytest.mark.parametrize("head", [b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2",
                                  b"HTTP/1.0 200 OK\r\nContent-Length: 2",
                                  b"HTTP/1.0 200 OK"])
def test_divergence_3_connection_close_and_http10_end_disconnected(head: bytes) -> None:
    """Godot keeps the socket after a Content-Length body even with ``Connection: close``."""
    tail = [EOF] if b"Length" not in head else [WOULD_BLOCK]
    out, client, transport = exchange([head + b"\r\n\r\nhi", *tail])
    assert out.body == b"hi" and out.final is S.DISCONNECTED and transport.closed
    assert client.poll() is E.ERR_UNCONFIGURED


@pytest.mark.parametrize("header", ["Connection: close", "connection: keep-alive, Close"])
def test_divergence_3_request_with_connection_close_ends_disconnected(header: str) -> None:
    """RFC 9112 §9.6: a client that sends ``close`` must close after the response and send
    nothing more on that connection (Godot ignores its own request headers)."""
    out, client, transport = exchange([b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"],
                                      headers=[header])
    assert out.body == b"ok" and out.final is S.DISCONNECTED and transport.closed
    assert client.request(Method.GET, "/", []) is ERR_INVALID_PARAMETER


def test_divergence_5_bytes_while_idle_are_not_a_response() -> None:
    """Data arriving with no request outstanding closes the connection (RFC 9112 §9.3)."""
    client, transport = connected([b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"])
    assert client.poll() is E.ERR_CONNECTION_ERROR
    assert client.get_status() is S.CONNECTION_ERROR and transport.closed
    assert not client.has_response() and client.get_response_code() == 0
    assert "while no request was outstanding" in client.error_message


def test_divergence_5_bytes_after_a_complete_response_close_the_connection() -> None:
    out, client, transport = exchange(
        [b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n"
         b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nextra"])
    # The response is handed out whole; then the bytes behind it end the connection.
    assert out.body == b"ok" and out.final is S.CONNECTION_ERROR and transport.closed
    assert "RFC 9112 §9.3.2" in out.message and "connect_to_host() again" in out.message
    assert client.request(Method.GET, "/", []) is ERR_INVALID_PARAMETER


# -- query_string_from_dict ---------------------------------------------------------------------
@pytest.mark.parametrize("fields,expected", [
    ({"username": "user", "password": "pass"}, "username=user&password=pass"),
    ({"single": 123, "not_valued": None, "multiple": [22, 33, 44]},
     "single=123&not_valued&multiple=22&multiple=33&multiple=44"),
    ({"a b": "c d", "é": "~-._", "x": "a/b?c=d&e"}, "a%20b=c%20d&%C3%A9=~-._&x=a%2Fb%3Fc%3Dd%26e"),
    ({"k": "\u00ff"}, "k=%C3%BF"),
    ({"t": True, "f": False, "empty": [], "z": 1.5}, "t=true&f=false&z=1.5"),
    ({}, ""),
])
def test_query_string_from_dict(fields: dict[str, object], expected: str) -> None:
    assert HTTPClient.query_string_from_dict(fields) == expected
    assert HTTPClient(record=False).query_string_from_dict(fields) == expected


# -- proxy --------------------------------------------------------------------------------------
@pytest.mark.parametrize("host,port", [("", 8080), ("proxy.test", -1)])
def test_set_http_proxy_with_empty_host_or_port_minus_one_unsets_it(host: str,
                                                                     port: int) -> None:
    client, transport = scripted_client()
    client.set_http_proxy("proxy.test", 3128)
    client.set_http_proxy(host, port)
    client.set_https_proxy("proxy.test", 3128)
    client.set_https_proxy(host, port)
    client.connect_to_host("example.com", 80)
    client.connect_to_host("https://example.com")
    assert transport.opened == [("example.com", 80), ("example.com", 443)]


def test_https_proxy_non_200_to_connect_is_cant_connect() -> None:
    client, _t = scripted_client([b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n"])
    client.set_https_proxy("proxy.test", 3128)
    client.connect_to_host("https://example.com")
    client.poll()
    assert client.poll() is E.ERR_CANT_CONNECT and client.get_status() is S.CANT_CONNECT
    assert "403" in client.error_message


def test_driver_smoke() -> None:
    """The Driver helper logs (op, result, status) — guard against it silently dropping steps."""
    client, _t = scripted_client()
    d = Driver(client)
    d.connect()
    d.poll()
    assert d.steps == [("connect", OK, S.CONNECTING), ("poll", OK, S.CONNECTED)]
