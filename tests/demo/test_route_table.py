"""``route_table()``: one documented row per route, rendered as text, HTML and JSON."""

from __future__ import annotations

import json

from demokit import Fetch

from httpexplore.demo import route_table

EXPECTED_PATHS = [
    "/", "/routes.json", "/ChangeLog-5.php", "/bytes/<n>", "/chunked", "/drip", "/stream/<n>",
    "/close", "/http10", "/status/<code>", "/redirect/<n>", "/redirect-to", "/gzip",
    "/trailers", "/early-hints", "/continue", "/echo", "/headers", "/sse", "/slow-head",
    "/delay/<s>", "/malformed/", "/malformed/<name>",
]


def test_every_route_is_listed_and_documented() -> None:
    table = route_table()
    assert [route.pattern for route in table] == EXPECTED_PATHS
    for route in table:
        assert route.summary and "\n" not in route.summary
        assert all(param.doc for param in route.params)


def test_text_form_is_deterministic_and_aligned() -> None:
    text = str(route_table())
    lines = text.splitlines()
    assert lines[0].split() == ["path", "methods", "parameters", "description"]
    assert len(lines) == len(EXPECTED_PATHS) + 2
    column = lines[0].index("methods")
    assert all(line[column - 2:column] == "  " for line in lines[2:])
    assert "chunks=1..10000 (4) size=1..1048576 (64) delay=0..10 (0)" in text
    assert repr(route_table()) == f"<DemoServer routes: {len(EXPECTED_PATHS)}>\n{text}"
    assert str(route_table()) == text


def test_html_form_is_escaped() -> None:
    page = route_table()._repr_html_()
    assert page.startswith('<table class="httpexplore-demo">')
    assert "/bytes/&lt;n&gt;" in page and "/bytes/<n>" not in page
    assert page.count("<tr>") == len(EXPECTED_PATHS) + 1


def test_json_form() -> None:
    routes = json.loads(route_table().to_json())
    by_path = {route["path"]: route for route in routes}
    assert list(by_path) == EXPECTED_PATHS
    assert by_path["/bytes/<n>"]["params"][0] == {
        "name": "n", "in": "path", "signature": "n=0..268435456",
        "description": "body size in bytes"}
    assert by_path["/echo"]["methods"] is None


def test_served_pages_match_the_table(fetch: Fetch) -> None:
    _, body = fetch("/routes.json")
    assert body.decode() == route_table().to_json() + "\n"
    _, page = fetch("/")
    assert route_table()._repr_html_().encode() in page
