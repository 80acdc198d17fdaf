"""The recorder over real loopback sockets and the demo server: invariants on many endpoints,
agreement with the client, HAR 1.2 validated by a schema, save/load, text dump, TLS, memory."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from recorderkit import check_invariants, fetch

from httpexplore import HTTPClient, Method, Status, TLSOptions, export
from httpexplore.trace import Trace

S = Status

#: (method, path, body): every framing the demo server has, on one keep-alive client.
ENDPOINTS: list[tuple[Method, str, str]] = [
    (Method.GET, "/ChangeLog-5.php?delay=0", ""),
    (Method.GET, "/bytes/5000", ""),
    (Method.GET, "/bytes/70000?kind=text", ""),
    (Method.HEAD, "/bytes/10", ""),
    (Method.GET, "/chunked?chunks=5&size=100", ""),
    (Method.GET, "/trailers", ""),
    (Method.GET, "/early-hints?delay=0", ""),
    (Method.GET, "/status/204", ""),
    (Method.GET, "/status/304", ""),
    (Method.GET, "/status/404", ""),
    (Method.GET, "/gzip", ""),
    (Method.POST, "/echo?type=text", "name=value&x=%3Cy%3E"),
    (Method.GET, "/stream/3", ""),
    (Method.GET, "/drip?bytes=20&pieces=4&delay=0", ""),
    (Method.GET, "/redirect/1", ""),
    (Method.GET, "/slow-head?delay=0.05", ""),
    (Method.GET, "/close", ""),
    (Method.GET, "/http10", ""),
    (Method.GET, "/bytes/3", ""),
]


@pytest.fixture(scope="module")
def session(demo: Any) -> Iterator[tuple[Trace, list[tuple[HTTPClient, bytes]]]]:
    """One client fetches every endpoint, reconnecting whenever the server closed."""
    client = HTTPClient(record=False)
    trace = Trace(client)
    seen: list[tuple[HTTPClient, bytes]] = []
    outcomes = []
    for method, path, body in ENDPOINTS:
        host = demo.host if client.get_status() is not S.CONNECTED else None
        headers = ["Content-Type: application/x-www-form-urlencoded"] if body else []
        got = fetch(client, path, method=method, body=body, headers=headers, host=host,
                    port=demo.port)
        outcomes.append((client.get_response_code(), list(client.get_response_headers()),
                         client.is_response_chunked(), client.get_response_body_length(),
                         client.get_status()))
        seen.append((client, got))
    client.close()
    trace.outcomes = outcomes  # type: ignore[attr-defined]
    yield trace, seen


def test_invariants_and_agreement_with_the_client(session: Any) -> None:
    trace, seen = session
    check_invariants(trace)
    assert len(trace.cycles) == len(ENDPOINTS)
    for ex, (_client, body), outcome, (method, path, _b) in zip(
            trace.cycles, seen, trace.outcomes, ENDPOINTS, strict=True):
        code, headers, chunked, length, status = outcome
        assert ex.method == method.name and ex.target == path.split("#")[0]
        assert ex.status_code == code and ex.error == "" and ex.complete
        assert [f"{n}: {v}" for n, v in ex.response_headers] == headers
        assert (ex.chunked, ex.body_length) == (chunked, length)
        assert ex.body == body and ex.body_size == len(body)
        final = ex.response_message
        assert final is not None and final.status_code == code
        assert len(final.headers) == len(headers) and final.body_size == len(body)
        assert not [s for s in ex.received_segments
                    if s.label in ("invalid", "unparsed", "unsolicited")], path
        if status is S.DISCONNECTED:
            assert path in ("/close", "/http10")


def test_connections_reuse_and_interim(session: Any) -> None:
    trace, _seen = session
    by_path = {ex.target: ex for ex in trace.cycles}
    assert len(trace.connections) == 3  # /close and /http10 each end one
    assert [ex.reused for ex in trace.cycles].count(False) == 3
    assert [i.status_code for i in by_path["/early-hints?delay=0"].interim] == [103]
    assert by_path["/trailers"].trailers and by_path["/trailers"].chunked
    assert by_path["/close"].response_message.framing == "close"  # type: ignore[union-attr]
    assert by_path["/echo?type=text"].request_body == b"name=value&x=%3Cy%3E"
    assert by_path["/echo?type=text"].body.endswith(b"\r\n\r\nname=value&x=%3Cy%3E")


# -- HAR 1.2 ----------------------------------------------------------------------------------
_NV = {"type": "object", "required": ["name", "value"],
       "properties": {"name": {"type": "string"}, "value": {"type": "string"}}}
_NV_LIST = {"type": "array", "items": _NV}
_PHASE = {"type": "number", "minimum": -1}
_POSITIVE = {"type": "number", "minimum": 0}
HAR_SCHEMA = {
    "type": "object", "required": ["log"],
    "properties": {"log": {
        "type": "object", "required": ["version", "creator", "entries"],
        "properties": {
            "version": {"const": "1.2"},
            "creator": {"type": "object", "required": ["name", "version"]},
            "pages": {"type": "array", "minItems": 1, "items": {
                "type": "object",
                "required": ["startedDateTime", "id", "title", "pageTimings"]}},
            "entries": {"type": "array", "items": {
                "type": "object",
                "required": ["pageref", "startedDateTime", "time", "request", "response",
                             "cache", "timings", "connection", "serverIPAddress"],
                "properties": {
                    "startedDateTime": {"type": "string", "pattern":
                                        r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$"},
                    "time": _POSITIVE,
                    "connection": {"type": "string"},
                    "request": {"type": "object", "required": [
                        "method", "url", "httpVersion", "cookies", "headers", "queryString",
                        "headersSize", "bodySize"], "properties": {
                        "url": {"type": "string", "pattern": "^https?://"},
                        "headers": _NV_LIST, "queryString": _NV_LIST, "cookies": {"const": []},
                        "headersSize": {"type": "integer", "minimum": 1},
                        "bodySize": {"type": "integer", "minimum": 0},
                        "postData": {"type": "object", "required": ["mimeType", "text"]}}},
                    "response": {"type": "object", "required": [
                        "status", "statusText", "httpVersion", "cookies", "headers", "content",
                        "redirectURL", "headersSize", "bodySize"], "properties": {
                        "headers": _NV_LIST, "cookies": {"const": []},
                        "headersSize": {"type": "integer", "minimum": -1},
                        "bodySize": {"type": "integer", "minimum": -1},
                        "content": {"type": "object", "required": ["size", "mimeType"],
                                    "properties": {"size": {"type": "integer", "minimum": 0},
                                                   "encoding": {"const": "base64"}}}}},
                    "cache": {"type": "object"},
                    "timings": {"type": "object", "required": ["send", "wait", "receive"],
                                "additionalProperties": False, "properties": {
                                    "blocked": _PHASE, "dns": _PHASE, "connect": _PHASE,
                                    "ssl": _PHASE, "send": _POSITIVE, "wait": _POSITIVE,
                                    "receive": _POSITIVE}},
                }}},
        }}},
}


def check_har(har: dict[str, Any], trace: Trace) -> None:
    jsonschema.validate(har, HAR_SCHEMA)
    log = har["log"]
    entries = log["entries"]
    assert [e["startedDateTime"] for e in entries] == sorted(e["startedDateTime"]
                                                             for e in entries)
    assert {e["pageref"] for e in entries} <= {p["id"] for p in log["pages"]}
    json.dumps(har)  # serialisable as is
    by_number = {ex.number: ex for ex in trace.cycles}
    assert sorted(e["_httpexplore"]["cycle"] for e in entries) == sorted(by_number)
    for entry in entries:
        ex = by_number[entry["_httpexplore"]["cycle"]]
        t = entry["timings"]
        phases = [t.get(k, -1) for k in ("blocked", "dns", "connect", "send", "wait", "receive")]
        assert entry["time"] == pytest.approx(sum(p for p in phases if p >= 0), abs=1e-6)
        if ex.reused:
            assert t["dns"] == t["connect"] == t["ssl"] == -1
        if t["ssl"] >= 0:
            assert t["ssl"] <= t["connect"]
        sent = b"".join(s.data for s in ex.sent_segments)
        assert entry["request"]["headersSize"] == sent.index(b"\r\n\r\n") + 4
        if not ex.has_response:  # HAR: -1 when the information is not available
            assert (entry["response"]["status"], entry["response"]["headersSize"],
                    entry["response"]["bodySize"]) == (0, -1, -1)
            continue
        received = b"".join(s.data for s in ex.received_segments)
        interim = entry["response"].get("_interimHeadersSize", 0)
        end = re.compile(rb"\n\r?\n").search(received, interim)  # h11 accepts a bare LF
        assert end is not None
        head_end = end.end()
        assert entry["response"]["headersSize"] == head_end - interim
        on_wire = sum(s.size for s in ex.received_segments  # omitted bytes included
                      if s.label != "unsolicited")
        assert entry["response"]["bodySize"] == on_wire - head_end
        content = entry["response"]["content"]
        text = content["text"].encode() if "encoding" not in content else \
            base64.b64decode(content["text"])
        if "compression" not in content:
            assert text == ex.body and content["size"] == ex.body_size


def test_har_from_a_real_run(session: Any, tmp_path: Path) -> None:
    trace, _seen = session
    har = export.to_har(trace)
    check_har(har, trace)
    entries = {e["request"]["url"].split("/", 3)[-1]: e for e in har["log"]["entries"]}
    gz = entries["gzip"]["response"]["content"]
    gz_cycle = next(ex for ex in trace.cycles if ex.target.endswith("/gzip"))
    # HAR: size is the decoded length, compression what the coding saved (may be negative).
    assert gz["size"] == len(gz["text"].encode()) > 0
    assert gz["compression"] == gz["size"] - gz_cycle.body_size
    assert json.loads(gz["text"])["gzipped"] is True
    post = entries["echo?type=text"]["request"]
    assert post["postData"]["params"] == [{"name": "name", "value": "value"},
                                          {"name": "x", "value": "<y>"}]
    assert post["queryString"] == [{"name": "type", "value": "text"}]
    assert entries["redirect/1"]["response"]["redirectURL"] != ""
    binary = entries["bytes/5000"]["response"]["content"]
    assert binary["encoding"] == "base64" and len(base64.b64decode(binary["text"])) == 5000
    assert [e["connection"] for e in har["log"]["entries"]].count("1") >= 10
    polls = entries["bytes/3"]["_httpexplore"]["polls"]
    assert polls[0]["op"] == "request" and polls[-1]["after"] in ("CONNECTED", "DISCONNECTED")
    path = tmp_path / "run.har"
    export.save_har(trace, path)
    assert json.loads(path.read_text(encoding="utf-8")) == har


def test_save_and_load_answer_the_same_questions(session: Any, tmp_path: Path) -> None:
    trace, _seen = session
    path = tmp_path / "trace.json"
    export.save(trace, path)
    loaded = export.load(path)
    assert len(loaded) == len(trace)
    assert export.snapshot(loaded, times=True) == export.snapshot(trace, times=True)
    assert export.to_har(loaded) == export.to_har(trace)
    assert export.to_text(loaded) == export.to_text(trace)
    assert loaded.segments() == trace.segments()
    for k in (0, 5, len(trace) // 2, len(trace) - 1):
        a, b = trace.state_at(k), loaded.state_at(k)
        assert (a.status, a.response_headers, a.body_preview, a.sent, a.received, a.path) == (
            b.status, b.response_headers, b.body_preview, b.sent, b.received, b.path)
        assert list(a.timeline) == list(b.timeline)
    bad = tmp_path / "bad.json"
    bad.write_text('{"log": {}}', encoding="utf-8")
    with pytest.raises(ValueError, match="not an httpexplore trace"):
        export.load(bad)


def test_text_dump_looks_like_curl_trace_ascii(session: Any) -> None:
    trace, _seen = session
    text = export.to_text(trace)
    lines = text.splitlines()
    assert lines[0].startswith("== Info: [0] connect_to_host: DISCONNECTED -> ")
    send = lines.index(next(line for line in lines if line.startswith("=> Send header")))
    assert re.fullmatch(r"=> Send header, (\d+) bytes \(0x([0-9a-f]+)\)", lines[send])
    n, hexn = re.findall(r"(\d+) bytes \(0x([0-9a-f]+)\)", lines[send])[0]
    assert int(n) == int(hexn, 16)
    assert lines[send + 1] == r"0000: GET /ChangeLog-5.php?delay=0 HTTP/1.1\r\n"
    assert re.fullmatch(r"[0-9a-f]{4}: Host: 127\.0\.0\.1:\d+\\r\\n", lines[send + 2])
    assert "<= Recv header" in text and "<= Recv data" in text
    assert all(re.fullmatch(r"(== Info: .*|[=<]=? ?[=>] (Send|Recv) (header|data), \d+ bytes "
                            r"\(0x[0-9a-f]+\)|[0-9a-f]{4,}: .*)", line) for line in lines)


def test_snapshot_and_html_are_deterministic(session: Any) -> None:
    trace, _seen = session
    summary = export.snapshot(trace, polls=False)
    assert re.search(r":\d{4,5}", summary) is None  # no ports
    assert summary.splitlines()[1] == (
        "cycle 1: GET http://127.0.0.1/ChangeLog-5.php?delay=0 -> 200 OK | 6238 body bytes, "
        "chunked | connection 1, new")
    html = trace._repr_html_()
    assert re.search(r"127\.0\.0\.1:\d", html) is None and "<table" in html


def test_tls_timings(tmp_path: Path) -> None:
    from httpexplore.demo import DemoServer

    with DemoServer(tls=True) as srv:
        client = HTTPClient(record=False)
        trace = Trace(client)
        tls = TLSOptions.client(trusted_chain=srv.ca_path)
        assert len(fetch(client, "/bytes/10", host="https://localhost", port=srv.port,
                         tls=tls)) == 10
        assert len(fetch(client, "/bytes/20")) == 20
        client.close()
    first, second = trace.cycles
    t = first.timings
    assert 0 <= t.ssl <= t.connect and t.dns >= 0
    assert second.timings.ssl == second.timings.connect == -1
    [conn] = trace.connections
    assert conn.tls_version.startswith("TLS")
    check_har(export.to_har(trace), trace)
    check_invariants(trace)
    assert first.url == f"https://localhost:{srv.port}/bytes/10"


@pytest.mark.slow
def test_a_big_download_keeps_at_most_the_cap(demo: Any) -> None:
    size = 64 * 1024 * 1024
    client = HTTPClient(record=False)
    client.read_chunk_size = 1024 * 1024
    trace = Trace(client)
    client.connect_to_host(demo.host, demo.port)
    while client.get_status() in (S.RESOLVING, S.CONNECTING):
        client.poll()
    client.request(Method.GET, f"/bytes/{size}", [])
    got = 0
    while client.get_status() in (S.REQUESTING, S.BODY):
        client.poll()
        got += len(client.read_response_body_chunk())
    assert got == size
    kept = sum(len(r.sent) + len(r.received) + len(r.body) for r in trace.records)
    assert kept <= trace.max_bytes_per_cycle
    [ex] = trace.cycles
    assert ex.body_size == size and ex.received_size > size and ex.complete
    assert ex.omitted == trace.omitted_total > 2 * size - trace.max_bytes_per_cycle - 1
    assert sum(s.size for s in ex.received_segments) == ex.received_size
    assert ex.received_segments[-1].label == "omitted"
    state = trace.state_at(-1, preview_bytes=100)
    assert state.body_size == size and len(state.body_preview) == 100
    check_har(export.to_har(trace), trace)
    client.close()


def test_the_malformed_catalogue_never_breaks_the_recorder(demo: Any) -> None:
    """Every broken response: the segments still re-make the wire bytes, and the scanner never
    calls bytes invalid that the client (h11) accepted."""
    from httpexplore.demo import MALFORMED

    for name in MALFORMED:
        client = HTTPClient(record=False, read_timeout=0.3)
        trace = Trace(client)
        fetch(client, f"/malformed/{name}", host=demo.host, port=demo.port)
        status = client.get_status()
        client.close()
        check_invariants(trace)
        labels = {s.label for s in trace.segments("received")}
        if "invalid" in labels:
            assert status is S.CONNECTION_ERROR and trace.cycles[0].error, name
        assert export.snapshot(trace) and trace._repr_html_() and export.to_text(trace)
        check_har(export.to_har(trace), trace)
