"""The export package reads a trace through its public API only, and a trace can be built from
records with a public constructor (what the loader uses)."""

from __future__ import annotations

import ast
from pathlib import Path

from recorderkit import fetch, scripted

import httpexplore
from httpexplore import export
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


def test_the_export_functions_are_what_the_trace_conveniences_return() -> None:
    trace = recorded()
    assert export.to_har(trace) == trace.to_har()
    assert export.to_text(trace) == trace.to_text()
    assert export.snapshot(trace) == trace.snapshot()
    assert export.to_html(trace) == trace._repr_html_()


def test_from_records_builds_a_trace_that_answers_the_same(tmp_path: Path) -> None:
    trace = recorded()
    copy = Trace.from_records([(r, trace.omitted(i)) for i, r in enumerate(trace.records)],
                              started=trace.started, started_wall=trace.started_wall)
    assert copy.snapshot(times=True) == trace.snapshot(times=True)
    assert copy.to_har() == trace.to_har()
    export.save(trace, tmp_path / "t.json")
    loaded = export.load(tmp_path / "t.json")
    assert loaded.to_har() == trace.to_har()


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
