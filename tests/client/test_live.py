"""The scripted scenarios again over real loopback sockets: plain, TLS (certificates made at test
time with trustme), refused ports, IPv4/IPv6 literals, an HTTP proxy and an HTTPS CONNECT proxy
(tiny ones written here), blocking mode, read/connect timeouts, keep-alive reuse, and
``Connection: close`` / HTTP/1.0 endings.  Servers are :class:`clientkit.LoopbackServer`
threads that write exact bytes.
"""

from __future__ import annotations

import select
import socket
import time
from pathlib import Path

import pytest
from clientkit import (
    Handler,
    LoopbackServer,
    certs,
    connect_live,
    drain,
    ipv6_loopback_available,
    live_exchange,
    poll_while_idle,
    serving,
    tutorial,
)

from httpexplore import Error, HTTPClient, Method, Status, TLSOptions

S = Status
CHUNKED = (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: text/plain\r\n\r\n"
           b"7\r\nChanges\r\n1;ext=1\r\n \r\na\r\nin 5.0.0:\n\r\n0\r\nX-Trailer: t\r\n\r\n")


def client(**kwargs: object) -> HTTPClient:
    return HTTPClient(record=False, **kwargs)


def free_port() -> int:
    """A loopback port nobody listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# -- plain ----------------------------------------------------------------------------------------
def test_tutorial_flow_over_loopback_by_name() -> None:
    with serving(CHUNKED) as server:
        c = client()
        seen = connect_live(c, "localhost", server.port)
        assert seen[:2] == [S.DISCONNECTED, S.RESOLVING] and seen[-1] is S.CONNECTED
        assert S.CONNECTING in seen
        assert c.peer == ("127.0.0.1", server.port)
        out = live_exchange(c, Method.GET, "/ChangeLog-5.php")
        assert out.statuses == [S.REQUESTING, S.BODY, S.CONNECTED]
        assert out.body == b"Changes in 5.0.0:\n" and out.code == 200
        assert c.is_response_chunked() and c.get_response_body_length() == -1
        assert c.get_response_headers_as_dictionary()["Content-Type"] == "text/plain"
        assert c.get_response_trailers() == ["X-Trailer: t"]
        c.close()
    assert server.requests[0].startswith(b"GET /ChangeLog-5.php HTTP/1.1\r\n"
                                         + f"Host: localhost:{server.port}\r\n".encode())


SCENARIOS = {
    # name: (responses, method, expected statuses, expected body)
    "content_length": ([b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"], Method.GET,
                       [S.REQUESTING, S.BODY, S.CONNECTED], b"hello"),
    "chunked": ([CHUNKED], Method.GET, [S.REQUESTING, S.BODY, S.CONNECTED],
                b"Changes in 5.0.0:\n"),
    "no_content": ([b"HTTP/1.1 204 No Content\r\n\r\n"], Method.GET,
                   [S.REQUESTING, S.CONNECTED], b""),
    "head": ([b"HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\n"], Method.HEAD,
             [S.REQUESTING, S.BODY, S.CONNECTED], b""),
    "connection_close": ([b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok"],
                         Method.GET, [S.REQUESTING, S.BODY, S.DISCONNECTED], b"ok"),
    "http10": ([b"HTTP/1.0 200 OK\r\n\r\nold"], Method.GET,
               [S.REQUESTING, S.BODY, S.DISCONNECTED], b"old"),
    "truncated_body": ([b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nabc"], Method.GET,
                       [S.REQUESTING, S.BODY, S.CONNECTION_ERROR], b"abc"),
    "eof_before_head": ([b"HTTP/1.1 200 OK\r\n"], Method.GET,
                        [S.REQUESTING, S.CONNECTION_ERROR], b""),
}


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_scenario_over_loopback(name: str) -> None:
    responses, method, statuses, body = SCENARIOS[name]
    closes = name in ("http10", "truncated_body", "eof_before_head")
    with serving(*responses, close=closes) as server:
        c = client()
        assert connect_live(c, "127.0.0.1", server.port) == [S.DISCONNECTED, S.CONNECTING,
                                                             S.CONNECTED]
        out = live_exchange(c, method)
        assert out.statuses == statuses and out.body == body
        if statuses[-1] is S.CONNECTION_ERROR:
            assert c.poll() is Error.ERR_CONNECTION_ERROR and c.error_message
        elif statuses[-1] is S.DISCONNECTED:
            assert c.poll() is Error.ERR_UNCONFIGURED
        c.close()
    assert server.errors == []


def test_keep_alive_reuses_the_socket() -> None:
    with serving(b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\none",
                 CHUNKED, b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nthree") as server:
        c = client()
        connect_live(c, "127.0.0.1", server.port)
        peer_port = c.peer
        bodies = [live_exchange(c, Method.GET, f"/{i}").body for i in range(3)]
        assert bodies == [b"one", b"Changes in 5.0.0:\n", b"three"]
        assert c.get_status() is S.CONNECTED and c.peer == peer_port
        assert c.connection_count == 1
        c.close()
    assert server.connections == 1, "the server saw one TCP connection"
    assert [r.split(b" ")[1] for r in server.requests] == [b"/0", b"/1", b"/2"]


def test_idle_keep_alive_closed_by_server_then_reconnect() -> None:
    def handler(conn: socket.socket, server: LoopbackServer) -> None:
        if server.read(conn):
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        time.sleep(0.05)  # idle, then the server closes the keep-alive connection

    with LoopbackServer(handler) as server:
        c = client()
        connect_live(c, "127.0.0.1", server.port)
        assert live_exchange(c).body == b"ok"
        result = poll_while_idle(c)
        assert result is Error.ERR_CONNECTION_ERROR and c.get_status() is S.CONNECTION_ERROR
        assert "idle keep-alive" in c.error_message
        assert connect_live(c, "127.0.0.1", server.port)[-1] is S.CONNECTED
        assert live_exchange(c).body == b"ok"
        c.close()
    assert server.connections == 2


def test_refused_port_is_cant_connect() -> None:
    port = free_port()
    c = client()
    seen = connect_live(c, "127.0.0.1", port)
    assert seen[-1] is S.CANT_CONNECT
    assert c.poll() is Error.ERR_CANT_CONNECT and c.error is Error.ERR_CANT_CONNECT
    assert "refused" in c.error_message.lower() and str(port) in c.error_message


def test_refused_by_name_tries_every_address() -> None:
    port = free_port()
    c = client()
    seen = connect_live(c, "localhost", port)
    assert seen[1] is S.RESOLVING and seen[-1] is S.CANT_CONNECT
    assert "tried 127.0.0.1" in c.error_message


@pytest.mark.parametrize("literal", ["::1", "[::1]"])
def test_ipv6_literal(literal: str) -> None:
    if not ipv6_loopback_available():
        # No IPv6 loopback here: the client must fail cleanly, not raise.
        c = client()
        assert connect_live(c, literal, 80)[-1] is S.CANT_CONNECT and c.error_message
        return
    with serving(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nv6", host="::1") as server:
        c = client()
        assert connect_live(c, literal, server.port) == [S.DISCONNECTED, S.CONNECTING,
                                                         S.CONNECTED]
        assert c.peer == ("::1", server.port)
        assert live_exchange(c).body == b"v6"
        c.close()
    assert f"\r\nHost: [::1]:{server.port}\r\n".encode() in server.requests[0]


def test_ipv4_literal_host_header() -> None:
    with serving(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nv4") as server:
        c = client()
        connect_live(c, "127.0.0.1", server.port)
        assert live_exchange(c).body == b"v4"
        c.close()
    assert f"\r\nHost: 127.0.0.1:{server.port}\r\n".encode() in server.requests[0]


# -- TLS ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("chain_kind", ["bytes", "str", "path"])
def test_tls_with_trusted_chain_verifies_and_sends_sni(chain_kind: str,
                                                       tmp_path: Path) -> None:
    kit = certs()
    chain: object = kit.ca_pem
    if chain_kind == "str":
        chain = kit.ca_pem.decode()
    elif chain_kind == "path":
        chain = tmp_path / "ca.pem"
        chain.write_bytes(kit.ca_pem)
    with serving(CHUNKED, tls=kit.context(kit.good)) as server:
        c = client()
        seen = connect_live(c, "localhost", server.port,
                            TLSOptions.client(trusted_chain=chain))
        assert seen[-1] is S.CONNECTED, c.error_message
        out = live_exchange(c, Method.GET, "/secure")
        assert out.body == b"Changes in 5.0.0:\n" and out.final is S.CONNECTED
        c.close()
    assert server.sni == ["localhost"]
    assert server.requests[0].startswith(
        f"GET /secure HTTP/1.1\r\nHost: localhost:{server.port}\r\n".encode())


def test_tls_to_ip_literal_checks_the_ip_san() -> None:
    kit = certs()
    with serving(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nip", tls=kit.context(kit.good)
                 ) as server:
        c = client()
        assert connect_live(c, "127.0.0.1", server.port,
                            TLSOptions.client(trusted_chain=kit.ca_pem))[-1] is S.CONNECTED
        assert live_exchange(c).body == b"ip"
        c.close()
    assert server.sni == [None], "no SNI for an IP address (RFC 6066 §3)"


def test_tls_common_name_override_is_checked_and_sent_as_sni() -> None:
    kit = certs()
    with serving(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\ncn",
                 tls=kit.context(kit.wrong_host)) as server:
        c = client()
        opts = TLSOptions.client(trusted_chain=kit.ca_pem,
                                 common_name_override="wrong.example.test")
        assert connect_live(c, "127.0.0.1", server.port, opts)[-1] is S.CONNECTED
        assert live_exchange(c).body == b"cn"
        c.close()
    assert server.sni == ["wrong.example.test"]


def test_tls_client_unsafe_accepts_an_untrusted_certificate() -> None:
    kit = certs()
    with serving(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
                 tls=kit.context(kit.untrusted)) as server:
        c = client()
        assert connect_live(c, "localhost", server.port,
                            TLSOptions.client_unsafe())[-1] is S.CONNECTED
        assert live_exchange(c).body == b"ok"
        c.close()


def test_https_prefix_verifies_against_the_system_store_by_default() -> None:
    """Verification is on by default: the test CA is not in the system store."""
    kit = certs()
    with LoopbackServer(lambda conn, srv: drain(conn), tls=kit.context(kit.good)) as server:
        c = client()
        seen = connect_live(c, "https://localhost", server.port)
        assert seen[-1] is S.TLS_HANDSHAKE_ERROR
        assert "certificate verification failed" in c.error_message
        assert c.poll() is Error.ERR_CONNECTION_ERROR


# -- proxies --------------------------------------------------------------------------------------
def _relay(a: socket.socket, b: socket.socket) -> None:
    """Copy bytes both ways until either side closes."""
    while True:
        ready, _w, _x = select.select([a, b], [], [], 5)
        if not ready:
            return
        for src in ready:
            dst = b if src is a else a
            try:
                data = src.recv(65536)
            except OSError:
                return
            if not data:
                return
            dst.sendall(data)


def http_proxy(conn: socket.socket, server: LoopbackServer) -> None:
    """A forwarding proxy for absolute-form requests (one per connection)."""
    request = server.read(conn)
    line, _sep, rest = request.partition(b"\r\n")
    method, target, version = line.split(b" ")
    assert target.startswith(b"http://"), target
    authority, _slash, path = target[len(b"http://"):].partition(b"/")
    host, _colon, port = authority.rpartition(b":")
    with socket.create_connection((host.decode(), int(port)), timeout=5) as upstream:
        upstream.sendall(b" ".join([method, b"/" + path, version]) + b"\r\n" + rest)
        _relay(conn, upstream)


def connect_proxy(answer: bytes | None = None) -> Handler:
    """An HTTPS proxy: ``CONNECT host:port`` opens a tunnel (or gets ``answer`` back)."""

    def handler(conn: socket.socket, server: LoopbackServer) -> None:
        head = server.read(conn)
        if answer is not None:
            conn.sendall(answer)
            drain(conn)
            return
        method, authority, _v = head.split(b"\r\n")[0].split(b" ")
        assert method == b"CONNECT"
        host, _colon, port = authority.rpartition(b":")
        with socket.create_connection((host.decode(), int(port)), timeout=5) as upstream:
            conn.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            _relay(conn, upstream)

    return handler


def test_http_proxy_gets_absolute_form_and_forwards() -> None:
    with serving(b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 7\r\n\r\nproxied",
                 close=True) as origin, LoopbackServer(http_proxy) as proxy:
        c = client()
        c.set_http_proxy("127.0.0.1", proxy.port)
        assert connect_live(c, "localhost", origin.port)[-1] is S.CONNECTED
        assert c.peer == ("127.0.0.1", proxy.port)
        out = live_exchange(c, Method.GET, "/via?x=1")
        assert out.body == b"proxied" and out.final is S.DISCONNECTED
    assert proxy.requests[0].startswith(
        f"GET http://localhost:{origin.port}/via?x=1 HTTP/1.1\r\n"
        f"Host: localhost:{origin.port}\r\n".encode())
    assert origin.requests[0].startswith(b"GET /via?x=1 HTTP/1.1\r\n")
    assert proxy.errors == [] and origin.errors == []


def test_https_connect_proxy_tunnels_tls_end_to_end() -> None:
    kit = certs()
    with serving(CHUNKED, tls=kit.context(kit.good)) as origin, \
            LoopbackServer(connect_proxy()) as proxy:
        c = client()
        c.set_https_proxy("127.0.0.1", proxy.port)
        opts = TLSOptions.client(trusted_chain=kit.ca_pem)
        assert connect_live(c, "localhost", origin.port, opts)[-1] is S.CONNECTED, \
            c.error_message
        out = live_exchange(c, Method.GET, "/tunnelled")
        assert out.body == b"Changes in 5.0.0:\n"
        c.close()
    assert proxy.requests[0].startswith(
        f"CONNECT localhost:{origin.port} HTTP/1.1\r\nHost: localhost:{origin.port}\r\n".encode())
    assert origin.sni == ["localhost"]
    assert origin.requests[0].startswith(b"GET /tunnelled HTTP/1.1\r\n")
    assert proxy.errors == []


def test_https_proxy_answering_407_is_cant_connect() -> None:
    answer = (b"HTTP/1.1 407 Proxy Authentication Required\r\n"
              b"Proxy-Authenticate: Basic realm=\"x\"\r\nContent-Length: 0\r\n\r\n")
    with LoopbackServer(connect_proxy(answer)) as proxy:
        c = client()
        c.set_https_proxy("127.0.0.1", proxy.port)
        seen = connect_live(c, "https://localhost", 4443)
        assert seen[-1] is S.CANT_CONNECT
        assert c.poll() is Error.ERR_CANT_CONNECT
        assert "407 Proxy Authentication Required" in c.error_message


def test_https_proxy_that_never_answers_hits_connect_timeout() -> None:
    with LoopbackServer(lambda conn, srv: drain(conn)) as proxy:
        c = client(connect_timeout=0.2)
        c.set_https_proxy("127.0.0.1", proxy.port)
        started = time.monotonic()
        seen = connect_live(c, "https://localhost", 4443)
        assert seen[-1] is S.CANT_CONNECT and time.monotonic() - started >= 0.2
        assert "connect_timeout: gave up after 0.2 s" in c.error_message


# -- blocking mode and timeouts ---------------------------------------------------------------
def silent(conn: socket.socket, server: LoopbackServer) -> None:
    """Read the request, then say nothing until the client closes."""
    server.read(conn)
    drain(conn)


def _slow(parts: list[bytes], gap: float) -> Handler:
    def handler(conn: socket.socket, server: LoopbackServer) -> None:
        if server.read(conn):
            for part in parts:
                time.sleep(gap)
                conn.sendall(part)
        drain(conn)
    return handler


def test_blocking_mode_one_poll_and_full_blocks() -> None:
    body = bytes(range(256)) * 12  # 3072 bytes, sent in 5 slow pieces
    wire = b"HTTP/1.1 200 OK\r\nContent-Length: 3072\r\n\r\n" + body
    parts = [wire[:10], wire[10:700], wire[700:1500], wire[1500:2900], wire[2900:]]
    with LoopbackServer(_slow(parts, 0.02)) as server:
        c = client()
        connect_live(c, "127.0.0.1", server.port)
        c.blocking_mode_enabled = True
        c.read_chunk_size = 1024
        assert c.request(Method.GET, "/", []) is Error.OK
        assert c.poll() is Error.OK
        assert c.get_status() is S.BODY, "one poll: REQUESTING → BODY"
        sizes = []
        got = b""
        while c.get_status() is S.BODY:
            chunk = c.read_response_body_chunk()
            sizes.append(len(chunk))
            got += chunk
        assert got == body and sizes == [1024, 1024, 1024]
        assert c.get_status() is S.CONNECTED
        c.close()


def test_blocking_mode_chunked_reads_are_full_blocks() -> None:
    chunks = b"".join(b"%x\r\n%s\r\n" % (n, b"c" * n) for n in (100, 700, 300, 900))
    wire = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + chunks + b"0\r\n\r\n"
    parts = [wire[i:i + 333] for i in range(0, len(wire), 333)]
    with LoopbackServer(_slow(parts, 0.01)) as server:
        c = client()
        connect_live(c, "127.0.0.1", server.port)
        c.blocking_mode_enabled = True
        c.read_chunk_size = 512
        c.request(Method.GET, "/", [])
        c.poll()
        sizes = []
        while c.get_status() is S.BODY:
            sizes.append(len(c.read_response_body_chunk()))
        assert sum(sizes) == 2000 and sizes[:3] == [512, 512, 512]
        c.close()


def test_read_timeout_while_waiting_for_the_head() -> None:
    with LoopbackServer(silent) as server:
        c = client(read_timeout=0.2)
        connect_live(c, "127.0.0.1", server.port)
        started = time.monotonic()
        out = live_exchange(c, deadline=5)
        assert out.final is S.CONNECTION_ERROR and time.monotonic() - started >= 0.2
        assert "read_timeout: no byte arrived for 0.2 s while waiting for the response head" in (
            out.message)


def test_read_timeout_in_the_middle_of_the_body() -> None:
    with LoopbackServer(_slow([b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"], 0)
                        ) as server:
        c = client(read_timeout=0.2)
        connect_live(c, "127.0.0.1", server.port)
        out = live_exchange(c, deadline=5)
        assert out.final is S.CONNECTION_ERROR and out.body == b"abc"
        assert "read_timeout" in out.message and "more of the body" in out.message


def test_read_timeout_in_blocking_mode() -> None:
    with LoopbackServer(silent) as server:
        c = client(read_timeout=0.2)
        connect_live(c, "127.0.0.1", server.port)
        c.blocking_mode_enabled = True
        c.request(Method.GET, "/", [])
        started = time.monotonic()
        assert c.poll() is Error.ERR_CONNECTION_ERROR
        assert time.monotonic() - started >= 0.19  # it waited (pytest's timeout bounds it)
        assert "read_timeout" in c.error_message


def test_connect_timeout_during_a_tls_handshake_that_never_comes() -> None:
    with LoopbackServer(lambda conn, srv: drain(conn)) as server:
        c = client(connect_timeout=0.2)
        started = time.monotonic()
        seen = connect_live(c, "127.0.0.1", server.port, TLSOptions.client_unsafe())
        assert seen[-1] is S.CANT_CONNECT and time.monotonic() - started >= 0.2
        assert c.poll() is Error.ERR_CANT_CONNECT
        assert "connect_timeout: gave up after 0.2 s while connecting" in c.error_message


def test_get_with_body_and_request_raw_reach_the_server_exactly() -> None:
    with serving(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
                 b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n") as server:
        c = client()
        connect_live(c, "127.0.0.1", server.port)
        assert live_exchange(c, Method.GET, "/q", ["X-A: 1"], body="é=1").final is S.CONNECTED
        assert c.request_raw(Method.PUT, "/raw", [], b"\x00\x01") is Error.OK
        assert tutorial(c, deadline=5).final is S.CONNECTED
        c.close()
    assert server.requests == [
        b"GET /q HTTP/1.1\r\nX-A: 1\r\nHost: 127.0.0.1:%d\r\nContent-Length: 4\r\n"
        b"User-Agent: httpexplore/0.1.0\r\nAccept: */*\r\n\r\n\xc3\xa9=1" % server.port,
        b"PUT /raw HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nContent-Length: 2\r\n"
        b"User-Agent: httpexplore/0.1.0\r\nAccept: */*\r\n\r\n\x00\x01" % server.port]
