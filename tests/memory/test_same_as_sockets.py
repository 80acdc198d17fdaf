"""The tutorial and every ``/malformed/`` entry give the same outcome through
``DemoServer(in_memory=True)`` -- with threads, sockets and ``select`` made to raise -- as
through the socket server: response code, body, status flow and error outcome."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from clientkit import connect_live
from memkit import Run, flow, no_io, run_tutorial

from httpexplore import Error, HTTPClient, Method, Status
from httpexplore.demo import MALFORMED, DemoServer

# A silence far longer than the read_timeout: the client gives up first, however loaded the
# machine (the server is stopped, which ends the pause, when the module is done).
OPTIONS = {"silence_timeout": 60.0}
CLIENT = {"read_timeout": 0.5}

#: Entries whose socket outcome depends on timing or on the kernel (a reset may or may not
#: destroy data already received; a second response may or may not have arrived when the first
#: one's body completes): the in-memory outcome must be one of those the socket one can be.
KERNEL_DEPENDENT = {"reset-mid-body", "extra-response"}


@pytest.fixture(scope="module")
def socket_server() -> Iterator[DemoServer]:
    with DemoServer(**OPTIONS) as server:
        yield server


def memory_run(path: str) -> Run:
    with no_io() as attempts, DemoServer(in_memory=True, **OPTIONS) as server:  # type: ignore[arg-type]
        run = run_tutorial(server, path, **CLIENT)
    assert attempts == [], f"the in-memory run used {attempts}"
    return run


def assert_same(memory: Run, sockets: Run) -> None:
    assert memory.out.code == sockets.out.code
    assert memory.out.body == sockets.out.body
    assert flow(memory) == flow(sockets)
    assert memory.out.final is sockets.out.final
    assert memory.out.error is sockets.out.error
    assert memory.out.message == sockets.out.message
    assert memory.out.headers == sockets.out.headers
    assert memory.out.trailers == sockets.out.trailers
    assert memory.next_poll == sockets.next_poll


def test_tutorial(socket_server: DemoServer) -> None:
    sockets = run_tutorial(socket_server, "/ChangeLog-5.php", **CLIENT)
    memory = memory_run("/ChangeLog-5.php")
    assert_same(memory, sockets)
    assert memory.out.code == 200 and len(memory.out.body) > 6000
    assert flow(memory) == [Status.DISCONNECTED, Status.CONNECTING, Status.CONNECTED,
                            Status.REQUESTING, Status.BODY, Status.CONNECTED]
    # The page is paced (8 chunks, 0.05 s apart): polled quickly, it arrives in pieces.
    assert len(memory.out.reads) > 1
    assert (memory.transport, sockets.transport) == ("in-memory", "socket")


@pytest.mark.parametrize("name", list(MALFORMED))
def test_malformed_entry(socket_server: DemoServer, name: str) -> None:
    sockets = run_tutorial(socket_server, f"/malformed/{name}", **CLIENT)
    memory = memory_run(f"/malformed/{name}")
    assert memory.out.final in (Status.CONNECTED, Status.DISCONNECTED,
                                Status.CONNECTION_ERROR)
    if memory.out.final is Status.CONNECTION_ERROR:
        assert memory.out.error is Error.ERR_CONNECTION_ERROR and memory.out.message
    if name not in KERNEL_DEPENDENT:
        assert_same(memory, sockets)
        return
    assert memory.out.code == sockets.out.code
    if name == "reset-mid-body":
        # Memory delivers the 1024 bytes sent before the reset, then the reset.
        assert memory.out.final is sockets.out.final is Status.CONNECTION_ERROR
        assert memory.out.body == b"x" * 1024
        assert "ECONNRESET" in memory.out.message
        assert sockets.out.body == memory.out.body[: len(sockets.out.body)]
    else:
        # The second response is written with the first: in memory it is always there when
        # the body completes, so the client refuses it (RFC 9112 §9.3.2) at once; over a socket
        # it may still be in flight then (the client refuses it before its next request).
        assert memory.out.body == sockets.out.body == b"hello"
        assert memory.out.final is Status.CONNECTION_ERROR
        assert "9.3.2" in memory.out.message
        assert sockets.out.final in (Status.CONNECTED, Status.CONNECTION_ERROR)


def stop_mid_body(in_memory: bool) -> tuple[DemoServer, str, str]:
    """Stop the server while a paced body is arriving; the client's final status, message."""
    server = DemoServer(in_memory=in_memory).start()
    client = HTTPClient(record=False)
    connect_live(client, server.host, server.port)
    client.request(Method.GET, "/drip?bytes=10&pieces=10&delay=0.5", [])
    while client.get_status() in (Status.REQUESTING, Status.BODY) and not \
            client.read_response_body_chunk():
        client.poll()
    assert server.connections == 1
    server.stop()
    assert server.connections == 0
    while client.get_status() is Status.BODY:
        client.poll()
        client.read_response_body_chunk()
    return server, client.get_status().name, client.error_message


def test_stop_mid_body_and_connect_after_stop() -> None:
    on_sockets, *sockets = stop_mid_body(in_memory=False)
    with no_io() as attempts:
        in_memory, *memory = stop_mid_body(in_memory=True)
    assert attempts == []
    assert memory == sockets
    assert sockets[0] == "CONNECTION_ERROR" and "after 1 body byte of the 10" in sockets[1]
    # A stopped server's address refuses connections, in memory as on sockets (nobody listens
    # in memory any more, so the client tries a socket, and finds the port closed).
    for server in (on_sockets, in_memory):
        assert connect_live(HTTPClient(record=False), server.host, server.port)[-1] \
            is Status.CANT_CONNECT
