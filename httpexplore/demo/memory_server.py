"""The in-memory server: executes connection plans against a clock, with no socket or thread.

Theory of operation
-------------------
:class:`MemoryBackend` registers itself as an in-process listener (``httpexplore._listeners``)
under the server's host and port. A client that connects there gets one
:class:`MemoryConnection`, the server's end of the stream, which runs the same plan as a
socket connection (:func:`~.connection.connection_plan`), but only when the client calls it:

* ``send(data)``: the request bytes join the plan's inbox, then the plan runs as far as it can;
* ``receive(n)``: the plan runs as far as it can, then up to ``n`` of its output bytes are
  handed over;
* ``readable()`` / ``next_wakeup()``: what the client's blocking mode waits for.

"As far as it can" means: until the plan needs request bytes that have not arrived, or a
``Pause`` that is not over on the clock, or the output already holds ``HIGH_WATER`` bytes
(backpressure: a 256 MiB body is produced a few pieces ahead of the reader, never whole).
Pauses are kept on the plan's own timeline (each one starts when the action before it
happened), so the bytes arrive when they would over a socket, however often the client polls.

``Close`` ends the stream after the output is read; a reset (``Close(reset=True)``) raises
``ConnectionResetError`` at the client after the bytes sent before it, as the socket's RST
does. Deadlines (``idle_timeout``, ``request_timeout``) are checked against the same clock.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from .. import _listeners
from .connection import Router, busy_plan, connection_plan
from .exchange import Settings
from .plan import (
    Action,
    ClientGone,
    Clock,
    Close,
    Inbox,
    Need,
    Pause,
    PeerClosed,
    Plan,
    RequestTimeout,
    Send,
)

__all__ = ["HIGH_WATER", "INBOX_LIMIT", "MemoryBackend", "MemoryConnection"]

log = logging.getLogger("httpexplore.demo")

#: Output bytes produced ahead of the client before the plan waits for it to read.
HIGH_WATER = 256 * 1024
#: Request bytes held unread before the server stops accepting more (the client's send
#: then returns 0, as a full socket buffer would make it).
INBOX_LIMIT = 1024 * 1024


class MemoryConnection:
    """The server's end of one in-memory connection (an ``_listeners.Peer``)."""

    def __init__(self, make_plan: Callable[[Inbox], Plan], clock: Clock,
                 on_end: Callable[[MemoryConnection], None]) -> None:
        self.clock = clock
        self._inbox = Inbox(clock)
        self._plan = make_plan(self._inbox)
        self._on_end = on_end
        self._out = bytearray()
        self._action: Action | None = None  # the action the plan is waiting on
        self._throw: Exception | None = None  # to throw into the plan when it resumes
        self._t = clock()  # the plan's timeline: when its last action happened
        self._blocked = False  # a Send waits for the client to read (backpressure)
        self._fresh = False  # request bytes arrived since the plan last asked
        self._arrived = 0.0  # when they arrived
        self._ending: Close | None = None
        self._client_closed = False
        self._run()  # the plan starts now: its idle deadline counts from the connection

    # -- the client's calls --------------------------------------------------------------

    def send(self, data: bytes) -> int:
        self._run()  # first what was due before these bytes arrived (an expired idle timeout)
        if self._ending is not None:
            if self._ending.reset:
                raise ConnectionResetError("the server reset the connection")
            return len(data)  # the server has closed: the bytes are lost, as on a socket
        room = INBOX_LIMIT - len(self._inbox.buffer)
        if room <= 0:
            return 0
        taken = data[:room]
        self._inbox.buffer += taken
        self._fresh, self._arrived = True, self.clock()
        self._run()
        return len(taken)

    def receive(self, max_bytes: int) -> bytes | None:
        self._run()
        if self._out:
            chunk = bytes(self._out[:max_bytes])
            del self._out[:max_bytes]
            if not self._out and self._ending is not None:
                self._forget()
            return chunk
        if self._ending is not None:
            self._forget()
            if self._ending.reset:
                raise ConnectionResetError("the server reset the connection")
            return b""
        return None

    def readable(self) -> bool:
        self._run()
        return bool(self._out) or self._ending is not None

    def next_wakeup(self) -> float | None:
        action = self._action
        if isinstance(action, Pause):
            return self._t + action.seconds
        if isinstance(action, Need):
            return action.deadline
        return None

    def close(self) -> None:
        """The client closed: the plan is abandoned (its next write would fail anyway)."""
        self._client_closed = True
        self.abort()

    def abort(self) -> None:
        """End the connection now (the client closed, or the server stops)."""
        if self._ending is None:
            self._ending = Close(graceful=False)
            self._plan.close()
        self._forget()

    # -- running the plan ----------------------------------------------------------------

    def _forget(self) -> None:
        on_end, self._on_end = self._on_end, _ignore
        on_end(self)

    def _next(self) -> Action:
        try:
            if self._throw is not None:
                throw, self._throw = self._throw, None
                return self._plan.throw(throw)
            return self._plan.send(None)
        except StopIteration:
            return Close()
        except (PeerClosed, ClientGone):
            return Close(graceful=False)
        except Exception:  # a bug in a handler must not break the client's poll()
            log.exception("demo server: unexpected error on an in-memory connection")
            return Close(graceful=False)

    def _run(self) -> None:
        """Carry out the plan's actions until it must wait (see the module docstring)."""
        if self._ending is not None:
            return
        now = self.clock()
        while True:
            action = self._action
            if action is None:
                action = self._action = self._next()
            if isinstance(action, Send):
                if len(self._out) >= HIGH_WATER:
                    self._blocked = True
                    return
                if self._blocked:  # it waited for the client to read: it happens now
                    self._t, self._blocked = max(self._t, now), False
                self._out += action.data
            elif isinstance(action, Pause):
                due = self._t + action.seconds
                if now < due:
                    return
                self._t = due
            elif isinstance(action, Need):
                if self._fresh and self._arrived <= action.deadline:
                    self._fresh = False
                    self._t = max(self._t, self._arrived)
                elif self._client_closed:
                    self._throw = PeerClosed()
                elif now >= action.deadline:
                    self._t = max(self._t, action.deadline)
                    self._throw = RequestTimeout()
                else:
                    return
            else:
                self._ending = action
                self._plan.close()
                if not self._out:
                    self._forget()
                return
            self._action = None


def _ignore(connection: MemoryConnection) -> None:
    pass


class MemoryBackend:
    """An in-process listener that serves connections with plans (an ``_listeners.Listener``)."""

    def __init__(self, host: str, port: int, max_connections: int, settings: Settings,
                 router: Router, clock: Clock) -> None:
        self.host = host
        self.max_connections = max_connections
        self._settings = settings
        self._router = router
        self._clock = clock
        self._lock = threading.Lock()
        self._live: set[MemoryConnection] = set()
        self._stopped = False
        self.port = _listeners.listen(host, port, self)

    @property
    def connections(self) -> int:
        with self._lock:
            return len(self._live)

    def connect(self) -> MemoryConnection | None:
        with self._lock:
            if self._stopped:
                return None
            busy = len(self._live) >= self.max_connections
        if busy:
            return MemoryConnection(lambda inbox: busy_plan(), self._clock, _ignore)
        settings, router = self._settings, self._router
        connection = MemoryConnection(lambda inbox: connection_plan(inbox, settings, router),
                                      self._clock, self._forget)
        with self._lock:
            self._live.add(connection)
        return connection

    def _forget(self, connection: MemoryConnection) -> None:
        with self._lock:
            self._live.discard(connection)

    def stop(self) -> None:
        """Refuse new connections and end every live one (clients read what was sent, then
        the end of the stream)."""
        with self._lock:
            self._stopped = True
            live = list(self._live)
        _listeners.unlisten(self.host, self.port, self)
        for connection in live:
            connection.abort()
