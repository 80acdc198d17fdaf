"""The common-head reader (``httpexplore/_fasthead.py``) against plain h11.

Two properties, both differential:

* whatever head :func:`httpexplore._fasthead.parse` accepts, h11 accepts too and reads the same
  way (code, reason, fields in order, where the head ends, the body length); hand-written heads
  and hypothesis-generated ones, most of them odd, some of them common;
* the client gives the same outcome (status path, code, headers, body, message) with the reader
  on and with it off (``response.COMMON_HEADS = False``: h11 reads every head), for common
  responses, every entry of the malformed catalogue and generated responses, delivered whole
  and cut at every byte; and the engine records the same events apart from the
  ``synthesised`` label.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager

import h11
import pytest
from clientkit import ADDRESS, Outcome, exchange, scripted_client, tutorial
from hypothesis import HealthCheck, find, given, settings
from hypothesis import strategies as st
from malformed_cases import CASES

from httpexplore import Error, Method, Status, response
from httpexplore._cycle import MAX_HEAD
from httpexplore._fasthead import Head, parse
from httpexplore.engine import Engine
from httpexplore.records import EventInfo
from httpexplore.transport import AFTER_SEND, EOF, WOULD_BLOCK, ScriptStep

COMMON: dict[str, bytes] = {
    "small": b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello",
    "empty_body": b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
    "no_reason": b"HTTP/1.1 404 \r\nContent-Length: 2\r\n\r\nno",
    "ows_and_obs_text": b"HTTP/1.1 200 \xc3\xa9t\xe9\r\nX-A:\t a  b \t\r\nX-E:\r\n"
                        b"X-F: \xff\x80 x\r\ncontent-length:  3 \r\n\r\nabc",
    "leading_zeros": b"HTTP/1.1 201 Created\r\nContent-Length: 0003\r\n\r\nabc",
    "connection_close": b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nhi",
    "server_error": b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 4\r\n\r\noops",
    # Not for the reader (h11 reads them): still compared on and off.
    "extra_bytes_after_body": b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhiHTTP/1.1 200 OK\r\n",
    "two_lengths_same": b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nhi",
    "length_list": b"HTTP/1.1 200 OK\r\nContent-Length: 2, 2\r\n\r\nhi",
    "http10": b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nhi",
    "no_content": b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n",
    "bare_lf": b"HTTP/1.1 200 OK\nContent-Length: 2\n\nhi",
    "obs_fold": b"HTTP/1.1 200 OK\r\nX: a\r\n b\r\nContent-Length: 2\r\n\r\nhi",
    "chunked": b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n",
    "interim": b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi",
}


# -- the parser against h11 ------------------------------------------------------------------
def h11_reading(wire: bytes) -> tuple[object, list[object]]:
    """h11's first event for ``wire`` as the answer to a GET (or the exception), and the
    events that follow it."""
    conn = h11.Connection(h11.CLIENT)
    conn.send(h11.Request(method="GET", target="/", headers=[("Host", "example.test")]))
    conn.send(h11.EndOfMessage())
    conn.receive_data(wire)
    try:
        first = conn.next_event()
        rest = []
        while True:
            event = conn.next_event()
            if event is h11.NEED_DATA or event is h11.PAUSED:
                rest.append(event)
                break
            rest.append(event)
    except h11.RemoteProtocolError as exc:
        return exc, []
    return first, rest


def check_agrees_with_h11(wire: bytes) -> Head | None:
    head = parse(wire, MAX_HEAD)
    if head is None:
        return None
    first, _ = h11_reading(wire[:head.size])  # the head alone
    assert type(first) is h11.Response, (wire, first)
    assert first.status_code == head.status_code
    assert first.reason == head.reason
    assert first.http_version == b"1.1"
    assert list(first.headers.raw_items()) == head.fields
    # h11 reads exactly the head, then exactly content_length bytes of body.
    body = bytes(range(256)) * (head.content_length // 256 + 1)
    first, rest = h11_reading(wire[:head.size] + body[:head.content_length])
    assert type(first) is h11.Response
    kinds = [type(e) for e in rest if type(e) is not h11.Data]
    assert kinds[0] is h11.EndOfMessage, rest
    assert sum(len(e.data) for e in rest if type(e) is h11.Data) == head.content_length
    return head


@pytest.mark.parametrize("name", sorted(COMMON))
def test_common_heads_parse_as_h11_reads_them(name: str) -> None:
    check_agrees_with_h11(COMMON[name])


def test_the_common_head_is_taken_and_the_rest_is_refused() -> None:
    taken = {n for n, w in COMMON.items() if parse(w, MAX_HEAD) is not None}
    assert taken == {"small", "empty_body", "no_reason", "ows_and_obs_text", "leading_zeros",
                     "connection_close", "server_error", "extra_bytes_after_body"}
    head = parse(COMMON["ows_and_obs_text"], MAX_HEAD)
    assert head is not None
    assert head.fields[0] == (b"X-A", b"a  b") and head.content_length == 3


def test_an_incomplete_or_oversized_head_is_refused() -> None:
    wire = COMMON["small"]
    end = wire.index(b"\r\n\r\n") + 4
    assert all(parse(wire[:cut], MAX_HEAD) is None for cut in range(end))
    assert parse(wire, end) is not None and parse(wire, end - 1) is None


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_catalogue_heads_parse_as_h11_reads_them(case: object) -> None:
    wire = case.wire  # type: ignore[attr-defined]
    for cut in range(1, min(len(wire), 400) + 1):
        check_agrees_with_h11(wire[:cut])


_ODD = [b" ", b"\t", b"\x00", b"\r", b"\n", b"\r\n", b"a", b"Z", b"5", b"0", b",", b":",
        b"\x7f", b"\x80", b"\xff", b"\x01", b"\x0b", b"(", b"-"]
_NAMES = st.one_of(st.sampled_from([b"Content-Length", b"content-length", b"CONTENT-LENGTH",
                                    b"Transfer-Encoding", b"Connection", b"X-A", b"Bad Name",
                                    b"", b"X(Y)", b"Content-Length "]),
                   st.lists(st.sampled_from(_ODD), max_size=4).map(b"".join))
_VALUES = st.one_of(st.sampled_from([b"5", b"05", b"5, 5", b"-1", b"chunked", b"close", b"",
                                     b"1" * 19, b"a b", b" 5 "]),
                    st.lists(st.sampled_from(_ODD), max_size=6).map(b"".join))
_STATUS = st.tuples(
    st.sampled_from([b"HTTP/1.1", b"HTTP/1.0", b"HTTP/2.0", b"http/1.1", b"HTTP/1.1 "]),
    st.sampled_from([b" ", b"\t", b"", b"  "]),
    st.one_of(st.integers(0, 999).map(lambda n: b"%03d" % n),
              st.lists(st.sampled_from(_ODD), max_size=4).map(b"".join)),
    st.one_of(st.sampled_from([b" OK", b"", b" ", b" Not Found"]),
              st.lists(st.sampled_from(_ODD), max_size=5).map(lambda p: b" " + b"".join(p))),
).map(b"".join)
_LINE_END = st.sampled_from([b"\r\n", b"\r\n", b"\r\n", b"\n", b"\r\n ", b"\r"])


_COMMON_FIELDS = st.tuples(
    st.sampled_from([b"Content-Type", b"Server", b"X-A", b"Connection", b"ETag", b"Vary"]),
    st.sampled_from([b": ", b":", b":\t", b":  "]),
    st.sampled_from([b"text/plain", b"keep-alive", b"close", b"\"abc\"", b"a b", b"",
                     b"\xc3\xa9", b"x \t y"]),
    st.sampled_from([b"\r\n", b" \r\n", b"\t\r\n"]))


@st.composite
def heads(draw: st.DrawFn) -> bytes:
    """A response head and up to 20 body bytes: half are common heads, some of those with one
    byte changed or inserted (near misses); the other half odd throughout."""
    if draw(st.booleans()):
        code = draw(st.sampled_from([200, 201, 204, 301, 304, 404, 500, 599, 100, 199, 600]))
        reason = draw(st.sampled_from([b" OK", b" ", b" Not Found", b" \xe9t\xe9 \t"]))
        fields = draw(st.lists(_COMMON_FIELDS, max_size=4))
        fields.insert(draw(st.integers(0, len(fields))),
                      (draw(st.sampled_from([b"Content-Length", b"content-length"])), b": ",
                       b"%d" % draw(st.integers(0, 20)), b"\r\n"))
        out = b"HTTP/1.1 %d" % code + reason + b"\r\n" + b"".join(b"".join(f) for f in fields)
        out += b"\r\n" + draw(st.binary(max_size=20))
        if draw(st.booleans()):
            at = draw(st.integers(0, len(out)))
            odd = draw(st.sampled_from(_ODD))
            out = out[:at] + odd + out[at + draw(st.integers(0, 1)):]
        return out
    out = draw(_STATUS) + draw(_LINE_END)
    fields = draw(st.lists(st.tuples(_NAMES, st.sampled_from([b":", b": ", b":\t", b" :"]),
                                     _VALUES, _LINE_END), max_size=5))
    if draw(st.booleans()):
        fields.insert(draw(st.integers(0, len(fields))),
                      (b"Content-Length", b": ", b"%d" % draw(st.integers(0, 20)), b"\r\n"))
    out += b"".join(b"".join(f) for f in fields)
    out += draw(st.sampled_from([b"\r\n", b"\r\n", b"\n", b""]))
    return out + draw(st.binary(max_size=20))


def test_the_generator_makes_heads_the_reader_takes_and_heads_it_refuses() -> None:
    """(Otherwise the generated tests below would compare nothing but fallbacks.)"""
    settings_ = settings(database=None, max_examples=2000)
    assert parse(find(heads(), lambda w: parse(w, MAX_HEAD) is not None,
                      settings=settings_), MAX_HEAD) is not None
    assert parse(find(heads(), lambda w: w.startswith(b"HTTP/1.1 200")
                      and parse(w, MAX_HEAD) is None, settings=settings_), MAX_HEAD) is None


@settings(max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(wire=heads())
def test_generated_heads_parse_as_h11_reads_them(wire: bytes) -> None:
    check_agrees_with_h11(wire)


# -- the client, reader on and off -------------------------------------------------------------
@contextmanager
def common_heads(on: bool) -> Iterator[None]:
    saved = response.COMMON_HEADS
    response.COMMON_HEADS = on
    try:
        yield
    finally:
        response.COMMON_HEADS = saved


def signature(out: Outcome) -> tuple[object, ...]:
    # CONNECTED vs DISCONNECTED after a complete body is timing (whether the EOF was seen).
    final = Status.CONNECTED if out.final is Status.DISCONNECTED else out.final
    return (out.statuses[0], final, out.message, out.body, out.code, out.headers,
            out.trailers)


def outcome(pieces: list[ScriptStep], on: bool, method: Method = Method.GET,
            chunk_size: int | None = None) -> tuple[object, ...]:
    with common_heads(on):
        out, _, _ = exchange([*pieces, EOF], method=method, chunk_size=chunk_size)
    return signature(out)


def same_on_and_off(pieces: list[ScriptStep], method: Method = Method.GET,
                    chunk_size: int | None = None) -> None:
    """The same delivery ends the same way with the reader on and off."""
    assert (outcome(pieces, True, method, chunk_size)
            == outcome(pieces, False, method, chunk_size)), pieces


def both_ways(wire: bytes, method: Method = Method.GET) -> None:
    same_on_and_off([wire], method)
    for cut in range(1, len(wire)):
        same_on_and_off([wire[:cut], wire[cut:]], method)
        same_on_and_off([wire[:cut], WOULD_BLOCK, wire[cut:]], method)


@pytest.mark.parametrize("name", sorted(COMMON))
def test_common_responses_end_the_same_with_the_reader_on_and_off(name: str) -> None:
    both_ways(COMMON[name])


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_catalogue_ends_the_same_with_the_reader_on_and_off(case: object) -> None:
    wire = case.wire  # type: ignore[attr-defined]
    method = Method[case.method]  # type: ignore[attr-defined]
    if len(wire) <= 600:
        both_ways(wire, method)
    else:  # the oversized heads: whole, and cut around the head limit
        same_on_and_off([wire], method)
        for cut in (1, MAX_HEAD - 1, MAX_HEAD, MAX_HEAD + 1, len(wire) - 1):
            same_on_and_off([wire[:cut], wire[cut:]], method)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(wire=heads(), data=st.data(), chunk_size=st.sampled_from([7, 256, 65536]))
def test_generated_responses_end_the_same_with_the_reader_on_and_off(
        wire: bytes, data: st.DataObject, chunk_size: int) -> None:
    same_on_and_off([wire], chunk_size=chunk_size)
    if len(wire) > 1:
        cuts = sorted(data.draw(st.sets(st.integers(1, len(wire) - 1), max_size=4)))
        bounds = [0, *cuts, len(wire)]
        pieces: list[ScriptStep] = [wire[a:b] for a, b in itertools.pairwise(bounds)]
        same_on_and_off(pieces, chunk_size=chunk_size)


# -- the engine's records and its h11 connections ---------------------------------------------
def engine_events(wire: bytes, cut: int | None, on: bool) -> tuple[list[EventInfo], Engine]:
    with common_heads(on):
        engine = Engine("test/1")
        engine.new_connection(1, 0)
        engine.queue(engine.serialise("GET", "/", [], b"", "example.test", 80, False))
        c = engine.c
        events: list[EventInfo] = []
        in_head = True
        for piece in [wire] if cut is None else [wire[:cut], wire[cut:]]:
            c.received_total += len(piece)
            if not in_head and c.fast_remaining > 0:
                engine.feed_counted(piece, events)
            else:
                assert engine.feed(piece, events, in_head) is None
            if c.enter_body:
                c.enter_body, in_head = False, False
    return events, engine


def unlabelled(events: list[EventInfo]) -> list[tuple[str, dict[str, object]]]:
    return [(e.kind, {k: v for k, v in e.detail.items() if k != "synthesised"})
            for e in events]


@pytest.mark.parametrize("name", ["small", "empty_body", "ows_and_obs_text",
                                  "connection_close"])
def test_the_reader_records_what_h11_would_and_says_it_made_the_records(name: str) -> None:
    wire = COMMON[name]
    split = wire.index(b"\r\n\r\n") + 5 if name != "empty_body" else None
    for cut in (None, split):
        on, _ = engine_events(wire, cut, True)
        off, _ = engine_events(wire, cut, False)
        # h11 labels nothing; the counted end of a split body is the engine's either way.
        assert unlabelled(on) == unlabelled(off)
        assert on[0].kind == "Response" and on[0].detail.get("synthesised") is True
        assert "synthesised" not in off[0].detail


def test_after_a_head_the_reader_took_the_next_request_gets_a_fresh_h11_connection() -> None:
    _, engine = engine_events(COMMON["small"], None, True)
    first = engine.c.parser
    engine.c.reset_response()
    engine.serialise("GET", "/again", [], b"", "example.test", 80, False)
    assert engine.c.parser is not first and engine.c.parser is not None
    assert engine.c.parser.their_state is h11.SEND_RESPONSE


# -- a repeated request is given to h11 only when its response needs h11 ----------------------
def test_a_repeated_request_that_asks_to_close_still_closes() -> None:
    # The first request's "Connection: close" ends the connection after its response: a
    # repeat can only go on a new connection, where h11 sees it again (nothing cached
    # decides for it).
    for on in (True, False):
        with common_heads(on):
            client, _ = scripted_client([COMMON["small"]])
            assert client.connect_to_host(ADDRESS, 80) is Error.OK
            client.poll()
            assert client.request(Method.GET, "/", ["Connection: close"]) is Error.OK
            out = tutorial(client)
            assert out.body == b"hello"
            assert out.final is Status.DISCONNECTED, on


def test_a_repeated_request_is_sent_without_h11_and_h11_gets_it_when_needed() -> None:
    _, engine = engine_events(COMMON["small"], None, True)
    first_wire = engine.c.tx
    engine.c.reset_response()
    again = engine.serialise("GET", "/", [], b"", "example.test", 80, False)
    assert again == first_wire
    c = engine.c
    assert c.untold is not None  # h11 has not seen it
    # A head h11 must read (chunked): h11 gets the request first, then the bytes.
    chunked = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"
    c.received_total += len(chunked)
    events: list[EventInfo] = []
    assert engine.feed(chunked, events, True) is None
    assert c.untold is None and c.parser is not None
    assert c.parser.our_state is h11.DONE and c.parser.their_state is h11.DONE
    assert b"".join(c.body) == b"abc" and c.body_complete
    # A different request goes through h11 at once.
    c.reset_response()
    engine.serialise("GET", "/other", [], b"", "example.test", 80, False)
    assert c.untold is None and c.parser.their_state is h11.SEND_RESPONSE


SECOND: dict[str, bytes] = {
    **COMMON,
    "chunked": b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
               b"5\r\nhello\r\n0\r\nX-T: 1\r\n\r\n",
    "interim": b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
    "http10": b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok",
    "close_delimited": b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil the end",
    "no_body_204": b"HTTP/1.1 204 No Content\r\n\r\n",
    "garbage": b"HTTP/1.1 2x0 OK\r\n\r\n",
    "extra_bytes": b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 200 OK\r\n",
}


def second_outcome(pieces: list[ScriptStep], on: bool, headers: tuple[str, ...]
                   ) -> tuple[object, ...]:
    """The outcome of the second of two identical requests on one connection, the first
    answered by a common response."""
    with common_heads(on):
        client, _ = scripted_client([COMMON["small"], AFTER_SEND, *pieces, EOF])
        assert client.connect_to_host(ADDRESS, 80) is Error.OK
        client.poll()
        for _ in range(2):
            assert client.get_status() is Status.CONNECTED
            assert client.request(Method.GET, "/", list(headers)) is Error.OK
            out = tutorial(client)
    return signature(out)


@pytest.mark.parametrize("headers", [(), ("Connection: keep-alive",), ("X-A: 1", "Accept: a/b")],
                         ids=["plain", "keep_alive", "own_fields"])
@pytest.mark.parametrize("name", sorted(SECOND))
def test_a_repeated_request_ends_the_same_with_the_reader_on_and_off(
        name: str, headers: tuple[str, ...]) -> None:
    wire = SECOND[name]
    for pieces in ([wire], *([wire[:cut], wire[cut:]] for cut in range(1, len(wire))),
                   *([wire[:cut], WOULD_BLOCK, wire[cut:]] for cut in (1, len(wire) // 2))):
        assert (second_outcome(pieces, True, headers)
                == second_outcome(pieces, False, headers)), pieces
