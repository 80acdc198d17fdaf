"""A ``curl --trace-ascii``-style dump of a :class:`~httpexplore.trace.Trace`: every step and
byte."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import _render as r
from ..annotate import HEAD_LABELS
from ..errors import Error
from ..records import PollRecord

if TYPE_CHECKING:
    from ..trace import Trace

from .har import cap_note

__all__ = ["quiet_runs", "to_text"]

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


def quiet_runs(rows: Any) -> list[tuple[int, int]]:
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
    for first, last in quiet_runs(rows):
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
