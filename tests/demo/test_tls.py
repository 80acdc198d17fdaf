"""HTTPS: the exposed CA verifies the server; each broken certificate fails in stdlib ssl."""

from __future__ import annotations

import http.client
import os
import socket
import ssl
import sys
import threading
from collections.abc import Iterator

import pytest

from httpexplore.demo import DemoServer


def client_context(ca_pem: bytes | None) -> ssl.SSLContext:
    context = ssl.create_default_context()
    if ca_pem is not None:
        context.load_verify_locations(cadata=ca_pem.decode("ascii"))
    return context


@pytest.fixture(scope="module")
def tls_server() -> Iterator[DemoServer]:
    with DemoServer(tls=True) as srv:
        yield srv


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_https_verifies_with_exposed_ca(tls_server: DemoServer, host: str) -> None:
    assert tls_server.url == f"https://127.0.0.1:{tls_server.port}"
    assert tls_server.ca_pem is not None and tls_server.ca_pem.startswith(b"-----BEGIN CERT")
    conn = http.client.HTTPSConnection(host, tls_server.port, timeout=5,
                                       context=client_context(tls_server.ca_pem))
    try:
        for _ in range(3):  # keep-alive works over TLS too
            conn.request("GET", "/bytes/5?kind=text")
            response = conn.getresponse()
            assert response.read() == b"00000"
        assert conn.sock.version() in ("TLSv1.2", "TLSv1.3")
        assert conn.sock.selected_alpn_protocol() in (None, "http/1.1")
    finally:
        conn.close()


def test_https_on_ipv6_loopback_verifies() -> None:
    with DemoServer(tls=True, host="::1") as srv:
        assert srv.url == f"https://[::1]:{srv.port}"
        conn = http.client.HTTPSConnection("::1", srv.port, timeout=5,
                                           context=client_context(srv.ca_pem))
        try:
            conn.request("GET", "/status/200")
            assert conn.getresponse().status == 200
        finally:
            conn.close()


def test_ca_path_is_a_pem_file_with_the_ca(tls_server: DemoServer) -> None:
    assert tls_server.ca_path is not None
    with open(tls_server.ca_path, "rb") as file:
        assert file.read() == tls_server.ca_pem
    context = ssl.create_default_context(cafile=tls_server.ca_path)
    with socket.create_connection(("127.0.0.1", tls_server.port), timeout=5) as raw_sock, \
            context.wrap_socket(raw_sock, server_hostname="127.0.0.1") as sock:
        sock.sendall(b"GET /close HTTP/1.1\r\nHost: x\r\n\r\n")
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    # close-delimited over TLS ends with close_notify, so the read ends cleanly.
    assert data.endswith(b"by seeing the close.\n")


def test_https_fails_without_the_ca(tls_server: DemoServer) -> None:
    context = ssl.create_default_context()
    with socket.create_connection(("127.0.0.1", tls_server.port), timeout=5) as sock, \
            pytest.raises(ssl.SSLCertVerificationError, match="unable to get local issuer"):
        context.wrap_socket(sock, server_hostname="127.0.0.1")


@pytest.mark.parametrize(("cert", "message"), [
    ("expired", "certificate has expired"),
    ("wrong-host", "IP address mismatch"),
    ("unknown-ca", "unable to get local issuer certificate"),
    ("self-signed", "self.signed certificate"),
])
def test_broken_certificates_fail_verification(cert: str, message: str) -> None:
    with DemoServer(tls=True, cert=cert) as srv:
        assert repr(srv) == f"<DemoServer https ({cert} cert) running>"
        context = client_context(srv.ca_pem)
        with socket.create_connection(("127.0.0.1", srv.port), timeout=5) as sock, \
                pytest.raises(ssl.SSLCertVerificationError, match=message):
            context.wrap_socket(sock, server_hostname="127.0.0.1")
        # The server survives the failed handshake and still serves an unverifying client.
        unsafe = ssl.create_default_context()
        unsafe.check_hostname, unsafe.verify_mode = False, ssl.CERT_NONE
        conn = http.client.HTTPSConnection("127.0.0.1", srv.port, timeout=5, context=unsafe)
        conn.request("GET", "/status/204")
        assert conn.getresponse().status == 204
        conn.close()


def test_wrong_host_fails_for_localhost_name_too() -> None:
    with DemoServer(tls=True, cert="wrong-host") as srv:
        context = client_context(srv.ca_pem)
        with socket.create_connection(("127.0.0.1", srv.port), timeout=5) as sock, \
                pytest.raises(ssl.SSLCertVerificationError, match="Hostname mismatch"):
            context.wrap_socket(sock, server_hostname="localhost")


def test_ca_file_removed_and_threads_gone_after_stop() -> None:
    def demo_threads() -> set[threading.Thread]:
        return {t for t in threading.enumerate() if t.name.startswith("httpexplore-demo")}

    threads_before = demo_threads()
    srv = DemoServer(tls=True).start()
    path = srv.ca_path
    assert path is not None and os.path.exists(path)
    conn = http.client.HTTPSConnection("127.0.0.1", srv.port, timeout=5,
                                       context=client_context(srv.ca_pem))
    conn.request("GET", "/delay/0")
    conn.getresponse().read()
    srv.stop()
    conn.close()
    assert not os.path.exists(path)
    assert demo_threads() == threads_before


def test_plain_http_to_https_port_is_dropped(tls_server: DemoServer) -> None:
    with socket.create_connection(("127.0.0.1", tls_server.port), timeout=5) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        try:
            data = sock.recv(100)
        except ConnectionResetError:
            data = b""
    assert not data.startswith(b"HTTP/")


def test_tls_without_trustme_gives_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "trustme", None)  # makes "import trustme" fail
    srv = DemoServer(tls=True)
    with pytest.raises(ImportError, match=r"pip install 'httpexplore\[demo\]'"):
        srv.start()
    assert not srv.running
