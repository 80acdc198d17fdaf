"""Folding quiet steps into one record (PollRecord.repeat): what the trace and subscribers see."""

from __future__ import annotations

import socket

from httpexplore import HTTPClient, PollRecord, Status, Trace
from httpexplore.transport import WOULD_BLOCK, ScriptedTransport

HEAD = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n"


def scripted(*incoming: object) -> HTTPClient:
    transport = ScriptedTransport(incoming)  # type: ignore[arg-type]
    client = HTTPClient(transport_factory=lambda: transport)
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
    # The write, the first quiet poll, the folded run of the other 498, then the head.
    assert [r.repeat for r in poll_records] == [1, 1, 498, 1]
    assert sum(r.repeat for r in poll_records) == polls
    run = poll_records[2]
    assert (run.status_before, run.status_after, run.sent, run.received, run.events) == (
        Status.REQUESTING, Status.REQUESTING, b"", b"", ())
    assert run.index == poll_records[1].index + 1
    assert poll_records[3].index == run.index + 498  # indexes still count steps
    assert run.started <= run.time <= poll_records[3].started
    # on_poll subscribers got the same records, in order.
    records = list(client.trace.records)
    assert seen[0].op == "request" and seen == records[len(records) - len(seen):]
    assert client.trace.steps == sum(r.repeat for r in client.trace.records)
    assert "(499 steps, nothing new)" in client.trace.snapshot()  # the first quiet one + 498


def test_the_trace_is_never_behind_while_a_run_is_open() -> None:
    client = scripted(*([WOULD_BLOCK] * 50))
    client.request(HTTPClient.METHOD_GET, "/", [])
    start = client.trace.steps
    for _ in range(30):
        client.poll()
    # Nothing non-quiet has happened since the write, yet every question sees all 30 polls.
    assert client.trace.steps == start + 30
    assert client.trace.records[-1].repeat == 28  # after the write and the first quiet poll
    for _ in range(5):
        client.poll()
    assert client.trace.records[-1].repeat == 5  # a new run after each delivery
    assert client.trace.steps == start + 35


def test_fold_quiet_steps_false_gives_one_record_per_step() -> None:
    client = scripted(*([WOULD_BLOCK] * 50))
    client.fold_quiet_steps = False
    client.request(HTTPClient.METHOD_GET, "/", [])
    before = len(client.trace)
    for _ in range(30):
        client.poll()
    assert len(client.trace) == before + 30
    assert all(r.repeat == 1 for r in client.trace.records)


def test_a_late_subscriber_does_not_get_earlier_folded_steps() -> None:
    client = scripted(*([WOULD_BLOCK] * 50))
    client.request(HTTPClient.METHOD_GET, "/", [])
    for _ in range(10):
        client.poll()
    seen: list[PollRecord] = []
    client.on_poll(seen.append)
    for _ in range(4):
        client.poll()
    client.flush_records()
    assert [r.repeat for r in seen] == [4]


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
            assert [r.repeat for r in idle] == [1, 9_999]
        client.close()


def test_folded_records_survive_save_load_and_reach_har_and_text(tmp_path) -> None:  # type: ignore[no-untyped-def]
    client = scripted(*([WOULD_BLOCK] * 20), HEAD + b"ok")
    client.request(HTTPClient.METHOD_GET, "/", [])
    while client.get_status() is Status.REQUESTING:
        client.poll()
    while client.get_status() is Status.BODY:
        client.poll()
        client.read_response_body_chunk()
    path = tmp_path / "trace.json"
    client.trace.save(path)
    loaded = Trace.load(path)
    assert [r.repeat for r in loaded.records] == [r.repeat for r in client.trace.records]
    assert max(r.repeat for r in loaded.records) > 1
    polls = client.trace.to_har()["log"]["entries"][0]["_httpexplore"]["polls"]
    assert sum(p["repeat"] for p in polls) == sum(
        client.trace.records[i].repeat for i in client.trace.cycles[0].records)
    quiet = sum(r.repeat for r in client.trace.records if r.op == "poll" and not r.received
                and not r.sent and r.status_before is r.status_after is Status.REQUESTING)
    # (the poll that writes the request finds the first WOULD_BLOCK)
    assert quiet == 19 and f"{quiet} steps (poll), nothing new" in client.trace.to_text()


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
