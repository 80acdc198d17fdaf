"""Helpers for the recorder tests: synthetic records, scripted and live runs, invariants."""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterable, Sequence

from hypothesis import strategies as st

from httpexplore import Error, HTTPClient, Method, Status, TLSOptions
from httpexplore.annotate import BODY_LABELS, ConnectionScanner, Segment
from httpexplore.records import CycleInfo, EventInfo, PollRecord
from httpexplore.trace import Trace
from httpexplore.transport import ScriptedTransport, ScriptStep

__all__ = ["body_of", "check_invariants", "fetch", "rec", "responses", "scan", "scripted", "splits",
           "wire_of"]

S = Status


def rec(index: int, op: str, before: Status, after: Status, *, sent: bytes = b"",
        received: bytes = b"", body: bytes = b"", events: Iterable[EventInfo] = (),
        connection: int = 1, cycle: int = 0, method: str = "", target: str = "",
        t: float | None = None, dt: float = 0.001, error: str = "",
        result: Error = Error.OK, reused: bool = False, tls: bool = False,
        peer: tuple[str, int] | None = ("192.0.2.1", 80)) -> PollRecord:
    """A synthetic record; ``t`` (default: ``index`` seconds) is its start time."""
    start = float(index) if t is None else t
    return PollRecord(
        index=index, op=op, time=start + dt, started=start, status_before=before,
        status_after=after, result=result, sent=sent, received=received, body=body,
        events=tuple(events), error_message=error,
        cycle=CycleInfo(connection=connection, cycle=cycle, host="example.test", port=80,
                        tls=tls, method=method, target=target, peer=peer, reused=reused))


def scan(sent: Sequence[bytes], received: Sequence[bytes], *,
         eof: bool = False) -> tuple[ConnectionScanner, list[Segment]]:
    """Scan one connection: all ``sent`` pieces (record 0, 1, ...) then ``received`` pieces."""
    sc = ConnectionScanner(1)
    for i, piece in enumerate(sent):
        sc.feed(i, piece, b"")
    for j, piece in enumerate(received):
        sc.feed(len(sent) + j, b"", piece, eof=eof and j == len(received) - 1)
    return sc, sc.sent.out + sc.sent.pending() + sc.received.out + sc.received.pending()


def wire_of(segments: Iterable[Segment], direction: str) -> bytes:
    return b"".join(s.data for s in segments if s.direction == direction)


def body_of(segments: Iterable[Segment], direction: str = "received") -> bytes:
    return b"".join(s.data for s in segments
                    if s.direction == direction and s.label in BODY_LABELS)


def check_invariants(trace: Trace) -> None:
    """Segments re-make the wire bytes exactly, per connection and direction; body segments
    re-make the delivered body; segment offsets and records are consistent."""
    conns = {r.cycle.connection for r in trace.records}
    for number in conns:
        records = [(i, r) for i, r in enumerate(trace.records) if r.cycle.connection == number]
        for direction, attr in (("sent", "sent"), ("received", "received")):
            segs = trace.segments(direction, connection=number)
            assert wire_of(segs, direction) == b"".join(getattr(r, attr) for _, r in records)
            offset = 0
            for seg in segs:
                assert seg.offset == offset and seg.size >= len(seg.data)
                assert seg.size == len(seg.data) or seg.label == "omitted"
                assert seg.data == b"" or seg.data in getattr(trace.records[seg.record], attr)
                offset += seg.size
            assert [s.record for s in segs] == sorted(s.record for s in segs)
        if not any(any(trace.omitted(i)) for i, _ in records):
            delivered = b"".join(r.body for _, r in records)
            body = body_of(trace.segments("received", connection=number))
            # A broken connection drops what was buffered and not yet handed out.
            broken = any(r.status_after is Status.CONNECTION_ERROR for _, r in records)
            assert body.startswith(delivered) if broken else body == delivered


def scripted(incoming: Iterable[ScriptStep], **kwargs: object) -> tuple[HTTPClient, Trace]:
    """A client over a :class:`ScriptedTransport` with a trace attached."""
    transport = ScriptedTransport(incoming, **kwargs)  # type: ignore[arg-type]
    client = HTTPClient(record=False, transport_factory=lambda: transport)
    return client, Trace(client)


def fetch(client: HTTPClient, path: str, *, method: Method = Method.GET,
          headers: Sequence[str] = (), body: str = "", host: str | None = None,
          port: int = -1, timeout: float = 20.0, tls: TLSOptions | None = None) -> bytes:
    """The tutorial loop (connect if ``host`` is given); returns the body read."""
    deadline = time.monotonic() + timeout
    if host is not None:
        assert client.connect_to_host(host, port, tls) == Error.OK, client.error_message
        while client.get_status() in (S.RESOLVING, S.CONNECTING):
            client.poll()
            _tick(deadline)
    assert client.request(method, path, list(headers), body) == Error.OK, client.error_message
    while client.get_status() is S.REQUESTING:
        client.poll()
        _tick(deadline)
    got = bytearray()
    while client.get_status() is S.BODY:
        client.poll()
        chunk = client.read_response_body_chunk()
        got += chunk
        if not chunk:
            _tick(deadline)
    return bytes(got)


def _tick(deadline: float) -> None:
    if time.monotonic() > deadline:
        raise TimeoutError("the exchange took too long")
    time.sleep(0.0005)


# -- random responses ----------------------------------------------------------------------
_token = st.text("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-", min_size=1, max_size=8)
_value = st.text("abcdefghijklmnopqrstuvwxyz0123456789 ;=/", min_size=0, max_size=12).map(
    str.strip)


@st.composite
def responses(draw: st.DrawFn) -> tuple[bytes, bytes, bytes, str]:
    """``(request, response, body, framing)`` built to be valid for h11."""
    method = draw(st.sampled_from(["GET", "GET", "HEAD", "POST"]))
    eol = draw(st.sampled_from([b"\r\n", b"\r\n", b"\n"]))
    framing = draw(st.sampled_from(["length", "chunked", "close"]))
    code = draw(st.sampled_from([200, 200, 201, 404, 500, 204, 304]))
    names = draw(st.lists(_token, max_size=4))
    head = b"".join(f"{n}-x: {v}".encode() + eol for n, v in zip(
        names, draw(st.lists(_value, min_size=len(names), max_size=len(names))), strict=True))
    interim = b"".join(f"HTTP/1.1 {c} Hint".encode() + eol + b"Link: <a>" + eol + eol
                       for c in draw(st.lists(st.sampled_from([100, 103]), max_size=2)))
    body = draw(st.binary(max_size=300))
    no_body = method == "HEAD" or code in (204, 304)
    wire_body = b""
    if framing == "length":
        head += f"Content-Length: {len(body)}".encode() + eol
        wire_body = body
    elif framing == "chunked":
        head += b"Transfer-Encoding: chunked" + eol
        cuts = sorted(draw(st.lists(st.integers(0, len(body)), max_size=4)))
        pieces = [body[a:b] for a, b in zip([0, *cuts], [*cuts, len(body)], strict=True) if b > a]
        ext = draw(st.sampled_from([b"", b";a=b", b";x"]))
        wire_body = b"".join(f"{len(p):x}".encode() + ext + b"\r\n" + p + b"\r\n"
                             for p in pieces)
        trailer = draw(st.sampled_from([b"", b"T: 1\r\n"]))
        wire_body += b"0\r\n" + trailer + b"\r\n"
    else:
        wire_body = body
    delivered = b"" if no_body else body
    if no_body:
        wire_body = b""
    response = interim + f"HTTP/1.1 {code} Reason".encode() + eol + head + eol + wire_body
    request = f"{method} / HTTP/1.1\r\nHost: a\r\n".encode()
    request += b"Content-Length: 2\r\n\r\nhi" if method == "POST" else b"\r\n"
    return request, response, delivered, "none" if no_body else framing


def splits(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts} | {0, len(data)})
    return [data[a:b] for a, b in itertools.pairwise(points)]
