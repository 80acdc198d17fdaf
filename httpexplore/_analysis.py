"""The recorder's read side: what a :class:`~httpexplore.trace.Trace` works out from its rows.

Theory of operation
-------------------
:class:`~httpexplore.trace.Trace` stores rows (its module docstring); this module turns them
into answers, lazily and incrementally: :class:`Analysis` looks at each row once, the first
time a question is asked, and builds the request cycles, the connections, the labelled bytes
(:mod:`httpexplore.annotate`), the timeline rows and the error visible after each step.  Rows
never change once analysed, except the newest one, which grows while the recorder folds quiet
steps into it; :meth:`Trace._a <httpexplore.trace.Trace>` then refreshes its timeline row
(:meth:`Analysis.row`), the only thing a quiet row adds to the analysis.

State at a step: the inspector's API
------------------------------------
``trace.state_at(k)`` returns a :class:`TraceState`: a frozen, plain snapshot of everything a
learner could see right after step ``k`` (``k`` indexes ``trace.records``; negative counts from
the end).  Fields:

======================== ==========================================================================
``index``, ``record``    ``k`` and the :class:`~httpexplore.records.PollRecord` itself
``status``               ``Status`` after the step; ``result``: the ``Error`` it returned
``error_message``        the client's message visible after the step (``""`` if none)
``connection``           connection number; ``cycle``: request number (0 during a set-up)
``method``, ``url``      the current request (absolute URL; ``""`` during set-up)
``has_response``         a final response head has arrived
``response_code``,       ``reason``, ``http_version``, ``response_headers`` (``((name, value),
                         ...)`` as received), ``interim`` (:class:`InterimResponse` tuple),
                         ``trailers``
``chunked``              ``Transfer-Encoding: chunked``; ``body_length``: Content-Length or -1
``body_size``            body bytes handed out so far; ``body_preview``: their first bytes
                         (at most ``preview_bytes``); ``body_complete``: the body's end was seen
``sent``, ``received``   :class:`~httpexplore.annotate.Segment` tuples of the current cycle (or
                         set-up) up to step ``k``; ``sent_size``/``received_size`` their wire totals
``timeline``             a read-only sequence of :class:`TimelineRow`, one per record ``0..k``
``path``                 the statuses the current connection went through up to ``k``, in order
======================== ==========================================================================

Labels of earlier steps are final: a line split across two reads is labelled once complete;
only at the newest step can an unfinished line carry a provisional label (``note="provisional"``).
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, overload

from .annotate import ConnectionScanner, Segment
from .cycles import _REQUEST_OPS, Connection, Exchange, InterimResponse, TimelineRow, _ms
from .errors import Error
from .records import PollRecord
from .status import Status

__all__ = ["NOTHING_OMITTED", "ROUTINE_OPS", "Analysis", "RecordRows", "Rows", "TraceState",
           "upto"]

#: A row as the trace stores it (see :mod:`httpexplore.trace`).
_Fields = tuple[Any, ...]
# tuple.__new__ with the fields in order builds a NamedTuple without its Python-level __new__.
_new_record = tuple.__new__
NOTHING_OMITTED = (0, 0, 0)
#: Calls whose routine steps (OK, status kept, no event but body Data) may be summarised/folded.
ROUTINE_OPS = ("poll", "read_response_body_chunk")
_CLOSED_EVENTS = ("PeerClosed", "ConnectionClosed")


class Rows(Sequence[Any]):
    """A read-only view of the first ``stop`` items of a list that only grows."""

    __slots__ = ("_items", "_stop")

    def __init__(self, items: list[Any], stop: int) -> None:
        self._items, self._stop = items, stop

    def __len__(self) -> int:
        return self._stop

    @overload
    def __getitem__(self, i: int) -> Any: ...
    @overload
    def __getitem__(self, i: slice) -> list[Any]: ...

    def __getitem__(self, i: int | slice) -> Any:
        if isinstance(i, slice):
            return self._items[:self._stop][i]
        if i < 0:
            i += self._stop
        if not 0 <= i < self._stop:
            raise IndexError("index out of range")
        return self._items[i]

    def __repr__(self) -> str:
        return f"<{len(self)} items>"


class RecordRows(Rows):
    """:class:`Rows` over the trace's rows, handing out :class:`PollRecord` objects (built on
    access: storing plain tuples keeps recording cheap)."""

    __slots__ = ("_record",)

    def __init__(self, items: list[Any], stop: int,
                 record: Callable[[_Fields], PollRecord]) -> None:
        super().__init__(items, stop)
        self._record = record

    @overload
    def __getitem__(self, i: int) -> PollRecord: ...
    @overload
    def __getitem__(self, i: slice) -> list[PollRecord]: ...

    def __getitem__(self, i: int | slice) -> PollRecord | list[PollRecord]:
        if isinstance(i, slice):
            return [self._record(t) for t in self._items[:self._stop][i]]
        return self._record(super().__getitem__(i))


class Analysis:
    """Everything derived from the records, built one record at a time (never twice)."""

    def __init__(self, origin: float) -> None:
        self.origin = origin
        self.done = 0
        self.connections: dict[int, Connection] = {}
        self.exchanges: list[Exchange] = []
        self.current: Exchange | None = None
        self.last_cycle = 0
        self.last_conn = 0
        self.owner: list[Exchange | Connection] = []
        self.scanners: dict[int, ConnectionScanner] = {}
        self.seen: dict[tuple[int, str], int] = {}
        self.rows: list[TimelineRow] = []
        self.errors: list[str] = []
        self.last_info: object = None  # the CycleInfo of the last step analysed in full

    def run(self, records: list[_Fields], omitted: dict[int, tuple[int, int, int]],
            record: Callable[[_Fields], PollRecord]) -> None:
        for pos in range(self.done, len(records)):
            self._one(pos, record(records[pos]), omitted.get(pos, NOTHING_OMITTED))
        self.done = len(records)

    def _one(self, pos: int, record: PollRecord, omitted: tuple[int, int, int]) -> None:
        c = record.cycle
        if (c is self.last_info and record.status_before is record.status_after
                and not record.events and not record.error_message
                and record.op in ROUTINE_OPS and record.result is Error.OK):
            # The routine body or idle step (most of a download): the same cycle object as the
            # step before, so the same owner, connection and scanner, and no status change,
            # event or error, so the connection's path and the visible error stay as they are.
            owner = self.owner[-1]
            self.owner.append(owner)
            owner.add(pos, record, omitted)
            self._scan(pos, record, omitted, self.scanners[c.connection])
            self.rows.append(self.row(pos, record, omitted))
            self.errors.append(self.errors[-1])
            return
        self.last_info = c
        conn = self.connections.get(c.connection)
        if conn is None:
            conn = self.connections[c.connection] = Connection(
                number=c.connection, host=c.host, port=c.port, tls=c.tls, proxy=c.proxy)
        scanner = self.scanners.get(c.connection)
        if scanner is None:
            # Recording that starts mid-request cannot know where messages begin.
            in_sync = record.status_before not in (Status.REQUESTING, Status.BODY)
            scanner = self.scanners[c.connection] = ConnectionScanner(c.connection,
                                                                      in_sync=in_sync)
        if c.connection != self.last_conn and self.last_conn in self.scanners:
            self._close_stream(self.last_conn)  # connect_to_host() closed the previous one
        self.last_conn = c.connection
        owner = self._owner(record, conn, scanner)
        self.owner.append(owner)
        owner.add(pos, record, omitted)
        conn.note(pos, record)
        self._scan(pos, record, omitted, scanner)
        self.rows.append(self.row(pos, record, omitted))
        self.errors.append(self._visible_error(record))

    def _owner(self, record: PollRecord, conn: Connection,
               scanner: ConnectionScanner) -> Exchange | Connection:
        c = record.cycle
        # The request counter moves in request(); recording that starts mid-cycle picks the
        # cycle up at its first REQUESTING/BODY step.
        if c.cycle > self.last_cycle and (record.op in _REQUEST_OPS or record.status_before in (
                Status.REQUESTING, Status.BODY)):
            new = Exchange.begin(record, conn, first=not conn.cycles)
            self.exchanges.append(new)
            conn.cycles.append(new.number)
            self.current, self.last_cycle = new, c.cycle
            if record.op in _REQUEST_OPS:
                scanner.resync()  # a new request: the bytes start afresh here
            return new
        ex = self.current
        if ex is not None and ex.number == c.cycle and ex.connection == c.connection:
            return ex
        return conn

    def _scan(self, pos: int, record: PollRecord, omitted: tuple[int, int, int],
              scanner: ConnectionScanner) -> None:
        ended = record.op == "close" or (bool(record.events) and any(
            e.kind in _CLOSED_EVENTS or e.kind == "Error" for e in record.events))
        if not (record.sent or record.received or omitted[0] or omitted[1] or ended):
            return
        new = scanner.feed(pos, record.sent, record.received, sent_omitted=omitted[0],
                           received_omitted=omitted[1], eof=ended)
        self._distribute(new, scanner)

    def _close_stream(self, number: int) -> None:
        scanner = self.scanners[number]
        before = len(scanner.sent.out), len(scanner.received.out)
        scanner.received.eof()
        scanner.sent.eof()
        self._distribute(scanner.sent.out[before[0]:] + scanner.received.out[before[1]:],
                         scanner)

    def _distribute(self, new: list[Segment], scanner: ConnectionScanner) -> None:
        for seg in new:
            self.owner[seg.record].add_segment(seg)
        for side in (scanner.sent, scanner.received):
            key = (side.connection, side.direction)
            seen = self.seen.get(key, 0)
            for msg in side.messages[seen:]:
                self.owner[msg.record].messages.append(msg)
            self.seen[key] = len(side.messages)

    def row(self, pos: int, record: PollRecord, omitted: tuple[int, int, int]) -> TimelineRow:
        c = record.cycle
        return _new_record(TimelineRow, (  # one per record: tuple.__new__ skips the __new__
            pos, record.op, record.status_before, record.status_after, record.result,
            len(record.sent) + omitted[0], len(record.received) + omitted[1],
            len(record.body) + omitted[2],
            tuple(e.kind for e in record.events) if record.events else (),
            record.error_message, c.connection, c.cycle, _ms(self.origin, record.started),
            _ms(record.started, record.time), record.repeat))

    def _visible_error(self, record: PollRecord) -> str:
        """``client.error_message`` after this step, as far as the records tell."""
        if record.error_message:
            return record.error_message
        if record.op in ("connect_to_host", "close") or (
                record.op in _REQUEST_OPS and record.result is Error.OK):
            return ""  # these calls clear the client's error
        return self.errors[-1] if self.errors else ""


@dataclass(frozen=True)
class TraceState:
    """Everything visible right after one step (see the module docstring)."""

    index: int
    record: PollRecord
    status: Status
    result: Error
    error_message: str
    connection: int
    cycle: int
    method: str
    url: str
    has_response: bool
    response_code: int
    reason: str
    http_version: str
    response_headers: tuple[tuple[str, str], ...]
    interim: tuple[InterimResponse, ...]
    trailers: tuple[tuple[str, str], ...]
    chunked: bool
    body_length: int
    body_size: int
    body_preview: bytes
    body_complete: bool
    sent_size: int
    received_size: int
    sent: tuple[Segment, ...]
    received: tuple[Segment, ...]
    timeline: Sequence[TimelineRow]
    path: tuple[Status, ...]


def upto(segments: list[Segment], k: int) -> list[Segment]:
    """Segments of steps ``<= k`` (records never decrease along a direction's segments)."""
    return segments[:bisect.bisect_right(segments, k, key=lambda s: s.record)]


# _row builds TimelineRow positionally.
assert TimelineRow._fields[0] == "index" and TimelineRow._fields[-1] == "repeat" \
    and len(TimelineRow._fields) == 15
