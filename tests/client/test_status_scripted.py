"""Exact per-call status sequences against the scripted transport, one scenario per path of the
status table (``httpexplore.status.TRANSITIONS``), including every error exit.

Each step is ``(operation, returned value, status after)``; the return codes are Godot's
(``core/io/http_client_tcp.cpp``): e.g. the poll that fails a TLS handshake returns
``ERR_CANT_CONNECT`` and later polls ``ERR_CONNECTION_ERROR``; a DISCONNECTED poll returns
``ERR_UNCONFIGURED``.  Every scenario also records the table edges the client actually took
(by wrapping ``next_status``), and the last test checks that the scenarios cover the table.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest
from clientkit import ADDRESS, Driver, scripted_client

import httpexplore.driver as client_module  # (the poll loop moved to driver.py)
from httpexplore import Error, Method, Status, TLSOptions
from httpexplore.errors import FailureKind, TransportError
from httpexplore.status import TRANSITIONS, Input
from httpexplore.transport import EOF, WOULD_BLOCK

S, E, In = Status, Error, Input
OK = E.OK
Edge = tuple[Status, Input]

#: Edges each scenario below must take (checked in the scenario, unioned in the last test).
COVERS: dict[str, set[Edge]] = {}


def covers(*edges: Edge) -> Callable[[Callable[..., None]], Callable[..., None]]:
    def mark(fn: Callable[..., None]) -> Callable[..., None]:
        COVERS[fn.__name__] = set(edges)
        return fn
    return mark


@pytest.fixture
def edges(monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> Iterator[list[Edge]]:
    """Record every (status, input) the client hands to ``next_status``; on teardown check
    that the scenario took the edges it claims to cover."""
    taken: list[Edge] = []
    real = client_module.next_status

    def spy(status: Status, what: Input) -> Status:
        taken.append((status, what))
        return real(status, what)

    monkeypatch.setattr(client_module, "next_status", spy)
    yield taken
    claimed = COVERS.get(request.node.originalname, set())
    assert claimed <= set(taken), f"claimed edges not taken: {claimed - set(taken)}"


HEAD_5 = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n"


@covers((S.DISCONNECTED, In.CONNECT_NAME), (S.RESOLVING, In.RESOLVED), (S.CONNECTING, In.READY),
        (S.CONNECTED, In.REQUEST), (S.REQUESTING, In.HEAD_BODY), (S.BODY, In.BODY_DONE))
def test_name_resolves_connects_and_reads_a_content_length_body(edges: list[Edge]) -> None:
    client, transport = scripted_client([WOULD_BLOCK, HEAD_5, WOULD_BLOCK, b"hello"],
                                        resolve_steps=2, connect_steps=2)
    d = Driver(client)
    d.connect("example.com", 80)
    d.poll(4)
    d.request()
    assert transport.sent == b"", "request() must not write; poll() does"
    d.poll(2)
    assert transport.sent.startswith(b"GET / HTTP/1.1\r\n")
    assert d.read() == b""
    assert d.read() == b"hello"
    d.poll()
    assert d.steps == [
        ("connect", OK, S.RESOLVING),
        ("poll", OK, S.RESOLVING),     # lookup still pending
        ("poll", OK, S.CONNECTING),    # resolved: TCP connect started
        ("poll", OK, S.CONNECTING),
        ("poll", OK, S.CONNECTED),
        ("request", OK, S.REQUESTING),
        ("poll", OK, S.REQUESTING),    # request written, nothing received yet
        ("poll", OK, S.BODY),          # head received
        ("read", 0, S.BODY),           # nothing available: empty, not an error
        ("read", 5, S.CONNECTED),      # the read that hands out the last byte ends BODY
        ("poll", OK, S.CONNECTED),     # idle keep-alive connection, still alive
    ]
    assert edges == [(S.DISCONNECTED, In.CONNECT_NAME), (S.RESOLVING, In.RESOLVED),
                     (S.CONNECTING, In.READY), (S.CONNECTED, In.REQUEST),
                     (S.REQUESTING, In.HEAD_BODY), (S.BODY, In.BODY_DONE)]
    assert client.error is OK and client.error_message == ""


@covers((S.DISCONNECTED, In.CONNECT_ADDRESS), (S.REQUESTING, In.HEAD_DONE))
def test_ip_literal_skips_resolving_and_a_bodiless_204_goes_straight_to_connected(
        edges: list[Edge]) -> None:
    client, _t = scripted_client([b"HTTP/1.1 204 No Content\r\nX: y\r\n\r\n"])
    d = Driver(client)
    d.connect(ADDRESS, 8080)
    d.poll()
    d.request(Method.DELETE, "/thing")
    d.poll()
    assert d.steps == [("connect", OK, S.CONNECTING), ("poll", OK, S.CONNECTED),
                       ("request", OK, S.REQUESTING), ("poll", OK, S.CONNECTED)]
    assert client.has_response() and client.get_response_code() == 204
    assert client.get_response_body_length() == 0
    assert client.get_response_headers() == ["X: y"]


@covers((S.REQUESTING, In.HEAD_DONE_CLOSE))
def test_bodiless_response_with_connection_close_ends_disconnected(edges: list[Edge]) -> None:
    client, transport = scripted_client(
        [b"HTTP/1.1 304 Not Modified\r\nConnection: close\r\n\r\n"])
    d = Driver(client)
    d.connect()
    d.poll()
    d.request()
    d.poll(2)
    assert d.steps[-2:] == [("poll", OK, S.DISCONNECTED), ("poll", E.ERR_UNCONFIGURED,
                                                           S.DISCONNECTED)]
    assert transport.closed
    assert client.get_response_code() == 304, "the response stays readable after the close"


@covers((S.BODY, In.BODY_DONE_CLOSE))
def test_body_with_connection_close_ends_disconnected_after_the_last_read(
        edges: list[Edge]) -> None:
    client, transport = scripted_client(
        [b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nhi"])
    d = Driver(client)
    d.connect()
    d.poll()
    d.request()
    d.poll(2)
    assert not transport.closed, "still BODY: the bytes have not been handed out"
    d.read()
    d.poll()
    assert d.steps[-4:] == [("poll", OK, S.BODY), ("poll", OK, S.BODY), ("read", 2,
                            S.DISCONNECTED), ("poll", E.ERR_UNCONFIGURED, S.DISCONNECTED)]
    assert transport.closed


@covers((S.RESOLVING, In.RESOLVE_FAILED))
def test_resolution_failure_is_cant_resolve_with_err_cant_resolve_on_every_poll(
        edges: list[Edge]) -> None:
    fail = TransportError(FailureKind.RESOLVE, "could not resolve the host name 'nope.invalid'")
    client, transport = scripted_client(fail=fail)
    d = Driver(client)
    d.connect("nope.invalid", 80)
    d.poll(3)
    assert d.steps == [("connect", OK, S.RESOLVING),
                       ("poll", E.ERR_CANT_RESOLVE, S.CANT_RESOLVE),
                       ("poll", E.ERR_CANT_RESOLVE, S.CANT_RESOLVE),
                       ("poll", E.ERR_CANT_RESOLVE, S.CANT_RESOLVE)]
    assert client.error is E.ERR_CANT_RESOLVE
    assert client.error_message == fail.message
    assert transport.closed


@covers((S.CONNECTING, In.CONNECT_FAILED))
def test_connect_failure_is_cant_connect_with_err_cant_connect_on_every_poll(
        edges: list[Edge]) -> None:
    fail = TransportError(FailureKind.CONNECT, "could not connect: Connection refused")
    client, transport = scripted_client(fail=fail, connect_steps=2)
    d = Driver(client)
    d.connect("example.com", 80)
    d.poll(4)
    assert d.steps == [("connect", OK, S.RESOLVING), ("poll", OK, S.CONNECTING),
                       ("poll", OK, S.CONNECTING),
                       ("poll", E.ERR_CANT_CONNECT, S.CANT_CONNECT),
                       ("poll", E.ERR_CANT_CONNECT, S.CANT_CONNECT)]
    assert client.error_message == fail.message and transport.closed
    assert client.request(Method.GET, "/", []) is E.ERR_INVALID_PARAMETER
    assert "CANT_CONNECT" in client.error_message


@covers((S.RESOLVING, In.CONNECT_FAILED))
def test_connect_timeout_while_resolving_is_cant_connect(edges: list[Edge]) -> None:
    client, _t = scripted_client(resolve_steps=10**9, connect_timeout=0.001)
    d = Driver(client)
    d.connect("slow.example", 80)
    time.sleep(0.01)
    d.poll(2)
    assert d.steps == [("connect", OK, S.RESOLVING),
                       ("poll", E.ERR_CANT_CONNECT, S.CANT_CONNECT),
                       ("poll", E.ERR_CANT_CONNECT, S.CANT_CONNECT)]
    assert "connect_timeout" in client.error_message
    assert "resolving" in client.error_message


def test_connect_timeout_while_connecting_is_cant_connect(edges: list[Edge]) -> None:
    client, _t = scripted_client(connect_steps=10**9, connect_timeout=0.001)
    d = Driver(client)
    d.connect(ADDRESS, 80)
    d.poll()
    time.sleep(0.01)
    d.poll()
    assert d.steps == [("connect", OK, S.CONNECTING), ("poll", OK, S.CONNECTING),
                       ("poll", E.ERR_CANT_CONNECT, S.CANT_CONNECT)]
    assert "connect_timeout" in client.error_message and "connecting" in client.error_message
    assert (S.CONNECTING, In.CONNECT_FAILED) in edges


@covers((S.CONNECTING, In.TLS_FAILED))
def test_tls_failure_returns_cant_connect_once_then_connection_error(edges: list[Edge]) -> None:
    fail = TransportError(FailureKind.TLS, "certificate verification failed: self-signed")
    client, transport = scripted_client(fail=fail, handshake_steps=2)
    d = Driver(client)
    d.connect(ADDRESS, 443, TLSOptions.client_unsafe())
    d.poll(4)
    assert d.steps == [("connect", OK, S.CONNECTING),
                       ("poll", OK, S.CONNECTING),    # TCP up, handshake started
                       ("poll", OK, S.CONNECTING),    # handshake in progress
                       ("poll", E.ERR_CANT_CONNECT, S.TLS_HANDSHAKE_ERROR),
                       ("poll", E.ERR_CONNECTION_ERROR, S.TLS_HANDSHAKE_ERROR)]
    assert transport.tls_started == 1 and transport.closed
    assert client.error is E.ERR_CANT_CONNECT and client.error_message == fail.message


def test_tls_handshake_runs_inside_connecting_with_sni_and_override(edges: list[Edge]) -> None:
    client, transport = scripted_client(handshake_steps=3)
    d = Driver(client)
    d.connect("https://example.com", -1)
    d.poll(5)
    assert [s[2] for s in d.steps] == [S.RESOLVING, S.CONNECTING, S.CONNECTING, S.CONNECTING,
                                       S.CONNECTING, S.CONNECTED]
    assert client.port == 443 and client.tls_enabled
    assert transport.server_hostname == "example.com"
    client2, transport2 = scripted_client()
    client2.connect_to_host(ADDRESS, 8443, TLSOptions.client(common_name_override="cn.test"))
    client2.poll()
    client2.poll()
    assert client2.get_status() is S.CONNECTED
    assert transport2.server_hostname == "cn.test"


@covers((S.REQUESTING, In.BROKEN))
def test_eof_before_the_head_is_connection_error(edges: list[Edge]) -> None:
    client, transport = scripted_client([WOULD_BLOCK, b"HTTP/1.1 200 O", EOF])
    d = Driver(client)
    d.connect()
    d.poll()
    d.request()
    d.poll(4)
    assert d.steps[-4:] == [("poll", OK, S.REQUESTING), ("poll", OK, S.REQUESTING),
                            ("poll", E.ERR_CONNECTION_ERROR, S.CONNECTION_ERROR),
                            ("poll", E.ERR_CONNECTION_ERROR, S.CONNECTION_ERROR)]
    assert "closed the connection before a complete response head" in client.error_message
    assert "14 bytes" in client.error_message
    assert not client.has_response() and transport.closed


@covers((S.BODY, In.BROKEN))
def test_truncated_body_hands_out_what_arrived_then_connection_error(edges: list[Edge]) -> None:
    client, _t = scripted_client([HEAD_5, b"hel", EOF])
    d = Driver(client)
    d.connect()
    d.poll()
    d.request()
    d.poll()
    assert d.read() == b"hel"
    d.read()
    d.poll()
    assert d.steps[-4:] == [("poll", OK, S.BODY), ("read", 3, S.BODY),
                            ("read", 0, S.CONNECTION_ERROR),
                            ("poll", E.ERR_CONNECTION_ERROR, S.CONNECTION_ERROR)]
    assert "3 body bytes of the 5 announced" in client.error_message


@covers((S.CONNECTED, In.BROKEN))
def test_idle_keep_alive_closed_by_server_is_connection_error(edges: list[Edge]) -> None:
    # The first WOULD_BLOCK is the look behind the complete body (nothing there yet).
    client, _t = scripted_client([HEAD_5 + b"hello", WOULD_BLOCK, WOULD_BLOCK, EOF])
    d = Driver(client)
    d.connect()
    d.poll()
    d.request()
    d.poll()
    d.read()
    d.poll(3)
    assert d.steps[-4:] == [("read", 5, S.CONNECTED), ("poll", OK, S.CONNECTED),
                            ("poll", E.ERR_CONNECTION_ERROR, S.CONNECTION_ERROR),
                            ("poll", E.ERR_CONNECTION_ERROR, S.CONNECTION_ERROR)]
    assert "idle keep-alive" in client.error_message


def test_interim_1xx_keeps_requesting_until_the_final_head(edges: list[Edge]) -> None:
    client, _t = scripted_client([b"HTTP/1.1 100 Continue\r\n\r\n", WOULD_BLOCK,
                                  b"HTTP/1.1 103 Early Hints\r\nLink: </s>\r\n\r\n",
                                  HEAD_5 + b"hello"])
    d = Driver(client)
    d.connect()
    d.poll()
    d.request(Method.POST, "/upload", body="x")
    d.poll(4)
    assert [s[2] for s in d.steps[-4:]] == [S.REQUESTING, S.REQUESTING, S.REQUESTING, S.BODY]
    assert client.get_interim_responses() == [100, 103]
    assert client.get_response_code() == 200
    assert (S.REQUESTING, In.HEAD_BODY) in edges


@pytest.mark.parametrize("target", [
    S.DISCONNECTED, S.RESOLVING, S.CONNECTING, S.CANT_RESOLVE, S.CANT_CONNECT,
    S.TLS_HANDSHAKE_ERROR, S.CONNECTED, S.REQUESTING, S.BODY, S.CONNECTION_ERROR])
def test_close_from_every_status_resets_to_disconnected(target: Status,
                                                        edges: list[Edge]) -> None:
    kwargs: dict[str, object] = {}
    incoming: list[object] = []
    if target is S.CANT_RESOLVE:
        kwargs["fail"] = TransportError(FailureKind.RESOLVE, "no such name")
    elif target is S.CANT_CONNECT:
        kwargs["fail"] = TransportError(FailureKind.CONNECT, "refused")
    elif target is S.TLS_HANDSHAKE_ERROR:
        kwargs["fail"] = TransportError(FailureKind.TLS, "bad certificate")
    elif target is S.CONNECTION_ERROR:
        incoming = [EOF]
    elif target is S.BODY:
        incoming = [HEAD_5 + b"he"]
    client, transport = scripted_client(incoming, resolve_steps=2, **kwargs)
    client.set_http_proxy("proxy.test", 3128)
    if target is not S.DISCONNECTED:
        tls = TLSOptions.client_unsafe() if target is S.TLS_HANDSHAKE_ERROR else None
        client.connect_to_host("example.com", 80, tls)
        steps = 0
        while client.get_status() is not target:
            if client.get_status() is S.CONNECTED:
                client.request(Method.GET, "/", [])
            else:
                client.poll()
            steps += 1
            assert steps < 10, client.get_status()
    client.close()
    assert client.get_status() is S.DISCONNECTED
    assert client.error is OK and client.error_message == ""
    assert client.poll() is E.ERR_UNCONFIGURED
    assert client.get_response_code() == 0 and client.get_response_body_length() == -1
    assert not client.has_response() and client.get_response_headers() == []
    assert client.read_response_body_chunk() == b""
    if target is not S.DISCONNECTED:
        assert transport.closed
        assert edges[-1] == (target, In.CLOSE)
        # close() keeps host, port and proxy settings (Godot does too): a reconnect uses them.
        client.connect_to_host("example.com", 80)
        assert transport.opened[-1] == ("proxy.test", 3128)
    else:
        assert TRANSITIONS[(S.DISCONNECTED, In.CLOSE)] is S.DISCONNECTED


def test_https_proxy_tunnel_runs_inside_connecting(edges: list[Edge]) -> None:
    client, transport = scripted_client(
        [b"HTTP/1.1 200 Connection established\r\n\r\n", WOULD_BLOCK])
    client.set_https_proxy("proxy.test", 3128)
    d = Driver(client)
    d.connect("https://example.com")
    d.poll(4)
    assert d.steps == [("connect", OK, S.RESOLVING), ("poll", OK, S.CONNECTING),
                       ("poll", OK, S.CONNECTING),   # TCP up: CONNECT sent, 200 read, TLS on
                       ("poll", OK, S.CONNECTED),    # handshake done
                       ("poll", OK, S.CONNECTED)]
    assert transport.opened == [("proxy.test", 3128)]
    assert transport.sent.startswith(
        b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n")
    assert transport.server_hostname == "example.com" and transport.tls_started == 1


def test_https_proxy_refusing_the_tunnel_is_cant_connect(edges: list[Edge]) -> None:
    client, transport = scripted_client(
        [b"HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n"])
    client.set_https_proxy("proxy.test", 3128)
    d = Driver(client)
    d.connect("https://example.com")
    d.poll(3)
    assert d.steps == [("connect", OK, S.RESOLVING), ("poll", OK, S.CONNECTING),
                       ("poll", E.ERR_CANT_CONNECT, S.CANT_CONNECT),
                       ("poll", E.ERR_CANT_CONNECT, S.CANT_CONNECT)]
    assert "407" in client.error_message and "refused the tunnel" in client.error_message
    assert transport.tls_started == 0 and transport.closed
    assert (S.CONNECTING, In.CONNECT_FAILED) in edges


def test_https_proxy_closing_instead_of_answering_is_cant_connect(edges: list[Edge]) -> None:
    client, _t = scripted_client([EOF])
    client.set_https_proxy("proxy.test", 3128)
    client.connect_to_host("https://example.com")
    client.poll()
    assert client.poll() is E.ERR_CANT_CONNECT
    assert client.get_status() is S.CANT_CONNECT
    assert "proxy closed the connection instead of answering CONNECT" in client.error_message


def test_blocking_mode_moves_requesting_to_body_in_one_poll(edges: list[Edge]) -> None:
    client, _t = scripted_client([WOULD_BLOCK, b"HTTP/1.1 200 OK\r\n", WOULD_BLOCK,
                                  b"Content-Length: 3\r\n\r\n", WOULD_BLOCK, b"a", b"bc"])
    client.blocking_mode_enabled = True
    d = Driver(client)
    d.connect()
    d.poll()
    d.request()
    d.poll()
    assert d.steps[-1] == ("poll", OK, S.BODY)
    assert d.read() == b"abc", "blocking reads return the full min(remaining, chunk) block"
    assert d.steps[-1] == ("read", 3, S.CONNECTED)


def test_the_scenarios_cover_every_edge_of_the_status_table() -> None:
    claimed: set[Edge] = set().union(*COVERS.values())
    # close() is exercised from every status by the parametrized test above (it asserts the
    # edge it took); DISCONNECTED + close() is a no-op the client does not even report.
    claimed |= {(s, In.CLOSE) for s in S}
    assert claimed == set(TRANSITIONS), f"uncovered: {set(TRANSITIONS) - claimed}"


def test_blocking_reads_join_pieces_into_full_blocks(edges: list[Edge]) -> None:
    """Godot's blocking reads return full min(remaining, read_chunk_size) blocks, even when the
    bytes arrived in pieces that do not line up with the block size."""
    body = bytes(range(200)) * 4
    client, _t = scripted_client([b"HTTP/1.1 200 OK\r\nContent-Length: 800\r\n\r\n",
                                  body[:200], WOULD_BLOCK, body[200:400], body[400:600],
                                  WOULD_BLOCK, body[600:]])
    client.blocking_mode_enabled = True
    client.read_chunk_size = 256
    d = Driver(client)
    d.connect()
    d.poll()
    d.request()
    d.poll()
    got = b"".join(d.read() for _ in range(4))
    assert got == body
    assert d.steps[-4:] == [("read", 256, S.BODY), ("read", 256, S.BODY), ("read", 256, S.BODY),
                            ("read", 32, S.CONNECTED)]


def test_101_to_an_upgrade_request_is_final_and_closes(edges: list[Edge]) -> None:
    """The connection leaves HTTP after a 101 the caller asked for: the 101 is the response and
    the client closes (instead of waiting in REQUESTING for a head that will never come)."""
    client, transport = scripted_client([b"HTTP/1.1 101 Switching Protocols\r\n"
                                         b"Upgrade: websocket\r\nConnection: Upgrade\r\n\r\n"
                                         b"\x81\x05hello"])
    d = Driver(client)
    d.connect()
    d.poll()
    d.request(headers=["Upgrade: websocket", "Connection: Upgrade"])
    d.poll(2)
    assert d.steps[-2:] == [("poll", OK, S.DISCONNECTED), ("poll", E.ERR_UNCONFIGURED,
                                                           S.DISCONNECTED)]
    assert client.get_response_code() == 101 and client.has_response()
    assert client.get_response_headers() == ["Upgrade: websocket", "Connection: Upgrade"]
    assert transport.closed and edges[-1] == (S.REQUESTING, In.HEAD_DONE_CLOSE)
