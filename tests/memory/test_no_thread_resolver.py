"""Where no thread can start (Pyodide), a host name is looked up in ``connect_to_host`` itself
instead of on the resolver's thread pool: the status flow is the usual one, and nothing raises.
"""

from __future__ import annotations

import concurrent.futures
import socket

import pytest

from httpexplore import OK, HTTPClient
from httpexplore import transport as transport_module


class NoThreads(concurrent.futures.ThreadPoolExecutor):
    def submit(self, *args: object, **kwargs: object) -> concurrent.futures.Future[object]:
        raise RuntimeError("can't start new thread")


@pytest.fixture
def no_threads(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(transport_module, "_resolver", lambda: NoThreads())


def statuses_until_settled(client: HTTPClient) -> list[str]:
    seen = [client.get_status().name]
    for _ in range(10_000):
        if client.get_status() not in (HTTPClient.STATUS_RESOLVING,
                                       HTTPClient.STATUS_CONNECTING):
            break
        client.poll()
        if seen[-1] != client.get_status().name:
            seen.append(client.get_status().name)
    return seen


def test_a_name_is_resolved_without_a_thread(no_threads: None) -> None:
    with socket.create_server(("127.0.0.1", 0)) as listener:
        client = HTTPClient()
        assert client.connect_to_host("localhost", listener.getsockname()[1]) == OK
        assert statuses_until_settled(client)[0] == "RESOLVING"
        # localhost may resolve to ::1 first (refused here), then 127.0.0.1 is tried.
        assert client.get_status() == HTTPClient.STATUS_CONNECTED, client.error_message
        client.close()


def test_a_failed_lookup_without_a_thread_is_a_status(no_threads: None,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    def no_such_name(*args: object, **kwargs: object) -> object:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", no_such_name)  # no DNS query leaves the machine
    client = HTTPClient()
    assert client.connect_to_host("no-such-host.invalid", 80) == OK
    assert statuses_until_settled(client) == ["RESOLVING", "CANT_RESOLVE"]
    assert "no-such-host.invalid" in client.error_message
