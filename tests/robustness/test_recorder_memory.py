"""The recorder's memory stays bounded on an endless body (issue #12 item 2): past
``max_records`` routine body steps are summarised into summary records; every total stays
exact; ``summarised_steps`` is the public marker, shown by repr, the text dump and the HAR.
(``measure_memory.py`` next to this file measures the RSS figures quoted in docs/limits.md.)
"""

from __future__ import annotations

import socket
import threading
import time
import tracemalloc
from pathlib import Path

import pytest
from clientkit import Handler, LoopbackServer, connect_live, exchange

from httpexplore import HTTPClient, Method, PollRecord, Status, Trace, export
from httpexplore.trace import MAX_DATA_EVENTS

BODY_BLOCK = b"x" * 65536


def endless(chunked: bool, stop: threading.Event) -> Handler:
    def handler(conn: socket.socket, server: LoopbackServer) -> None:
        if not server.read(conn):
            return
        try:
            if chunked:
                conn.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
                block = (b"100\r\n" + b"y" * 256 + b"\r\n") * 64
            else:
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 99999999999\r\n\r\n")
                block = BODY_BLOCK
            while not stop.is_set():
                conn.sendall(block)
        except OSError:
            server.client_gone += 1
    return handler


@pytest.mark.parametrize("chunked", [False, True])
def test_an_endless_body_is_summarised_past_the_record_cap(chunked: bool) -> None:
    stop = threading.Event()
    with LoopbackServer(endless(chunked, stop)) as server:
        client = HTTPClient(record=False)
        client.read_chunk_size = 256
        trace = Trace(client, max_records=500)
        connect_live(client, "127.0.0.1", server.port)
        client.request(Method.GET, "/", [])
        # (wait for the head first: idle polls while the server thread starts are not the
        # steps this test counts)
        deadline = time.monotonic() + 10
        while client.get_status() is Status.REQUESTING and time.monotonic() < deadline:
            client.poll()
        assert client.get_status() is Status.BODY
        tracemalloc.start()
        body = 0
        first_half = 0
        start = trace.steps
        while trace.steps < start + 40_000:
            client.poll()
            body += len(client.read_response_body_chunk())
            if not first_half and trace.steps >= start + 20_000:
                first_half = tracemalloc.get_traced_memory()[0]
        grown = tracemalloc.get_traced_memory()[0] - first_half
        tracemalloc.stop()
        stop.set()
        assert client.get_status() is Status.BODY
        assert len(trace) < 600, "records stop growing at the cap"
        assert trace.summarised_steps > 30_000
        assert grown < 1_000_000, f"the second 20,000 steps kept {grown} bytes"
        # Totals stay exact: every body byte handed out is counted in the cycle.
        [cycle] = trace.cycles
        assert cycle.body_size == body
        assert sum(r.repeat for r in trace.records) == trace.steps
        assert "summarised past the 500-record cap" in repr(trace)
        assert export.to_text(trace).startswith("== Info: ")
        assert "500-record cap" in export.to_text(trace).splitlines()[0]
        har = export.to_har(trace)["log"]
        assert har["_httpexplore"]["summarisedSteps"] == trace.summarised_steps
        assert "summarised" in har["comment"]
        client.close()


def test_steps_that_change_something_are_still_recorded_past_the_cap() -> None:
    records: list[PollRecord] = []
    out, _client, _t = exchange([b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n", b"a",
                                 b"b", b"c"], chunk_size=256, on_poll=records.append)
    trace = Trace(max_records=0)
    for record in records:
        trace.add(record)
    assert out.body == b"abc"
    ops = [(r.op, r.status_before, r.status_after) for r in trace.records]
    assert ("poll", Status.REQUESTING, Status.BODY) in ops  # the head: its own record
    assert trace.records[-1].status_after is Status.CONNECTED  # the end: its own record
    assert trace.cycles[0].complete and trace.cycles[0].body_size == 3
    assert trace.summarised_steps > 0
    assert sum(r.repeat for r in trace.records) == sum(r.repeat for r in records)


def test_default_cap_and_no_marker_below_it() -> None:
    trace = Trace()
    assert trace.max_records == 20_000 and trace.summarised_steps == 0
    assert "summarised" not in repr(trace) and "comment" not in export.to_har(trace)["log"]


def test_a_read_full_of_one_byte_chunks_keeps_few_data_events(tmp_path: Path) -> None:
    """Thousands of chunks in one read: at most MAX_DATA_EVENTS Data events per record, the
    rest merged into one that counts them; the body and the other events are exact."""
    chunks = b"".join(b"1\r\n%c\r\n" % (65 + i % 26) for i in range(3000))
    wire = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + chunks + b"0\r\n\r\n"
    records: list[PollRecord] = []
    out, _client, _t = exchange([wire], on_poll=records.append)
    trace = Trace()
    for record in records:
        trace.add(record)
    assert out.body == bytes(65 + i % 26 for i in range(3000))
    assert max(len(r.events) for r in trace.records) <= MAX_DATA_EVENTS + 3
    data = [e for r in trace.records for e in r.events if e.kind == "Data"]
    assert sum(e.detail["length"] for e in data) == 3000
    assert trace.merged_events == 3000 - MAX_DATA_EVENTS - 1
    assert sum(e.detail.get("merged", 1) for e in data) == 3000
    assert trace.cycles[0].complete and trace.cycles[0].body_size == 3000
    assert "Data events merged" in repr(trace)
    assert export.to_har(trace)["log"]["_httpexplore"]["mergedDataEvents"] == trace.merged_events
    path = tmp_path / "t.json"
    export.save(trace, path)
    loaded = export.load(path)
    assert loaded.merged_events == trace.merged_events
    assert export.to_text(loaded) == export.to_text(trace)
