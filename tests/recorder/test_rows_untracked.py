"""The recorder's rows are flat tuples the garbage collector stops tracking, so full
collections do not walk a growing trace (white-box: reads the trace's private row list)."""

from __future__ import annotations

import gc

from recorderkit import fetch, scripted

from httpexplore.transport import AFTER_SEND, EOF

RESPONSE = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"


def test_rows_are_untracked_after_a_collection_and_records_are_unchanged() -> None:
    client, trace = scripted([RESPONSE, AFTER_SEND, RESPONSE, EOF])
    assert fetch(client, "/", host="example.test", port=80) == b"hello"
    assert fetch(client, "/again") == b"hello"
    client.close()
    before = [tuple(r) for r in trace.records]
    gc.collect()
    rows = trace._records
    assert rows and not any(gc.is_tracked(row) for row in rows)
    # So are the cycle table's entries, after one collection, and the event list holds
    # nothing the collector tracks: nothing the trace keeps per step or per request is walked
    # by later collections.
    assert trace._events and not any(gc.is_tracked(item) for item in trace._events)
    assert not any(gc.is_tracked(cycle) for cycle in trace._cycles)
    # Rebuilt records are what the client emitted: enums, cycle objects and events included.
    assert [tuple(r) for r in trace.records] == before
    assert {type(r.status_after).__name__ for r in trace.records} == {"Status"}
    assert any(r.events for r in trace.records)
