"""The recorder over a scripted transport and over synthetic records: exact record and segment
sequences, grouping into cycles, state at each step, timings, the byte cap, clear/late attach."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from recorderkit import check_invariants, fetch, rec, responses, scripted, splits

from httpexplore import Error, HTTPClient, Method, Status, export
from httpexplore.errors import FailureKind, TransportError
from httpexplore.records import EventInfo
from httpexplore.trace import Trace
from httpexplore.transport import AFTER_SEND, EOF, WOULD_BLOCK, ScriptedTransport, ScriptStep

S = Status
CHUNKED = (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel", WOULD_BLOCK,
           b"lo\r\n0\r\n\r\n")


def tutorial_run() -> tuple[HTTPClient, Trace, bytes]:
    client, trace = scripted([WOULD_BLOCK, *CHUNKED])
    body = fetch(client, "/p", host="example.test", port=80, headers=["User-Agent: t"])
    return client, trace, body


def test_tutorial_records_exactly() -> None:
    _client, trace, body = tutorial_run()
    assert body == b"hello"
    got = [(r.index, r.op, r.status_before, r.status_after, r.result, len(r.sent),
            len(r.received), r.body, tuple(e.kind for e in r.events), r.cycle.cycle)
           for r in trace.records]
    assert got == [
        (0, "connect_to_host", S.DISCONNECTED, S.RESOLVING, Error.OK, 0, 0, b"", (), 0),
        (1, "poll", S.RESOLVING, S.CONNECTING, Error.OK, 0, 0, b"", ("Resolved",), 0),
        (2, "poll", S.CONNECTING, S.CONNECTED, Error.OK, 0, 0, b"", ("TCPConnected",), 0),
        (3, "request", S.CONNECTED, S.REQUESTING, Error.OK, 0, 0, b"", (), 1),
        (4, "poll", S.REQUESTING, S.REQUESTING, Error.OK, 67, 0, b"", (), 1),
        (5, "poll", S.REQUESTING, S.BODY, Error.OK, 0, 53, b"", ("Response", "Data"), 1),
        (6, "poll", S.BODY, S.BODY, Error.OK, 0, 0, b"", (), 1),
        (7, "read_response_body_chunk", S.BODY, S.BODY, Error.OK, 0, 0, b"hel", (), 1),
        (8, "poll", S.BODY, S.BODY, Error.OK, 0, 9, b"", ("Data", "EndOfMessage"), 1),
        (9, "read_response_body_chunk", S.BODY, S.CONNECTED, Error.OK, 0, 0, b"lo", (), 1),
    ]
    segs = [(s.direction[0], s.label, s.data, s.record, s.continued) for s in trace.segments()]
    # The client chooses the order of its automatic headers; the labels follow the bytes.
    request_line, *fields = trace.records[4].sent.split(b"\r\n")[:-2]
    assert request_line == b"GET /p HTTP/1.1" and len(fields) == 3
    assert segs == [
        ("s", "request-line", b"GET /p HTTP/1.1\r\n", 4, False),
        *[("s", "header", field + b"\r\n", 4, False) for field in fields],
        ("s", "end-of-head", b"\r\n", 4, False),
        ("r", "status-line", b"HTTP/1.1 200 OK\r\n", 5, False),
        ("r", "header", b"Transfer-Encoding: chunked\r\n", 5, False),
        ("r", "end-of-head", b"\r\n", 5, False),
        ("r", "chunk-size", b"5\r\n", 5, False),
        ("r", "chunk-data", b"hel", 5, False),
        ("r", "chunk-data", b"lo", 8, True),
        ("r", "chunk-crlf", b"\r\n", 8, False),
        ("r", "last-chunk", b"0\r\n", 8, False),
        ("r", "end-of-trailers", b"\r\n", 8, False),
    ]
    check_invariants(trace)


def test_cycles_and_connections() -> None:
    _client, trace, _body = tutorial_run()
    [ex] = trace.cycles
    assert (ex.number, ex.connection, ex.reused, ex.method, ex.url) == (
        1, 1, False, "GET", "http://example.test/p")
    assert ex.records == list(range(3, 10))
    assert sorted(ex.request_headers) == [("Accept", "*/*"), ("Host", "example.test"),
                                          ("User-Agent", "t")]
    written = trace.records[4].sent.decode().split("\r\n")[1:-2]
    assert [f"{n}: {v}" for n, v in ex.request_headers] == written  # order and case as sent
    assert (ex.status_code, ex.reason, ex.http_version, ex.chunked, ex.body_length) == (
        200, "OK", "1.1", True, -1)
    assert ex.response_headers == [("Transfer-Encoding", "chunked")]
    assert (ex.body, ex.body_size, ex.complete, ex.error) == (b"hello", 5, True, "")
    assert (ex.sent_size, ex.received_size) == (67, 62)
    [conn] = trace.connections
    assert (conn.number, conn.records, conn.cycles, conn.addresses) == (1, [0, 1, 2], [1],
                                                                        ["192.0.2.1"])
    assert [s for _p, s in conn.transitions] == [S.DISCONNECTED, S.RESOLVING, S.CONNECTING,
                                                 S.CONNECTED, S.REQUESTING, S.BODY,
                                                 S.CONNECTED]
    assert len(trace) == 10 and trace[3].op == "request" and trace[-1].body == b"lo"
    assert repr(trace) == "<Trace: 10 steps, 1 request cycle>"


def test_state_at_each_step() -> None:
    _client, trace, _body = tutorial_run()
    states = [trace.state_at(k) for k in range(len(trace))]
    assert [s.status for s in states] == [r.status_after for r in trace.records]
    assert [s.cycle for s in states] == [0, 0, 0, 1, 1, 1, 1, 1, 1, 1]
    assert [s.has_response for s in states] == [False] * 5 + [True] * 5
    assert [s.body_size for s in states] == [0] * 7 + [3, 3, 5]
    assert [s.body_preview for s in states][6:] == [b"", b"hel", b"hel", b"hello"]
    assert [s.body_complete for s in states] == [False] * 8 + [True] * 2
    assert [s.sent_size for s in states] == [0, 0, 0, 0, 67, 67, 67, 67, 67, 67]
    assert [s.received_size for s in states] == [0] * 5 + [53] * 3 + [62] * 2
    five = states[5]
    assert (five.response_code, five.reason, five.chunked, five.url) == (
        200, "OK", True, "http://example.test/p")
    assert five.response_headers == (("Transfer-Encoding", "chunked"),)
    assert [s.label for s in five.received][-2:] == ["chunk-size", "chunk-data"]
    assert len(five.timeline) == 6 and five.timeline[-1].index == 5
    assert five.path == (S.DISCONNECTED, S.RESOLVING, S.CONNECTING, S.CONNECTED,
                         S.REQUESTING, S.BODY)
    assert trace.state_at(-1).index == 9
    with pytest.raises(IndexError):
        trace.state_at(10)


def test_state_at_shows_provisional_label_for_an_unfinished_line() -> None:
    client, trace = scripted([b"HTTP/1.1 200 O", WOULD_BLOCK, b"K\r\nContent-Length: 0\r\n\r\n"])
    client.connect_to_host("192.0.2.1", 80)
    client.poll()
    client.request(Method.GET, "/", [])
    client.poll()
    live = trace.state_at(-1)
    assert [(s.label, s.note) for s in live.received] == [("status-line", "provisional")]
    while client.get_status() is S.REQUESTING:
        client.poll()
    assert [(s.label, s.note) for s in trace.state_at(3).received] == [("status-line", "")]
    check_invariants(trace)


def test_keep_alive_reuse_interim_and_close_delimited() -> None:
    client, trace = scripted([
        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", AFTER_SEND,
        b"HTTP/1.1 103 Early\r\nLink: <x>\r\n\r\nHTTP/1.1 200 OK\r\nConnection: close\r\n\r\n"
        b"until close", EOF])
    assert fetch(client, "/a", host="192.0.2.1", port=80) == b"ok"
    assert fetch(client, "/b") == b"until close"
    assert client.get_status() is S.DISCONNECTED
    first, second = trace.cycles
    assert (first.reused, second.reused, second.connection) == (False, True, 1)
    assert [(i.status_code, i.reason, i.headers) for i in second.interim] == [
        (103, "Early", (("Link", "<x>"),))]
    assert second.body_length == -1 and not second.chunked and second.complete
    assert second.timings.dns == second.timings.connect == second.timings.ssl == -1
    assert first.timings.connect >= 0 and first.timings.dns == -1  # an IP literal: no DNS
    labels = [s.label for s in second.received_segments]
    assert labels == ["interim-head"] * 3 + ["status-line", "header", "end-of-head",
                                             "body-close-delimited"]
    check_invariants(trace)


def test_https_proxy_tunnel_is_part_of_the_connection_set_up() -> None:
    transport = ScriptedTransport([b"HTTP/1.1 200 Connection established\r\n\r\n",
                                   b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"])
    client = HTTPClient(record=False, transport_factory=lambda: transport)
    trace = Trace(client)
    client.set_https_proxy("proxy.test", 3128)
    assert fetch(client, "/s", host="https://example.test", port=443) == b"ok"
    [conn] = trace.connections
    [tunnel_req, tunnel_resp] = conn.messages
    assert (tunnel_req.method, tunnel_req.target, tunnel_resp.status_code) == (
        "CONNECT", "example.test:443", 200)
    assert conn.tunnel_at is not None and conn.tls_at is not None
    [ex] = trace.cycles
    assert ex.url == "https://example.test/s" and ex.proxy == "https"
    assert [m.method for m in ex.messages] == ["GET", "GET"]
    t = ex.timings
    assert 0 <= t.ssl <= t.connect
    check_invariants(trace)


def test_failures_are_recorded_with_their_messages() -> None:
    client, trace = scripted([], fail=TransportError(FailureKind.RESOLVE, "no such <host>"))
    client.connect_to_host("nowhere.test", 80)
    client.poll()
    assert client.get_status() is S.CANT_RESOLVE
    assert trace.cycles == []
    [conn] = trace.connections
    assert conn.error == "no such <host>"
    assert trace.state_at(-1).error_message == "no such <host>"
    assert "connection 1: no such <host>" in export.snapshot(trace)
    assert "&lt;host&gt;" in trace._repr_html_() or "no such" not in trace._repr_html_()

    client, trace = scripted([b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2"
                              b"\r\n\r\nab"])
    fetch(client, "/", host="192.0.2.1", port=80)
    assert client.get_status() is S.CONNECTION_ERROR
    [ex] = trace.cycles
    assert ex.error == client.error_message != ""
    assert "invalid" in [s.label for s in ex.received_segments]
    assert trace.state_at(-1).error_message == client.error_message
    check_invariants(trace)


def test_unsolicited_bytes_on_an_idle_connection() -> None:
    # (The client looks behind the complete response once: the first WOULD_BLOCK.)
    client, trace = scripted([b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", WOULD_BLOCK,
                              WOULD_BLOCK, b"surprise"])
    fetch(client, "/", host="192.0.2.1", port=80)
    client.poll()
    client.poll()
    assert client.get_status() is S.CONNECTION_ERROR
    assert [(s.label, s.data) for s in trace.segments("received")][-1] == (
        "unsolicited", b"surprise")
    assert "Unsolicited" in trace.timeline[-1].events


# -- synthetic records: exact timings --------------------------------------------------------
def synthetic_trace() -> Trace:
    """connect (dns 100 ms, connect 50 ms), request at 1.0, written at 1.2, response at 1.5
    and 1.7; a second request reusing the connection."""
    head = b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\n"
    req = b"GET / HTTP/1.1\r\nHost: example.test\r\n\r\n"
    resp_event = EventInfo(kind="Response", detail={"status_code": 200, "reason": "OK",
                                                    "http_version": "1.1",
                                                    "headers": [["Content-Length", "4"]]})
    end = EventInfo(kind="EndOfMessage", detail={"trailers": []})
    kw = dict(method="GET", target="/")
    records = [
        rec(0, "connect_to_host", S.DISCONNECTED, S.RESOLVING, t=0.0),
        rec(1, "poll", S.RESOLVING, S.CONNECTING, t=0.099,
            events=[EventInfo(kind="Resolved", detail={"addresses": ["192.0.2.1"]})]),
        rec(2, "poll", S.CONNECTING, S.CONNECTED, t=0.149, events=[EventInfo(kind="TCPConnected")]),
        rec(3, "request", S.CONNECTED, S.REQUESTING, t=1.0, cycle=1, **kw),
        rec(4, "poll", S.REQUESTING, S.REQUESTING, t=1.2, sent=req, cycle=1, **kw),
        rec(5, "poll", S.REQUESTING, S.BODY, t=1.499, received=head + b"ab", cycle=1,
            events=[resp_event], **kw),
        rec(6, "poll", S.BODY, S.BODY, t=1.699, received=b"cd", cycle=1, events=[end], **kw),
        rec(7, "read_response_body_chunk", S.BODY, S.CONNECTED, t=1.8, body=b"abcd", cycle=1,
            **kw),
        rec(8, "request", S.CONNECTED, S.REQUESTING, t=3.0, cycle=2, reused=True, **kw),
        rec(9, "poll", S.REQUESTING, S.BODY, t=3.0, dt=0.01, sent=req, received=head + b"wxyz",
            cycle=2, events=[resp_event, end], reused=True, **kw),
        rec(10, "read_response_body_chunk", S.BODY, S.CONNECTED, t=3.1, body=b"wxyz", cycle=2,
            reused=True, **kw),
    ]
    trace = Trace()
    for r in records:
        trace.add(r)
    return trace


def test_timings_follow_the_step_times() -> None:
    trace = synthetic_trace()
    first, second = trace.cycles
    t = first.timings
    assert (t.blocked, t.dns, t.connect, t.ssl) == (pytest.approx(200), pytest.approx(100),
                                                    pytest.approx(50), -1)
    assert (t.send, t.wait, t.receive) == (pytest.approx(1), pytest.approx(299),
                                           pytest.approx(200))
    assert t.total == pytest.approx(200 + 100 + 50 + 1 + 299 + 200)
    t2 = second.timings
    assert (t2.dns, t2.connect, t2.ssl, t2.blocked) == (-1, -1, -1, 0)
    assert (t2.send, t2.wait, t2.receive) == (pytest.approx(10), 0, 0)
    assert first.started == 0.0 and second.started == 3.0
    assert trace.timeline[9].duration_ms == pytest.approx(10)


def test_byte_cap_keeps_totals_and_marks_what_was_not_kept() -> None:
    body = bytes(range(256)) * 4
    head = b"HTTP/1.1 200 OK\r\nContent-Length: 1024\r\n\r\n"
    transport = ScriptedTransport([head + body[:300], WOULD_BLOCK, body[300:]])
    client = HTTPClient(record=False, transport_factory=lambda: transport)
    client.read_chunk_size = 256
    trace = Trace(client, max_bytes_per_cycle=500)
    assert fetch(client, "/big", host="192.0.2.1", port=80) == body
    kept = sum(len(r.sent) + len(r.received) + len(r.body) for r in trace.records
               if r.cycle.cycle == 1)
    assert kept == 500
    [ex] = trace.cycles
    assert ex.body_size == 1024 and len(ex.body) < 1024
    assert ex.received_size == len(head) + 1024
    assert ex.omitted == trace.omitted_total == sum(sum(trace.omitted(i))
                                                    for i in range(len(trace)))
    labels = [s.label for s in ex.received_segments]
    assert labels[:4] == ["status-line", "header", "end-of-head", "body"]
    assert set(labels[4:]) <= {"body", "omitted"} and "omitted" in labels
    assert sum(s.size for s in ex.received_segments) == ex.received_size
    har = export.to_har(trace)["log"]["entries"][0]["response"]
    assert har["content"]["size"] == 1024 and "were kept" in har["content"]["comment"]
    check_invariants(trace)


def test_clear_and_attaching_in_the_middle_of_a_response() -> None:
    client, trace = scripted([b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nab", WOULD_BLOCK,
                              b"cd", AFTER_SEND, b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nz"])
    client.connect_to_host("192.0.2.1", 80)
    client.poll()
    client.request(Method.GET, "/", [])
    client.poll()
    trace.clear()
    assert len(trace) == 0 and trace.cycles == []
    late = Trace(client)
    while client.get_status() is S.BODY:
        client.poll()
        client.read_response_body_chunk()
    assert fetch(client, "/again") == b"z"
    for t in (trace, late):
        first, second = t.cycles
        assert first.records[0] == 0 and first.number == 1 and second.number == 2
        assert [s.label for s in first.received_segments] == ["unparsed"]
        assert [s.label for s in second.received_segments] == [
            "status-line", "header", "end-of-head", "body"]
        assert second.request_headers[0] == ("Host", "192.0.2.1")
    late.detach()
    client.close()
    assert len(late) < len(trace)


def test_records_view_is_read_only_and_iterable() -> None:
    trace = synthetic_trace()
    view = trace.records
    assert len(view) == 11 and view[-1].index == 10 and [r.index for r in view[:2]] == [0, 1]
    with pytest.raises(IndexError):
        view[11]
    assert not hasattr(view, "append")
    assert [r.index for r in trace] == list(range(11))
    assert trace.exchange_at(5) is trace.cycles[0] and trace.exchange_at(0) is None


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(responses(), st.lists(st.integers(0, 10_000), max_size=8))
def test_random_responses_split_across_polls(sample: tuple[bytes, bytes, bytes, str],
                                             cuts: list[int]) -> None:
    """The client (h11) and the scanner see the same response, however it is split."""
    request, response, delivered, framing = sample
    script: list[ScriptStep] = []
    for piece in splits(response, cuts):
        script += [piece, WOULD_BLOCK]
    client, trace = scripted([*script, EOF])
    method = Method[request.split(b" ")[0].decode()]
    body = fetch(client, "/", method=method, body="hi" if method is Method.POST else "",
                 host="192.0.2.1", port=80)
    assert body == delivered and client.get_status() in (S.CONNECTED, S.DISCONNECTED)
    check_invariants(trace)
    [ex] = trace.cycles
    final = ex.response_message
    assert final is not None and final.framing == framing and final.complete
    assert (final.status_code, len(final.headers), len(final.trailers)) == (
        ex.status_code, len(ex.response_headers), len(ex.trailers))
    assert [m.status_code for m in ex.messages if m.interim] == [
        i.status_code for i in ex.interim]
    assert ex.body == delivered and ex.complete
    assert not {s.label for s in trace.segments()} & {"invalid", "unparsed", "unsolicited"}
