"""Fixtures for the inspector tests: servers on loopback, a comm that records what would reach
the browser, and helpers to walk a widget tree.  No kernel is involved: outside one, ipywidgets
creates widgets on ``comm.create_comm``, which these tests replace (as ipywidgets' own suite does
in ``widgets/tests/utils.py``)."""

from __future__ import annotations

import socket
import socketserver
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import comm
import ipywidgets as widgets
import pytest
from comm.base_comm import BaseComm

from httpexplore import HTTPClient, Status
from httpexplore.demo import DemoServer
from httpexplore.inspector import Inspector


@pytest.fixture(scope="module")
def demo() -> Iterator[DemoServer]:
    with DemoServer() as srv:
        yield srv


# -- a server that answers with fixed (hostile) bytes -------------------------------------------
HOSTILE_BODY = (b"<script>alert('body')</script><img src=x onerror=alert(5)></table>"
                b"\x00\xff\xfe bad utf-8 " + "\u202egnp.exe".encode() + b"\r\n$x^2$ done\n")
_HOSTILE_HEAD = (
    b"HTTP/1.1 200 <script>alert('reason')</script>\r\n"
    b"X-Evil: <img src=x onerror=alert(1)>\r\n"
    b"X-Table: </table><script>alert(2)</script>\r\n"
    b"X-Quote: \"><svg onload=alert(3)> 'single'\r\n"
    b"x-evil: duplicate <b>bold</b>\r\n"
    b"Content-Type: text/html\r\n")
CANNED: dict[str, bytes] = {
    "/hostile": _HOSTILE_HEAD + b"Content-Length: %d\r\nConnection: close\r\n\r\n"
    % len(HOSTILE_BODY) + HOSTILE_BODY,
    "/hostile-chunked": _HOSTILE_HEAD + b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    b"%x;<script>alert(6)</script>\r\n" % len(HOSTILE_BODY) + HOSTILE_BODY
    + b"\r\n0\r\nX-Trailer: <img src=x onerror=alert(7)>\r\n\r\n",
    "/hostile-name": b"HTTP/1.1 200 OK\r\n<img src=x onerror=alert(8)>: v\r\n"
    b"Content-Length: 0\r\n\r\n",
}


class _Canned(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        sock: socket.socket = self.request
        data = b""
        while b"\r\n\r\n" not in data:
            piece = sock.recv(65536)
            if not piece:
                return
            data += piece
        path = data.split(b" ", 2)[1].decode()
        sock.sendall(CANNED.get(path, b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n"
                                      b"Connection: close\r\n\r\n"))
        sock.shutdown(socket.SHUT_WR)
        while sock.recv(65536):  # let the client close first
            pass


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


@pytest.fixture(scope="module")
def canned() -> Iterator[tuple[str, int]]:
    server = _Server(("127.0.0.1", 0), _Canned)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield "127.0.0.1", server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


# -- what would reach the browser ------------------------------------------------------------------
class RecordingComm(BaseComm):
    """A comm that keeps every message instead of sending it."""

    def __init__(self, **kwargs: Any) -> None:
        self.messages: list[tuple[str, dict[str, Any] | None]] = []
        super().__init__(**kwargs)

    def publish_msg(self, msg_type: str, data: dict[str, Any] | None = None,
                    metadata: dict[str, Any] | None = None, buffers: Any = None,
                    **keys: Any) -> None:
        self.messages.append((msg_type, data))

    def updates(self) -> list[dict[str, Any]]:
        """The state updates sent (one per changed trait, or per ``hold_sync`` block)."""
        return [d["state"] for t, d in self.messages
                if t == "comm_msg" and d is not None and d.get("method") == "update"]


@pytest.fixture
def recording_comm(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(comm, "create_comm", lambda **kw: RecordingComm(**kw))


# -- helpers ------------------------------------------------------------------------------
@pytest.fixture
def make_inspector() -> Iterator[Callable[..., Inspector]]:
    made: list[Inspector] = []

    def make(*args: Any, **kwargs: Any) -> Inspector:
        insp = Inspector(*args, **kwargs)
        made.append(insp)
        return insp

    yield make
    for insp in made:
        insp.close()


def _all_widgets(root: widgets.Widget) -> list[widgets.Widget]:
    """``root`` and every widget below it."""
    out, todo = [], [root]
    while todo:
        w = todo.pop()
        out.append(w)
        todo.extend(getattr(w, "children", ()))
    return out


def _click_until(button: widgets.Button, client: HTTPClient, leave: set[Status],
                 timeout: float = 5.0) -> int:
    """Click ``button`` until the client's status is not in ``leave``; return the clicks."""
    clicks = 0
    deadline = time.monotonic() + timeout
    while client.get_status() in leave:
        assert time.monotonic() < deadline, f"still {client.get_status().name} after {clicks}"
        button.click()
        clicks += 1
        if client.get_status() in leave:
            time.sleep(0.002)
    return clicks


@pytest.fixture
def all_widgets() -> Callable[[widgets.Widget], list[widgets.Widget]]:
    return _all_widgets


@pytest.fixture
def click_until() -> Callable[..., int]:
    return _click_until
