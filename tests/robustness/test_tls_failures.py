"""TLS failures end in TLS_HANDSHAKE_ERROR (that poll returns ERR_CANT_CONNECT, later polls
ERR_CONNECTION_ERROR) with a message naming the reason: expired, self-signed, wrong host,
unknown CA, a server that speaks plain HTTP, a server that hangs up mid-handshake, and a
trusted_chain that cannot be loaded.  Certificates are generated at test time (trustme).
"""

from __future__ import annotations

import socket

import pytest
from clientkit import LoopbackServer, certs, drain

from httpexplore import Error, HTTPClient, Status, TLSOptions

S = Status


def handshake(port: int, tls: TLSOptions, host: str = "localhost"
              ) -> tuple[HTTPClient, list[Error]]:
    c = HTTPClient(record=False, connect_timeout=10)
    assert c.connect_to_host(host, port, tls) is Error.OK
    results: list[Error] = []
    for _ in range(100_000):
        if c.get_status() not in (S.RESOLVING, S.CONNECTING):
            break
        results.append(c.poll())
    return c, results


def assert_tls_failure(c: HTTPClient, results: list[Error], *reason: str) -> None:
    assert c.get_status() is S.TLS_HANDSHAKE_ERROR, (c.get_status(), c.error_message)
    assert results[-1] is Error.ERR_CANT_CONNECT and set(results[:-1]) <= {Error.OK}
    assert c.poll() is Error.ERR_CONNECTION_ERROR
    assert c.error is Error.ERR_CANT_CONNECT
    for word in reason:
        assert word in c.error_message, c.error_message


@pytest.mark.parametrize("leaf,host,reason", [
    ("expired", "localhost", ("certificate verification failed", "expired")),
    ("self_signed", "localhost", ("certificate verification failed", "self-signed")),
    ("wrong_host", "localhost", ("certificate verification failed", "Hostname mismatch")),
    ("wrong_host", "127.0.0.1", ("certificate verification failed", "IP address mismatch")),
    ("untrusted", "localhost", ("certificate verification failed",
                                "unable to get local issuer certificate")),
])
def test_certificate_problems(leaf: str, host: str, reason: tuple[str, ...]) -> None:
    kit = certs()
    with LoopbackServer(lambda conn, srv: drain(conn),
                        tls=kit.context(getattr(kit, leaf))) as server:
        c, results = handshake(server.port, TLSOptions.client(trusted_chain=kit.ca_pem), host)
        assert_tls_failure(c, results, *reason)
    assert len(server.tls_errors) == 1, "the server saw the client abort the handshake"


def test_client_unsafe_skips_the_checks_that_fail_above() -> None:
    kit = certs()
    for leaf in ("expired", "self_signed", "wrong_host", "untrusted"):
        with LoopbackServer(lambda conn, srv: drain(conn),
                            tls=kit.context(getattr(kit, leaf))) as server:
            c, _results = handshake(server.port, TLSOptions.client_unsafe())
            assert c.get_status() is S.CONNECTED, (leaf, c.error_message)
            c.close()


def test_plain_http_server_answering_a_tls_client() -> None:
    def handler(conn: socket.socket, server: LoopbackServer) -> None:
        conn.recv(4096)  # the ClientHello, read as if it were a request
        conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close"
                     b"\r\n\r\n")

    with LoopbackServer(handler) as server:
        c, results = handshake(server.port, TLSOptions.client_unsafe())
        assert_tls_failure(c, results, "did not answer with TLS", "plain HTTP")


def test_server_hanging_up_during_the_handshake() -> None:
    def handler(conn: socket.socket, server: LoopbackServer) -> None:
        conn.recv(10)

    with LoopbackServer(handler) as server:
        c, results = handshake(server.port, TLSOptions.client_unsafe())
        assert c.get_status() is S.TLS_HANDSHAKE_ERROR
        assert results[-1] is Error.ERR_CANT_CONNECT
        assert c.error_message.startswith(("TLS error", "the connection failed during the TLS"))


@pytest.mark.parametrize("chain", ["/nonexistent/ca.pem", "-----BEGIN CERTIFICATE-----\nnot\n",
                                   b"\xff\xfe not ascii"])
def test_unloadable_trusted_chain_is_a_tls_handshake_error(chain: str | bytes) -> None:
    with LoopbackServer(lambda conn, srv: drain(conn)) as server:
        c, results = handshake(server.port, TLSOptions.client(trusted_chain=chain))
        assert_tls_failure(c, results, "the trusted_chain could not be loaded")
