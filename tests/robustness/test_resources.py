"""Resource bounds (issue #7): a head that never ends, a 100 KiB header line, an endless
chunk-size line and an endless trailer section all end in CONNECTION_ERROR with a message
naming the 64 KiB limit, after the client has held a bounded amount of memory.

Memory is measured with ``tracemalloc`` (Python allocations, which is where buffered bytes
live) as the peak over the tutorial loop, after the client is connected.  The bound asserted is
512 KiB: the client reads at most 64 KiB per poll while waiting for a head and h11 refuses a
buffer over 64 KiB, so about 2 x 64 KiB plus parser overhead is expected.  (An endless *body*
with the recorder attached is the recorder's concern and is tested there.)
"""

from __future__ import annotations

import socket
import tracemalloc

import pytest
from clientkit import LoopbackServer, RecordingTransport, connect_live, live_exchange, tutorial

from httpexplore import Error, HTTPClient, Method, Status
from httpexplore.transport import Phase

S = Status
BOUND = 512 * 1024
LIMIT_WORDS = "larger than 65536 bytes and was refused"


class Endless(RecordingTransport):
    """A server that sends ``prefix`` and then ``filler`` forever (as fast as it is read)."""

    def __init__(self, prefix: bytes, filler: bytes) -> None:
        super().__init__()
        self.prefix = prefix
        self.filler = filler
        self.delivered = 0

    def recv(self, max_bytes: int) -> bytes | None:
        if self.closed:
            return super().recv(max_bytes)
        if self.prefix:
            out, self.prefix = self.prefix[:max_bytes], self.prefix[max_bytes:]
        else:
            out = (self.filler * (max_bytes // len(self.filler) + 1))[:max_bytes]
        self.delivered += len(out)
        return out


ENDLESS = {
    "head": (b"HTTP/1.1 200 OK\r\nX-Endless: ", b"a"),
    "header_lines": (b"HTTP/1.1 200 OK\r\n", b"X-Header-Line: some value\r\n"),
    "chunk_size_line": (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=", b"e"),
    "trailer_section": (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n",
                        b"X-Trailer: t\r\n"),
}


def measured_run(transport: RecordingTransport, chunk_size: int = 65536
                 ) -> tuple[HTTPClient, int]:
    c = HTTPClient(record=False, transport_factory=lambda: transport)
    c.read_chunk_size = chunk_size
    c.connect_to_host("192.0.2.1", 80)
    c.poll()
    c.request(Method.GET, "/", [])
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        out = tutorial(c, max_calls=10_000)
        _now, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert out.final is S.CONNECTION_ERROR
    return c, peak


@pytest.mark.parametrize("name", sorted(ENDLESS))
def test_endless_element_is_refused_with_bounded_memory(name: str) -> None:
    transport = Endless(*ENDLESS[name])
    c, peak = measured_run(transport)
    assert LIMIT_WORDS in c.error_message
    assert c.error is Error.ERR_CONNECTION_ERROR and transport.closed
    assert transport.delivered <= 3 * 65536, "the client stops reading soon after the limit"
    assert peak < BOUND, f"peak {peak} bytes"


def test_endless_chunk_size_line_with_a_16_mib_read_chunk_size() -> None:
    """Even with the largest read_chunk_size, one read is the most the client holds."""
    transport = Endless(*ENDLESS["chunk_size_line"])
    c, peak = measured_run(transport, chunk_size=16 * 1024 * 1024)
    assert LIMIT_WORDS in c.error_message
    assert peak < 3 * 16 * 1024 * 1024, f"peak {peak} bytes"


def test_100_kib_header_line_is_refused_with_bounded_memory() -> None:
    wire = b"HTTP/1.1 200 OK\r\nX-Huge: " + b"h" * 102400 + b"\r\nContent-Length: 0\r\n\r\n"
    transport = RecordingTransport([wire])
    c, peak = measured_run(transport)
    assert LIMIT_WORDS in c.error_message and "in the response head" in c.error_message
    # The script itself holds the 100 KiB; the client adds at most a read plus h11's buffer.
    assert peak < BOUND, f"peak {peak} bytes"


def test_multi_mib_endless_head_over_loopback() -> None:
    """A live server streaming a header that never ends (it would send 8 MiB): the client
    gives up after the limit and closes; the server sees the connection go away."""
    line = b"X-Endless: " + b"a" * 1000

    def handler(conn: socket.socket, server: LoopbackServer) -> None:
        if not server.read(conn):
            return
        try:
            conn.sendall(b"HTTP/1.1 200 OK\r\n")
            for _ in range(8 * 1024):
                conn.sendall(line)
        except (BrokenPipeError, ConnectionResetError):
            server.client_gone += 1

    with LoopbackServer(handler) as server:
        c = HTTPClient(record=False)
        assert connect_live(c, "127.0.0.1", server.port)[-1] is S.CONNECTED
        out = live_exchange(c, deadline=20)
        assert out.final is S.CONNECTION_ERROR and LIMIT_WORDS in out.message
        assert out.body == b"" and not c.has_response()
    assert server.client_gone == 1, "the client closed long before 8 MiB were sent"
    assert server.errors == []


def test_endless_transport_is_honest() -> None:
    """Guard the helper: it really never ends on its own."""
    t = Endless(b"HTTP/1.1 ", b"x")
    assert t.open("192.0.2.1", 80) is Phase.CONNECTING
    assert sum(len(t.recv(65536) or b"") for _ in range(100)) > 99 * 65536
