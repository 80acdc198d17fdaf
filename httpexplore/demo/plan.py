"""Response plans: what a connection does, as a lazy sequence of timed actions, with no I/O.

Theory of operation
-------------------
The demo server's HTTP logic never touches a socket, a thread or a clock of its own. A
connection is a *plan*: a generator that yields :class:`Action` values, and a runner (the
executor) carries them out:

* :class:`Send` -- write these bytes now;
* :class:`Pause` -- wait this many seconds before the next action (a paced body, a delayed
  answer, the silence of ``/malformed/silence``);
* :class:`Need` -- the request bytes in :class:`Inbox` are not enough: wait until more arrive,
  or until ``deadline`` on the plan's clock; the executor then resumes the plan, or throws
  :class:`PeerClosed` / :class:`RequestTimeout` / :class:`ClientGone` into it;
* :class:`Close` -- the last action: end the connection, gracefully (FIN after the data), or
  with a reset (RST).

Plans are generated lazily, one action at a time, so a 256 MiB body is a loop over 64 KiB
pieces and is never held in memory whole. Two executors run the same plans: the threaded
socket server (:mod:`.socket_server`) and the in-memory server (:mod:`.memory_server`), which
runs them against a clock when an in-process client reads or writes.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass

from .http11 import ProtocolError

__all__ = [
    "Action", "ClientGone", "Clock", "Close", "Inbox", "Need", "Pause", "PeerClosed", "Plan",
    "RequestTimeout", "Send",
]

Clock = Callable[[], float]


@dataclass(frozen=True, slots=True)
class Send:
    """Write ``data`` to the client now."""

    data: bytes


@dataclass(frozen=True, slots=True)
class Pause:
    """Wait ``seconds`` before the next action (what was sent before leaves first)."""

    seconds: float


@dataclass(frozen=True, slots=True)
class Need:
    """More request bytes are needed; give up at ``deadline`` (a time on the plan's clock)."""

    deadline: float


@dataclass(frozen=True, slots=True)
class Close:
    """End the connection: ``graceful`` is an orderly close (FIN, then drain the client's
    input); ``reset`` aborts it (RST); neither is an abrupt close with no drain."""

    graceful: bool = True
    reset: bool = False


Action = Send | Pause | Need | Close
#: A plan yields actions; its return value is unused.
Plan = Generator[Action, None, None]


class RequestTimeout(Exception):
    """Part of a request arrived, but not all of it within ``request_timeout``."""


class PeerClosed(Exception):
    """The client closed its side of the connection."""


class ClientGone(Exception):
    """The peer closed, reset or stalled the connection; nothing more can be sent."""


class Inbox:
    """The request bytes received so far, read as lines and counted bytes by plans.

    The executor appends what arrives to :attr:`buffer`; a read that needs more yields
    :class:`Need` until :attr:`deadline`, so the reading code is the same whatever carries
    the bytes.
    """

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.buffer = bytearray()
        self.deadline = 0.0

    def set_deadline(self, seconds: float) -> None:
        self.deadline = self.clock() + seconds

    def wait_for_data(self) -> Generator[Action, None, bool]:
        """Wait for the first byte of a request; False if the client closed or stayed idle."""
        if self.buffer:
            return True
        try:
            yield Need(self.deadline)
        except (PeerClosed, RequestTimeout, ClientGone):
            return False
        return bool(self.buffer)

    def read_line(self, limit: int, status: int = 400) -> Generator[Action, None, bytes]:
        """One line including its LF; ``ProtocolError(status)`` if it exceeds ``limit``."""
        while True:
            end = self.buffer.find(b"\n", 0, limit)
            if end >= 0:
                line = bytes(self.buffer[: end + 1])
                del self.buffer[: end + 1]
                return line
            if len(self.buffer) >= limit:
                what = "request line" if status == 414 else "line"
                raise ProtocolError(status, f"{what} longer than {limit} bytes")
            yield Need(self.deadline)

    def read_exact(self, size: int) -> Generator[Action, None, bytes]:
        """Exactly ``size`` bytes."""
        while len(self.buffer) < size:
            yield Need(self.deadline)
        data = bytes(self.buffer[:size])
        del self.buffer[:size]
        return data
