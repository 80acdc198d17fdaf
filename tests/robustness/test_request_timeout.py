"""``request_timeout`` (issue #12 item 9): an overall deadline per request, beside
``connect_timeout`` and ``read_timeout``.  A server that sends one byte every few
milliseconds never trips ``read_timeout`` (it measures inactivity only); with
``request_timeout`` the request ends in CONNECTION_ERROR, in the head or in the body, in
polling and in blocking mode.  The default is no limit (as Godot)."""

from __future__ import annotations

import socket
import threading

import pytest
from clientkit import Handler, LoopbackServer, connect_live, live_exchange, respond

from httpexplore import Error, HTTPClient, Method, Status

DRIP_HEAD = b"HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\n"


def drip(prefix: bytes, stop: threading.Event) -> Handler:
    """Send ``prefix`` then one byte every 20 ms until the client goes away."""
    def handler(conn: socket.socket, server: LoopbackServer) -> None:
        if not server.read(conn):
            return
        try:
            conn.sendall(prefix)
            while not stop.wait(0.02):
                conn.sendall(b"x")
        except OSError:
            server.client_gone += 1
    return handler


@pytest.mark.parametrize("blocking", [False, True])
@pytest.mark.parametrize("prefix,where", [(b"", "the response head"),
                                          (DRIP_HEAD, "the rest of the body")])
def test_a_steady_drip_is_cut_by_request_timeout(prefix: bytes, where: str,
                                                 blocking: bool) -> None:
    stop = threading.Event()
    with LoopbackServer(drip(prefix, stop)) as server:
        client = HTTPClient(record=False, read_timeout=5.0, request_timeout=0.3)
        client.blocking_mode_enabled = blocking
        connect_live(client, "127.0.0.1", server.port)
        out = live_exchange(client, Method.GET, "/", deadline=30)
        stop.set()
        assert out.final is Status.CONNECTION_ERROR and out.error is Error.ERR_CONNECTION_ERROR
        assert "request_timeout" in out.message and where in out.message, out.message
        assert client.get_response_body_bytes_received() < 1000000


def test_the_default_is_no_overall_limit() -> None:
    assert HTTPClient(record=False).request_timeout is None


def test_a_complete_response_inside_the_deadline_is_untouched() -> None:
    with LoopbackServer(respond(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")) as server:
        client = HTTPClient(record=False, request_timeout=60.0)
        connect_live(client, "127.0.0.1", server.port)
        out = live_exchange(client, Method.GET, "/")
        assert (out.body, out.final) == (b"ok", Status.CONNECTED)
        client.close()
