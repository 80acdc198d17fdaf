"""The recorder: every step of an :class:`~httpexplore.HTTPClient` as data.

Theory of operation
-------------------
A :class:`Trace` subscribes to a client (``client.on_poll``) and keeps the frozen
:class:`~httpexplore.records.PollRecord` of every public step.  Keeping a record is O(1): it is
appended, and only its byte counts are looked at.  Everything else — grouping steps into request
cycles, labelling bytes (:mod:`httpexplore.annotate`), timings — is worked out lazily, the first
time a question is asked, and incrementally: each record is analysed once, however often the
trace is queried.

**Quiet steps are folded, here.**  A step where nothing happened (a ``poll()`` while the server
has not answered yet: nothing written, read or handed out, no event, no message, status
unchanged, ``OK``) is recorded once; each identical quiet step that follows (same call, status
and cycle) extends that record in place: its ``PollRecord.repeat`` counts the steps it stands
for and its ``time`` moves to the end of the latest one (see :mod:`httpexplore.records`).
``len(trace)`` and the positions ``k`` count records, :attr:`Trace.steps` counts steps.  A
million idle polls therefore make one record.  The client folds nothing (its subscribers get
every step, with ``repeat`` = 1), so the trace is the same whoever reads it and whenever: reading
it never closes a run.  Only the newest record can grow; the analysis below refreshes its
timeline row when it did.  ``Trace(fold_quiet_steps=False)`` keeps one record per step.

**Bounded memory.**  Each request cycle (and each connection's set-up) may keep at most
``max_bytes_per_cycle`` bytes of ``sent + received + body``, and the whole trace at most
``max_bytes_total``.  Past that, records are stored with their byte fields cut short;
:meth:`Trace.omitted` says how many bytes of each were not kept, all totals still count them, and
the byte annotation shows them as ``omitted`` segments.  A record is stored as a flat tuple the
garbage collector stops tracking (statuses as ints, the cycle and the events as indexes into
per-trace tables: :mod:`httpexplore._rowstore`), so full collections never walk the trace;
``trace.records`` builds the ``PollRecord`` objects on access.  Under the cap its byte objects
are the client's own (no copy), over it they are cut short, so a 1 GiB download costs 4 MiB of
byte log, not 2 GiB.

**Bounded record count.**  Bytes are not the only cost: each record, its events and the
analysis built from it take a few hundred bytes, and an endless body read 256 bytes at a time
makes about 200,000 steps a second.  Once a trace holds ``max_records`` records, *routine*
steps (a ``poll()`` or ``read_response_body_chunk()`` that returns OK, keeps the status, and
produces no event other than body ``Data``) are no longer stored one by one: each is added to a
*summary record* of the same call and cycle (one of the last two records), whose ``repeat``
counts the steps it stands for and whose bytes are all counted as omitted (:meth:`Trace.omitted`,
so every total stays exact) while their ``Data`` events are dropped.  Steps that change
anything (status, error, a response head, the end of the message...) are still recorded one by
one; there are at most a few per request, and requests are made by the caller.  So the
recorder's memory is about ``max_records`` records plus the byte caps plus a few records per
request and connection, however long a hostile server keeps a response going.  Events are
bounded the same way: a record keeps at most ``MAX_DATA_EVENTS`` body ``Data`` events (a read
full of one-byte chunks makes thousands); the rest become one ``Data`` event whose
``merged`` detail counts them (:attr:`Trace.merged_events`).
:attr:`Trace.summarised_steps` counts the steps summarised this way: ``repr(trace)``, the text
dump and the HAR export show it, and it is the marker views should show when it is not 0.

**Timings** come from the steps' ``started``/``time`` stamps, so their resolution is the step: a
poll-driven client learns that a byte arrived when a ``poll()`` reads it, not when the packet
landed.  A phase that ends inside the step where it began lasts 0 ms.  Per cycle (milliseconds,
``-1`` = not applicable, as in HAR 1.2): ``blocked`` (``request()`` queued the bytes → the poll
that wrote the first one started), ``dns`` (RESOLVING), ``connect`` (until CONNECTED: TCP,
any HTTPS-proxy tunnel and TLS), ``ssl`` (the TLS handshake, also inside ``connect``), ``send``
(first → last request byte written), ``wait`` (last request byte → first response byte) and
``receive`` (first → last response byte).  A reused connection has ``dns``, ``connect`` and
``ssl`` of -1; the set-up time of a connection counts for the first request made on it.

This module stores; :mod:`httpexplore._analysis` answers (cycles, connections, labelled bytes,
the timeline) and describes :meth:`Trace.state_at`, the inspector's API.  Formats (HAR, the text
dump, save/load, HTML) live in :mod:`httpexplore.export`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, overload

from ._analysis import NOTHING_OMITTED as _NOTHING_OMITTED
from ._analysis import ROUTINE_OPS as _ROUTINE_OPS
from ._analysis import Analysis as _Analysis
from ._analysis import RecordRows as _RecordRows
from ._analysis import Rows as _Rows
from ._analysis import TraceState
from ._analysis import upto as _upto
from ._rowstore import CYCLE as _CYCLE
from ._rowstore import MAX_DATA_EVENTS
from ._rowstore import REPEAT as _REPEAT
from ._rowstore import Fields as _Fields
from ._rowstore import cut as _cut
from ._rowstore import merge_data as _merge_data
from ._rowstore import record_of as _record_of
from ._rowstore import store_events as _store_events
from .annotate import Segment
from .cycles import Connection, Exchange, InterimResponse, TimelineRow, Timings
from .errors import Error
from .records import CycleInfo, EventInfo, PollRecord
from .status import Status

if TYPE_CHECKING:
    from .client import HTTPClient

__all__ = [
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_RECORDS",
    "DEFAULT_MAX_TOTAL",
    "MAX_DATA_EVENTS",
    "Connection",
    "Exchange",
    "InterimResponse",
    "TimelineRow",
    "Timings",
    "Trace",
    "TraceState",
]

#: Default per-cycle cap on kept bytes (sent + received + body).
DEFAULT_MAX_BYTES = 4 * 1024 * 1024
#: Bytes of byte log kept over a whole trace, by default.
DEFAULT_MAX_TOTAL = 8 * 1024 * 1024
#: Records kept before routine body steps are summarised, by default (see Trace).
DEFAULT_MAX_RECORDS = 20_000
_OK = Error.OK


class Trace:
    """Records every step of an :class:`~httpexplore.HTTPClient` (see the module docstring).

    Parameters
    ----------
    client:
        A client to attach to at once (``client.on_poll``); attach later with :meth:`attach`.
    max_bytes_per_cycle:
        Bytes (sent + received + body) kept per request cycle; the rest is counted, not kept.
    max_bytes_total:
        Bytes kept over the whole trace (default 8 MiB), so that many cycles on one keep-alive
        connection do not add up to unbounded memory; later cycles are counted, not kept.
    max_records:
        Records kept before routine body steps are summarised (default 20,000; see the module
        docstring, "Bounded record count").
    clock:
        The clock of the trace's time anchor; default: the client's (``HTTPClient.clock``), so
        that step times and the anchor agree, or ``time.monotonic`` without a client.
    fold_quiet_steps:
        Fold each run of identical quiet steps into one record (default True; module
        docstring).
    """

    def __init__(self, client: HTTPClient | None = None, *,
                 max_bytes_per_cycle: int = DEFAULT_MAX_BYTES,
                 max_bytes_total: int = DEFAULT_MAX_TOTAL,
                 max_records: int = DEFAULT_MAX_RECORDS,
                 clock: Callable[[], float] | None = None,
                 fold_quiet_steps: bool = True) -> None:
        if max_bytes_per_cycle < 0 or max_bytes_total < 0 or max_records < 0:
            raise ValueError("max_bytes_per_cycle, max_bytes_total and max_records must be "
                             ">= 0")
        self.max_bytes_per_cycle = max_bytes_per_cycle
        self.max_bytes_total = max_bytes_total
        self.max_records = max_records
        self._summarised = 0
        self._summaries: set[int] = set()  # positions of summary records
        self._summary_at = -1  # the summary record the last summarised step went to
        self._merged_events = 0
        self._total_left = max_bytes_total
        # One anchor maps the client's step times to wall-clock time (HAR startedDateTime),
        # on the client's clock (the records' times are from it too).
        if clock is None:
            clock = client.clock if client is not None else time.monotonic
        self.started = clock()
        self.started_wall = time.time()
        # Rows (_rowstore): flat, GC-untracked tuples; PollRecord objects are built on access.
        # Read them through ``_records``, which first writes a pending quiet run (_on_step).
        self._rows: list[_Fields] = []
        self._pending = 0  # quiet steps folded into the last row but not yet written into it
        self._pending_end = 0.0
        # The rows' tables (_rowstore): cycles as the client emitted them (one per stretch of
        # steps) as plain tuples, and the events of every record in one flat list of strings
        # and numbers (``_rowstore.store_events``); ``_record`` rebuilds the objects.
        self._cycles: list[tuple[Any, ...]] = []
        self._events: list[Any] = []  # every record's events, flat (see _store_events)
        self._cycle_objects: dict[int, CycleInfo] = {}  # built on read, one per table entry
        self._omitted: dict[int, tuple[int, int, int]] = {}
        self._key: tuple[int, int] | None = None
        self._cycle_info: object = None
        self._cycle_at = -1  # the position of _cycle_info's entry in _cycles
        #: Fold runs of identical quiet steps into one record (module docstring); False keeps
        #: one record per step (a million idle polls then make a million records).
        self.fold_quiet_steps = fold_quiet_steps
        # The op and status of the last record when later steps may fold into it, else None.
        self._quiet_op: str | None = None
        self._quiet_status = Status.DISCONNECTED
        self._budget = 0
        self._analysis = _Analysis(self.started)
        self._client: HTTPClient | None = None
        if client is not None:
            self.attach(client)

    # -- recording (the hot path) ---------------------------------------------------------
    def attach(self, client: HTTPClient) -> None:
        """Subscribe to ``client``'s steps (detaching from any previous client)."""
        self.detach()
        client.on_step(self._on_step, self._on_quiet)
        self._client = client

    def detach(self) -> None:
        """Stop recording; the records stay."""
        if self._client is not None:
            self._client.off_step(self._on_step)
            self._client = None

    def _on_quiet(self, index: int, op: str, end: float, started: float, status: Status,
                  c: CycleInfo) -> None:
        """A quiet step (``HTTPClient.on_step``): counted when it repeats the last record (the
        idle poll, the hot case: see ``_on_step``), else stored like any step."""
        if op == self._quiet_op and status is self._quiet_status and c is self._cycle_info:
            self._pending += 1
            self._pending_end = end
            return
        rows = self._rows
        if c is not self._cycle_info or self._pending or len(rows) >= self.max_records:
            self._on_step(index, op, end, started, status, status, _OK, c, b"", b"", b"", (),
                          "", 1)
            return
        # The first of a run (what _on_step does with a quiet step of the same cycle under the
        # record cap: no bytes to count, no event; later repeats fold into it).
        rows.append((index, op, end, started, status._value_, status._value_, 0,
                     self._cycle_at, b"", b"", b"", -1, "", 1))
        self._quiet_op = op if op in _ROUTINE_OPS and self.fold_quiet_steps else None
        self._quiet_status = status

    def _on_record(self, record: PollRecord) -> None:
        self._on_step(*record)

    def _on_step(self, index: int, op: str, end: float, started: float, before: Status,
                 after: Status, result: Error, c: CycleInfo, sent: bytes, received: bytes,
                 body: bytes, events: tuple[EventInfo, ...], message: str, repeat: int) -> None:
        if (op == self._quiet_op and before is self._quiet_status and after is before
                and c is self._cycle_info and result is _OK
                and not (sent or received or body or events or message)):
            # The same quiet step again (an idle poll): it extends the last record.  This runs
            # for every idle poll, so it only counts; the count is written into the row before
            # anything reads the rows or adds one (``_records``), so every reader, whenever it
            # reads, sees the same trace.
            self._pending += repeat
            self._pending_end = end
            return
        if self._pending:
            self._settle()
        # O(1) and no copy unless the cycle's byte budget is exceeded.  This runs for every
        # step of a download, so it takes the fields as arguments (HTTPClient.on_step: no
        # object is built for the call) and stores one flat row.  The client keeps one
        # CycleInfo object per stretch of steps, so an identity check usually settles the key.
        if c is not self._cycle_info:
            self._cycle_info = c
            self._cycle_at = len(self._cycles)
            self._cycles.append((*c,))
            self._quiet_op = None  # a new cycle entry: nothing to fold into
            key = (c.connection, c.cycle)
            if key != self._key:
                self._key, self._budget = key, min(self.max_bytes_per_cycle, self._total_left)
        rows = self._rows
        if (len(rows) >= self.max_records and before is after and not message
                and result is _OK and op in _ROUTINE_OPS
                and (not events or all(e.kind == "Data" for e in events))):
            self._summarise(index, op, end, started, before, c,
                            (len(sent), len(received), len(body)), repeat)
            return
        size = len(sent) + len(received) + len(body)
        if not size:
            pass
        elif size <= self._budget:
            self._budget -= size
            self._total_left -= size
        elif not self._budget:  # the usual case in a long download: keep no bytes
            self._omitted[len(rows)] = (len(sent), len(received), len(body))
            sent = received = body = b""
        else:
            (sent, received, body), left_out = _cut(sent, received, body, self._budget)
            kept = size - sum(left_out)
            self._budget -= kept
            self._total_left -= kept
            self._omitted[len(rows)] = left_out
        if events:
            if len(events) > MAX_DATA_EVENTS:
                events, fewer = _merge_data(events)
                self._merged_events += fewer
            at = _store_events(self._events, events)
            self._quiet_op = None
        else:
            at = -1
            # Whether the steps that repeat this one may fold into it (see above).
            self._quiet_op = (op if before is after and not (size or message) and result is _OK
                              and op in _ROUTINE_OPS and self.fold_quiet_steps else None)
        # ``_value_``: the statuses' and result's int (IntEnum), without a call.
        rows.append((index, op, end, started, before._value_, after._value_, result._value_,
                     self._cycle_at, sent, received, body, at, message, repeat))
        self._quiet_status = before

    @property
    def _records(self) -> list[_Fields]:
        """The rows, with any pending quiet run written into the last one."""
        if self._pending:
            self._settle()
        return self._rows

    def _settle(self) -> None:
        """Write the pending quiet steps into the last row (its fields are known: a quiet
        row, so only its end time and its count change)."""
        rows = self._rows
        old = rows[-1]
        rows[-1] = (old[0], old[1], self._pending_end, old[3], old[4], old[4], 0, old[7], b"",
                    b"", b"", -1, "", old[13] + self._pending)
        self._pending = 0

    def _summarise(self, index: int, op: str, end: float, started: float, status: Status,
                   c: CycleInfo, sizes: tuple[int, int, int], repeat: int) -> None:
        """Past ``max_records``: add a routine step to a summary record (module docstring)."""
        self._summarised += repeat
        self._quiet_op = None
        records, omitted, summaries = self._records, self._omitted, self._summaries
        n = len(records)
        for pos in range(n - 1, max(n - 3, self._analysis.done - 1), -1):
            if pos not in summaries:
                continue
            old = records[pos]
            if old[1] == op and (old[_CYCLE] == self._cycle_at
                                 or self._cycles[old[_CYCLE]] == c):
                if sizes != _NOTHING_OMITTED:
                    kept = omitted.get(pos, _NOTHING_OMITTED)
                    omitted[pos] = (kept[0] + sizes[0], kept[1] + sizes[1],
                                    kept[2] + sizes[2])
                records[pos] = (*old[:2], end, *old[3:13], old[13] + repeat)
                self._summary_at = pos
                return
        # A new summary record (also when the last one was analysed already: records already
        # analysed never change).
        summaries.add(n)
        if sizes != _NOTHING_OMITTED:  # (a quiet step, say, leaves nothing out)
            omitted[n] = sizes
        records.append((index, op, end, started, status._value_, status._value_, 0,
                        self._cycle_at, b"", b"", b"", -1, "", repeat))

    @property
    def merged_events(self) -> int:
        """Body ``Data`` events not kept one by one (merged, past ``MAX_DATA_EVENTS`` per
        record); 0 when none."""
        return self._merged_events

    @property
    def summarised_steps(self) -> int:
        """Steps added to summary records past ``max_records`` (0 when none: every step has
        its own record, or a folded run of quiet steps).  The marker that older detail is
        gone: their bytes are counted in :meth:`omitted`, their ``Data`` events dropped."""
        return self._summarised

    def add(self, record: PollRecord, omitted: tuple[int, int, int] | None = None) -> None:
        """Append a record as if the client had emitted it.

        With ``omitted`` (as :func:`httpexplore.export.save` writes it) the record is stored
        exactly as given;
        without, the per-cycle cap applies as when recording live.
        """
        if omitted is None:
            self._on_record(record)
            return
        self._quiet_op = None  # stored exactly as given: later steps do not fold into it
        if any(omitted):
            self._omitted[len(self._records)] = omitted
        c, events = record.cycle, record.events
        if c is not self._cycle_info:
            self._cycle_info = c
            self._cycle_at = len(self._cycles)
            self._cycles.append((*c,))
        at = _store_events(self._events, events) if events else -1
        self._records.append((*record[:4], int(record.status_before), int(record.status_after),
                              int(record.result), len(self._cycles) - 1, *record[8:11],
                              at, *record[12:]))

    def _record(self, row: _Fields) -> PollRecord:
        """The PollRecord a row stands for."""
        return _record_of(row, self._cycles, self._cycle_objects, self._events)

    @classmethod
    def from_records(cls, records: Iterable[tuple[PollRecord, tuple[int, int, int]]], *,
                     started: float, started_wall: float,
                     max_bytes_per_cycle: int = DEFAULT_MAX_BYTES,
                     max_records: int = DEFAULT_MAX_RECORDS, summarised_steps: int = 0,
                     merged_events: int = 0) -> Trace:
        """A detached trace built from records, as a recorder would have kept them: each
        ``(record, omitted)`` goes through the live caps, ``omitted`` being the (sent,
        received, body) bytes already left out.  ``started``/``started_wall`` are the clock
        anchor (the records' clock, and the wall-clock time at that moment).  The loader
        (:mod:`httpexplore.export.loader`) builds traces this way."""
        # The file's records are kept as they are: folded runs stay folded, and records saved
        # one per step are not merged.
        trace = cls(max_bytes_per_cycle=max_bytes_per_cycle, max_records=max_records,
                    clock=lambda: started, fold_quiet_steps=False)
        trace.started_wall = started_wall
        for record, omitted in records:
            trace._add_capped(record, omitted)
        trace._summarised += summarised_steps
        trace._merged_events += merged_events
        trace.fold_quiet_steps = True
        trace._quiet_op = None
        return trace

    def _add_capped(self, record: PollRecord, omitted: tuple[int, int, int]) -> None:
        """Add a loaded record through the live caps, keeping the bytes the file says were
        omitted already."""
        n = len(self._records)
        self._on_step(*record)
        if any(omitted):
            pos = n if len(self._records) > n else self._summary_at
            old = self._omitted.get(pos, _NOTHING_OMITTED)
            self._omitted[pos] = (old[0] + omitted[0], old[1] + omitted[1],
                                  old[2] + omitted[2])

    def clear(self) -> None:
        """Forget every record (recording continues if attached)."""
        self._rows = []
        self._pending = 0
        self._cycles, self._events = [], []
        self._cycle_objects = {}
        self._omitted = {}
        self._summaries = set()
        self._summarised = 0
        self._merged_events = 0
        self._key = None
        self._cycle_info = None
        self._cycle_at = -1
        self._quiet_op = None
        self._total_left = self.max_bytes_total
        self._analysis = _Analysis(self.started)

    # -- records ------------------------------------------------------------------------------
    @property
    def records(self) -> Sequence[PollRecord]:
        """The stored records, oldest first (byte fields cut short past the cap)."""
        return _RecordRows(self._records, len(self._records), self._record)

    def __len__(self) -> int:
        """The number of records (a folded run of quiet steps is one; see :attr:`steps`)."""
        return len(self._records)

    @property
    def steps(self) -> int:
        """The number of client steps recorded: records plus the steps folded into them."""
        return sum(r[_REPEAT] for r in self._records)

    @overload
    def __getitem__(self, i: int) -> PollRecord: ...
    @overload
    def __getitem__(self, i: slice) -> list[PollRecord]: ...

    def __getitem__(self, i: int | slice) -> PollRecord | list[PollRecord]:
        if isinstance(i, slice):
            return [self._record(t) for t in self._records[i]]
        return self._record(self._records[i])

    def __iter__(self) -> Iterator[PollRecord]:
        return iter([self._record(t) for t in self._records])

    def omitted(self, k: int) -> tuple[int, int, int]:
        """Bytes of record ``k`` counted but not kept: ``(sent, received, body)``."""
        return self._omitted.get(range(len(self._records))[k], _NOTHING_OMITTED)

    @property
    def omitted_total(self) -> int:
        """All bytes counted but not kept."""
        return sum(sum(v) for v in self._omitted.values())

    # -- analysis -----------------------------------------------------------------------------
    def _a(self) -> _Analysis:
        analysis = self._analysis
        done = analysis.done
        if done and analysis.rows[-1].repeat != self._records[done - 1][_REPEAT]:
            # Quiet steps were folded into the newest record after it was analysed (only the
            # newest record grows, and a quiet record changes nothing else the analysis keeps).
            analysis.rows[-1] = analysis.row(done - 1, self._record(self._records[done - 1]),
                                             _NOTHING_OMITTED)
        if analysis.done < len(self._records):
            analysis.run(self._records, self._omitted, self._record)
        return analysis

    @property
    def cycles(self) -> list[Exchange]:
        """Request cycles, in the order the requests were made."""
        return list(self._a().exchanges)

    @property
    def connections(self) -> list[Connection]:
        """Connections made (numbered from 1), in order."""
        return [c for n, c in sorted(self._a().connections.items()) if n > 0]

    @property
    def timeline(self) -> Sequence[TimelineRow]:
        """One :class:`TimelineRow` per record."""
        a = self._a()
        return _Rows(a.rows, len(a.rows))

    def segments(self, direction: str | None = None, *,
                 connection: int | None = None) -> list[Segment]:
        """Every labelled segment (and provisional ones for unfinished lines), per connection
        in wire order, sent before received."""
        a = self._a()
        out: list[Segment] = []
        for number, scanner in sorted(a.scanners.items()):
            if connection is not None and number != connection:
                continue
            for side in (scanner.sent, scanner.received):
                if direction in (None, side.direction):
                    out.extend(side.out)
                    out.extend(side.pending())
        return out

    def exchange_at(self, k: int) -> Exchange | None:
        """The request cycle that step ``k`` belongs to (None for connection set-up)."""
        owner = self._a().owner[range(len(self._records))[k]]
        return owner if isinstance(owner, Exchange) else None

    def state_at(self, k: int = -1, *, preview_bytes: int = 65536) -> TraceState:
        """A plain snapshot of what was visible right after step ``k`` (module docstring).

        Raises
        ------
        IndexError
            If there is no step ``k``.
        """
        a = self._a()
        k = range(len(self._records))[k]
        record = self._record(self._records[k])
        owner = a.owner[k]
        conn = a.connections[record.cycle.connection]
        pending = [s for s in a.scanners[conn.number].pending()
                   if s.record <= k and a.owner[s.record] is owner]
        sent = _upto(owner.sent_segments, k) + [s for s in pending if s.direction == "sent"]
        received = _upto(owner.received_segments, k) + [s for s in pending
                                                        if s.direction == "received"]
        common: dict[str, Any] = dict(
            index=k, record=record, status=record.status_after, result=record.result,
            error_message=a.errors[k], connection=conn.number,
            sent_size=sum(s.size for s in sent), received_size=sum(s.size for s in received),
            sent=tuple(sent), received=tuple(received), timeline=_Rows(a.rows, k + 1),
            path=tuple(s for p, s in conn.transitions if p <= k))
        if not isinstance(owner, Exchange):
            return TraceState(cycle=0, method="", url="", has_response=False, response_code=0,
                              reason="", http_version="", response_headers=(), interim=(),
                              trailers=(), chunked=False, body_length=-1, body_size=0,
                              body_preview=b"", body_complete=False, **common)
        ex = owner if owner.records[-1] == k else self._replay(owner, k)
        return TraceState(
            cycle=ex.number, method=ex.method, url=ex.url, has_response=ex.has_response,
            response_code=ex.status_code, reason=ex.reason, http_version=ex.http_version,
            response_headers=tuple(ex.response_headers), interim=tuple(ex.interim),
            trailers=tuple(ex.trailers), chunked=ex.chunked, body_length=ex.body_length,
            body_size=ex.body_size, body_preview=ex.body_preview(preview_bytes),
            body_complete=ex.complete, **common)

    def _replay(self, ex: Exchange, k: int) -> Exchange:
        view = ex.fresh()
        for pos in ex.records:
            if pos > k:
                break
            view.add(pos, self._record(self._records[pos]),
                     self._omitted.get(pos, _NOTHING_OMITTED))
        return view

    # -- display --------------------------------------------------------------------------
    def _repr_html_(self) -> str:
        """The notebook display (Jupyter looks for this method on the object):
        :func:`httpexplore.export.to_html`.  The only use of the export package here; every
        format (HAR, text, save/load) is reached through :mod:`httpexplore.export` itself."""
        from .export import to_html
        return to_html(self)

    def __repr__(self) -> str:
        a = self._a()
        n = len(a.exchanges)
        records, steps = len(self._records), self.steps
        where = f"{steps} steps" if steps == records else f"{steps} steps in {records} records"
        capped = (f", {self._summarised} steps summarised past the {self.max_records}-record "
                  "cap" if self._summarised else "")
        if self._merged_events:
            capped += f", {self._merged_events} Data events merged"
        return f"<Trace: {where}, {n} request cycle{'s' if n != 1 else ''}{capped}>"


# _on_step's parameters are PollRecord's fields, in order.
assert PollRecord._fields == ("index", "op", "time", "started", "status_before", "status_after",
                              "result", "cycle", "sent", "received", "body", "events",
                              "error_message", "repeat")
