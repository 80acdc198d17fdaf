"""Polling on the kernel's event loop, and refreshes the browser can keep up with.

Theory of operation
-------------------
**Auto-poll** is a coroutine, :func:`auto_poll`, that calls one *step* (a ``poll()``, plus a
``read_response_body_chunk()`` in BODY, like the tutorial's loop) until the client no longer has
anything to wait for.  It never blocks: between steps it ``await``\\ s, so in Jupyter, where
ipykernel runs an asyncio loop, other cells and widget clicks are served while it runs.  It yields
after every step when an interval is set, after a step that moved no byte, and otherwise at least
every :data:`SLICE` seconds.  No thread is involved: widgets are only touched from the loop's
thread.

**Waiting for bytes.**  A step that moved no byte usually means the loop has outrun the server.
Sleeping a fixed time then wastes most of it (the bytes often arrive microseconds later), and
spinning would burn a CPU.  So auto-poll asks the loop to watch the client's socket
(``loop.add_reader``) and resumes as soon as it is readable, or after :data:`IDLE_WAIT` at the
latest: connecting, TLS and sending wait for other things than readability, and the client
checks its timeouts only when polled.  Without a socket (a scripted transport) it just sleeps
:data:`IDLE_WAIT`.  If the socket is readable yet the next step still moves nothing, readability
is not trusted again until a step moves bytes, so a socket that stays readable cannot make the
loop spin.

**Throttling.**  A poll can take microseconds; re-rendering the views and sending them to the
browser takes milliseconds.  :class:`Throttle` coalesces refresh requests: the first request after
a quiet period refreshes at once, later ones only mark the views dirty, and at most one refresh
happens per ``interval`` (50 ms: 20 per second).  A refresh that takes long pushes the next one
further out (at least four times its own duration), so drawing never takes more than about a
fifth of the time, however slow the views are.  When an event loop is running, a dirty state is
refreshed by a timer at the end of the interval, so the last state is always drawn; callers that
finish a burst (a button, the end of auto-poll) call :meth:`Throttle.flush`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

__all__ = ["IDLE_WAIT", "SLICE", "Throttle", "auto_poll", "running_loop", "wait_readable"]

#: Longest run of steps without yielding to the event loop, in seconds.
SLICE = 0.02
#: Longest wait after a step that moved no byte (the server has not answered yet), in seconds;
#: a readable socket ends it sooner.
IDLE_WAIT = 0.001


def running_loop() -> asyncio.AbstractEventLoop | None:
    """The event loop running in this thread (ipykernel's in Jupyter), or None."""
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


class Throttle:
    """Call ``refresh`` at most once per ``interval`` seconds, however often it is requested.

    Parameters
    ----------
    refresh:
        Redraws the views.
    interval:
        Minimum seconds between two refreshes (0.05: at most 20 per second).
    clock:
        A monotonic clock (tests pass a fake one).
    """

    def __init__(self, refresh: Callable[[], None], interval: float = 0.05,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._refresh = refresh
        self.interval = interval
        self._clock = clock
        self._next = float("-inf")  # earliest time of the next refresh
        self._timer: asyncio.TimerHandle | None = None
        self._refreshing = False
        self.dirty = False
        #: Refreshes performed so far.
        self.count = 0

    def request(self) -> None:
        """Something changed: refresh now if the last refresh is old enough, else later.

        A request made by the refresh itself is dropped: it reports a change the refresh is
        drawing.
        """
        if self._refreshing:
            return
        self.dirty = True
        wait = self._next - self._clock()
        if wait <= 0:
            self.flush()
        elif self._timer is None:
            loop = running_loop()
            if loop is not None:
                self._timer = loop.call_later(wait, self._on_timer)

    def _on_timer(self) -> None:
        self._timer = None
        if self.dirty:
            self.flush()

    def flush(self) -> None:
        """Refresh now if anything changed since the last refresh."""
        if not self.dirty:
            return
        self.dirty = False
        self.cancel()  # this refresh replaces the pending one (which would come too soon after)
        start = self._clock()
        self.count += 1
        self._refreshing = True
        try:
            self._refresh()
        finally:
            self._refreshing = False
            end = self._clock()
            self._next = max(start + self.interval, end + 4 * (end - start))

    def cancel(self) -> None:
        """Drop a pending timer (a refresh happens now, or the views are being closed)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None


async def wait_readable(fd: int | None, timeout: float) -> bool:
    """Wait until ``fd`` is readable or ``timeout`` seconds have passed, without blocking the loop.

    Returns True when the wait ended because ``fd`` became readable.  With ``fd`` None, or on a
    loop that cannot watch file descriptors (Windows' proactor loop), it sleeps ``timeout``.
    """
    loop = asyncio.get_running_loop()
    if fd is None:
        await asyncio.sleep(timeout)
        return False
    woken: asyncio.Future[bool] = loop.create_future()

    def wake(readable: bool) -> None:
        if not woken.done():
            woken.set_result(readable)

    try:
        loop.add_reader(fd, wake, True)
    except (NotImplementedError, OSError, ValueError):
        await asyncio.sleep(timeout)
        return False
    timer = loop.call_later(timeout, wake, False)
    try:
        return await woken
    finally:
        timer.cancel()
        loop.remove_reader(fd)


async def auto_poll(step: Callable[[], bool], active: Callable[[], bool],
                    interval: Callable[[], float],
                    readable: Callable[[], int | None] = lambda: None) -> int:
    """Run ``step`` while ``active()``; return the number of steps.

    Parameters
    ----------
    step:
        One step of work; returns True when it moved bytes or changed the status.
    active:
        False once there is nothing left to wait for (response complete, error, stopped).
    interval:
        Seconds to wait between steps (read before each wait, so a slider can change it); 0
        runs steps back to back, yielding to the loop every :data:`SLICE` seconds.
    readable:
        The file descriptor whose readability ends the wait after a step that moved nothing
        (the client's socket), or None to just sleep :data:`IDLE_WAIT`.
    """
    steps = 0
    trust = True  # False from a wake-up by readability until a step moves bytes again
    slice_start = time.monotonic()
    while active():
        progressed = step()
        steps += 1
        pause = interval()
        if progressed:
            trust = True
        if pause > 0:
            await asyncio.sleep(pause)
        elif not progressed:
            if await wait_readable(readable() if trust else None, IDLE_WAIT):
                trust = False
        elif time.monotonic() - slice_start >= SLICE:
            await asyncio.sleep(0)
        else:
            continue
        slice_start = time.monotonic()
    return steps
