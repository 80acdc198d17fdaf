"""The inspector's history: which recorded steps are worth a stop of the slider, and what of
the past the views need (the diagram's path since a Reset, the end of a body).

Theory of operation
-------------------
Auto-poll on a slow download calls ``poll()`` and ``read_response_body_chunk()`` thousands of
times while nothing arrives.  The recorder already folds *identical* quiet steps into one
record (``PollRecord.repeat``; the newest record keeps growing while the run lasts, which
:meth:`Stops.update` takes into account), but a poll and a read alternate, so each of them
still makes a record.  A slider over records would then move ten records per pixel, and the
steps table would be rows of empty poll/read pairs.

So the inspector's history is a list of *stops*: record positions in the trace.  Every record
where something happened (bytes, an event, a status change, an error, a refused call) is a
stop of its own; a run of quiet records in a row is one stop, at its last record (the state
after a quiet run is the state after its last step).  A stop therefore stands for a contiguous
range of records, the *group* ``(previous stop + 1) .. stop``, and the steps table shows one
row per group with the number of calls it stands for (``poll ×120, read ×119``), counting each
record's ``repeat``.

:class:`Stops` is incremental: it looks at each timeline row once, so keeping it up to date
during a download costs O(1) per record.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence

from ..errors import Error
from ..status import Status
from ..trace import TimelineRow, Trace, TraceState

__all__ = ["Stops", "body_tail", "calls_text", "is_quiet", "path_since", "short_op"]

_ROUTINE = frozenset({"poll", "read_response_body_chunk"})
#: Shorter names for the steps table (the full name is the cell's tooltip).
_SHORT = {"read_response_body_chunk": "read_chunk"}


def is_quiet(row: TimelineRow) -> bool:
    """A poll or read that changed nothing: no bytes, no event, same status, ``OK``."""
    return (row.op in _ROUTINE and not (row.sent or row.received or row.body or row.events
                                        or row.error_message)
            and row.status_before is row.status_after and row.result is Error.OK)


def short_op(op: str) -> str:
    """The call's name as the steps table writes it (``read_chunk``)."""
    return _SHORT.get(op, op)


class Stops:
    """Record positions the history slider stops at, from ``base`` on (see the module
    docstring).  Call :meth:`update` with the trace's timeline before reading."""

    def __init__(self, base: int = 0) -> None:
        self.reset(base)

    def reset(self, base: int) -> None:
        """Forget every stop; the history starts at record ``base``."""
        self.base = base
        #: Record positions, ascending; stop ``i`` is shown as step ``i``.
        self.positions: list[int] = []
        # Calls per stop, by name (a record counts its repeat), kept as stops grow, so that a
        # quiet run of a million records is never walked again.
        self._counts: list[dict[str, int]] = []
        self._seen = base            # next timeline row to look at
        self._open_quiet = False     # the last stop ends a quiet run that may still grow
        self._last_repeat = 0        # the repeat of row _seen - 1 when it was counted

    def update(self, rows: Sequence[TimelineRow]) -> None:
        """Take the rows recorded since the last call."""
        if len(rows) < self._seen:  # the trace was cleared under us: start again
            self.reset(0)
        positions, counts = self.positions, self._counts
        if self._seen > self.base and counts:
            # The recorder folds later quiet steps into its newest record: count the steps
            # added to the last row seen since it was counted.
            last = rows[self._seen - 1]
            if last.repeat != self._last_repeat:
                counts[-1][last.op] = counts[-1].get(last.op, 0) + last.repeat - self._last_repeat
                self._last_repeat = last.repeat
        for pos in range(self._seen, len(rows)):
            row = rows[pos]
            quiet = is_quiet(row)
            if quiet and self._open_quiet and positions and positions[-1] == pos - 1:
                positions[-1] = pos  # the quiet run goes on: its stop moves along
            else:
                positions.append(pos)
                counts.append({})
            counts[-1][row.op] = counts[-1].get(row.op, 0) + row.repeat
            self._last_repeat = row.repeat
            self._open_quiet = quiet
        self._seen = len(rows)

    def __len__(self) -> int:
        return len(self.positions)

    def group(self, i: int) -> range:
        """The record positions stop ``i`` stands for."""
        first = self.positions[i - 1] + 1 if i > 0 else self.base
        return range(first, self.positions[i] + 1)

    def index_of(self, pos: int) -> int:
        """The stop whose group holds record ``pos``."""
        return min(bisect.bisect_left(self.positions, pos), len(self.positions) - 1)

    def calls(self, i: int) -> tuple[str, int]:
        """:func:`calls_text` of stop ``i``, from the counts kept as the stop grew (O(1) in
        the length of its group)."""
        return _calls(self._counts[i])


def calls_text(rows: Sequence[TimelineRow], group: range) -> tuple[str, int]:
    """``("poll ×120, read_chunk ×119", 239)``: the calls of a group, in first-seen order,
    with their counts (a record's ``repeat`` counts), and the number of calls."""
    counts: dict[str, int] = {}
    for pos in group:
        row = rows[pos]
        counts[row.op] = counts.get(row.op, 0) + row.repeat
    return _calls(counts)


def _calls(counts: dict[str, int]) -> tuple[str, int]:
    text = ", ".join(short_op(op) if n == 1 else f"{short_op(op)} ×{n}"
                     for op, n in counts.items())
    return text, sum(counts.values())


def path_since(trace: Trace, state: TraceState, base: int, pos: int) -> list[Status]:
    """The statuses ``state``'s connection went through up to record ``pos``, starting from
    the one it was in at record ``base`` (the start of the inspector's history: what happened
    before a Reset is not drawn)."""
    conn = next((c for c in trace.connections if c.number == state.connection), None)
    if conn is None:
        return list(state.path)
    earlier = [s for p, s in conn.transitions if p < base]
    return earlier[-1:] + [s for p, s in conn.transitions if base <= p <= pos]


def body_tail(trace: Trace, pos: int, size: int) -> bytes | None:
    """The last ``size`` body bytes handed out up to record ``pos`` in its request cycle, or
    None when the recorder did not keep them (past its byte cap)."""
    ex = trace.exchange_at(pos)
    if ex is None:
        return None
    pieces: list[bytes] = []
    have = 0
    for p in reversed([p for p in ex.records if p <= pos]):
        if trace.omitted(p)[2]:
            return None  # the recorder did not keep these bytes
        body = trace.records[p].body
        pieces.append(body)
        have += len(body)
        if have >= size:
            break
    return b"".join(reversed(pieces))[-size:]
