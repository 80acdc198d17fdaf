"""The plain-text and HTML views of a :class:`~httpexplore.trace.Trace` shown in notebooks."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import _render as r
from ..errors import plural

if TYPE_CHECKING:
    from ..trace import Exchange, Trace

from .text import quiet_runs

__all__ = ["cycle_summary", "snapshot", "to_html"]

# -- notebook views ----------------------------------------------------------------------------
def _events(kinds: tuple[str, ...]) -> str:
    """``("Data", "Data", "EndOfMessage")`` → ``"Data x2, EndOfMessage"``."""
    out: list[str] = []
    i = 0
    while i < len(kinds):
        j = i
        while j < len(kinds) and kinds[j] == kinds[i]:
            j += 1
        out.append(kinds[i] if j - i == 1 else f"{kinds[i]} x{j - i}")
        i = j
    return ", ".join(out)


def _framing(ex: Exchange) -> str:
    if not ex.has_response:
        return ""
    if ex.chunked:
        return "chunked"
    return f"Content-Length {ex.body_length}" if ex.body_length >= 0 else "until close"


def cycle_summary(ex: Exchange, *, ports: bool = False) -> str:
    """One line: request, outcome, body, connection.  Server text is made printable."""
    url = r.printable(ex.display_url(ports=ports))
    if ex.has_response:
        outcome = f"{ex.status_code} {r.printable(ex.reason)}".rstrip()
    else:
        outcome = "no response"
    interim = "".join(f"{i.status_code} then " for i in ex.interim)
    body = f"{plural(ex.body_size, 'body byte')}, {_framing(ex)}" if ex.has_response else ""
    conn = f"connection {ex.connection}, {'reused' if ex.reused else 'new'}"
    parts = [f"cycle {ex.number}: {ex.method} {url} -> {interim}{outcome}"]
    parts += [p for p in (body, conn) if p]
    line = " | ".join(parts)
    if ex.error:
        line += f"\n  error: {r.printable(ex.error)}"
    return line


_POLL_HEADER = ("step", "call", "status", "result", "sent", "recv", "body", "events")


def _poll_cells(row: Any, times: bool) -> list[str]:
    status = row.status_after.name if row.status_before is row.status_after else \
        f"{row.status_before.name} -> {row.status_after.name}"
    op = f"{row.op} ×{row.repeat}" if row.repeat > 1 else row.op
    cells = [str(row.index), op, status, row.result.name, str(row.sent), str(row.received),
             str(row.body), _events(row.events)]
    if times:
        cells += [f"{row.start_ms:.1f}", f"{row.duration_ms:.1f}"]
    return cells


def _poll_table(trace: Trace, times: bool, limit: int | None = None) -> list[list[str]]:
    """Step rows; quiet runs become one row (``"7-78"``); ``limit`` keeps the first and last
    rows only."""
    rows = trace.timeline
    out: list[list[str]] = []
    for first, last in quiet_runs(rows):
        cells = _poll_cells(rows[first], times)
        if first != last:
            ops = sorted({rows[i].op for i in range(first, last + 1)})
            cells[0], cells[1] = f"{first}-{last}", "/".join(ops)
            steps = sum(rows[i].repeat for i in range(first, last + 1))
            cells[7] = f"({steps} steps, nothing new)"
            if times:
                end = rows[last].start_ms + rows[last].duration_ms
                cells[9] = f"{end - rows[first].start_ms:.1f}"
        out.append(cells)
    if limit is not None and len(out) > limit:
        n = len(out) - limit
        blank = [""] * (len(out[0]) - 2)
        out = [*out[:limit // 2], ["…", f"{n} more rows", *blank], *out[-(limit // 2):]]
    return out


def snapshot(trace: Trace, *, times: bool = False, polls: bool = True) -> str:
    """Plain text: the steps (``polls``) and one line per cycle.  Deterministic unless
    ``times=True`` (no ports, clock times or ids)."""
    cycles = trace.cycles
    lines = [f"{trace!r}"[1:-1]]
    if polls:
        header = list(_POLL_HEADER) + (["start ms", "ms"] if times else [])
        rows = _poll_table(trace, times)
        widths = [max(len(x) for x in col) for col in zip(header, *rows, strict=False)]
        for cells in [header, *rows]:
            lines.append("  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True))
                         .rstrip())
    for ex in cycles:
        lines.append(cycle_summary(ex, ports=times))
        if times:
            t = ex.timings
            lines.append("  timings: " + ", ".join(
                f"{name} {r.format_ms(getattr(t, name))}" for name in
                ("blocked", "dns", "connect", "ssl", "send", "wait", "receive")))
    for conn in trace.connections:
        if not conn.cycles and conn.error:
            lines.append(f"connection {conn.number}: {r.printable(conn.error)}")
    return "\n".join(lines)


_MAX_HTML_ROWS = 200
_STYLE = ("<style>.hx-trace table{border-collapse:collapse;font-size:12px;margin:4px 0}"
          ".hx-trace td,.hx-trace th{border:1px solid #ccc;padding:1px 6px;text-align:left;"
          "font-family:monospace}.hx-trace .hx-err{color:#b00}</style>")


def to_html(trace: Trace) -> str:
    """A compact, deterministic HTML view; every server-controlled string is escaped."""
    cycles = trace.cycles
    rows: list[list[Any]] = []
    for ex in cycles:
        outcome = f"{ex.status_code} {ex.reason}".rstrip() if ex.has_response else ""
        rows.append([ex.number, ex.connection, "reused" if ex.reused else "new", ex.method,
                     ex.display_url(ports=False), outcome,
                     ", ".join(str(i.status_code) for i in ex.interim),
                     ex.body_size, _framing(ex),
                     r.Markup(f'<span class="hx-err">{r.escape_html(ex.error)}</span>')
                     if ex.error else ""])
    parts = [_STYLE, '<div class="hx-trace">', f"<b>{r.escape_html(repr(trace)[1:-1])}</b>"]
    if rows:
        parts.append(r.html_table(("cycle", "connection", "", "method", "url", "status", "1xx",
                                   "body bytes", "framing", "error"), rows,
                                  caption="request cycles"))
    poll_rows = _poll_table(trace, False, _MAX_HTML_ROWS)
    if poll_rows:
        parts.append(r.html_table(_POLL_HEADER, poll_rows, caption="steps"))
    parts.append("</div>")
    return "".join(parts)
