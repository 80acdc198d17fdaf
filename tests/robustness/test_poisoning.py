"""Response-queue poisoning (issue #12 item 1, RFC 9112 §9.3.2): bytes that arrive while no
request is outstanding are never taken as a response, whatever ended the previous message
(a counted Content-Length body, chunked, HEAD, 204, 304, a final response after 1xx) and
however the bytes are split in time: in the same write as the end of the response, in a later
write before the next request, or with the end of the body and the start of a status line in
one write and the rest later.  The connection is closed, the bytes are recorded, the status is
CONNECTION_ERROR and the message names RFC 9112 §9.3.2 and says to connect again.

Also issue #13 item 5: a keep-alive connection that the server closed while it was idle is
explained as such (before the next request is written, or when the EOF comes before any byte
of its response).

Each test runs a small raw-socket loopback server whose writes the test orders with events
(no sleeps): a "later" write is made after the client has finished the first response, and the
test waits until the client's socket is readable (the transport's own ``wait``) before it
makes the next request.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable

import pytest
from clientkit import LoopbackServer, connect_live, drain, tutorial

from httpexplore import Error, HTTPClient, Method, Status
from httpexplore.transport import SocketTransport, Transport

S = Status
CE = S.CONNECTION_ERROR
POISON = b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\nX-Poison: yes\r\n\r\nPOISON"
DEADLINE = 10.0  # a hang guard only: every wait below is for an event

#: name -> (request method, the complete first response, its body as handed out)
RESPONSES: dict[str, tuple[Method, bytes, bytes]] = {
    "content-length": (Method.GET, b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
                       b"hello"),
    "chunked": (Method.GET, b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                b"5\r\nhello\r\n0\r\n\r\n", b"hello"),
    "head": (Method.HEAD, b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", b""),
    "204": (Method.GET, b"HTTP/1.1 204 No Content\r\n\r\n", b""),
    "304": (Method.GET, b"HTTP/1.1 304 Not Modified\r\nContent-Length: 5\r\n\r\n", b""),
    "after-1xx": (Method.GET, b"HTTP/1.1 103 Early Hints\r\nLink: </s>\r\n\r\n"
                  b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", b"hello"),
}


class Client:
    """A recording client whose transports the test can wait on (``Transport.wait``)."""

    def __init__(self) -> None:
        self.transports: list[Transport] = []
        self.http = HTTPClient(transport_factory=self._make)

    def _make(self) -> Transport:
        transport = SocketTransport()
        self.transports.append(transport)
        return transport

    def wait_readable(self) -> None:
        """Block until the server's bytes (or its close) have reached the client's socket."""
        assert self.transports[-1].wait(read=True, write=False, timeout=DEADLINE)

    def send_request(self, method: Method, path: str) -> None:
        """request(), then poll until the request is written (the server reads it)."""
        http = self.http
        assert http.request(method, path, []) is Error.OK, http.error_message
        while http.get_status() is S.REQUESTING and not http.trace.cycles[-1].sent_size:
            http.poll()


Script = Callable[[socket.socket, LoopbackServer], None]


def serve(script: Script) -> LoopbackServer:
    return LoopbackServer(script)


def answer_then_poison(response: bytes, go: threading.Event) -> Script:
    """A server script: answer the first request, then send POISON once ``go`` is set."""

    def script(conn: socket.socket, server: LoopbackServer) -> None:
        if server.read(conn):
            conn.sendall(response)
            assert go.wait(DEADLINE)
            conn.sendall(POISON)
        drain(conn)

    return script


def poisoned(client: Client) -> None:
    """The client refused the bytes: CONNECTION_ERROR, the right words, nothing taken."""
    http = client.http
    assert http.get_status() is CE, (http.get_status(), http.error_message)
    assert "RFC 9112 §9.3.2" in http.error_message
    assert "connect_to_host() again" in http.error_message
    assert http.error is Error.ERR_CONNECTION_ERROR
    assert "X-Poison: yes" not in http.get_response_headers()
    assert http.read_response_body_chunk() == b""
    assert http.poll() is Error.ERR_CONNECTION_ERROR
    # Recorded: the bytes as received, labelled unsolicited, and an Unsolicited event.
    trace = http.trace
    unsolicited = b"".join(s.data for s in trace.segments("received")
                           if s.label == "unsolicited")
    assert unsolicited and POISON.startswith(unsolicited), unsolicited
    assert any("Unsolicited" in row.events for row in trace.timeline)


@pytest.mark.parametrize("kind", list(RESPONSES))
def test_poison_in_the_same_write_as_the_response(kind: str) -> None:
    method, response, body = RESPONSES[kind]

    def script(conn: socket.socket, server: LoopbackServer) -> None:
        if server.read(conn):
            conn.sendall(response + POISON)
        drain(conn)

    with serve(script) as server:
        c = Client()
        assert connect_live(c.http, "127.0.0.1", server.port)[-1] is S.CONNECTED
        c.send_request(method, "/one")
        if not c.http.trace.cycles[-1].received_size:  # (the poll that wrote may have read)
            c.wait_readable()
        out = tutorial(c.http)
        assert out.body == body, "the response before the bytes is handed out whole"
        assert out.code == (200 if kind not in ("204", "304") else int(kind))
        poisoned(c)
        assert len(server.requests) == 1, "nothing more was written"


@pytest.mark.parametrize("kind", list(RESPONSES))
def test_poison_sent_later_is_refused_before_the_next_request(kind: str) -> None:
    """The issue's example: the poison comes after the first response, before request 2."""
    method, response, body = RESPONSES[kind]
    first_done = threading.Event()

    with serve(answer_then_poison(response, first_done)) as server:
        c = Client()
        assert connect_live(c.http, "127.0.0.1", server.port)[-1] is S.CONNECTED
        c.send_request(method, "/one")
        out = tutorial(c.http)
        assert (out.body, out.final) == (body, S.CONNECTED), out.message
        first_done.set()
        c.wait_readable()
        # Godot writes in request(): the look at the idle connection happens there too.
        assert c.http.request(Method.GET, "/two", []) is Error.ERR_CONNECTION_ERROR
        assert c.http.get_response_code() == 0 and not c.http.has_response()
        poisoned(c)
        assert len(server.requests) == 1, "the second request was never written"


def test_poison_arriving_between_request_and_first_write_is_refused() -> None:
    """request() found the connection quiet; the poison lands before the first poll writes."""
    _m, response, _b = RESPONSES["content-length"]
    ready = threading.Event()

    with serve(answer_then_poison(response, ready)) as server:
        c = Client()
        connect_live(c.http, "127.0.0.1", server.port)
        c.send_request(Method.GET, "/one")
        assert tutorial(c.http).final is S.CONNECTED
        assert c.http.request(Method.GET, "/two", []) is Error.OK
        ready.set()
        c.wait_readable()
        assert c.http.poll() is Error.ERR_CONNECTION_ERROR
        poisoned(c)
        assert len(server.requests) == 1


@pytest.mark.parametrize("framing", ["content-length", "chunked"])
def test_end_of_body_and_start_of_status_line_in_one_write_the_rest_later(
        framing: str) -> None:
    """A long body counted without the parser (Content-Length fast path) or chunked: its last
    bytes and the first bytes of a status line share one write; the rest comes later."""
    payload = bytes(range(256)) * 400  # 100 KiB: the fast path counts most of it
    if framing == "content-length":
        wire = b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(payload) + payload
    else:
        wire = (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n%x\r\n" % len(payload)
                + payload + b"\r\n0\r\n\r\n")
    in_body, rest_sent, first_done = threading.Event(), threading.Event(), threading.Event()

    def script(conn: socket.socket, server: LoopbackServer) -> None:
        if server.read(conn):
            conn.sendall(wire[:70000])
            assert in_body.wait(DEADLINE)
            conn.sendall(wire[70000:] + POISON[:10])
            rest_sent.set()
            assert first_done.wait(DEADLINE)
            conn.sendall(POISON[10:])
        drain(conn)

    with serve(script) as server:
        c = Client()
        http = c.http
        connect_live(http, "127.0.0.1", server.port)
        c.send_request(Method.GET, "/one")
        body = bytearray()
        while http.get_status() is S.REQUESTING:
            http.poll()
        in_body.set()
        assert rest_sent.wait(DEADLINE)
        c.wait_readable()
        while http.get_status() is S.BODY:
            http.poll()
            body += http.read_response_body_chunk()
        first_done.set()
        assert bytes(body) == payload
        poisoned(c)
        assert len(server.requests) == 1


def test_the_same_write_over_the_content_length_fast_path() -> None:
    """The counted payload path reads exactly the body and leaves the rest in the kernel: the
    client must still look behind it (the rest of the body and the poison in one write)."""
    payload = b"x" * 100_000
    wire = b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(payload) + payload
    in_body, rest_sent = threading.Event(), threading.Event()

    def script(conn: socket.socket, server: LoopbackServer) -> None:
        if server.read(conn):
            conn.sendall(wire[:70000])
            assert in_body.wait(DEADLINE)
            conn.sendall(wire[70000:] + POISON)
            rest_sent.set()
        drain(conn)

    with serve(script) as server:
        c = Client()
        http = c.http
        http.read_chunk_size = 256  # many small counted reads, the last one exact
        connect_live(http, "127.0.0.1", server.port)
        c.send_request(Method.GET, "/one")
        while http.get_status() is S.REQUESTING:
            http.poll()
        in_body.set()
        assert rest_sent.wait(DEADLINE)
        out = tutorial(http)
        assert out.body == payload
        poisoned(c)
        assert len(server.requests) == 1


# -- issue #13 item 5: the server closed the idle keep-alive connection ------------------------
def test_idle_close_seen_before_writing_the_next_request_says_so() -> None:
    first_done = threading.Event()

    def script(conn: socket.socket, server: LoopbackServer) -> None:
        if server.read(conn):
            conn.sendall(RESPONSES["content-length"][1])
            assert first_done.wait(DEADLINE)
            conn.shutdown(socket.SHUT_WR)  # the server's idle timeout fires
        drain(conn)

    with serve(script) as server:
        c = Client()
        connect_live(c.http, "127.0.0.1", server.port)
        c.send_request(Method.GET, "/one")
        assert tutorial(c.http).final is S.CONNECTED
        first_done.set()
        c.wait_readable()
        assert c.http.request(Method.GET, "/two", []) is Error.ERR_CONNECTION_ERROR
        assert c.http.get_status() is CE
        message = c.http.error_message
        assert "closed the idle keep-alive connection" in message, message
        assert "Connect" in message and "connect_to_host() again" in message
        assert len(server.requests) == 1


def test_eof_before_any_byte_of_the_response_on_a_reused_connection_says_so() -> None:
    def script(conn: socket.socket, server: LoopbackServer) -> None:
        if server.read(conn):
            conn.sendall(RESPONSES["content-length"][1])
            if server.read(conn):  # the server closes as the next request arrives
                conn.shutdown(socket.SHUT_WR)
        drain(conn)

    with serve(script) as server:
        c = Client()
        connect_live(c.http, "127.0.0.1", server.port)
        c.send_request(Method.GET, "/one")
        assert tutorial(c.http).final is S.CONNECTED
        c.send_request(Method.GET, "/two")
        out = tutorial(c.http)
        assert out.final is CE and out.error is Error.ERR_CONNECTION_ERROR
        assert "closed the keep-alive connection before sending any byte" in out.message
        assert "connect_to_host() again" in out.message
