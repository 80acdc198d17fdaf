"""Starting and stopping: one line to start, a clean stop with nothing left behind."""

from __future__ import annotations

import http.client
import socket
import threading
import time

import psutil
import pytest

from httpexplore.demo import DemoServer


def demo_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("httpexplore-demo")]


def sockets_on(port: int) -> list[object]:
    """This process's sockets on ``port``.  Other tests' threads may open or close unrelated
    descriptors at any time, so a bare descriptor count would be flaky."""
    return [c for c in psutil.Process().net_connections(kind="inet")
            if c.laddr and c.laddr.port == port]


def test_one_line_start_and_repr() -> None:
    srv = DemoServer()
    assert repr(srv) == "<DemoServer http not started>"
    assert srv.start() is srv
    try:
        assert repr(srv) == "<DemoServer http running>"
        assert srv.host == "127.0.0.1" and srv.port > 0 and not srv.tls
        assert srv.url == f"http://127.0.0.1:{srv.port}"
        assert srv.start() is srv  # starting twice is harmless
    finally:
        srv.stop()
    assert repr(srv) == "<DemoServer http stopped>"


def test_context_manager_and_idempotent_stop() -> None:
    with DemoServer() as srv:
        assert srv.running
        conn = http.client.HTTPConnection(srv.host, srv.port, timeout=5)
        conn.request("GET", "/status/200")
        assert conn.getresponse().status == 200
        conn.close()
    assert not srv.running
    srv.stop()
    srv.stop()
    with pytest.raises(RuntimeError, match="cannot be restarted"):
        srv.start()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((srv.host, srv.port), timeout=2).close()


def test_stop_leaves_no_threads_or_fds_even_mid_request() -> None:
    before = set(demo_threads())  # other tests' servers may still be winding down
    srv = DemoServer(silence_timeout=30).start()
    clients = []
    for path in ["/malformed/silence", "/delay/10", "/drip?bytes=100&pieces=100&delay=0.1",
                 "/chunked?chunks=100&delay=0.1", "/bytes/268435456"]:
        sock = socket.create_connection((srv.host, srv.port), timeout=5)
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        clients.append(sock)
    idle = socket.create_connection((srv.host, srv.port), timeout=5)  # keep-alive, no request
    clients.append(idle)
    deadline = time.monotonic() + 5
    while srv.connections < len(clients) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert srv.connections == len(clients)
    ours = set(demo_threads()) - before
    assert len(ours) == len(clients) + 1  # and the accept thread
    start = time.monotonic()
    srv.stop()
    assert time.monotonic() - start < 3
    port = srv.port
    for sock in clients:
        sock.close()
    # Only what this server owned is checked: the rest of the process (other tests' threads and
    # descriptors) may change meanwhile, which made whole-process counts flaky.
    assert not ours & set(demo_threads())
    assert sockets_on(port) == []


def test_stopping_a_server_that_never_started() -> None:
    srv = DemoServer()
    srv.stop()
    assert repr(srv) == "<DemoServer http stopped>"


def test_bind_failure_raises_and_leaks_nothing() -> None:
    with DemoServer() as first:
        sockets_before, threads_before = sockets_on(first.port), set(threading.enumerate())
        assert len(sockets_before) == 1  # the first server's listener
        second = DemoServer(port=first.port)
        with pytest.raises(OSError):
            second.start()
        assert sockets_on(first.port) == sockets_before
        assert set(threading.enumerate()) <= threads_before  # no thread left behind


def test_ipv6_loopback() -> None:
    if not socket.has_ipv6:
        pytest.fail("this machine has no IPv6 support; the test needs ::1")
    with DemoServer(host="::1") as srv:
        assert srv.url == f"http://[::1]:{srv.port}"
        conn = http.client.HTTPConnection("::1", srv.port, timeout=5)
        conn.request("GET", "/bytes/2?kind=text")
        assert conn.getresponse().read() == b"00"
        conn.close()


def test_connection_cap_answers_503() -> None:
    with DemoServer(max_connections=2) as srv:
        held = [socket.create_connection((srv.host, srv.port), timeout=5) for _ in range(2)]
        try:
            deadline = time.monotonic() + 5
            while srv.connections < 2 and time.monotonic() < deadline:
                time.sleep(0.01)
            extra = socket.create_connection((srv.host, srv.port), timeout=5)
            data = b""
            while chunk := extra.recv(4096):
                data += chunk
            extra.close()
            assert data.startswith(b"HTTP/1.1 503 Service Unavailable\r\n")
            assert data.endswith(b"too many connections; try again\n")
            # the held connections still work
            held[0].sendall(b"GET /status/200 HTTP/1.1\r\nHost: x\r\n\r\n")
            assert held[0].recv(4096).startswith(b"HTTP/1.1 200 OK")
        finally:
            for sock in held:
                sock.close()


def test_invalid_arguments() -> None:
    with pytest.raises(ValueError, match="cert must be one of"):
        DemoServer(tls=True, cert="bogus")
    with pytest.raises(ValueError, match="only makes sense with tls=True"):
        DemoServer(cert="expired")


def test_send_date_option() -> None:
    with DemoServer(send_date=True) as srv:
        conn = http.client.HTTPConnection(srv.host, srv.port, timeout=5)
        conn.request("GET", "/status/200")
        response = conn.getresponse()
        assert response.getheader("Date", "").endswith(" GMT")
        conn.close()
    with DemoServer() as srv:
        conn = http.client.HTTPConnection(srv.host, srv.port, timeout=5)
        conn.request("GET", "/status/200")
        assert conn.getresponse().getheader("Date") is None
        conn.close()
