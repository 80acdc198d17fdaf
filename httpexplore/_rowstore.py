"""How the recorder stores a record: a flat row, a cycle table, one flat list of events.

Theory of operation
-------------------
A record as stored (a *row*) is a flat tuple in PollRecord's field order whose items the
garbage collector does not track (ints, floats, str, bytes), so after one collection the row is
untracked and full collections never walk the trace: the statuses and the result are stored as
ints, the cycle as an index into the trace's cycle table and the events as an offset into its
flat event list (-1: none); :func:`record_of` turns a row back into a PollRecord.  The cycle
table holds plain tuples too (a CycleInfo's fields) and the events are strings and numbers in
one list (:func:`store_events`): the collector only stops tracking *exact* tuples holding no
dict (never a NamedTuple instance, and a nested tuple one level per collection), and a trace of
10,000 small requests used to keep 40,000 tracked objects that every full collection walked
(measured: the collector's work was a third of a recorded request's cost).

The recorder (:mod:`httpexplore.trace`) decides what to store (folding, byte budgets, summary
records); this module only says how, and what a stored row reads back as.  It also holds the
two rules that shape what is stored: merging a record's ``Data`` events past
:data:`MAX_DATA_EVENTS` (:func:`merge_data`) and cutting a step's bytes to a budget
(:func:`cut`).
"""

from __future__ import annotations

from typing import Any

from .errors import Error
from .records import CycleInfo, EventInfo, PollRecord
from .status import Status

__all__ = ["CYCLE", "EVENTS", "MAX_DATA_EVENTS", "REPEAT", "Fields", "cut", "load_events",
           "merge_data", "new_record", "record_of", "store_events"]

#: Body ``Data`` events kept per record; the rest of a record's are merged into one.
MAX_DATA_EVENTS = 32
#: A stored record (see the module docstring).
Fields = tuple[Any, ...]
#: Row positions of the cycle index, the event offset and the step count.
CYCLE, EVENTS, REPEAT = 7, 11, 13
# tuple.__new__ with the fields in order builds a PollRecord without its Python-level __new__.
new_record = tuple.__new__
_STATUS_OF = {int(s): s for s in Status}
_ERROR_OF = {int(e): e for e in Error}
assert PollRecord._fields[CYCLE] == "cycle" and PollRecord._fields[EVENTS] == "events"
assert PollRecord._fields[REPEAT] == "repeat"


def record_of(row: Fields, cycles: list[tuple[Any, ...]], cycle_objects: dict[int, CycleInfo],
              events: list[Any]) -> PollRecord:
    """The PollRecord a row stands for.  ``cycle_objects`` caches the CycleInfo built for
    each cycle-table entry, so records of one stretch share one object."""
    at = row[CYCLE]
    cycle = cycle_objects.get(at)
    if cycle is None:
        cycle = cycle_objects[at] = new_record(CycleInfo, cycles[at])
    start = row[EVENTS]
    return new_record(PollRecord, (
        row[0], row[1], row[2], row[3], _STATUS_OF[row[4]], _STATUS_OF[row[5]],
        _ERROR_OF[row[6]], cycle, row[8], row[9], row[10],
        load_events(events, start) if start >= 0 else (), row[12], row[13]))


def merge_data(events: tuple[EventInfo, ...]) -> tuple[tuple[EventInfo, ...], int]:
    """Keep the first ``MAX_DATA_EVENTS`` Data events (and every other event, in order); the
    later Data events become one, at the place of the first of them.  Returns the events and
    how many fewer there are."""
    out: list[EventInfo] = []
    kept = length = merged = 0
    last_end = synthesised = False
    slot = -1
    for event in events:
        if event.kind != "Data":
            out.append(event)
        elif kept < MAX_DATA_EVENTS:
            kept += 1
            out.append(event)
        else:
            if slot < 0:
                slot = len(out)
                out.append(event)  # replaced below
            merged += 1
            length += int(event.detail.get("length", 0))
            last_end = bool(event.detail.get("chunk_end", False))
            synthesised = synthesised or bool(event.detail.get("synthesised", False))
    if slot < 0:
        return events, 0
    detail = {"length": length, "chunk_start": False, "chunk_end": last_end, "merged": merged}
    if synthesised:  # (some of them were the engine's, not h11's)
        detail["synthesised"] = True
    out[slot] = EventInfo("Data", detail)
    return tuple(out), merged - 1


def cut(sent: bytes, received: bytes, body: bytes, budget: int
        ) -> tuple[tuple[bytes, bytes, bytes], tuple[int, int, int]]:
    """What ``budget`` bytes allow of a step's bytes, first sent, then received, then body,
    and how many bytes of each are left out."""
    keep_sent = min(len(sent), budget)
    keep_received = min(len(received), budget - keep_sent)
    keep_body = min(len(body), budget - keep_sent - keep_received)
    return ((sent[:keep_sent], received[:keep_received], body[:keep_body]),
            (len(sent) - keep_sent, len(received) - keep_received, len(body) - keep_body))


#: Marks a sequence in a stored event (followed by its length, then its items).  Ellipsis is
#: never a detail value (details are JSON-able).
_SEQ = ...


def store_events(items: list[Any], events: tuple[EventInfo, ...]) -> int:
    """Append a record's events to ``items``, the trace's one flat list of stored events, and
    return where they start: their count, then per event ``kind, n``, the ``n`` keys and the
    ``n`` values, a sequence of up to two levels (the header pairs) spelled out after
    :data:`_SEQ`.  Only strings and numbers are added, in a list the collector walks as one
    object: no tuple or dict per record for it to track (:data:`Fields`)."""
    at = len(items)
    append = items.append
    append(len(events))
    for kind, detail in events:
        items += (kind, len(detail))
        items += detail
        if kind == "Data":  # the hot case (a chunked download): numbers and flags only
            items += detail.values()
            continue
        for value in detail.values():
            if type(value) is tuple or type(value) is list:
                append(_SEQ)
                append(len(value))
                for item in value:
                    if type(item) is tuple or type(item) is list:
                        append(_SEQ)
                        append(len(item))
                        items += item
                    else:
                        append(item)
            else:
                append(value)
    return at


def load_events(items: list[Any], at: int) -> tuple[EventInfo, ...]:
    """The events :func:`store_events` stored at ``at`` (sequences come back as tuples,
    except in a ``Data`` event, whose values are kept as given)."""
    events = []
    i = at + 1
    for _ in range(items[at]):
        kind, n = items[i], items[i + 1]
        keys = items[i + 2:i + 2 + n]
        i += 2 + n
        if kind == "Data":
            values = items[i:i + n]
            i += n
        else:
            values = []
            for _ in range(n):
                value, i = _load_value(items, i, 2)
                values.append(value)
        events.append(EventInfo(kind, dict(zip(keys, values, strict=True))))
    return tuple(events)


def _load_value(items: list[Any], i: int, levels: int) -> tuple[Any, int]:
    """The value stored at ``items[i]`` (a sequence spelled out after :data:`_SEQ` when
    ``levels`` of them may still be nested), and where the next one starts."""
    value = items[i]
    i += 1
    if value is _SEQ and levels:
        length = items[i]
        i += 1
        seq = []
        for _ in range(length):
            item, i = _load_value(items, i, levels - 1)
            seq.append(item)
        value = tuple(seq)
    return value, i
