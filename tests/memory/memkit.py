"""Helpers shared by the in-memory tests: the tutorial run the same way over any server."""

from __future__ import annotations

import contextlib
import select
import socket
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from clientkit import Outcome, collapse, connect_live, live_exchange

from httpexplore import HTTPClient, Method, Status
from httpexplore.demo import DemoServer


@dataclass
class Run:
    connect: list[Status]
    out: Outcome
    transport: str
    next_poll: object


def run_tutorial(server: DemoServer, path: str, **client_options: object) -> Run:
    """Connect, send GET ``path`` and run the tutorial loop; also note the trace's transport."""
    client = HTTPClient(**client_options)  # type: ignore[arg-type]
    connect = connect_live(client, server.host, server.port)
    out = live_exchange(client, Method.GET, path,
                        ["User-Agent: Pirulo/1.0 (Godot)", "Accept: */*"], deadline=20)
    transport = ""
    if client.trace is not None:
        for record in client.trace:
            for event in record.events:
                if event.kind == "TCPConnected":
                    transport = str(event.detail.get("transport", "socket"))
    next_poll = client.poll() if out.final is Status.CONNECTION_ERROR else None
    client.close()
    return Run(connect, out, transport, next_poll)


def flow(run: Run) -> list[Status]:
    return collapse([*run.connect, *run.out.statuses])


class NoIO(AssertionError):
    """Raised by every thread start, socket and select call inside :func:`no_io`."""


@contextlib.contextmanager
def no_io() -> Iterator[list[str]]:
    """Make ``threading.Thread.start``, ``socket.socket``, ``socket.create_connection``,
    ``socket.socketpair`` and ``select`` raise, as where Python has neither threads nor
    sockets; yields the calls attempted, except the in-memory server's optional port
    reservation (``httpexplore._listeners`` tries a socket and counts ports without one):
    the caller checks the list stays empty."""
    attempts: list[str] = []

    def refuse(name: str):  # type: ignore[no-untyped-def]
        def raiser(*args: object, **kwargs: object) -> object:
            caller = sys._getframe(1).f_globals.get("__name__")
            if caller != "httpexplore._listeners":
                attempts.append(f"{name} from {caller}")
            raise NoIO(f"{name} called in a no-I/O test")
        return raiser

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(threading.Thread, "start", refuse("threading.Thread.start"))
        patch.setattr(socket, "socket", refuse("socket.socket"))
        patch.setattr(socket, "create_connection", refuse("socket.create_connection"))
        patch.setattr(socket, "socketpair", refuse("socket.socketpair"))
        for name in ("select", "poll", "epoll"):
            if hasattr(select, name):
                patch.setattr(select, name, refuse(f"select.{name}"))
        yield attempts


class FakeClock:
    """A clock that moves only when told to."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds
