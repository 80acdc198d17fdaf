"""The JSON replay format of a :class:`~httpexplore.trace.Trace`: every record, bytes as base64,
and the clock anchor.  :mod:`httpexplore.export.loader` reads it back, checking every field."""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING, Any

from ..records import PollRecord

if TYPE_CHECKING:
    from ..trace import Trace

from .loader import FORMAT

__all__ = ["dump_records"]

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
    from .. import __version__
    return {"format": FORMAT, "version": 1, "creator": f"httpexplore {__version__}",
            "anchor": {"monotonic": trace.started, "wall": trace.started_wall},
            "max_bytes_per_cycle": trace.max_bytes_per_cycle,
            "max_records": trace.max_records, "summarised_steps": trace.summarised_steps,
            "merged_events": trace.merged_events,
            "records": [_record_dict(trace, i, rec) for i, rec in enumerate(trace.records)]}
