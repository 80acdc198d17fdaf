"""The views as pure functions: state diagram, body preview, chunk boundaries, imports."""

from __future__ import annotations

import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

from httpexplore._render import CR_HTML, LF_HTML
from httpexplore.annotate import ConnectionScanner
from httpexplore.inspector import views
from httpexplore.inspector.diagram import path_edges, state_diagram
from httpexplore.status import TRANSITIONS, Input, Status

SVG = "{http://www.w3.org/2000/svg}"


def test_diagram_is_drawn_from_the_transition_table() -> None:
    path = [Status.DISCONNECTED, Status.CONNECTING, Status.CONNECTED, Status.REQUESTING,
            Status.BODY]
    root = ET.fromstring(state_diagram(path))
    nodes = {g.get("data-status"): g.get("class") for g in root.iter(f"{SVG}g")}
    assert set(nodes) == {s.name for s in Status}
    assert nodes["BODY"] == "hx-node hx-current"
    assert nodes["CONNECTED"] == "hx-node hx-visited" and nodes["CANT_CONNECT"] == "hx-node"
    titles = [p.findtext(f"{SVG}title") for p in root.iter(f"{SVG}path")
              if p.findtext(f"{SVG}title")]
    drawn = {t.split(":")[0] for t in titles}
    expected = {f"{s.name} → {t.name}" for (s, i), t in TRANSITIONS.items() if i is not Input.CLOSE}
    assert drawn == expected  # every edge of the table, close() edges aside...
    text = "".join(root.itertext())
    assert "close(): from every state → DISCONNECTED" in text  # ...which are written once
    on = [p for p in root.iter(f"{SVG}path") if p.get("marker-end") == "url(#hx-arr-on)"]
    assert len(on) == 4  # the path's four transitions are highlighted


def test_path_through_several_transitions_in_one_step() -> None:
    # One poll can resolve and connect; an error status can be closed.
    assert path_edges([Status.RESOLVING, Status.CONNECTED]) == [
        (Status.RESOLVING, Status.CONNECTING), (Status.CONNECTING, Status.CONNECTED)]
    assert path_edges([Status.CONNECTION_ERROR, Status.DISCONNECTED]) == [
        (Status.CONNECTION_ERROR, Status.DISCONNECTED)]
    svg = state_diagram([Status.BODY, Status.CONNECTION_ERROR, Status.DISCONNECTED])
    assert 'stroke-dasharray="5 4"' in svg  # a close() edge is drawn once it is taken


def test_body_preview_keeps_head_and_tail() -> None:
    body = bytes(range(256)) * 40  # 10240 bytes
    p = views.body_preview(len(body), body[:4096], body[-1024:])
    assert (p.head, p.tail, p.tail_offset) == (body[:4096], body[-1024:], 9216)
    text = views.body_text(p)
    assert f"… {10240 - 5120} bytes not shown …" in text
    hexed = views.body_hex_text(p).splitlines()
    assert hexed[0].startswith("00000000  00 01 02") and hexed[-1].startswith("000027f0  f0 f1")
    small = views.body_preview(5000, body[:4096], body[:5000][-1024:])
    assert small.tail == body[4096:5000]  # the tail never repeats the head
    assert "not shown" not in views.body_text(small)  # 5000 bytes: all of them, no gap
    assert views.body_text(views.body_preview(5, b"abc\x00\xff", b"")) == "abc\\x00\\xff"
    unknown = views.body_preview(1 << 30, body[:4096], None)
    assert "(the end was not kept)" in views.body_text(unknown)


def test_chunk_boundaries_come_from_the_wire() -> None:
    scanner = ConnectionScanner(1)
    scanner.feed(0, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", b"")
    wire = (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
            b"5;ext=1\r\nhello\r\n1")
    segments = scanner.feed(1, b"", wire)
    segments += scanner.feed(2, b"", b"0\r\n0123456789ABCDEF\r\n0\r\n\r\n")  # size line split
    received = [s for s in segments if s.direction == "received"]
    assert views.chunk_starts(received) == [(0, 5), (5, 16)]
    p = views.body_preview(21, b"hello0123456789ABCDEF", b"", views.chunk_starts(received))
    html = views.body_chunks(p, chunked=True)
    assert "⟨chunk 1: 0x5 = 5 bytes⟩" in html and "⟨chunk 2: 0x10 = 16 bytes⟩" in html
    wire_view = views.wire_html([], received, newest=2)
    assert "5;ext=1" + CR_HTML + LF_HTML in wire_view
    assert 'class="hx-seg hx-seg-last-chunk"' in wire_view


def test_long_body_segments_are_cut() -> None:
    start, hidden, end = views.elide(b"x" * 10_000)
    assert (len(start), hidden, len(end)) == (160, 10_000 - 208, 48)
    assert views.elide(b"short") == (b"short", 0, b"")


def test_import_directions() -> None:
    code = ("import sys, httpexplore, httpexplore.trace; "
            "assert 'ipywidgets' not in sys.modules and 'httpexplore.inspector' not in "
            "sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)
    package = Path(views.__file__).resolve().parents[1]
    importing = re.compile(r"^(from|import)\s+\S*inspector", re.MULTILINE)
    for module in package.rglob("*.py"):
        if "inspector" not in module.parts:  # nothing imports the inspector (but lazily)
            assert not importing.search(module.read_text()), module
