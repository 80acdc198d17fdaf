"""HAR 1.2 from a :class:`~httpexplore.trace.Trace` (one entry per request cycle).

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

if TYPE_CHECKING:
    from ..trace import Exchange, Trace

__all__ = ["cap_note", "to_har", "write_json"]

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
    from .. import __version__

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
    from ..trace import MAX_DATA_EVENTS
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
