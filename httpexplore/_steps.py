"""What each public step of an :class:`~httpexplore.client.HTTPClient` did, for its subscribers.

Theory of operation
-------------------
During a step the driver appends what it wrote (:attr:`StepLog.sent`), read
(:attr:`StepLog.received`) and observed (:attr:`StepLog.events`); at the end of the step
:meth:`StepLog.emit` hands one record's fields to every ``on_step`` subscriber (``on_poll``
ones get a frozen :class:`~httpexplore.records.PollRecord`).  With no subscriber nothing is
built at all (the driver checks :attr:`StepLog.subscribers` first).  A *quiet* step (nothing
written, read or handed out, no event, status unchanged, ``OK``: an idle poll) goes to the
subscribers' ``on_quiet`` callbacks instead, with the six fields a quiet record does not share
with every other (:meth:`StepLog.quiet_step`), when every subscriber gave one.

Every step is delivered when it ends, with ``repeat`` = 1: the client folds nothing.  Folding
runs of identical quiet steps into one record is the recorder's business
(:mod:`httpexplore.trace`), so what a trace holds does not depend on when it is read.  Times
come from the clock the client was given.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .errors import Error
from .records import CycleInfo, EventInfo, PollRecord
from .status import ERROR_STATUSES, Status

__all__ = ["PollCallback", "QuietCallback", "StepCallback", "StepLog"]

_OK = Error.OK
# PollRecord is a NamedTuple: tuple.__new__ with the fields in order skips its Python-level
# __new__.  The assertion keeps that order honest.
_new_record = tuple.__new__
assert PollRecord._fields == ("index", "op", "time", "started", "status_before", "status_after",
                              "result", "cycle", "sent", "received", "body", "events",
                              "error_message", "repeat")

PollCallback = Callable[[PollRecord], None]
#: ``callback(*fields)``: a PollRecord's fields as positional arguments (``on_step``).
StepCallback = Callable[..., None]
#: ``on_quiet(index, op, time, started, status, cycle)``: a quiet step (``on_step``).
QuietCallback = Callable[[int, str, float, float, Status, CycleInfo], None]


class StepLog:
    """The subscribers of one client, and what the current step did."""

    __slots__ = ("clock", "events", "index", "poll_wrappers", "quiet", "quiet_hooks",
                 "received", "sent", "subscribers")

    def __init__(self, clock: Callable[[], float]) -> None:
        self.clock = clock
        # A tuple, replaced on (un)subscribe, so the hot path iterates it without copying.
        self.subscribers: tuple[StepCallback, ...] = ()
        # The subscribers' quiet-step callbacks, in the same order (None where there is none),
        # and, when every subscriber has one, those callbacks: a quiet step then calls them.
        self.quiet_hooks: tuple[QuietCallback | None, ...] = ()
        self.quiet: tuple[QuietCallback, ...] | None = None
        self.poll_wrappers: list[tuple[PollCallback, StepCallback]] = []
        self.index = 0
        self.sent: list[bytes] = []
        self.received: list[bytes] = []
        self.events: list[EventInfo] = []

    # -- subscriptions -------------------------------------------------------------------------
    def on_poll(self, callback: PollCallback) -> None:
        def step(*fields: Any) -> None:
            callback(_new_record(PollRecord, fields))
        self.poll_wrappers.append((callback, step))
        self.on_step(step)

    def off_poll(self, callback: PollCallback) -> None:
        for i, (known, step) in enumerate(self.poll_wrappers):
            if known == callback:
                del self.poll_wrappers[i]
                self.off_step(step)
                return

    def on_step(self, callback: StepCallback, on_quiet: QuietCallback | None = None) -> None:
        self.subscribers = (*self.subscribers, callback)
        self.quiet_hooks = (*self.quiet_hooks, on_quiet)
        self._update_quiet()

    def off_step(self, callback: StepCallback) -> None:
        if callback in self.subscribers:
            at = self.subscribers.index(callback)
            self.subscribers = self.subscribers[:at] + self.subscribers[at + 1:]
            self.quiet_hooks = self.quiet_hooks[:at] + self.quiet_hooks[at + 1:]
            self._update_quiet()

    def _update_quiet(self) -> None:
        hooks = self.quiet_hooks
        self.quiet = (tuple(h for h in hooks if h is not None)
                      if hooks and None not in hooks else None)

    # -- the current step ----------------------------------------------------------------------
    def event(self, kind: str, **detail: Any) -> None:
        if self.subscribers:
            self.events.append(EventInfo(kind=kind, detail=detail))

    def clear(self) -> None:
        if self.sent:
            self.sent.clear()
        if self.received:
            self.received.clear()
        if self.events:
            self.events.clear()

    def quiet_step(self, op: str, started: float, status: Status, info: CycleInfo) -> None:
        """End a step the caller knows was quiet: nothing written, read or handed out, no
        event, ``status`` unchanged, ``OK`` (:meth:`emit` checks that itself)."""
        # (The recorder may fold it into its last record: this runs for every idle poll.)
        index = self.index
        self.index = index + 1
        end = self.clock()
        quiet = self.quiet
        if quiet is not None:
            for hook in quiet:
                hook(index, op, end, started, status, info)
        else:
            for callback in self.subscribers:
                callback(index, op, end, started, status, status, _OK, info, b"", b"", b"",
                         (), "", 1)

    def emit(self, op: str, started: float, before: Status, status: Status, result: Error,
             info: CycleInfo, error_message: str, body: bytes = b"") -> None:
        # This runs for every step of a download (two per 64 KiB in the tutorial loop) and every
        # idle poll, so it avoids work for empty parts and hands the fields over as arguments
        # (on_step), in PollRecord's order (checked below the imports), without building an
        # object.
        sent, received, events = self.sent, self.received, self.events
        if status is before and result is _OK and not (sent or received or events or body):
            self.quiet_step(op, started, before, info)
            return
        index = self.index
        self.index = index + 1
        end = self.clock()
        # A record carries a message when this step failed: a caller mistake, or a move into an
        # error status.
        failed = result is not _OK or (status is not before and status in ERROR_STATUSES)
        sent_bytes = (sent[0] if len(sent) == 1 else b"".join(sent)) if sent else b""
        received_bytes = ((received[0] if len(received) == 1 else b"".join(received))
                          if received else b"")
        event_tuple = tuple(events) if events else ()
        message = error_message if failed else ""
        if sent:
            sent.clear()
        if received:
            received.clear()
        if events:
            events.clear()
        for callback in self.subscribers:
            callback(index, op, end, started, before, status, result, info, sent_bytes,
                     received_bytes, body, event_tuple, message, 1)
