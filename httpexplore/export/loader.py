"""Loading a saved trace (``export.load``, ``Trace.load``) without trusting the file.

Theory of operation
-------------------
A file written by :func:`httpexplore.export.save` may have been edited, truncated or
crafted.  Everything read here is checked before a record is built: types (an ``int`` is not
a ``bool`` or a string), ranges (finite times, ports 0..65535, status codes 100..599), names
(statuses, result codes, calls, event kinds that the client produces), hosts (one valid host,
:mod:`httpexplore.hosts`), sizes (strings, lists, base64 byte fields).  The first bad field is
refused with a ``ValueError`` that names it (``records[3].cycle.port: ...``), so a loaded trace
is one that every view and export can show.

Limits: the file may not be larger than ``max_file_bytes`` (default
:data:`DEFAULT_MAX_FILE`, 64 MiB; the caller may raise it), checked before it is read; and the
records go through the same caps as live recording (bytes per cycle and in all, the record
count), so a loaded trace costs no more memory than a recorded one.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import os
import time
from typing import TYPE_CHECKING, Any

from ..errors import Error
from ..hosts import host_problem
from ..records import CycleInfo, EventInfo, PollRecord
from ..status import Method, Status

if TYPE_CHECKING:
    from ..trace import Trace

__all__ = ["DEFAULT_MAX_FILE", "FORMAT", "load"]

FORMAT = "httpexplore-trace"
#: Largest trace file :func:`load` reads unless the caller allows more.
DEFAULT_MAX_FILE = 64 * 1024 * 1024
_OPS = frozenset({"connect_to_host", "request", "request_raw", "poll",
                  "read_response_body_chunk", "close"})
_METHODS = frozenset({"", "CONNECT", *(m.name for m in Method if m is not Method.MAX)})
_MAX_INT = 2 ** 53  # exact in JSON readers everywhere
_MAX_TIME = 1e12  # seconds: far beyond any monotonic or wall clock, far below overflow
_MAX_TEXT = 1 << 20  # characters in one string field
_MAX_LIST = 1 << 16  # items in one list (headers, events, addresses)


class _Bad(ValueError):
    pass


def _fail(where: str, what: str) -> _Bad:
    return _Bad(f"{where}: {what}")


def _int(value: Any, where: str, low: int = 0, high: int = _MAX_INT) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _fail(where, f"expected an integer, got {type(value).__name__}")
    if not low <= value <= high:
        raise _fail(where, f"{value} is outside {low}..{high}")
    return value


def _time(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _fail(where, f"expected a number, got {type(value).__name__}")
    if not math.isfinite(value) or abs(value) > _MAX_TIME:
        raise _fail(where, f"{value!r} is not a finite time below {_MAX_TIME:g} s")
    return float(value)


def _str(value: Any, where: str, limit: int = _MAX_TEXT) -> str:
    if not isinstance(value, str):
        raise _fail(where, f"expected a string, got {type(value).__name__}")
    if len(value) > limit:
        raise _fail(where, f"longer than {limit} characters")
    return value


def _bool(value: Any, where: str) -> bool:
    if not isinstance(value, bool):
        raise _fail(where, f"expected true or false, got {type(value).__name__}")
    return value


def _list(value: Any, where: str, limit: int = _MAX_LIST) -> list[Any]:
    if not isinstance(value, list):
        raise _fail(where, f"expected a list, got {type(value).__name__}")
    if len(value) > limit:
        raise _fail(where, f"more than {limit} items")
    return value


def _dict(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _fail(where, f"expected an object, got {type(value).__name__}")
    return value


def _name(value: Any, where: str, names: Any) -> str:
    text = _str(value, where, 64)
    if text not in names:
        raise _fail(where, f"{text!r} is not one of the known names")
    return text


def _bytes(value: Any, where: str, limit: int) -> bytes:
    text = _str(value, where, (limit + 2) // 3 * 4 + 4)
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise _fail(where, "not valid base64") from None


def _pairs(value: Any, where: str) -> tuple[tuple[str, str], ...]:
    """``[[name, value], ...]`` as the tuple of pairs a live recording holds."""
    out = []
    for i, pair in enumerate(_list(value, where)):
        item = _list(pair, f"{where}[{i}]", 2)
        if len(item) != 2:
            raise _fail(f"{where}[{i}]", "expected a [name, value] pair")
        out.append((_str(item[0], f"{where}[{i}][0]"), _str(item[1], f"{where}[{i}][1]")))
    return tuple(out)


def _head(detail: dict[str, Any], where: str) -> dict[str, Any]:
    out = {"status_code": _int(detail.get("status_code"), f"{where}.status_code", 100, 599),
           "reason": _str(detail.get("reason", ""), f"{where}.reason"),
           "http_version": _str(detail.get("http_version", ""), f"{where}.http_version", 16),
           "headers": _pairs(detail.get("headers", []), f"{where}.headers")}
    if detail.get("synthesised"):  # a head read by the engine's common-head reader, not h11
        out["synthesised"] = _bool(detail["synthesised"], f"{where}.synthesised")
    return out


def _detail(kind: str, detail: dict[str, Any], where: str) -> dict[str, Any]:
    """The event's detail, rebuilt from checked fields only (what the views read)."""
    if kind in ("Response", "InformationalResponse"):
        return _head(detail, where)
    if kind == "Data":
        out: dict[str, Any] = {
            "length": _int(detail.get("length", 0), f"{where}.length"),
            "chunk_start": _bool(detail.get("chunk_start", False), f"{where}.chunk_start"),
            "chunk_end": _bool(detail.get("chunk_end", False), f"{where}.chunk_end")}
        if "merged" in detail:  # the recorder's merged Data events (trace.MAX_DATA_EVENTS)
            out["merged"] = _int(detail["merged"], f"{where}.merged", 1)
        if detail.get("synthesised"):  # made by the engine, not by h11 (records.EventInfo)
            out["synthesised"] = _bool(detail["synthesised"], f"{where}.synthesised")
        return out
    if kind == "EndOfMessage":
        end: dict[str, Any] = {"trailers": _pairs(detail.get("trailers", []),
                                                  f"{where}.trailers")}
        if detail.get("synthesised"):
            end["synthesised"] = _bool(detail["synthesised"], f"{where}.synthesised")
        return end
    if kind in ("Error", "FramingConflict"):
        return {"message": _str(detail.get("message", ""), f"{where}.message")}
    if kind == "Resolved":
        return {"addresses": tuple(_str(a, f"{where}.addresses[{i}]", 64) for i, a in
                                   enumerate(_list(detail.get("addresses", []),
                                                   f"{where}.addresses")))}
    if kind == "TCPConnected":
        peer = _list(detail.get("peer", []), f"{where}.peer", 2)
        return {"peer": (_str(peer[0], f"{where}.peer[0]", 64),
                         _int(peer[1], f"{where}.peer[1]", 0, 65535)) if peer else ()}
    if kind == "TLSHandshakeDone":
        return {"version": _str(detail.get("version", ""), f"{where}.version", 64),
                "cipher": _str(detail.get("cipher", ""), f"{where}.cipher", 256)}
    if kind == "TunnelEstablished":
        return {"status_code": _int(detail.get("status_code"), f"{where}.status_code", 100,
                                    599)}
    if kind == "Unsolicited":
        return {"length": _int(detail.get("length", 0), f"{where}.length")}
    return {}  # PeerClosed, ConnectionClosed: no detail


_KINDS = frozenset({"Response", "InformationalResponse", "Data", "EndOfMessage", "Error",
                    "FramingConflict", "Resolved", "TCPConnected", "TLSHandshakeDone",
                    "TunnelEstablished", "Unsolicited", "PeerClosed", "ConnectionClosed"})


def _cycle(value: Any, where: str) -> CycleInfo:
    c = _dict(value, where)
    host = _str(c.get("host"), f"{where}.host", 300)
    if host:
        problem = host_problem(host)
        if problem is not None:
            raise _fail(f"{where}.host", problem)
    target = _str(c.get("target", ""), f"{where}.target", 65536)
    if any(ch.isspace() or ord(ch) < 0x20 or ord(ch) == 0x7F for ch in target):
        raise _fail(f"{where}.target", "contains a space or control character")
    peer_raw = c.get("peer")
    peer = None
    if peer_raw is not None:
        items = _list(peer_raw, f"{where}.peer", 2)
        if len(items) != 2:
            raise _fail(f"{where}.peer", "expected [address, port]")
        peer = (_str(items[0], f"{where}.peer[0]", 64), _int(items[1], f"{where}.peer[1]", 0,
                                                            65535))
    proxy = c.get("proxy", "")
    if proxy not in ("", "http", "https"):
        raise _fail(f"{where}.proxy", "expected '', 'http' or 'https'")
    return CycleInfo(connection=_int(c.get("connection"), f"{where}.connection"),
                     cycle=_int(c.get("cycle"), f"{where}.cycle"), host=host,
                     port=_int(c.get("port"), f"{where}.port", -1, 65535),
                     tls=_bool(c.get("tls"), f"{where}.tls"),
                     method=_name(c.get("method", ""), f"{where}.method", _METHODS),
                     target=target, proxy=proxy, peer=peer,
                     reused=_bool(c.get("reused", False), f"{where}.reused"))


def _record(d: Any, where: str, byte_limit: int) -> tuple[PollRecord, tuple[int, int, int]]:
    d = _dict(d, where)
    events = []
    for i, e in enumerate(_list(d.get("events", []), f"{where}.events")):
        e = _dict(e, f"{where}.events[{i}]")
        kind = _name(e.get("kind"), f"{where}.events[{i}].kind", _KINDS)
        detail = _dict(e.get("detail", {}), f"{where}.events[{i}].detail")
        events.append(EventInfo(kind=kind, detail=_detail(kind, detail,
                                                          f"{where}.events[{i}].detail")))
    omitted_raw = d.get("omitted") or [0, 0, 0]
    omitted = _list(omitted_raw, f"{where}.omitted", 3)
    if len(omitted) != 3:
        raise _fail(f"{where}.omitted", "expected [sent, received, body]")
    counts = (_int(omitted[0], f"{where}.omitted[0]"), _int(omitted[1], f"{where}.omitted[1]"),
              _int(omitted[2], f"{where}.omitted[2]"))
    record = PollRecord(
        index=_int(d.get("index"), f"{where}.index"),
        op=_name(d.get("op"), f"{where}.op", _OPS),
        time=_time(d.get("time"), f"{where}.time"),
        started=_time(d.get("started"), f"{where}.started"),
        status_before=Status[_name(d.get("status_before"), f"{where}.status_before",
                                   Status.__members__)],
        status_after=Status[_name(d.get("status_after"), f"{where}.status_after",
                                  Status.__members__)],
        result=Error[_name(d.get("result"), f"{where}.result", Error.__members__)],
        cycle=_cycle(d.get("cycle"), f"{where}.cycle"),
        sent=_bytes(d.get("sent", ""), f"{where}.sent", byte_limit),
        received=_bytes(d.get("received", ""), f"{where}.received", byte_limit),
        body=_bytes(d.get("body", ""), f"{where}.body", byte_limit),
        events=tuple(events),
        error_message=_str(d.get("error_message", ""), f"{where}.error_message"),
        repeat=_int(d.get("repeat", 1), f"{where}.repeat", 1))
    return record, counts


def load(cls: type[Trace], path: str | os.PathLike[str], *,
         max_file_bytes: int = DEFAULT_MAX_FILE) -> Trace:
    """Build a trace (of class ``cls``) from a file written by
    :func:`httpexplore.export.save`; raises ``ValueError`` naming the first bad field, or when
    the file is larger than ``max_file_bytes``."""
    from ..trace import DEFAULT_MAX_BYTES, DEFAULT_MAX_RECORDS

    size = os.stat(path).st_size
    if size > max_file_bytes:
        raise ValueError(f"{os.fspath(path)!r} is {size} bytes, more than max_file_bytes="
                         f"{max_file_bytes}; pass a larger max_file_bytes to export.load if you "
                         "trust it")
    with open(path, encoding="utf-8") as f:
        try:
            data = json.load(f)
        except (json.JSONDecodeError, RecursionError) as exc:
            raise ValueError(f"{os.fspath(path)!r} is not valid JSON: {exc}") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ValueError(f"{os.fspath(path)!r} is not an httpexplore trace (see export.save)")
    try:
        per_cycle = _int(data.get("max_bytes_per_cycle", DEFAULT_MAX_BYTES),
                         "max_bytes_per_cycle")
        max_records = _int(data.get("max_records", DEFAULT_MAX_RECORDS), "max_records")
        summarised = _int(data.get("summarised_steps", 0), "summarised_steps")
        merged = _int(data.get("merged_events", 0), "merged_events")
        anchor = _dict(data.get("anchor", {}), "anchor")
        # (A file without an anchor is anchored now, as it always was.)
        started = _time(anchor.get("monotonic", time.monotonic()), "anchor.monotonic")
        started_wall = _time(anchor.get("wall", time.time()), "anchor.wall")
        raw = _list(data.get("records"), "records", 1 << 24)
        records: list[tuple[PollRecord, tuple[int, int, int]]] = []
        last: CycleInfo | None = None
        for i, d in enumerate(raw):
            record, omitted = _record(d, f"records[{i}]", size)
            if record.cycle == last:  # one object per stretch of steps, as when recording
                record = record._replace(cycle=last)
            last = record.cycle
            records.append((record, omitted))
        # The live caps apply: a file cannot ask for more than a recording would keep.
        trace = cls.from_records(records, started=started, started_wall=started_wall,
                                 max_bytes_per_cycle=min(per_cycle, DEFAULT_MAX_BYTES),
                                 max_records=min(max_records, DEFAULT_MAX_RECORDS),
                                 summarised_steps=summarised, merged_events=merged)
    except _Bad as exc:
        raise ValueError(f"{os.fspath(path)!r}: {exc}") from None
    return trace
