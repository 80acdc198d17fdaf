"""Polling on the kernel's event loop, and refreshes the browser can keep up with.

Theory of operation
-------------------
**Auto-poll** is a coroutine, :func:`auto_poll`, that calls one *step* (a ``poll()``, plus a
``read_response_body_chunk()`` in BODY, like the tutorial's loop) until the client no longer has
anything to wait for.  It never blocks: between steps it ``await``\\ s, so in Jupyter, where
ipykernel runs an asyncio loop, other cells and widget clicks are served while it runs.  It yields
after every step when an interval is set, after a step that moved no byte (a short sleep instead
of spinning), and otherwise at least every :data:`SLICE` seconds.  No thread is involved: widgets
are only touched from the loop's thread.

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

__all__ = ["IDLE_WAIT", "SLICE", "Throttle", "auto_poll", "running_loop"]

#: Longest run of steps without yielding to the event loop, in seconds.
SLICE = 0.02
#: Sleep after a step that moved no byte (the server has not answered yet), in seconds.
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
        self.dirty = False
        #: Refreshes performed so far.
        self.count = 0

    def request(self) -> None:
        """Something changed: refresh now if the last refresh is old enough, else later."""
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
        start = self._clock()
        self.count += 1
        try:
            self._refresh()
        finally:
            end = self._clock()
            self._next = max(start + self.interval, end + 4 * (end - start))

    def cancel(self) -> None:
        """Drop a pending timer (the views are being closed)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None


async def auto_poll(step: Callable[[], bool], active: Callable[[], bool],
                    interval: Callable[[], float]) -> int:
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
    """
    steps = 0
    slice_start = time.monotonic()
    while active():
        progressed = step()
        steps += 1
        pause = interval()
        if pause > 0:
            await asyncio.sleep(pause)
        elif not progressed:
            await asyncio.sleep(IDLE_WAIT)
        elif time.monotonic() - slice_start >= SLICE:
            await asyncio.sleep(0)
        else:
            continue
        slice_start = time.monotonic()
    return steps
