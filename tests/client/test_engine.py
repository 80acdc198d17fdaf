"""The HTTP/1.1 engine on its own: bytes in, verdicts out, with no transport and no clock."""

from __future__ import annotations

import pytest

from httpexplore import response
from httpexplore.engine import BROKEN, DONE, DONE_CLOSE, WAIT, Engine
from httpexplore.records import EventInfo

CHUNKED = (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
           b"5\r\nhello\r\n7\r\n, world\r\n0\r\nX-T: 1\r\n\r\n")
COUNTED = b"HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\nhello world"


def started(method: str = "GET") -> Engine:
    engine = Engine("test/1")
    engine.new_connection(1, 0)
    wire = engine.serialise(method, "/", [], b"", "example.test", 80, False)
    engine.queue(wire)
    return engine


def drive(engine: Engine, pieces: list[bytes]) -> tuple[list[EventInfo], bytes]:
    """What a driver does, minus the I/O: feed each read, hand the body out."""
    c = engine.c
    events: list[EventInfo] = []
    body = b""
    in_head = True
    for piece in pieces:
        c.received_total += len(piece)
        if not in_head and c.fast_remaining > 0:
            engine.feed_counted(piece, events)
        else:
            assert engine.feed(piece, events, in_head) is None
        if c.enter_body:
            c.enter_body, in_head = False, False
        body += c.take(1 << 20)
    return events, body


def test_the_request_is_bytes_to_send_and_nothing_is_sent_by_the_engine() -> None:
    engine = started()
    out = engine.outgoing()
    assert out is not None and bytes(out).startswith(b"GET / HTTP/1.1\r\nHost: example.test\r\n")
    assert engine.wrote(4) == b"GET "
    rest = engine.outgoing()
    assert rest is not None and bytes(rest).startswith(b"/ HTTP/1.1")
    engine.wrote(len(rest))
    assert engine.outgoing() is None


@pytest.mark.parametrize("cut", range(1, len(CHUNKED)))
def test_a_chunked_response_split_anywhere_gives_the_same_body_and_verdict(cut: int) -> None:
    engine = started()
    events, body = drive(engine, [CHUNKED[:cut], CHUNKED[cut:]])
    assert body == b"hello, world"
    assert engine.body_verdict() == (DONE, "")
    assert engine.c.trailers == [("X-T", "1")]
    data = [e for e in events if e.kind == "Data"]
    assert sum(e.detail["length"] for e in data) == 12


def test_chunk_data_counted_by_the_engine_is_labelled_synthesised() -> None:
    engine = started()
    head, rest = CHUNKED.split(b"\r\n\r\n", 1)
    events, _body = drive(engine, [head + b"\r\n\r\n5\r\n", rest[3:]])
    data = [e for e in events if e.kind == "Data"]
    assert data[0].detail["synthesised"] is True  # "hello": h11 was inside the chunk
    assert next(e for e in events if e.kind == "EndOfMessage").detail.get("synthesised") is None


def test_a_content_length_body_is_counted_and_its_end_is_synthesised() -> None:
    engine = started()
    head, payload = COUNTED.split(b"\r\n\r\n")
    events, body = drive(engine, [head + b"\r\n\r\n", payload[:4], payload[4:]])
    assert body == b"hello world"
    assert engine.body_verdict() == (DONE, "")
    end = [e for e in events if e.kind == "EndOfMessage"]
    assert end == [EventInfo("EndOfMessage", {"trailers": (), "synthesised": True})]
    assert not [e for e in events if e.kind == "Data"]  # counted bytes make no Data event


def test_a_content_length_body_cut_short_is_broken_not_complete() -> None:
    engine = started()
    head, payload = COUNTED.split(b"\r\n\r\n")
    drive(engine, [head + b"\r\n\r\n", payload[:4], b""])
    verdict, message = engine.body_verdict()
    assert verdict is BROKEN and "7 missing" in message


def test_after_a_counted_body_the_next_request_gets_a_fresh_h11_connection() -> None:
    engine = started()
    head, payload = COUNTED.split(b"\r\n\r\n")
    drive(engine, [head + b"\r\n\r\n", payload])  # the body in its own read: counted
    first = engine.c.parser
    engine.c.reset_response()
    engine.serialise("GET", "/again", [], b"", "example.test", 80, False)
    assert engine.c.parser is not first  # h11 never saw that body end


@pytest.mark.parametrize("reads", [[CHUNKED], [COUNTED]], ids=["chunked", "cl-in-one-read"])
def test_when_h11_saw_the_whole_message_it_serves_the_next_cycle(
        reads: list[bytes], monkeypatch: pytest.MonkeyPatch) -> None:
    """(With the common-head reader off, a Content-Length body that came in the head's read
    is parsed by h11 itself; tests/client/test_fasthead.py covers the reader on.)"""
    monkeypatch.setattr(response, "COMMON_HEADS", False)
    engine = started()
    drive(engine, reads)
    first = engine.c.parser
    engine.c.reset_response()
    engine.serialise("GET", "/again", [], b"", "example.test", 80, False)
    assert engine.c.parser is first


def test_connection_close_makes_the_verdict_done_close() -> None:
    engine = started()
    drive(engine, [b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi"])
    assert engine.body_verdict() == (DONE_CLOSE, "")


def test_eof_before_the_head_is_a_message_and_waiting_is_wait() -> None:
    engine = started()
    assert engine.feed(b"HTTP/1.1 200", None, True) is None
    assert engine.body_verdict() == (WAIT, "")
    engine.c.received_total = 12
    message = engine.feed(b"", None, True)
    assert message is not None and "before a complete response head" in message
