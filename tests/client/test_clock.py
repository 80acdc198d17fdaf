"""The clock is passed in: every time the client, its connector, its records and its recorder
use comes from ``HTTPClient(clock=...)``, so a test drives time without sleeping.  And the
transport says where readiness comes from (``HTTPClient.fileno``)."""

from __future__ import annotations

import ast
import os
import stat
from pathlib import Path

import httpexplore
from httpexplore import Error, HTTPClient, Status
from httpexplore.transport import EOF, WOULD_BLOCK, ScriptedTransport

from .clientkit import LoopbackServer, respond

PACKAGE = Path(httpexplore.__file__).resolve().parent
#: The modules that must take their time from the client's clock.
CLOCKED = ["client.py", "driver.py", "connector.py", "engine.py", "_steps.py", "trace.py",
           "_cycle.py", "request.py", "response.py"]


class FakeClock:
    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now


def test_no_clock_is_read_directly_below_the_facade() -> None:
    """``time.monotonic`` appears in these modules only as the default of ``clock=``."""
    for name in CLOCKED:
        tree = ast.parse((PACKAGE / name).read_text(encoding="utf-8"))
        calls = [node for node in ast.walk(tree) if isinstance(node, ast.Call)
                 and isinstance(node.func, ast.Attribute) and node.func.attr in (
                     "monotonic", "perf_counter", "time")
                 and isinstance(node.func.value, ast.Name) and node.func.value.id == "time"
                 and not (name == "trace.py" and node.func.attr == "time")]  # (wall anchor)
        assert calls == [], name


def test_connect_timeout_runs_on_the_given_clock() -> None:
    clock = FakeClock()
    client = HTTPClient(clock=clock, connect_timeout=5.0,
                        transport_factory=lambda: ScriptedTransport(connect_steps=10**6))
    assert client.connect_to_host("192.0.2.1", 80) is Error.OK
    for _ in range(3):
        assert client.poll() is Error.OK
    assert client.get_status() is Status.CONNECTING
    clock.now += 5.5  # no sleeping: the client's only notion of time moved
    assert client.poll() is Error.ERR_CANT_CONNECT
    assert client.get_status() is Status.CANT_CONNECT
    assert "connect_timeout" in client.error_message


def test_read_timeout_runs_on_the_given_clock() -> None:
    clock = FakeClock()
    head = b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nab"
    client = HTTPClient(clock=clock, read_timeout=2.0,
                        transport_factory=lambda: ScriptedTransport([head] + [WOULD_BLOCK] * 50))
    client.connect_to_host("192.0.2.1", 80)
    while client.get_status() is not Status.CONNECTED:
        client.poll()
    client.request(HTTPClient.METHOD_GET, "/", [])
    while client.get_status() is Status.REQUESTING:
        client.poll()
    assert client.get_status() is Status.BODY
    assert client.read_response_body_chunk() == b"ab"
    clock.now += 1.0
    client.poll()
    assert client.get_status() is Status.BODY  # 1 s of silence: not yet
    clock.now += 1.5
    client.poll()
    assert client.get_status() is Status.CONNECTION_ERROR
    assert "read_timeout" in client.error_message


def test_records_and_the_recorder_anchor_use_the_given_clock() -> None:
    clock = FakeClock(50.0)
    client = HTTPClient(clock=clock, transport_factory=lambda: ScriptedTransport(
        [b"HTTP/1.1 204 No Content\r\n\r\n", EOF]))
    assert client.trace is not None and client.trace.started == 50.0
    client.connect_to_host("192.0.2.1", 80)
    clock.now = 51.0
    while client.get_status() is not Status.CONNECTED:
        client.poll()
    clock.now = 52.5
    client.request(HTTPClient.METHOD_GET, "/", [])
    while client.get_status() is Status.REQUESTING:
        client.poll()
    records = list(client.trace)
    assert records[0].started == records[0].time == 50.0
    assert {r.time for r in records[1:]} >= {51.0, 52.5}
    assert all(r.time in (50.0, 51.0, 52.5) for r in records)


def test_fileno_is_the_socket_for_sockets_and_none_without_one() -> None:
    scripted = HTTPClient(transport_factory=ScriptedTransport)
    assert scripted.fileno() is None  # not connected
    scripted.connect_to_host("192.0.2.1", 80)
    assert scripted.fileno() is None  # a script has no file descriptor

    with LoopbackServer(respond(b"HTTP/1.1 204 No Content\r\n\r\n")) as server:
        client = HTTPClient()
        client.connect_to_host("127.0.0.1", server.port)
        while client.get_status() in (Status.RESOLVING, Status.CONNECTING):
            client.poll()
        fd = client.fileno()
        assert isinstance(fd, int) and fd >= 0
        assert stat.S_ISSOCK(os.fstat(fd).st_mode)
        client.close()
        assert client.fileno() is None


def test_fileno_is_none_for_an_in_memory_server() -> None:
    from httpexplore.demo import DemoServer

    with DemoServer(in_memory=True) as server:
        client = HTTPClient()
        client.connect_to_host(server.host, server.port)
        while client.get_status() in (Status.RESOLVING, Status.CONNECTING):
            client.poll()
        assert client.get_status() is Status.CONNECTED
        assert client.fileno() is None
        client.close()
