"""The in-memory server on its own: pacing on its clock, timeouts, backpressure, life cycle,
and what a client sees (refused, TLS, the trace), driven through the real client or through
the listener registry as raw bytes."""

from __future__ import annotations

import sys
import tracemalloc

import pytest
from memkit import FakeClock, no_io, run_tutorial

from httpexplore import Error, HTTPClient, Method, Status, TLSOptions, _listeners, export
from httpexplore.demo import MALFORMED, DemoServer
from httpexplore.demo.memory_server import HIGH_WATER, MemoryConnection
from httpexplore.memory import MemoryTransport

GET = b"GET %s HTTP/1.1\r\nHost: x\r\n\r\n"


def raw(server: DemoServer) -> MemoryConnection:
    """A raw in-memory connection (the server's end, as the client transport uses it)."""
    listener = _listeners.find(server.host, server.port)
    assert listener is not None
    peer = listener.connect()
    assert isinstance(peer, MemoryConnection)
    return peer


def drain(peer: MemoryConnection) -> bytes:
    """Everything readable now (without moving the clock)."""
    out = bytearray()
    while (data := peer.receive(65536)):
        out += data
    return bytes(out)


def test_paced_page_arrives_as_the_clock_moves(clock: FakeClock) -> None:
    with DemoServer(in_memory=True, clock=clock) as server:
        peer = raw(server)
        peer.send(GET % b"/ChangeLog-5.php?chunks=4&delay=0.5")
        first = drain(peer)
        assert first.startswith(b"HTTP/1.1 200 OK\r\n") and first.endswith(b"\r\n")
        assert peer.receive(65536) is None  # nothing more until the clock moves
        assert peer.next_wakeup() == clock.now + 0.5
        clock.advance(0.49)
        assert peer.receive(65536) is None
        pieces = []
        for _ in range(3):
            clock.advance(0.5)
            pieces.append(drain(peer))
            assert pieces[-1]
        assert pieces[-1].endswith(b"0\r\n\r\n")


def test_pauses_keep_their_timeline_when_the_client_reads_late(clock: FakeClock) -> None:
    # Over a socket the server sends on its own schedule; a client that comes back later
    # finds everything already there. The in-memory server keeps the same timeline.
    with DemoServer(in_memory=True, clock=clock) as server:
        peer = raw(server)
        peer.send(GET % b"/drip?bytes=10&pieces=10&delay=0.1")
        clock.advance(5)
        head, _, body = drain(peer).partition(b"\r\n\r\n")
        assert b"Content-Length: 10" in head and len(body) == 10


def test_unsolicited_response_comes_later_on_an_open_connection(clock: FakeClock) -> None:
    entry = MALFORMED["unsolicited-response"]
    with DemoServer(in_memory=True, clock=clock) as server:
        peer = raw(server)
        peer.send(GET % b"/malformed/unsolicited-response")
        assert drain(peer) == entry.payload
        clock.advance(entry.pause)
        assert drain(peer) == entry.later
        # The connection stays open and the server answers the next request as usual.
        peer.send(GET % b"/status/201")
        assert drain(peer).startswith(b"HTTP/1.1 201 Created\r\n")


def test_idle_keep_alive_connection_lasts_minutes_by_default(clock: FakeClock) -> None:
    with DemoServer(in_memory=True, clock=clock) as server:
        peer = raw(server)
        peer.send(GET % b"/status/200")
        assert drain(peer).startswith(b"HTTP/1.1 200 OK")
        clock.advance(299)  # a long pause in class
        peer.send(GET % b"/status/204")
        assert drain(peer).startswith(b"HTTP/1.1 204 No Content")
        clock.advance(301)
        assert peer.receive(65536) == b""  # closed quietly: nothing was outstanding


def test_idle_timeout_applies_before_bytes_that_come_too_late(clock: FakeClock) -> None:
    with DemoServer(in_memory=True, clock=clock, idle_timeout=5) as server:
        peer = raw(server)
        clock.advance(6)
        peer.send(GET % b"/status/200")  # the server closed at 5 s; these bytes are lost
        assert peer.receive(65536) == b""


def test_slow_request_still_gets_408(clock: FakeClock) -> None:
    with DemoServer(in_memory=True, clock=clock, request_timeout=2) as server:
        peer = raw(server)
        peer.send(b"GET / HTTP/1.1\r\nHo")
        clock.advance(1)
        peer.send(b"st: x\r\n")
        assert peer.receive(65536) is None
        clock.advance(1.5)
        answer = drain(peer)
        assert answer.startswith(b"HTTP/1.1 408 Request Timeout\r\n")
        assert b"X-Content-Type-Options: nosniff\r\n" in answer
        assert peer.receive(65536) == b""


def test_large_body_is_never_materialised() -> None:
    size = 32 * 1024 * 1024
    with DemoServer(in_memory=True) as server:
        peer = raw(server)
        tracemalloc.start()
        try:
            peer.send(GET % f"/bytes/{size}".encode())
            received, most_buffered = 0, 0
            while (data := peer.receive(1024 * 1024)):
                received += len(data)
                most_buffered = max(most_buffered, len(peer._out))
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert received > size  # head + body, all of it
    assert most_buffered <= HIGH_WATER + 64 * 1024
    assert peak < 8 * 1024 * 1024, peak


def test_reset_entry_raises_after_the_bytes_sent_before_it() -> None:
    with DemoServer(in_memory=True) as server:
        peer = raw(server)
        peer.send(GET % b"/malformed/reset-mid-body")
        assert drain_until_error(peer) == MALFORMED["reset-mid-body"].payload


def drain_until_error(peer: MemoryConnection) -> bytes:
    out = bytearray()
    with pytest.raises(ConnectionResetError):
        while True:
            data = peer.receive(65536)
            assert data != b"", "a reset must not look like a close"
            out += data or b""
    return bytes(out)


def test_stopped_listener_refuses_like_a_closed_port() -> None:
    server = DemoServer(in_memory=True).start()
    listener = _listeners.find(server.host, server.port)
    transport = MemoryTransport()
    transport.open(server.host, server.port)
    server.stop()
    assert listener is not None and listener.connect() is None
    client = HTTPClient(record=False, transport_factory=lambda: transport)
    assert client.connect_to_host(server.host, server.port) is Error.OK
    client.poll()
    assert client.get_status() is Status.CANT_CONNECT
    assert "ECONNREFUSED" in client.error_message


def test_tls_is_refused_clearly() -> None:
    with pytest.raises(ValueError, match="in-memory DemoServer cannot serve TLS"):
        DemoServer(in_memory=True, tls=True)
    with DemoServer(in_memory=True) as server:
        client = HTTPClient()
        assert client.connect_to_host(server.host, server.port,
                                      TLSOptions.client_unsafe()) is Error.OK
        while client.get_status() in (Status.RESOLVING, Status.CONNECTING):
            client.poll()
        assert client.get_status() is Status.TLS_HANDSHAKE_ERROR
        assert "in-memory server" in client.error_message
        assert client.poll() is not Error.OK


def test_in_memory_is_the_default_on_emscripten(monkeypatch: pytest.MonkeyPatch) -> None:
    assert DemoServer().in_memory is False
    monkeypatch.setattr(sys, "platform", "emscripten")
    server = DemoServer()
    assert server.in_memory is True
    with no_io() as attempts, server:
        run = run_tutorial(server, "/headers")
    assert attempts == []
    assert run.out.code == 200 and b"Pirulo" in run.out.body


def test_trace_says_the_transport_is_in_memory() -> None:
    with DemoServer(in_memory=True) as server:
        run = run_tutorial(server, "/status/200")
        assert run.transport == "in-memory"
        client = HTTPClient()
        client.connect_to_host(server.host, server.port)
        client.poll()
        assert "(in memory: no socket)" in export.to_text(client.trace)


def test_same_address_cannot_be_taken_twice() -> None:
    with DemoServer(in_memory=True) as server, pytest.raises(OSError, match="already"):
        DemoServer(in_memory=True, port=server.port).start()


def test_blocking_mode_waits_for_a_paced_response() -> None:
    with DemoServer(in_memory=True) as server:
        client = HTTPClient(record=False)
        client.set_blocking_mode(True)
        client.connect_to_host(server.host, server.port)
        while client.get_status() is Status.CONNECTING:
            client.poll()
        client.request(Method.GET, "/delay/0.2", [])
        body = b""
        while client.get_status() in (Status.REQUESTING, Status.BODY):
            client.poll()
            body += client.read_response_body_chunk()
        assert client.get_response_code() == 200 and b'"delay": 0.2' in body
