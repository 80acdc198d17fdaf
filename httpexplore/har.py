"""Exports of a :class:`~httpexplore.trace.Trace`: HAR 1.2, a ``curl --trace-ascii`` dump, the
JSON replay format, and the plain-text and HTML views shown in notebooks.

Theory of operation
-------------------
Everything here reads a trace and writes text; nothing here parses HTTP (that was done by h11 in
the client and by :mod:`httpexplore.annotate` for byte meaning).

HAR 1.2 rules followed (``ahmadnassri/har-spec``): one entry per request cycle, sorted by
``startedDateTime`` (wall clock = the trace's one anchor + monotonic offset); ``timings.connect``
*includes* the TLS handshake and ``ssl`` repeats it; ``-1`` marks a phase that does not apply
(``dns``/``connect``/``ssl`` on a reused connection); ``entry.time`` is the sum of the phases that
apply, ``ssl`` not counted twice; ``headersSize`` is the exact byte count of the head (start
line through the blank line), ``bodySize`` the bytes after it on the wire, ``content.size`` the
decoded body length.  Custom fields live under ``_httpexplore``.
"""

from __future__ import annotations

import base64
import datetime as _dt
import json
import os
import zlib
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

from . import _render as r
from .annotate import HEAD_LABELS
from .errors import Error, plural
from .records import PollRecord

if TYPE_CHECKING:
    from .trace import Exchange, Trace

__all__ = [
    "dump_records",
    "load_records",
    "snapshot",
    "to_har",
    "to_html",
    "to_text",
    "write_json",
]

_FORMAT = "httpexplore-trace"


def write_json(path: str | os.PathLike[str], data: Any) -> None:
    """Write ``data`` as UTF-8 JSON."""
    with open(path, "w", encoding="utf-8") as f:
        json.dump(data, f, ensure_ascii=False, indent=1)
        f.write("\n")


# -- HAR ---------------------------------------------------------------------------------------
def _iso(trace: Trace, t: float | None) -> str:
    wall = trace.started_wall + ((t if t is not None else trace.started) - trace.started)
    stamp = _dt.datetime.fromtimestamp(wall, tz=_dt.timezone.utc)
    return stamp.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def to_har(trace: Trace, *, raw_bytes: bool = False) -> dict[str, Any]:
    """The trace as a HAR 1.2 ``dict``."""
    from . import __version__

    entries = [_entry(trace, ex, raw_bytes) for ex in trace.cycles]
    entries.sort(key=lambda e: e["startedDateTime"])
    first = entries[0]["startedDateTime"] if entries else _iso(trace, None)
    log: dict[str, Any] = {
        "version": "1.2",
        "creator": {"name": "httpexplore", "version": __version__},
        "pages": [{"startedDateTime": first, "id": "page_1", "title": "httpexplore trace",
                   "pageTimings": {"onContentLoad": -1, "onLoad": -1}}],
        "entries": entries,
        "_httpexplore": {"summarisedSteps": trace.summarised_steps,
                         "mergedDataEvents": trace.merged_events,
                         "maxRecords": trace.max_records},
    }
    note = cap_note(trace)
    if note:
        log["comment"] = note
    return {"log": log}


def cap_note(trace: Trace) -> str:
    """One sentence when steps were summarised past the record cap or Data events merged
    (the recorder's memory bounds), else ``""``."""
    from .trace import MAX_DATA_EVENTS
    n, merged = trace.summarised_steps, trace.merged_events
    parts = []
    if n:
        parts.append(f"{n} routine body steps were summarised past the {trace.max_records}-"
                     "record cap: their bytes are counted, not kept, and their Data events are "
                     "not listed")
    if merged:
        parts.append(f"{merged} body Data events were merged (at most {MAX_DATA_EVENTS} per "
                     "step are listed)")
    return "; ".join(parts)


def _headers(pairs: list[tuple[str, str]]) -> list[dict[str, str]]:
    return [{"name": n, "value": v} for n, v in pairs]


def _mime(pairs: list[tuple[str, str]], default: str) -> str:
    return next((v for n, v in pairs if n.lower() == "content-type"), default)


def _entry(trace: Trace, ex: Exchange, raw_bytes: bool) -> dict[str, Any]:
    timings = ex.timings
    entry: dict[str, Any] = {
        "pageref": "page_1",
        "startedDateTime": _iso(trace, ex.started),
        "time": timings.total,
        "request": _har_request(ex),
        "response": _har_response(ex),
        "cache": {},
        "timings": {"blocked": timings.blocked, "dns": timings.dns, "connect": timings.connect,
                    "ssl": timings.ssl, "send": timings.send, "wait": timings.wait,
                    "receive": timings.receive},
        "connection": str(ex.connection),
        "_httpexplore": _extra(trace, ex, raw_bytes),
    }
    if ex.peer:
        entry["serverIPAddress"] = ex.peer[0]
    if ex.error:
        entry["comment"] = ex.error
    return entry


def _har_request(ex: Exchange) -> dict[str, Any]:
    msg = ex.request_message
    query = urlsplit(ex.url).query
    request: dict[str, Any] = {
        "method": ex.method, "url": ex.url,
        "httpVersion": f"HTTP/{msg.http_version if msg else '1.1'}",
        "cookies": [], "headers": _headers(ex.request_headers),
        "queryString": [{"name": n, "value": v}
                        for n, v in parse_qsl(query, keep_blank_values=True)],
        "headersSize": msg.head_size if msg and msg.head_complete else -1,
        "bodySize": ex.request_body_size,
    }
    if ex.request_body_size:
        mime = _mime(ex.request_headers, "application/octet-stream")
        body = ex.request_body
        post: dict[str, Any] = {"mimeType": mime}
        text = _as_text(body)
        post["text"] = text if text is not None else base64.b64encode(body).decode()
        if text is None:  # HAR 1.2 has no encoding field for postData
            post["comment"] = "text is base64: the body is not UTF-8"
        if mime.startswith("application/x-www-form-urlencoded") and text is not None:
            post["params"] = [{"name": n, "value": v}
                              for n, v in parse_qsl(text, keep_blank_values=True)]
        request["postData"] = post
    return request


def _har_response(ex: Exchange) -> dict[str, Any]:
    msg = ex.response_message if ex.has_response else None  # h11 decides what is a response
    head = msg.head_size if msg and msg.head_complete else -1
    interim = sum(m.head_size for m in ex.messages if m.direction == "received" and m.interim)
    body_wire = msg.wire_body_size if msg and msg.head_complete else 0
    return {
        "status": ex.status_code, "statusText": ex.reason,
        "httpVersion": f"HTTP/{ex.http_version}" if ex.http_version else "",
        "cookies": [], "headers": _headers(ex.response_headers),
        "content": _content(ex),
        "redirectURL": ex.header("location") or "",
        "headersSize": head,
        "bodySize": body_wire if ex.has_response else -1,
        **({"_interimHeadersSize": interim} if interim else {}),
    }


def _content(ex: Exchange) -> dict[str, Any]:
    mime = _mime(ex.response_headers, "x-unknown")
    body = ex.body
    content: dict[str, Any] = {"size": ex.body_size, "mimeType": mime}
    coding = (ex.header("content-encoding") or "").strip().lower()
    if coding in ("gzip", "x-gzip", "deflate") and len(body) == ex.body_size and ex.complete:
        decoded = _decompress(body, coding)
        if decoded is not None:
            content["size"] = len(decoded)
            content["compression"] = len(decoded) - len(body)
            body = decoded
    text = _as_text(body)
    if text is not None:
        content["text"] = text
    else:
        content["text"] = base64.b64encode(body).decode()
        content["encoding"] = "base64"
    if len(ex.body) < ex.body_size:
        content["comment"] = (f"only the first {len(ex.body)} of {ex.body_size} body bytes "
                              "were kept (the byte log cap)")
    return content


def _decompress(data: bytes, coding: str) -> bytes | None:
    wbits = 16 + zlib.MAX_WBITS if "gzip" in coding else zlib.MAX_WBITS
    try:
        return zlib.decompress(data, wbits)
    except zlib.error:
        try:
            return zlib.decompress(data, -zlib.MAX_WBITS)  # raw deflate, seen in the wild
        except zlib.error:
            return None


def _as_text(data: bytes) -> str | None:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _extra(trace: Trace, ex: Exchange, raw_bytes: bool) -> dict[str, Any]:
    rows = trace.timeline
    extra: dict[str, Any] = {
        "cycle": ex.number, "connection": ex.connection, "reused": ex.reused,
        "interim": [{"status": i.status_code, "statusText": i.reason,
                     "headers": _headers(list(i.headers))} for i in ex.interim],
        "trailers": _headers(ex.trailers), "complete": ex.complete, "error": ex.error,
        "omittedBytes": ex.omitted,
        "polls": [{"index": row.index, "op": row.op, "before": row.status_before.name,
                   "after": row.status_after.name, "result": row.result.name,
                   "sent": row.sent, "received": row.received, "body": row.body,
                   "events": list(row.events), "startMs": row.start_ms,
                   "durationMs": row.duration_ms, "repeat": row.repeat}
                  for row in (rows[i] for i in ex.records)],
    }
    if raw_bytes:
        extra["sent"] = base64.b64encode(b"".join(s.data for s in ex.sent_segments)).decode()
        extra["received"] = base64.b64encode(
            b"".join(s.data for s in ex.received_segments)).decode()
    return extra


# -- curl --trace-ascii ------------------------------------------------------------------------
def _by_record(trace: Trace) -> dict[int, list[Any]]:
    out: dict[int, list[Any]] = {}
    for seg in trace.segments():
        out.setdefault(seg.record, []).append(seg)
    return out


def _info_lines(record: PollRecord) -> list[str]:
    status = record.status_after.name if record.status_before is record.status_after else \
        f"{record.status_before.name} -> {record.status_after.name}"
    op = f"{record.op} ×{record.repeat}" if record.repeat > 1 else record.op
    lines = [f"== Info: [{record.index}] {op}: {status} ({record.result.name})"]
    for event in record.events:
        detail = event.detail
        if event.kind == "Resolved":
            text = f"resolved to {', '.join(map(str, detail.get('addresses', ())))}"
        elif event.kind == "TCPConnected":
            peer = detail.get("peer") or ["?", "?"]
            text = f"connected to {peer[0]} port {peer[1]}"
            if detail.get("transport") == "in-memory":
                text += " (in memory: no socket)"
        elif event.kind == "TLSHandshakeDone":
            text = f"TLS handshake done: {detail.get('version', '')} {detail.get('cipher', '')}"
        elif event.kind in ("Error", "Timeout"):
            text = f"error: {detail.get('message', '')}"
        elif event.kind in ("Data", "Response", "InformationalResponse", "EndOfMessage"):
            continue  # the bytes below say it
        elif isinstance(detail, dict) and isinstance(detail.get("message"), str):
            text = f"{event.kind}: {detail['message']}"
        else:
            text = event.kind
        lines.append(f"== Info: {r.printable(text)}")
    if record.error_message:
        lines.append(f"== Info: {r.printable(record.error_message)}")
    return lines


def _quiet(row: Any) -> bool:
    """A step that changed nothing: no bytes, no events, same status, OK."""
    return not (row.sent or row.received or row.body or row.events or row.error_message
                or row.status_before is not row.status_after or row.result is not Error.OK)


def _runs(rows: Any) -> list[tuple[int, int]]:
    """``(first, last)`` index ranges: quiet steps in a row are one range, others alone."""
    out: list[tuple[int, int]] = []
    for i in range(len(rows)):
        if out and _quiet(rows[i]) and _quiet(rows[out[-1][1]]) and out[-1][1] == i - 1:
            out[-1] = (out[-1][0], i)
        else:
            out.append((i, i))
    return out


def to_text(trace: Trace) -> str:
    """``curl --trace-ascii``-style: ``== Info:`` per step, ``=> Send header, N bytes (0xN)``,
    ``<= Recv data`` blocks with hex offsets; CR and LF are written ``\\r`` and ``\\n``.
    Consecutive steps that changed nothing share one ``== Info:`` line."""
    segments = _by_record(trace)
    records = trace.records
    rows = trace.timeline
    note = cap_note(trace)
    out: list[str] = [f"== Info: {note}"] if note else []
    for first, last in _runs(rows):
        if first != last:
            ops = "/".join(sorted({rows[i].op for i in range(first, last + 1)}))
            steps = sum(rows[i].repeat for i in range(first, last + 1))
            out.append(f"== Info: [{first}-{last}] {steps} steps ({ops}), nothing "
                       f"new ({rows[first].status_after.name})")
            continue
        out.extend(_info_lines(records[first]))
        out.extend(_blocks(segments.get(first, [])))
    return "\n".join(out) + "\n"


def _blocks(segments: list[Any]) -> list[str]:
    out: list[str] = []
    run: list[Any] = []

    def flush() -> None:
        if not run:
            return
        data = b"".join(s.data for s in run)
        arrow = "=> Send" if run[0].direction == "sent" else "<= Recv"
        kind = "header" if run[0].label in HEAD_LABELS else "data"
        out.append(f"{arrow} {kind}, {len(data)} bytes (0x{len(data):x})")
        out.extend(r.ascii_dump(data))
        run.clear()

    for seg in segments:
        if seg.label == "omitted":
            flush()
            what = "sent" if seg.direction == "sent" else "received"
            out.append(f"== Info: {seg.size} {what} bytes not kept (the byte log cap)")
            continue
        if run and (run[0].direction != seg.direction
                    or (run[0].label in HEAD_LABELS) != (seg.label in HEAD_LABELS)):
            flush()
        run.append(seg)
    flush()
    return out


# -- save / load -------------------------------------------------------------------------------
def _jsonable(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, bytes):
        return {"base64": base64.b64encode(value).decode()}
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _record_dict(trace: Trace, pos: int, rec: PollRecord) -> dict[str, Any]:
    c = rec.cycle
    out = {
        "index": rec.index, "op": rec.op, "started": rec.started, "time": rec.time,
        "status_before": rec.status_before.name, "status_after": rec.status_after.name,
        "result": rec.result.name, "sent": _b64(rec.sent), "received": _b64(rec.received),
        "body": _b64(rec.body),
        "events": [{"kind": e.kind, "detail": _jsonable(e.detail)} for e in rec.events],
        "error_message": rec.error_message, "repeat": rec.repeat,
        "cycle": {"connection": c.connection, "cycle": c.cycle, "host": c.host,
                  "port": c.port, "tls": c.tls, "method": c.method, "target": c.target,
                  "proxy": c.proxy, "peer": list(c.peer) if c.peer else None,
                  "reused": c.reused},
    }
    omitted = trace.omitted(pos)
    if any(omitted):
        out["omitted"] = list(omitted)
    return out


def dump_records(trace: Trace) -> dict[str, Any]:
    """The replay format: every record, bytes as base64, and the clock anchor."""
    from . import __version__
    return {"format": _FORMAT, "version": 1, "creator": f"httpexplore {__version__}",
            "anchor": {"monotonic": trace.started, "wall": trace.started_wall},
            "max_bytes_per_cycle": trace.max_bytes_per_cycle,
            "max_records": trace.max_records, "summarised_steps": trace.summarised_steps,
            "merged_events": trace.merged_events,
            "records": [_record_dict(trace, i, rec) for i, rec in enumerate(trace.records)]}


def load_records(cls: type[Trace], path: str | os.PathLike[str]) -> Trace:
    """Build a trace (of class ``cls``) from a file written by :func:`dump_records`, checked
    field by field (:func:`httpexplore.traceload.load`)."""
    from . import traceload
    return traceload.load(cls, path)


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
    for first, last in _runs(rows):
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
    """Plain text, deterministic unless ``times`` (see :meth:`Trace.snapshot`)."""
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
