"""The inspector's Steps table: one row per history step, as HTML.

Theory of operation
-------------------
The rows are the stops of :class:`~.history.Stops`: a step where something happened is a row
of its own; a run of calls where nothing happened is one row that counts them
(``poll ×67, read_chunk ×67``).  Five columns, each wrapping at spaces, so that the table
fits a narrow panel (about 450 px, JupyterLab at 900 px with its side bar open) without
sideways scrolling: ``#``, the call, when it started (and how long it took), the status (one
form on every row: ``BODY`` or ``REQUESTING → BODY``; a code other than ``OK`` is appended)
and what happened (bytes moved, parser events).  Every cell is escaped.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from .._render import Markup, escape_html, format_ms, html_table
from ..errors import Error
from ..status import Status
from ..trace import TimelineRow
from .history import Stops, is_quiet, short_op

__all__ = ["TIMELINE_ROWS", "timeline_html"]

#: Most rows rendered (the newest up to the step shown).
TIMELINE_ROWS = 80
_MONO = "font-family:var(--jp-code-font-family,monospace);font-size:12px"


def _result_text(result: Error) -> str:
    return f"{result.name} ({int(result)})"


def _events_text(events: Sequence[str]) -> str:
    out: list[str] = []
    for kind in events:
        if out and out[-1].split("×")[0] == kind:
            name, _, count = out[-1].partition("×")
            out[-1] = f"{name}×{int(count or 1) + 1}"
        else:
            out.append(kind)
    return ", ".join(out)


def _change_text(before: Status, after: Status) -> str:
    # One form for both cases, so the column reads the same way on every row.
    return after.name if before is after else f"{before.name} → {after.name}"


def _op_cell(op: str) -> Markup:
    short = short_op(op)
    if short == op:
        return Markup(escape_html(op))
    return Markup(f'<span title="{escape_html(op)}()">{escape_html(short)}</span>')


def _bytes_text(sent: int, received: int, body: int) -> str:
    parts = [f"{what} {n} B" for what, n in (("sent", sent), ("received", received),
                                             ("body", body)) if n]
    return ", ".join(parts)


def _what_text(sent: int, received: int, body: int, events: Sequence[str]) -> str:
    moved, happened = _bytes_text(sent, received, body), _events_text(events)
    return "; ".join(p for p in (moved, happened) if p)


def _status_cell(before: Status, after: Status, result: Error) -> str:
    change = _change_text(before, after)
    return change if result is Error.OK else f"{change}, returned {_result_text(result)}"


def _at_cell(start_ms: float, took_ms: float) -> str:
    return f"{format_ms(start_ms)} (took {format_ms(took_ms)})"


@lru_cache(maxsize=1024)
def _single_cells(row: TimelineRow, number: int, origin_ms: float) -> tuple[Markup, ...]:
    # Rows are frozen: each is escaped once, not at every refresh of a long download.
    call = _op_cell(row.op) if row.repeat == 1 else Markup(
        f"{_op_cell(row.op)} ×{row.repeat}")
    if is_quiet(row):  # (a record of the recorder may stand for a run of quiet calls)
        what = "nothing happened" if row.repeat == 1 else \
            f"nothing happened ({row.repeat} calls)"
    else:
        what = _what_text(row.sent, row.received, row.body, row.events)
    cells = (number, call, _at_cell(row.start_ms - origin_ms, row.duration_ms),
             _status_cell(row.status_before, row.status_after, row.result), what)
    return tuple(c if isinstance(c, Markup) else Markup(escape_html(str(c))) for c in cells)


def _group_cells(rows: Sequence[TimelineRow], stops: Stops, i: int,
                 origin_ms: float) -> tuple[Markup, ...]:
    group = stops.group(i)
    if len(group) == 1:
        return _single_cells(rows[group[0]], i, origin_ms)
    # A group of several records is a run of quiet ones (history.Stops): nothing moved, no
    # event, one status.  Its counts come from the stops, not from walking the run.
    first, last = rows[group[0]], rows[group[-1]]
    calls, count = stops.calls(i)
    took = last.start_ms + last.duration_ms - first.start_ms
    cells = (i, calls, _at_cell(first.start_ms - origin_ms, took),
             _status_cell(first.status_before, last.status_after, last.result),
             f"nothing happened ({count} calls)")
    return tuple(Markup(escape_html(str(c))) for c in cells)


def timeline_html(rows: Sequence[TimelineRow], stops: Stops, shown: int,
                  origin_ms: float = 0.0, limit: int = TIMELINE_ROWS) -> str:
    """One row per history step (:class:`~.history.Stops`) up to step ``shown``, newest first
    so the step shown is always in sight; the last ``limit`` of them.  A run of calls where
    nothing happened is one row that says how many calls it stands for.  ``at`` is measured
    from ``origin_ms`` (the start of the first step since the inspector was created or
    Reset), in the trace's milliseconds."""
    if shown < 0 or not len(stops):
        return '<i style="color:#9e9e9e">no steps yet</i>'
    first = max(0, shown - limit + 1)
    body = [_group_cells(rows, stops, i, origin_ms) for i in range(shown, first - 1, -1)]
    note = (f"newest first; {first} earlier step{'s' * (first != 1)} not shown" if first
            else "newest first") + "; read_chunk = read_response_body_chunk()"
    # Five columns, each cell wrapping at spaces, so the table fits a panel of ~450 px.
    table = html_table(("#", "call", "at", "status", "what happened"), body,
                       cls="hx-table hx-steps", caption=note)
    # Highlight the step shown (the first row) without touching the escaped cells.
    if body:
        cut = table.index("<tbody><tr>") + len("<tbody>")
        table = Markup(table[:cut] + '<tr style="background:#e3f2fd;font-weight:bold">'
                       + table[cut + 4:])
    # Fits the panel's width (cells wrap; no sideways scrolling) and scrolls down only.  Cell
    # contents are escaped, so "<td>" only ever is a tag of ours.
    table = Markup(table.replace('<table class="hx-table hx-steps">',
                                 '<table class="hx-table hx-steps" style="width:100%">')
                   .replace("<td>", '<td style="white-space:normal;word-break:normal;'
                                    'overflow-wrap:break-word;padding:1px 4px;'
                                    'vertical-align:top">'))
    return (f'<div style="max-height:22em;overflow-y:auto;overflow-x:hidden;{_MONO}">'
            f"{table}</div>")
