"""``AFTER_SEND`` in a :class:`ScriptedTransport` script: reads would block, however many
there are, until the client writes again; then the script goes on.  Scripts use it for a
keep-alive connection's next response, which a real server sends only after the request (the
client looks at an idle connection before it writes, and must find nothing there)."""

from __future__ import annotations

from httpexplore.transport import AFTER_SEND, EOF, ScriptedTransport


def test_after_send_holds_reads_until_the_next_write() -> None:
    t = ScriptedTransport([b"first", AFTER_SEND, b"second", EOF])
    assert t.recv(100) == b"first"
    assert [t.recv(100) for _ in range(5)] == [None] * 5
    assert t.send(b"GET / HTTP/1.1\r\n\r\n") > 0
    assert t.recv(100) == b"second"
    assert t.recv(100) == b""


def test_a_write_before_after_send_is_reached_does_not_release_it() -> None:
    t = ScriptedTransport([b"first", AFTER_SEND, b"second"])
    t.send(b"early")
    assert t.recv(100) == b"first"
    assert t.recv(100) is None  # the write came before this point
    t.send(b"request")
    assert t.recv(100) == b"second"
