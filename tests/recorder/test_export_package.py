"""The export package reads a trace through its public API only, and a trace can be built from
records with a public constructor (what the loader uses)."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

from recorderkit import fetch, scripted

import httpexplore
from httpexplore import HTTPClient, export
from httpexplore.trace import Trace
from httpexplore.transport import EOF

EXPORT = Path(httpexplore.__file__).resolve().parent / "export"
RESPONSE = (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
            b"5\r\nhello\r\n0\r\n\r\n")


def recorded() -> Trace:
    client, trace = scripted([RESPONSE, EOF])
    assert fetch(client, "/", host="example.test", port=80) == b"hello"
    client.close()
    return trace


def test_a_trace_knows_no_format_and_its_notebook_display_is_the_export_packages() -> None:
    trace = recorded()
    for name in ("to_har", "save_har", "to_text", "save", "load", "snapshot"):
        assert not hasattr(Trace, name), name
    # The one display hook a notebook looks for on the object delegates to the export package.
    assert export.to_html(trace) == trace._repr_html_() and "<table" in trace._repr_html_()


def test_from_records_builds_a_trace_that_answers_the_same(tmp_path: Path) -> None:
    trace = recorded()
    copy = Trace.from_records([(r, trace.omitted(i)) for i, r in enumerate(trace.records)],
                              started=trace.started, started_wall=trace.started_wall)
    assert export.snapshot(copy, times=True) == export.snapshot(trace, times=True)
    assert export.to_har(copy) == export.to_har(trace)
    export.save(trace, tmp_path / "t.json")
    loaded = export.load(tmp_path / "t.json")
    assert export.to_har(loaded) == export.to_har(trace)


def test_the_export_package_touches_no_private_attribute_of_a_trace() -> None:
    found = []
    for path in EXPORT.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Attribute) and node.attr.startswith("_")
                    and not node.attr.startswith("__")
                    and isinstance(node.value, ast.Name)
                    and node.value.id in ("trace", "cls", "ex", "t")):
                found.append(f"{path.name}:{node.lineno} {node.value.id}.{node.attr}")
    assert found == []


def test_a_synthesised_head_keeps_its_label_through_save_and_load(tmp_path: Path) -> None:
    from httpexplore.demo import DemoServer

    with DemoServer() as srv:
        client = HTTPClient()
        client.connect_to_host(srv.host, srv.port)
        while client.get_status() in (HTTPClient.STATUS_RESOLVING, HTTPClient.STATUS_CONNECTING):
            client.poll()
        client.request(HTTPClient.METHOD_GET, "/bytes/100", [])
        while client.get_status() in (HTTPClient.STATUS_REQUESTING, HTTPClient.STATUS_BODY):
            client.poll()
            client.read_response_body_chunk()
        client.close()

    def heads(trace: Any) -> list[dict[str, Any]]:
        return [e.detail for r in trace.records for e in r.events if e.kind == "Response"]

    before = heads(client.trace)
    assert before and all(h.get("synthesised") for h in before)  # the common-head reader
    path = tmp_path / "trace.json"
    export.save(client.trace, path)
    assert heads(export.load(path)) == before
