"""``export.load`` does not trust its file (issue #12 item 8): a fuzz test mutates every field
of a saved trace (wrong types, nulls, NaN, huge numbers, markup, empty values) and checks that
each mutant is either refused at load with a ``ValueError`` naming a field, or loads into a
trace whose every view and export works.  Plus the size limit and the live caps."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from recorderkit import fetch, scripted

from httpexplore import Trace, export
from httpexplore.transport import AFTER_SEND, EOF, WOULD_BLOCK

NAN = float("nan")
MUTANTS: list[Any] = [None, "x", 1e308, NAN, -1, 2 ** 64, [], {}, True, "<b>x</b>", "", 0,
                      [1, 2, 3], {"a": None}, -1e308, "2e2", "GET", "a" * 70]


def rich_trace() -> Trace:
    """A name lookup, TCP, a 103 then a chunked response with trailers, a reused connection,
    then a malformed response (an error)."""
    client, trace = scripted([
        b"HTTP/1.1 103 Early\r\nLink: </a>\r\n\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked"
        b"\r\nContent-Type: text/plain\r\n\r\n3\r\nabc\r\n0\r\nX-T: 1\r\n\r\n", WOULD_BLOCK,
        AFTER_SEND, b"HTTP/1.1 200 OK\r\nX-Bad\x00: y\r\n\r\n", EOF])
    fetch(client, "/first?q=1", host="example.test", port=8080)
    fetch(client, "/second")
    client.close()
    return trace


def views(trace: Trace) -> None:
    """Every view and export, fully (each must return without raising)."""
    shown: list[object] = [repr(trace), trace._repr_html_(), export.to_text(trace),
                           export.snapshot(trace, times=True), export.snapshot(trace),
                           json.dumps(export.to_har(trace, raw_bytes=True), allow_nan=False)]
    for k in range(len(trace)):
        state = trace.state_at(k)
        shown += [list(state.timeline), trace.exchange_at(k), trace.omitted(k)]
    for ex in trace.cycles:
        shown += [ex.timings, ex.url, ex.body_length, ex.request_headers]
    shown += [trace.connections, trace.segments()]
    assert str(shown[0]).startswith("<Trace: ") and trace.steps >= len(trace)
    assert json.loads(str(shown[5]))["log"]["version"] == "1.2"


def leaves(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every path into the JSON document (containers and leaves)."""
    yield path
    if isinstance(value, dict):
        for k, v in value.items():
            yield from leaves(v, (*path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from leaves(v, (*path, i))


def mutate(doc: Any, path: tuple[Any, ...], new: Any) -> Any:
    copy = json.loads(json.dumps(doc))
    target = copy
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = new
    return copy


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    path = tmp_path_factory.mktemp("trace") / "t.json"
    trace = rich_trace()
    export.save(trace, path)
    return json.loads(path.read_text(encoding="utf-8"))


def check(doc: Any, path: Path) -> str:
    path.write_text(json.dumps(doc, allow_nan=True), encoding="utf-8")
    try:
        loaded = export.load(path)
    except ValueError as exc:
        assert str(exc), "a refusal says why"
        return "refused"
    views(loaded)
    return "loaded"


def test_the_unmutated_trace_loads_and_every_view_works(saved: dict[str, Any],
                                                        tmp_path: Path) -> None:
    assert check(saved, tmp_path / "t.json") == "loaded"


def test_every_field_mutated(saved: dict[str, Any], tmp_path: Path) -> None:
    """Each path of the document gets each mutant in turn (rotating, so every path sees
    several kinds and every kind is used everywhere); refused or fully viewable."""
    paths = [p for p in leaves(saved) if p]
    outcomes = {"refused": 0, "loaded": 0}
    file = tmp_path / "m.json"
    for n, path in enumerate(paths):
        for j in range(3):
            new = MUTANTS[(n + j * 7) % len(MUTANTS)]
            outcomes[check(mutate(saved, path, new), file)] += 1
    assert outcomes["refused"] > 0 and outcomes["loaded"] > 0, outcomes


def test_every_mutant_on_every_field_of_the_richest_record(saved: dict[str, Any],
                                                          tmp_path: Path) -> None:
    records = saved["records"]
    richest = max(range(len(records)), key=lambda i: len(json.dumps(records[i])))
    file = tmp_path / "m.json"
    for path in leaves(records[richest], ("records", richest)):
        if len(path) < 3:
            continue
        for new in MUTANTS:
            check(mutate(saved, path, new), file)


@pytest.mark.parametrize("path,new,field", [
    (("records", 3, "cycle", "port"), "80", "records[3].cycle.port"),
    (("records", 3, "time"), NAN, "records[3].time"),
    (("records", 3, "time"), 1e308, "records[3].time"),
    (("records", 3, "cycle", "host"), "<script>x</script>", "records[3].cycle.host"),
    (("records", 2, "events"), None, "records[2].events"),
    (("records", 0, "repeat"), 0, "records[0].repeat"),
])
def test_a_bad_field_is_named(saved: dict[str, Any], tmp_path: Path, path: tuple[Any, ...],
                              new: Any, field: str) -> None:
    file = tmp_path / "bad.json"
    file.write_text(json.dumps(mutate(saved, path, new), allow_nan=True), encoding="utf-8")
    with pytest.raises(ValueError, match=field.replace("[", r"\[").replace("]", r"\]")):
        export.load(file)


def test_the_issue_examples_are_refused(saved: dict[str, Any], tmp_path: Path) -> None:
    """Headers as a string, status_code "2e2", an event detail of null."""
    records = saved["records"]
    pos, ev = next((i, j) for i, r in enumerate(records)
                   for j, e in enumerate(r["events"]) if e["kind"] == "Response")
    base = ("records", pos, "events", ev, "detail")
    file = tmp_path / "bad.json"
    for path, new in [((*base, "headers"), "Content-Length: 5"),
                      ((*base, "status_code"), "2e2"), (base, None)]:
        file.write_text(json.dumps(mutate(saved, path, new)), encoding="utf-8")
        with pytest.raises(ValueError, match=f"records\\[{pos}\\]"):
            export.load(file)


def test_a_file_over_the_size_limit_is_refused_unless_allowed(saved: dict[str, Any],
                                                              tmp_path: Path) -> None:
    file = tmp_path / "t.json"
    file.write_text(json.dumps(saved), encoding="utf-8")
    size = file.stat().st_size
    with pytest.raises(ValueError, match="max_file_bytes"):
        export.load(file, max_file_bytes=size - 1)
    assert len(export.load(file, max_file_bytes=size)) == len(saved["records"])


def test_loading_applies_the_live_byte_cap(saved: dict[str, Any], tmp_path: Path) -> None:
    doc = json.loads(json.dumps(saved))
    doc["max_bytes_per_cycle"] = 2 ** 40  # asks for more than a recording keeps
    big = b"x" * (5 * 1024 * 1024)
    import base64
    doc["records"][-2]["received"] = base64.b64encode(big).decode()
    file = tmp_path / "big.json"
    file.write_text(json.dumps(doc), encoding="utf-8")
    loaded = export.load(file)
    assert loaded.max_bytes_per_cycle <= 4 * 1024 * 1024
    kept = len(loaded.records[-2].received)
    assert kept < len(big) and kept + loaded.omitted(-2)[1] == len(big)
    assert not math.isnan(loaded.started)
