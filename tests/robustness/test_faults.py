"""Connection faults (issue #7): refused, reset (TCP RST via SO_LINGER 0) before, during and after
the head and mid-body, a silent server (with and without read_timeout), an idle keep-alive
connection closed or reset by the server, bytes arriving while no request is outstanding, and
send failures.  Each ends in a clear terminal status with a plain-language message; ``poll()``
never raises; without a timeout, polling a silent server stays prompt.
"""

from __future__ import annotations

import socket
import time

import pytest
from clientkit import (
    Handler,
    LoopbackServer,
    RecordingTransport,
    connect_live,
    drain,
    exchange,
    live_exchange,
    poll_while_idle,
    reset_close,
    tutorial,
)

from httpexplore import Error, HTTPClient, Method, Status
from httpexplore.errors import FailureKind, TransportError
from httpexplore.transport import WOULD_BLOCK, SocketTransport

S = Status
RESET_WORDS = ("ECONNRESET", "closed the connection")


def client(**kwargs: float | None) -> HTTPClient:
    return HTTPClient(record=False, **kwargs)


def reset_after(payload: bytes) -> Handler:
    def handler(conn: socket.socket, server: LoopbackServer) -> None:
        if server.read(conn):
            if payload:
                conn.sendall(payload)
                time.sleep(0.05)  # let the bytes leave before the RST
            reset_close(conn)
    return handler


@pytest.mark.parametrize("payload,body_sent", [
    (b"", b""),
    (b"HTTP/1.1 200 OK\r\nContent-Le", b""),
    (b"HTTP/1.1 200 OK\r\nContent-Length: 4096\r\n\r\n" + b"x" * 1024, b"x" * 1024),
    (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n400\r\n" + b"y" * 512, b"y" * 512),
], ids=["before_head", "during_head", "mid_body_length", "mid_body_chunked"])
def test_reset_by_peer(payload: bytes, body_sent: bytes) -> None:
    with LoopbackServer(reset_after(payload)) as server:
        c = client()
        assert connect_live(c, "127.0.0.1", server.port)[-1] is S.CONNECTED
        out = live_exchange(c, deadline=10)
        assert out.final is S.CONNECTION_ERROR, out
        assert S.CONNECTED not in out.statuses and S.DISCONNECTED not in out.statuses
        assert any(word in out.message for word in RESET_WORDS), out.message
        # A kernel may drop unread bytes when the RST arrives: what was handed out is a prefix.
        assert body_sent.startswith(out.body)
        assert c.poll() is Error.ERR_CONNECTION_ERROR
        c.close()
    assert server.errors == []


def test_refused_connection_is_cant_connect() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    c = client()
    assert connect_live(c, "127.0.0.1", port)[-1] is S.CANT_CONNECT
    assert c.error is Error.ERR_CANT_CONNECT and "ECONNREFUSED" in c.error_message


def silent(conn: socket.socket, server: LoopbackServer) -> None:
    server.read(conn)
    drain(conn)


class NeverWaits(SocketTransport):
    """A real transport whose only blocking call, ``wait``, fails the test if used: polling
    in non-blocking mode must never block (checked structurally, not with a clock)."""

    def wait(self, *, read: bool, write: bool, timeout: float | None) -> bool:
        raise AssertionError("a non-blocking poll() called the blocking wait()")


def test_silent_server_without_timeout_keeps_polls_prompt() -> None:
    with LoopbackServer(silent) as server:
        c = HTTPClient(record=False, transport_factory=NeverWaits)
        connect_live(c, "127.0.0.1", server.port)
        c.request(Method.GET, "/", [])
        results = {c.poll() for _ in range(1000)}
        assert results == {Error.OK} and c.get_status() is S.REQUESTING
        c.close()


def test_silent_server_mid_body_keeps_polls_and_reads_prompt() -> None:
    def handler(conn: socket.socket, server: LoopbackServer) -> None:
        server.read(conn)
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nsome")
        drain(conn)

    with LoopbackServer(handler) as server:
        c = HTTPClient(record=False, transport_factory=NeverWaits)
        connect_live(c, "127.0.0.1", server.port)
        c.request(Method.GET, "/", [])
        end = time.monotonic() + 5
        while c.get_status() is S.REQUESTING:
            assert time.monotonic() < end
            c.poll()
        got = b""
        for _ in range(1000):
            c.poll()
            got += c.read_response_body_chunk()
        assert got == b"some" and c.get_status() is S.BODY
        c.close()


def test_silent_server_with_read_timeout_gives_a_clear_status() -> None:
    with LoopbackServer(silent) as server:
        c = client(read_timeout=0.15)
        connect_live(c, "127.0.0.1", server.port)
        out = live_exchange(c, deadline=5)
        assert out.final is S.CONNECTION_ERROR and out.error is Error.ERR_CONNECTION_ERROR
        assert out.message.startswith("read_timeout: no byte arrived for 0.15 s")
        assert "0 bytes of response so far" in out.message


def test_idle_keep_alive_reset_by_server_then_reconnect() -> None:
    def handler(conn: socket.socket, server: LoopbackServer) -> None:
        if server.read(conn):
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
            time.sleep(0.05)
            reset_close(conn)

    with LoopbackServer(handler) as server:
        c = client()
        for _round in range(2):
            assert connect_live(c, "127.0.0.1", server.port)[-1] is S.CONNECTED
            assert live_exchange(c).body == b"ok"
            poll_while_idle(c)
            assert c.get_status() is S.CONNECTION_ERROR
            assert ("ECONNRESET" in c.error_message or "idle keep-alive" in c.error_message)
        c.close()
    assert server.connections == 2


def test_bytes_before_any_request_are_not_a_response() -> None:
    def handler(conn: socket.socket, server: LoopbackServer) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
        drain(conn)

    with LoopbackServer(handler) as server:
        c = client()
        connect_live(c, "127.0.0.1", server.port)
        poll_while_idle(c)
        assert c.get_status() is S.CONNECTION_ERROR
        assert "arrived while no request was outstanding" in c.error_message
        assert not c.has_response() and c.get_response_code() == 0
        assert c.request(Method.GET, "/", []) is Error.ERR_INVALID_PARAMETER


def test_bytes_after_a_complete_response_while_idle_close_the_connection() -> None:
    def handler(conn: socket.socket, server: LoopbackServer) -> None:
        server.read(conn)
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        time.sleep(0.1)
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nsneaky")
        drain(conn)

    with LoopbackServer(handler) as server:
        c = client()
        connect_live(c, "127.0.0.1", server.port)
        assert live_exchange(c).body == b"ok"
        poll_while_idle(c)
        assert c.get_status() is S.CONNECTION_ERROR
        extra = len(b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nsneaky")
        assert f"{extra} bytes arrived while no request was outstanding" in c.error_message
        assert c.get_response_code() == 200, "the completed response stays readable"


class FailingSend(RecordingTransport):
    def send(self, data: bytes | memoryview) -> int:
        raise TransportError(FailureKind.IO, "sending failed: Broken pipe (EPIPE)")


def test_send_failure_is_connection_error() -> None:
    transport = FailingSend()
    c = HTTPClient(record=False, transport_factory=lambda: transport)
    c.connect_to_host("192.0.2.1", 80)
    c.poll()
    c.request(Method.POST, "/", [], "data")
    assert c.poll() is Error.ERR_CONNECTION_ERROR
    assert c.get_status() is S.CONNECTION_ERROR and "EPIPE" in c.error_message
    assert transport.closed


class Trickle(RecordingTransport):
    """Accepts 7 bytes, then would block, alternately."""

    calls = 0

    def send(self, data: bytes | memoryview) -> int:
        self.calls += 1
        return 0 if self.calls % 2 == 0 else super().send(data[:7])


def test_partial_sends_are_finished_by_later_polls() -> None:
    transport = Trickle([WOULD_BLOCK, b"HTTP/1.1 204 No Content\r\n\r\n"])
    c = HTTPClient(record=False, transport_factory=lambda: transport)
    c.connect_to_host("192.0.2.1", 80)
    c.poll()
    c.request(Method.POST, "/", [], "x" * 50)
    polls = 0
    while c.get_status() is S.REQUESTING:
        assert c.poll() is Error.OK
        polls += 1
        assert polls < 100
    assert c.get_status() is S.CONNECTED and transport.sent.endswith(b"x" * 50)
    assert transport.sent.startswith(b"POST / HTTP/1.1\r\n")
    assert polls >= len(transport.sent) // 7, "7 bytes per poll: the rest waits for later polls"


def test_server_closing_while_a_large_request_is_sent() -> None:
    def handler(conn: socket.socket, server: LoopbackServer) -> None:
        conn.recv(1024)
        reset_close(conn)

    with LoopbackServer(handler) as server:
        c = client()
        connect_live(c, "127.0.0.1", server.port)
        c.request_raw(Method.PUT, "/", [], b"z" * (8 * 1024 * 1024))
        out = tutorial(c, deadline=10, nap=0.0005)
        assert out.final is S.CONNECTION_ERROR
        assert any(w in out.message for w in ("sending failed", "receiving failed",
                                              "closed the connection")), out.message
        c.close()


def test_transport_error_mid_body_scripted() -> None:
    out, _c, _t = exchange([b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc",
                           TransportError(FailureKind.IO, "receiving failed: Connection reset "
                                          "by peer (ECONNRESET)")])
    assert out.final is S.CONNECTION_ERROR and out.body == b"abc"
    assert "ECONNRESET" in out.message and "3 body bytes had arrived" in out.message
