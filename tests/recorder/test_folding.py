"""Folding quiet steps into one record (PollRecord.repeat): done by the recorder, in place, so the
trace is the same whoever reads it and when; subscribers of the client see every step."""

from __future__ import annotations

import socket
from pathlib import Path

from httpexplore import HTTPClient, PollRecord, Status, Trace, export
from httpexplore.inspector.history import Stops
from httpexplore.transport import WOULD_BLOCK, ScriptedTransport

HEAD = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n"


def scripted(*incoming: object, trace: Trace | None = None) -> HTTPClient:
    transport = ScriptedTransport(incoming)  # type: ignore[arg-type]
    client = HTTPClient(transport_factory=lambda: transport, record=trace is None)
    if trace is not None:
        trace.attach(client)
        client.trace = trace
    client.connect_to_host("192.0.2.1", 80)
    while client.get_status() is not Status.CONNECTED:
        client.poll()
    return client


def test_idle_polls_fold_into_one_record_that_counts_them() -> None:
    client = scripted(*([WOULD_BLOCK] * 500), HEAD + b"ok")
    seen: list[PollRecord] = []
    client.on_poll(seen.append)
    client.request(HTTPClient.METHOD_GET, "/", [])
    polls = 0
    while client.get_status() is Status.REQUESTING:
        client.poll()
        polls += 1
    # The poll that writes (its read finds nothing), 499 finding nothing, the one reading the head.
    assert polls == 501
    poll_records = [r for r in client.trace.records if r.op == "poll" and r.cycle.cycle == 1]
    # The write, one record for the 499 quiet polls, then the head.
    assert [r.repeat for r in poll_records] == [1, 499, 1]
    run = poll_records[1]
    assert (run.status_before, run.status_after, run.sent, run.received, run.events) == (
        Status.REQUESTING, Status.REQUESTING, b"", b"", ())
    assert run.index == poll_records[0].index + 1
    assert poll_records[2].index == run.index + 499  # indexes still count steps
    assert run.started < run.time <= poll_records[2].started  # it ends with its last step
    assert client.trace.steps == sum(r.repeat for r in client.trace.records)
    assert "poll ×499" in export.snapshot(client.trace)
    # Subscribers of the client get every step as it ends (the client folds nothing).
    assert [r.op for r in seen] == ["request"] + ["poll"] * polls
    assert all(r.repeat == 1 for r in seen)
    assert [r.index for r in seen] == list(range(seen[0].index, seen[0].index + len(seen)))


def test_the_trace_is_the_same_whoever_reads_it_and_when() -> None:
    script = [*([WOULD_BLOCK] * 40), HEAD, WOULD_BLOCK, WOULD_BLOCK, b"ok"]
    watched = scripted(*script)
    alone = scripted(*script)
    for client, read in ((watched, True), (alone, False)):
        client.request(HTTPClient.METHOD_GET, "/", [])
        while client.get_status() is not Status.CONNECTED:
            client.poll()
            if read:  # as an open inspector does: ask questions after every step
                client.trace.state_at(-1)
                len(client.trace)
            if client.get_status() is Status.BODY:
                client.read_response_body_chunk()
                if read:
                    list(client.trace.timeline)
    shape = [(r.op, r.status_before, r.status_after, r.repeat, r.index)
             for r in alone.trace.records]
    assert [(r.op, r.status_before, r.status_after, r.repeat, r.index)
            for r in watched.trace.records] == shape
    assert max(r[3] for r in shape) > 1  # there were runs to fold
    # The analysis of the watched trace, built while its last record kept growing, is the
    # analysis of the trace read once.
    assert [(r.op, r.repeat) for r in watched.trace.timeline] == [
        (r.op, r.repeat) for r in alone.trace.timeline]
    assert watched.trace.cycles[0].body == alone.trace.cycles[0].body == b"ok"


def test_a_record_analysed_while_it_grows_shows_its_new_count() -> None:
    client = scripted(*([WOULD_BLOCK] * 50))
    client.request(HTTPClient.METHOD_GET, "/", [])
    client.poll()  # writes the request
    for _ in range(3):
        client.poll()
    trace: Trace = client.trace
    n = len(trace)
    assert trace.timeline[-1].repeat == 3 and trace.state_at(-1).record.repeat == 3
    for _ in range(30):
        client.poll()
    assert len(trace) == n  # the same record...
    assert trace.timeline[-1].repeat == 33 == trace.state_at(-1).record.repeat  # ...grown
    assert trace.steps == sum(r.repeat for r in trace.timeline)
    assert trace.timeline[-1].duration_ms == round(
        (trace.records[-1].time - trace.records[-1].started) * 1000, 3)


def test_the_inspector_history_counts_steps_folded_after_it_looked() -> None:
    client = scripted(*([WOULD_BLOCK] * 50))
    client.request(HTTPClient.METHOD_GET, "/", [])
    client.poll()
    client.poll()
    trace: Trace = client.trace
    stops = Stops(0)
    stops.update(trace.timeline)
    for _ in range(9):
        client.poll()
    stops.update(trace.timeline)
    assert stops.calls(len(stops) - 1) == ("poll ×10", 10)


def test_fold_quiet_steps_false_gives_one_record_per_step() -> None:
    client = scripted(*([WOULD_BLOCK] * 50), trace=Trace(fold_quiet_steps=False))
    client.request(HTTPClient.METHOD_GET, "/", [])
    before = len(client.trace)
    for _ in range(30):
        client.poll()
    assert len(client.trace) == before + 30
    assert all(r.repeat == 1 for r in client.trace.records)


def test_a_step_that_differs_in_anything_starts_a_new_record() -> None:
    client = scripted(*([WOULD_BLOCK] * 50))
    client.request(HTTPClient.METHOD_GET, "/", [])
    client.poll()
    for _ in range(5):
        client.poll()
    for _ in range(4):
        client.read_response_body_chunk()  # quiet too, but another call
    for _ in range(3):
        client.poll()
    ops = [(r.op, r.repeat) for r in client.trace.records[-3:]]
    assert ops == [("poll", 5), ("read_response_body_chunk", 4), ("poll", 3)]
    client.close()
    client.poll()  # DISCONNECTED: a refused call, not quiet
    client.poll()
    assert [r.repeat for r in client.trace.records[-2:]] == [1, 1]


def test_idle_keep_alive_polls_fold_on_a_real_socket() -> None:
    with socket.create_server(("127.0.0.1", 0)) as server:
        client = HTTPClient()
        client.connect_to_host("127.0.0.1", server.getsockname()[1])
        while client.get_status() in (Status.RESOLVING, Status.CONNECTING):
            client.poll()
        conn, _ = server.accept()
        with conn:
            for _ in range(10_000):
                client.poll()
            assert client.get_status() is Status.CONNECTED
            trace: Trace = client.trace
            idle = [r for r in trace.records if r.status_before is Status.CONNECTED]
            assert [r.repeat for r in idle] == [10_000]
        client.close()


def fetch(client: HTTPClient) -> None:
    """One GET in the tutorial loop."""
    client.request(HTTPClient.METHOD_GET, "/", [])
    while client.get_status() is Status.REQUESTING:
        client.poll()
    while client.get_status() is Status.BODY:
        client.poll()
        client.read_response_body_chunk()


def test_folded_records_survive_save_load_and_reach_har_and_text(tmp_path: Path) -> None:
    client = scripted(*([WOULD_BLOCK] * 20), HEAD + b"ok")
    fetch(client)
    path = tmp_path / "trace.json"
    export.save(client.trace, path)
    loaded = export.load(path)
    assert [r.repeat for r in loaded.records] == [r.repeat for r in client.trace.records]
    assert max(r.repeat for r in loaded.records) > 1
    polls = export.to_har(client.trace)["log"]["entries"][0]["_httpexplore"]["polls"]
    assert sum(p["repeat"] for p in polls) == sum(
        client.trace.records[i].repeat for i in client.trace.cycles[0].records)
    quiet = sum(r.repeat for r in client.trace.records if r.op == "poll" and not r.received
                and not r.sent and r.status_before is r.status_after is Status.REQUESTING)
    # (the poll that writes the request finds the first WOULD_BLOCK)
    assert quiet == 19 and f"poll ×{quiet}: REQUESTING" in export.to_text(client.trace)


def test_records_saved_one_per_step_load_one_per_step(tmp_path: Path) -> None:
    client = scripted(*([WOULD_BLOCK] * 20), trace=Trace(fold_quiet_steps=False))
    client.request(HTTPClient.METHOD_GET, "/", [])
    for _ in range(10):
        client.poll()
    export.save(client.trace, tmp_path / "t.json")
    loaded = export.load(tmp_path / "t.json")
    assert [r.repeat for r in loaded.records] == [r.repeat for r in client.trace.records]
    assert len(loaded) == len(client.trace)


def test_on_step_gets_the_fields_of_the_records_on_poll_gets() -> None:
    client = scripted(*([WOULD_BLOCK] * 5), HEAD + b"ok")
    fields: list[tuple[object, ...]] = []
    records: list[PollRecord] = []
    client.on_step(lambda *f: fields.append(f))
    client.on_poll(records.append)
    client.request(HTTPClient.METHOD_GET, "/", [])
    while client.get_status() is not Status.CONNECTED:
        client.poll()
        client.read_response_body_chunk()
    assert fields == [tuple(r) for r in records] and len(records) > 3
    client.off_poll(records.append)
    client.poll()
    assert len(fields) == len(records) + 1


def test_a_trace_cleared_or_attached_during_an_idle_run_records_the_rest() -> None:
    client = scripted(*([WOULD_BLOCK] * 50))
    client.request(HTTPClient.METHOD_GET, "/", [])
    for _ in range(6):
        client.poll()
    first: Trace = client.trace
    first.clear()
    for _ in range(7):
        client.poll()
    assert [(r.op, r.status_before, r.repeat) for r in first.records] == [
        ("poll", Status.REQUESTING, 7)]
    second = Trace(client)
    for _ in range(4):
        client.poll()
    assert [(r.op, r.repeat) for r in second.records] == [("poll", 4)]
    assert [(r.op, r.repeat) for r in first.records] == [("poll", 11)]


def test_the_quiet_step_shortcut_records_what_the_full_call_records() -> None:
    """A trace alone gets quiet steps through its ``on_quiet`` callback; with a subscriber that
    has none, every subscriber gets the full call.  Both traces hold the same records, and the
    plain subscriber sees every step."""
    script = [*([WOULD_BLOCK] * 30), HEAD, WOULD_BLOCK, b"o", WOULD_BLOCK, b"k"]
    alone = scripted(*script)
    shared = scripted(*script)
    seen: list[tuple[object, ...]] = []
    shared.on_step(lambda *fields: seen.append(fields))
    assert alone._d.log.quiet is not None and shared._d.log.quiet is None
    for client in (alone, shared):
        fetch(client)
        for _ in range(5):  # idle on the kept-alive connection
            client.poll()

    def shape(client: HTTPClient) -> list[tuple[object, ...]]:
        return [(r.index, r.op, r.status_before, r.status_after, r.result, r.sent, r.received,
                 r.body, r.events, r.repeat) for r in client.trace.records]

    assert shape(alone) == shape(shared)
    assert max(r.repeat for r in alone.trace.records) >= 29
    assert len(seen) == shared.trace.steps - 2  # (all but the connect steps before it)
    assert [f[0] for f in seen] == list(range(seen[0][0], seen[0][0] + len(seen)))
