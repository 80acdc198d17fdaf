"""What the inspector shows, as plain strings: pure functions of the recorder's state.

Theory of operation
-------------------
Every function here takes plain data (a :class:`~httpexplore.trace.TraceState`, segments,
timeline rows, numbers) and returns a string for one widget: HTML for the ``HTML`` widgets, plain
text for ``Label``/``Textarea``.  Nothing here touches a widget or the client, so each view can be
tested alone and rebuilt for any step of the history.

**Escaping.**  Everything a server controls (reason phrase, header names and values, body, error
messages that quote them) reaches HTML only through :func:`~httpexplore._render.escape_html` or
:func:`~httpexplore._render.html_table`, which make control, bidi-override and undecodable
characters visible and then escape ``& < > " '``.  Plain-text widgets get
:func:`~httpexplore._render.printable` text.  Markup is only ever built from those escaped parts
and fixed strings.

**Bounded output.**  A view never grows with the download: the body shows its first
:data:`HEAD_BYTES` and last :data:`TAIL_BYTES`, long body segments on the wire are cut in the
middle, the timeline shows its last :data:`TIMELINE_ROWS` rows.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from .._render import (
    Markup,
    eol_html,
    escape_html,
    format_ms,
    format_size,
    hexdump,
    html_table,
    printable,
)
from ..annotate import BODY_LABELS, Segment
from ..errors import Error
from ..status import ERROR_STATUSES, Status
from ..trace import Connection, Exchange, TraceState
from .diagram import family_colour
from .steps import TIMELINE_ROWS, timeline_html

__all__ = [
    "HEAD_BYTES",
    "TAIL_BYTES",
    "TIMELINE_ROWS",
    "BodyPreview",
    "body_chunks",
    "body_hex",
    "body_preview",
    "body_text",
    "chunk_starts",
    "disabled_reasons",
    "display_target",
    "elide",
    "headers_table",
    "snapshot_text",
    "status_badge",
    "status_text",
    "timeline_html",
    "waterfall_html",
    "wire_html",
]

#: Body bytes shown from the start and from the end of a body.
HEAD_BYTES = 4096
TAIL_BYTES = 1024
#: Body bytes kept from one wire segment: the start and the end of it.
_SEG_HEAD, _SEG_TAIL = 160, 48
#: Most wire bytes rendered per direction (the framing of a huge body stays visible).
_WIRE_BUDGET = 12 * 1024

_LINES = "\n\t"  # kept as they are in multi-line text
_MONO = "font-family:var(--jp-code-font-family,monospace);font-size:12px"

#: Background colour per byte label (see :mod:`httpexplore.annotate`).
LABEL_COLOURS: dict[str, str] = {
    "request-line": "#bbdefb", "status-line": "#b3e5fc", "header": "#c8e6c9",
    "end-of-head": "#ffe0b2", "interim-head": "#d1c4e9", "chunk-size": "#f8bbd0",
    "chunk-crlf": "#fce4ec", "last-chunk": "#f48fb1", "trailer": "#e1bee7",
    "end-of-trailers": "#ce93d8", "body": "#fff9c4", "chunk-data": "#fff59d",
    "body-close-delimited": "#ffecb3", "unsolicited": "#ffcdd2", "invalid": "#ef9a9a",
    "omitted": "#e0e0e0", "unparsed": "#eeeeee",
}


def status_text(status: Status) -> str:
    """Godot's constant name and value: ``"STATUS_BODY (7)"``."""
    return f"STATUS_{status.name} ({int(status)})"


def _result_text(result: Error) -> str:
    return f"{result.name} ({int(result)})"


def status_badge(status: Status, *, op: str = "", result: Error | None = None,
                 response: str = "", where: str = "", live: Status | None = None) -> str:
    """The status badge: the status in its family colour, then the last call and its code.

    ``response`` (``"200 OK"``) comes from the server and is escaped here.  ``live`` is given
    when the views show an earlier step: a banner then says so, with the live client's status
    (the buttons act on it) and how to get back.
    """
    colour = family_colour(status)
    parts = [f'<span class="hx-badge" style="display:inline-block;padding:2px 10px;'
             f'border-radius:12px;background:{colour};color:#fff;font-weight:bold;{_MONO}">'
             f'{status_text(status)}</span>']
    if op and result is not None:
        tint = "#2e7d32" if result is Error.OK else "#c62828"
        parts.append(f'<span class="hx-last">{escape_html(op)}() → '
                     f'<b style="color:{tint}">{_result_text(result)}</b></span>')
    if response:
        parts.append(f'<span class="hx-response">response: <b>{escape_html(response)}</b></span>')
    if where:
        parts.append(f'<span class="hx-where" style="color:#616161">{escape_html(where)}</span>')
    row = '<div style="display:flex;gap:14px;align-items:center;flex-wrap:wrap">' + \
        "".join(parts) + "</div>"
    if live is None:
        return row
    banner = (f'<div class="hx-past" style="margin-top:4px;padding:3px 8px;border-radius:4px;'
              f'background:#fff3e0;border:1px solid #ef6c00;color:#bf360c">'
              f"<b>Looking at the past.</b> The views show an earlier step; the live client is "
              f"in {status_text(live)}. Any button, the End key or dragging the slider to the "
              f"right returns to live.</div>")
    return row + banner


def headers_table(state: TraceState | None) -> str:
    """The response head: a ``<table class="hx-table">`` with a ``<thead>`` row (``#``,
    ``name``, ``value``) and one ``<tr>`` per header field, in the order, case and
    multiplicity received.  The status line comes first; 1xx heads and trailers follow."""
    rows: list[tuple[int, str, str]] = []
    caption = "no response yet"
    extra: list[str] = []
    if state is not None and state.has_response:
        rows = [(i + 1, name, value) for i, (name, value) in enumerate(state.response_headers)]
        caption = f"HTTP/{state.http_version} {state.response_code} {state.reason}".rstrip()
        for interim in state.interim:
            extra.append(f'<div class="hx-interim">interim: HTTP/'
                         f"{escape_html(interim.http_version)} {interim.status_code} "
                         f"{escape_html(interim.reason)} ({len(interim.headers)} header fields)"
                         "</div>")
        if state.trailers:
            extra.append(html_table(("#", "trailer", "value"),
                                    [(i + 1, n, v) for i, (n, v) in enumerate(state.trailers)],
                                    cls="hx-trailers"))
    elif state is not None and state.method:
        caption = "waiting for the response head"
    head = f'<div class="hx-status-line" style="font-weight:bold">{escape_html(caption)}</div>'
    if state is None or not state.has_response:
        # No head yet: a sentence, not an empty table (which would squeeze the caption).
        return f'<div style="{_MONO}">{head}</div>'
    table = html_table(("#", "name", "value"), rows, cls="hx-table")
    return f'<div style="{_MONO}">{head}{table}{"".join(extra)}</div>'


@dataclass(frozen=True)
class BodyPreview:
    """A bounded view of a body: ``head`` from offset 0, ``tail`` ending at ``size``.

    ``tail`` is None when the end of the body was not kept; ``starts`` are chunk boundaries
    ``(offset, size)`` known from the wire (chunked bodies only).
    """

    size: int
    head: bytes
    tail: bytes | None
    starts: tuple[tuple[int, int], ...] = ()

    @property
    def complete(self) -> bool:
        """The preview holds every byte of the body."""
        return len(self.head) >= self.size

    @property
    def tail_offset(self) -> int:
        return self.size - len(self.tail or b"")


def body_preview(size: int, head: bytes, tail: bytes | None,
                 starts: Sequence[tuple[int, int]] = ()) -> BodyPreview:
    """Trim to :data:`HEAD_BYTES` + :data:`TAIL_BYTES` (the tail never overlaps the head)."""
    head = head[:HEAD_BYTES]
    if len(head) >= size:
        return BodyPreview(size, head[:size], b"", tuple(starts))
    room = min(TAIL_BYTES, size - len(head))
    tail = tail[-room:] if tail is not None and len(tail) >= room else None
    return BodyPreview(size, head, tail, tuple(starts))


def chunk_starts(received: Sequence[Segment]) -> list[tuple[int, int]]:
    """``(body offset, chunk size)`` of every chunk whose size line is in ``received``."""
    out: list[tuple[int, int]] = []
    offset = 0
    line = b""
    for seg in received:
        if seg.label in BODY_LABELS or seg.label == "omitted":
            offset += seg.size
        elif seg.label == "chunk-size":
            line = (line + seg.data) if seg.continued else seg.data
            if line.endswith(b"\n"):
                digits = line.split(b";")[0].strip()
                try:
                    out.append((offset, int(digits, 16)))
                except ValueError:
                    pass
    return out


def _gap(n: int) -> str:
    return f"… {n} bytes not shown …"


# Rendering text byte by byte is slow for binary data (every character is classified), and a
# refresh redraws the same head again and again while a download runs: the pieces are cached,
# keyed by their bytes (a 4 KiB key hashes in a microsecond).
@lru_cache(maxsize=64)
def _text(data: bytes) -> str:
    return printable(data, keep="\n\r\t")


@lru_cache(maxsize=64)
def _hex(data: bytes, offset: int) -> str:
    return hexdump(data, offset)


def body_text(p: BodyPreview) -> str:
    """The body as text (UTF-8; invalid bytes, controls and bidi overrides shown as escapes)."""
    text = _text(p.head)
    if p.complete:
        return text
    if p.tail is None:
        return f"{text}\n{_gap(p.size - len(p.head))} (the end was not kept)"
    hidden = p.tail_offset - len(p.head)
    middle = f"\n{_gap(hidden)}\n" if hidden else ""
    return text + middle + _text(p.tail)


def body_hex_text(p: BodyPreview) -> str:
    """A hex dump of the preview, with true offsets on both sides of the gap (plain text)."""
    out = _hex(p.head, 0)
    if p.complete:
        return out
    if p.tail is None:
        return f"{out}\n{_gap(p.size - len(p.head))} (the end was not kept)"
    hidden = p.tail_offset - len(p.head)
    return out + (f"\n{_gap(hidden)}\n" if hidden else "\n") + _hex(p.tail, p.tail_offset)


def body_hex(p: BodyPreview) -> str:
    """:func:`body_hex_text` as HTML: a ``<pre>`` that never wraps a line (a wrapped hex dump
    is unreadable) and scrolls sideways when the panel is narrower than a line."""
    return (f'<pre class="hx-hex-pre" style="white-space:pre;overflow-x:auto;margin:0;'
            f'{_MONO}">{html.escape(body_hex_text(p))}</pre>')


def _marked(data: bytes, base: int, starts: Sequence[tuple[int, int]]) -> str:
    """``data`` (body offset ``base``) as HTML, split at chunk starts, alternating colours."""
    cuts = tuple((off - base, n, size) for n, (off, size) in enumerate(starts)
                 if base <= off < base + len(data))
    return _marked_cuts(data, cuts)


@lru_cache(maxsize=64)
def _marked_cuts(data: bytes, cuts: tuple[tuple[int, int, int], ...]) -> str:
    parts: list[str] = []
    prev, index = 0, -1
    for cut, n, size in cuts:
        parts.append(_piece(data[prev:cut], index))
        parts.append(f'<span class="hx-chunk-mark" style="color:#ad1457;font-weight:bold">'
                     f"⟨chunk {n + 1}: {size:#x} = {size} bytes⟩</span>")
        prev, index = cut, n
    parts.append(_piece(data[prev:], index))
    return "".join(parts)


def _piece(data: bytes, index: int) -> str:
    if not data:
        return ""
    shade = "#fff9c4" if index % 2 == 0 else "#e3f2fd"
    return f'<span style="background:{shade}">{escape_html(data, keep=_LINES)}</span>'


def body_chunks(p: BodyPreview, *, chunked: bool) -> str:
    """The preview with chunk boundaries marked (chunked bodies), as HTML."""
    head = _marked(p.head, 0, p.starts)
    note = (f"{len(p.starts)} chunk size line{'s' if len(p.starts) != 1 else ''} seen"
            if chunked else "not chunked: the body is one run of bytes")
    parts = [f'<div style="color:#616161">{note}</div>',
             # Wrap at spaces only, never inside a word (``overflow-wrap`` breaks a word only
             # when it is longer than the whole line).
             f'<pre class="hx-chunks-pre" style="white-space:pre-wrap;word-break:normal;'
             f'overflow-wrap:break-word;{_MONO}">{head}']
    if not p.complete:
        if p.tail is None:
            parts.append(f"\n{_gap(p.size - len(p.head))} (the end was not kept)")
        else:
            hidden = p.tail_offset - len(p.head)
            parts.append(f"\n{_gap(hidden)}\n" if hidden else "")
            parts.append(_marked(p.tail, p.tail_offset, p.starts))
    parts.append("</pre>")
    return "".join(parts)


def elide(data: bytes, keep_head: int = _SEG_HEAD, keep_tail: int = _SEG_TAIL) -> \
        tuple[bytes, int, bytes]:
    """Split ``data`` into (start, bytes left out, end) when it is longer than both ends."""
    if len(data) <= keep_head + keep_tail + 16:
        return data, 0, b""
    return data[:keep_head], len(data) - keep_head - keep_tail, data[-keep_tail:]


def _segment_html(seg: Segment, newest: bool) -> str:
    if seg.label == "omitted":
        shown: tuple[bytes, int, bytes] = (b"", 0, b"")
    elif seg.label in BODY_LABELS:
        shown = elide(seg.data)
    else:  # head lines are short, but a hostile server may send a 60 KiB one
        shown = elide(seg.data, 1024, 128)
    # Keyed by the few bytes shown, not by the segment: a cache must not keep bodies alive.
    return _segment_markup(seg.label, seg.size, seg.offset, seg.record, seg.note, shown, newest)


@lru_cache(maxsize=4096)
def _segment_markup(label: str, size: int, offset: int, record: int, note: str,
                    shown: tuple[bytes, int, bytes], newest: bool) -> str:
    colour = LABEL_COLOURS.get(label, "#eeeeee")
    outline = ";outline:2px solid #1565c0" if newest else ""
    title = f"{label} · {size} bytes at offset {offset} · step {record}"
    if note:
        title += f" · {note}"
    start, hidden, end = shown
    if label == "omitted":
        text = html.escape(f"[{size} bytes counted, not kept]")
    else:
        text = eol_html(start)
        if hidden:
            text += (f'<i style="color:#616161"> … {hidden} more bytes … </i>'
                     + eol_html(end))
    return (f'<span class="hx-seg hx-seg-{label}" title="{escape_html(title)}" '
            f'style="background:{colour}{outline}">{text}</span>')


def _merge_omitted(segments: Sequence[Segment]) -> list[Segment]:
    """Runs of ``omitted`` segments (one per step past the recorder's cap) as one each."""
    out: list[Segment] = []
    run: list[Segment] = []
    for seg in (*segments, None):
        if seg is not None and seg.label == "omitted":
            run.append(seg)
            continue
        if len(run) == 1:
            out.append(run[0])
        elif run:
            first = run[0]
            out.append(Segment(direction=first.direction, label="omitted", data=b"",
                               record=run[-1].record, offset=first.offset,
                               size=sum(r.size for r in run), connection=first.connection))
        run = []
        if seg is not None:
            out.append(seg)
    return out


def _direction_html(name: str, segments: Sequence[Segment], newest: int) -> str:
    total = sum(s.size for s in segments)
    parts, budget, skipped = [], _WIRE_BUDGET, 0
    for seg in _merge_omitted(segments):
        if budget <= 0:
            skipped += seg.size
            continue
        parts.append(_segment_html(seg, seg.record == newest))
        budget -= min(seg.size, _SEG_HEAD + _SEG_TAIL) + 8
    if skipped:
        parts.append(f'<i style="color:#616161">\n… {skipped} more bytes on the wire …</i>')
    body = "".join(parts) if parts else '<i style="color:#9e9e9e">nothing yet</i>'
    return (f'<div class="hx-wire-{name}"><b>{name} ({format_size(total)})</b>'
            f'<pre style="white-space:pre-wrap;word-break:break-all;margin:2px 0 8px;{_MONO}">'
            f"{body}</pre></div>")


def wire_html(sent: Sequence[Segment], received: Sequence[Segment], newest: int) -> str:
    """Bytes written and read in the current request cycle, coloured by meaning.

    ``CR`` and ``LF`` badges mark each line end (see :func:`~httpexplore._render.eol_html`);
    the segments of step ``newest`` are outlined; hover a segment for its label, size and
    offset.  Long body runs are cut in the middle.  The legend lists the labels in the order
    they first appear on the wire.
    """
    used = list(dict.fromkeys(s.label for s in (*sent, *received)))
    legend = "".join(f'<span style="background:{LABEL_COLOURS.get(label, "#eee")};'
                     f'padding:0 4px;margin-right:4px;white-space:nowrap;'
                     f'display:inline-block">{escape_html(label)}</span>'
                     for label in used)
    return (f'<div style="font-size:11px">{legend}</div>'
            + _direction_html("sent", sent, newest)
            + _direction_html("received", received, newest))


_PHASE_COLOURS = {"dns": "#009688", "connect": "#ff9800", "ssl": "#9c27b0",
                  "blocked": "#bdbdbd", "send": "#1e88e5", "wait": "#43a047",
                  "receive": "#1565c0"}


def _phases(ex: Exchange | None, conn: Connection | None) -> list[tuple[str, float | None,
                                                                          float | None]]:
    """``(name, start, end)`` in monotonic seconds; None where not reached (yet)."""
    out: list[tuple[str, float | None, float | None]] = []
    setup = conn is not None and (ex is None or (ex.first_on_connection and not ex.reused))
    if setup and conn is not None:
        after_dns = conn.resolved_at if conn.resolved_at is not None else conn.started
        if conn.resolved_at is not None:
            out.append(("dns", conn.started, conn.resolved_at))
        out.append(("connect", after_dns, conn.ready_at))
        if conn.tls_at is not None:
            begin = next((t for t in (conn.tunnel_at, conn.tcp_at) if t is not None), after_dns)
            out.append(("ssl", begin, conn.tls_at))
    if ex is not None:
        out.extend([("blocked", ex.request_started, ex.first_send),
                    ("send", ex.first_send, ex.last_send),
                    ("wait", ex.last_send, ex.first_byte),
                    ("receive", ex.first_byte, ex.last_byte)])
    return out


def waterfall_html(ex: Exchange | None, conn: Connection | None, cursor: float) -> str:
    """Timing bars (dns, connect, ssl, blocked, send, wait, receive) of the cycle at the step
    shown, clipped at ``cursor`` (the monotonic time of that step), so earlier steps of the
    history show the phases as far as they had got.  Resolution is one step (see
    :mod:`httpexplore.trace`)."""
    phases = [(n, s, min(e, cursor) if e is not None else None) for n, s, e in _phases(ex, conn)
              if s is not None and s <= cursor]
    if not phases:
        return '<i style="color:#9e9e9e">no timings yet: connect and send a request</i>'
    origin = min(s for _, s, _ in phases if s is not None)
    span = max(max((e or s or origin) for _, s, e in phases), cursor) - origin or 1e-9
    rows = []
    for name, start, end in phases:
        assert start is not None
        left = (start - origin) / span * 100
        width = max(((end if end is not None else start) - start) / span * 100, 0.4)
        ms = format_ms((end - start) * 1000) if end is not None else "…"
        rows.append((name, ms, Markup(
            f'<div style="position:relative;height:12px;width:320px;background:#fafafa">'
            f'<div style="position:absolute;left:{left:.2f}%;width:{width:.2f}%;height:12px;'
            f'background:{_PHASE_COLOURS[name]}"></div></div>')))
    total = format_ms((max((e or s or origin) for _, s, e in phases) - origin) * 1000)
    table = html_table(("phase", "time", ""), rows, cls="hx-table",
                       caption=f"{total} from the first phase to the step shown")
    # Step resolution (see httpexplore.trace): a phase ends at the step that sees it end.
    note = ('<div style="color:#616161;font-size:11px;white-space:normal">Measured per step: '
            "a phase ends at the poll that sees it end, so when you poll by hand your own "
            "pauses count too.</div>")
    return f'<div style="white-space:nowrap;{_MONO}">{table}{note}</div>'


_WAITING = frozenset({Status.RESOLVING, Status.CONNECTING, Status.REQUESTING, Status.BODY})


def disabled_reasons(status: Status, *, auto_running: bool) -> dict[str, str]:
    """Why each button is disabled now (``""`` = enabled).  Keys: ``connect``, ``request``,
    ``poll``, ``poll10``, ``read``, ``auto``, ``reset``."""
    now = status_text(status)
    busy = "auto-poll is running; switch it off first" if auto_running else ""
    if status in ERROR_STATUSES:
        poll_why = f"the client is in {now}: Connect again (or Reset)"
    elif status is Status.DISCONNECTED:
        poll_why = "nothing to poll: Connect first (poll() would return ERR_UNCONFIGURED)"
    else:
        poll_why = ""
    if status is Status.CONNECTED:
        request_why = ""
    elif status in (Status.REQUESTING, Status.BODY):
        request_why = f"a request is already in progress ({now}); poll until it completes"
    else:
        request_why = f"request() needs STATUS_CONNECTED, the client is in {now}"
    if auto_running or status in _WAITING:
        auto_why = ""
    elif status is Status.CONNECTED:
        auto_why = "nothing to wait for: send a Request first"
    else:
        auto_why = poll_why
    read_why = "" if status is Status.BODY else \
        f"read_response_body_chunk() returns bytes only in STATUS_BODY (now {now})"
    return {
        "connect": busy,
        "request": busy or request_why,
        "poll": busy or poll_why,
        "poll10": busy or poll_why,
        "read": busy or read_why,
        "auto": auto_why,
        "reset": "",
    }


_PORT_IN_URL = re.compile(r"^(https?://(?:\[[^\]]*\]|[^/:]*)):\d+")


def display_target(target: str, limit: int = 60) -> str:
    """A request target for text output: printable, at most ``limit`` characters, and without
    the port of an absolute-form target (a proxy request), so notebook output is stable."""
    target = printable(_PORT_IN_URL.sub(r"\1", target))
    return target if len(target) <= limit else target[:limit - 3] + "..."


def snapshot_text(state: TraceState, *, step: int, last: int, polls: int, target: str,
                  message: str) -> str:
    """The deterministic text of :meth:`Inspector.snapshot` for the state after ``step``."""
    lines = [f"status: {status_text(state.status)}",
             f"step: {step} of {last} ({state.record.op} -> {state.result.name}), "
             f"polls: {polls}"]
    if state.method:
        lines.append(f"request: {state.method} {display_target(target, 200)}")
    if state.has_response:
        lines.append(f"response: HTTP/{state.http_version} {state.response_code} "
                     f"{printable(state.reason)}".rstrip())
        lines.append(f"headers ({len(state.response_headers)}):")
        lines.extend(f"  {printable(n)}: {printable(v)}" for n, v in state.response_headers)
        kind = "chunked" if state.chunked else (
            f"Content-Length {state.body_length}" if state.body_length >= 0 else "until close")
        done = ", complete" if state.body_complete else ""
        lines.append(f"body: {state.body_size} bytes read ({kind}{done})")
        text = printable(state.body_preview[:240], keep="\n").splitlines()[:6]
        lines.extend(f"  | {line}" for line in text)
    if message:
        lines.append(f"error: {printable(message)}")
    return "\n".join(lines)
