"""The plain, frozen data the client emits after every step (``on_poll`` subscribers get these).

Theory of operation
-------------------
The client never imports the recorder.  Instead, after each public step (``connect_to_host``,
``request``, ``poll``, ``read_response_body_chunk``, ``close``) it hands one immutable
:class:`PollRecord` to every ``on_poll`` subscriber (``on_step`` subscribers get its fields as
arguments, with no object built), with ``repeat`` = 1.  The recorder (``trace.py``) keeps the
records, folding runs of *quiet* steps (nothing happened) into one record that counts them
(``PollRecord.repeat``);
the inspector reads the recorder.  Everything a learner may want to know about a step is here:
the status before and after, the return code, the exact bytes written and read, what the
parser (h11, or the engine where it counts payload: ``"synthesised"`` events) made of them, and
the error message, if any.

Byte objects are referenced, never copied, so recording is cheap even on large downloads;
bounding memory is the recorder's job.  Records and events are ``NamedTuple`` objects:
immutable like frozen dataclasses, and several times cheaper to build, which matters because
one is built for every step of a download.  Treat ``EventInfo.detail`` as read-only.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from .errors import Error
from .status import Status

__all__ = ["CycleInfo", "EventInfo", "PollRecord"]

#: The shared, never-mutated detail of an event that has none.
_NO_DETAIL: dict[str, Any] = {}


class EventInfo(NamedTuple):
    """One parser event, as plain data.

    ``kind`` is the h11 event class name (``"Request"``, ``"InformationalResponse"``,
    ``"Response"``, ``"Data"``, ``"EndOfMessage"``, ``"ConnectionClosed"``) or a client event
    (``"Unsolicited"``, ``"PeerClosed"``, ``"TunnelEstablished"``, ``"TLSHandshakeDone"``,
    ``"Resolved"``, ``"TCPConnected"``).  ``detail`` holds the event's fields as JSON-able
    values: for a response ``{"status_code": 200, "reason": "OK", "http_version": "1.1",
    "headers": (("Name", "value"), ...)}``, for ``Data`` ``{"length": n, "chunk_start": bool,
    "chunk_end": bool}``, for ``EndOfMessage`` ``{"trailers": ((name, value), ...)}``.
    Sequences in a detail are tuples of strings and numbers (JSON writes them as arrays): with
    nothing mutable inside, a kept event is data the garbage collector stops tracking, so a
    recorder holding a million of them adds nothing to each collection.

    ``"synthesised": True`` in the detail marks a ``Data``, ``EndOfMessage`` or ``Response``
    event that h11 did not produce: the engine counts chunk payload and Content-Length bodies
    itself, and reads the common response head with one strict match (docs/architecture.md,
    "Where the project departs from h11"), and makes the event h11 would have made, so that
    the trace reads the same; the flag says whose it is.
    """

    kind: str
    detail: dict[str, Any] = _NO_DETAIL


class CycleInfo(NamedTuple):
    """What the recorder needs to know about the request cycle a record belongs to.

    A *cycle* is one request and its response on one connection.  ``connection`` counts TCP
    connections made by this client (1, 2, ...); ``cycle`` counts requests (0 before the first
    request).  ``method`` and ``target`` are those of the request as sent; ``host``/``port``/
    ``tls`` describe the origin (not the proxy); ``proxy`` is ``"http"``, ``"https"`` or ``""``.
    ``peer`` is the socket address actually connected, e.g. ``("127.0.0.1", 8080)``, or None.
    A ``NamedTuple`` of plain values like the records, so a recorder keeping one per request
    keeps nothing the garbage collector has to walk; build it with keywords.
    """

    connection: int
    cycle: int
    host: str
    port: int
    tls: bool
    method: str = ""
    target: str = ""
    proxy: str = ""
    peer: tuple[str, int] | None = None
    reused: bool = False


class PollRecord(NamedTuple):
    """One step of the client, as immutable data.

    Attributes
    ----------
    index:
        0, 1, 2, ... per client, across connections.
    op:
        ``"connect_to_host"``, ``"request"``, ``"poll"``, ``"read_response_body_chunk"`` or
        ``"close"``.
    time:
        The client's clock (``time.monotonic()`` by default) at the end of the step.
    started:
        The client's clock at the start of the step.
    status_before, status_after:
        The client's status around the step.
    result:
        The ``Error`` the call returned (``read_response_body_chunk`` reports ``Error.OK``).
    sent:
        Exact bytes written to the connection during this step (plaintext, before TLS).
    received:
        Exact bytes read from the connection during this step (plaintext, after TLS).
    body:
        Body bytes handed to the caller by this step (only ``read_response_body_chunk``).
    events:
        Parser and connection events produced by this step, in order.
    error_message:
        The plain-language message if this step ended in an error status, else ``""``.
    cycle:
        Which connection and request this step belongs to.
    repeat:
        How many steps this record stands for (1 for most).  A *quiet* step changes nothing:
        nothing written, read or handed out, no event, the status unchanged and ``OK``
        returned (a ``poll()`` while the server has not answered yet, say).  The client
        emits every step with ``repeat`` = 1; the recorder folds a quiet step that repeats its
        newest record (same call, status and cycle, both quiet) into that record, in place:
        ``repeat = n``, ``index`` the first folded step's, ``started`` its start, ``time`` the
        last one's end.  A million idle polls make one record, not a million.  Past its
        ``max_records`` a trace also stores routine body steps as *summary* records whose
        ``repeat`` counts them (their bytes counted as omitted, their ``Data`` events
        dropped: see :attr:`httpexplore.trace.Trace.summarised_steps`).
    """

    index: int  # type: ignore[assignment]  # (shadows tuple.index, on purpose: Godot-like name)
    op: str
    time: float
    started: float
    status_before: Status
    status_after: Status
    result: Error
    cycle: CycleInfo
    sent: bytes = b""
    received: bytes = b""
    body: bytes = b""
    events: tuple[EventInfo, ...] = ()
    error_message: str = ""
    repeat: int = 1
