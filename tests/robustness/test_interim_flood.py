"""A flood of 1xx interim responses (issue #12 item 3): at most ``MAX_INTERIM`` are accepted
per request; beyond that the request ends in CONNECTION_ERROR with a plain message, and the
client and its trace keep no more than that many (memory stays flat however many stream in).
"""

from __future__ import annotations

import socket

from clientkit import LoopbackServer, connect_live, drain, exchange, live_exchange

from httpexplore import Error, HTTPClient, Method, Status
from httpexplore._cycle import MAX_INTERIM
from httpexplore.transport import EOF

HINT = b"HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n"
FINAL = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"


def test_up_to_the_cap_interim_responses_are_fine() -> None:
    out, client, _t = exchange([HINT * MAX_INTERIM + FINAL, EOF])
    assert out.body == b"ok" and out.code == 200
    assert client.get_interim_responses() == [103] * MAX_INTERIM


def test_one_more_than_the_cap_is_a_connection_error() -> None:
    out, client, _t = exchange([HINT * (MAX_INTERIM + 1) + FINAL, EOF])
    assert out.final is Status.CONNECTION_ERROR and out.error is Error.ERR_CONNECTION_ERROR
    assert "interim (1xx) responses" in out.message and not client.has_response()
    assert len(client.get_interim_responses()) == MAX_INTERIM


def test_a_live_flood_of_100000_early_hints_stops_at_the_cap() -> None:
    flood = HINT * 100_000

    def handler(conn: socket.socket, server: LoopbackServer) -> None:
        if server.read(conn):
            try:
                conn.sendall(flood + FINAL)
            except OSError:
                server.client_gone += 1  # the client gave up on the flood: expected
        drain(conn)

    with LoopbackServer(handler) as server:
        client = HTTPClient()
        connect_live(client, "127.0.0.1", server.port)
        out = live_exchange(client, Method.GET, "/", deadline=30)
        assert out.final is Status.CONNECTION_ERROR, out
        assert "interim (1xx) responses" in out.message
        assert len(client.get_interim_responses()) == MAX_INTERIM
        [cycle] = client.trace.cycles
        assert len(cycle.interim) == MAX_INTERIM
        assert cycle.received_size < len(flood) // 10, "the client stopped reading early"
