"""The divergence rules themselves (no engine needed): each explains its own signature and
nothing else, the README items they cite say what they mean, and the cases cover the demo
server."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import divergences
import gen_parity_doc
import godotkit
import pytest

from httpexplore import Status

README = Path(__file__).resolve().parents[2] / "README.md"
_C, _D, _E = int(Status.CONNECTED), int(Status.DISCONNECTED), int(Status.CONNECTION_ERROR)


def _obs(**fields: object) -> godotkit.Observation:
    base = dict(id="x", path="/x", code=200, body=b"hello", statuses=[3, 5, 6, 7, _C], final=_C,
                has_response=True, headers={"Content-Length": "5"}, body_length=5)
    base.update(fields)
    return godotkit.Observation(**base)  # type: ignore[arg-type]


def _verdict(path: str, g: godotkit.Observation, o: godotkit.Observation) -> str | None:
    rule = divergences.explain(divergences.client_rules(godotkit.Case("x", path)), g, o)
    return rule.key if rule else None


def _readme_items() -> dict[int, str]:
    text = README.read_text(encoding="utf-8")
    section = text.split("## Godot parity and deliberate divergences", 1)[1].split("\n## ", 1)[0]
    items = re.split(r"\n(?=\d+\. )", section)
    return {int(item.split(".", 1)[0]): item for item in items if item[:1].isdigit()}


def test_each_rule_cites_the_readme_item_that_describes_it() -> None:
    items = _readme_items()
    rules = divergences.client_rules(godotkit.Case("x", "/x")) + divergences.request_rules()
    for rule in rules:
        if rule.number is not None:
            assert rule.readme_phrase in items[rule.number], (rule.key, rule.number)


def test_a_client_regression_on_a_teaching_endpoint_is_not_excused() -> None:
    good = _obs()
    # Our client failing on a well-formed response: no rule may explain it.
    assert _verdict("/chunked", good, _obs(final=_E, body=b"")) is None
    assert _verdict("/chunked", good, _obs(body=b"hellX")) is None
    assert _verdict("/chunked", good, _obs(code=500)) is None
    # The same failure on a malformed entry is divergence #6.
    assert _verdict("/malformed/x", good, _obs(final=_E, body=b"")) == "refused"


@pytest.mark.parametrize(("g", "o", "key"), [
    (_obs(code=103, body=b"", final=_C),
     _obs(interim=[103], received=b"HTTP/1.1 103 Early Hints\r\n\r\nHTTP/1.1 200 OK\r\n"),
     "interim"),
    (_obs(final=_D, body=b"abc", body_length=100),
     _obs(final=_E, body=b"abc", body_length=100), "cut-short"),
    (_obs(), _obs(final=_D, http_version="1.0"), "close"),
    (_obs(final=_E, body=b""), _obs(final=_E, body=b"hello", chunked=True), "available"),
    (_obs(), _obs(final=_D, received=b"HTTP/1.1 200 OK\r\n\r\nHTTP/1.1 200 OK"), "unsolicited"),
    (_obs(body=b"GET / HTTP/1.1\r\nHost: h\r\nA: b\r\n\r\n"),
     _obs(body=b"GET / HTTP/1.1\r\nA: b\r\nHost: h\r\n\r\n"), "A1"),
])
def test_each_rule_explains_its_signature(g: godotkit.Observation, o: godotkit.Observation,
                                          key: str) -> None:
    assert _verdict("/x", g, o) == key
    # ... and not the same pair with another difference on top.
    assert _verdict("/x", g, replace(o, code=o.code + 1)) is None


def test_more_redirects_rule_needs_a_followed_redirect() -> None:
    g = godotkit.RequestObservation("r", "SUCCESS", 307, [], b"redirecting", b"")
    o = godotkit.RequestObservation("r", "SUCCESS", 200, [], b"{}", b"", hops=2)
    assert divergences.explain(divergences.request_rules(), g, o).key == "redirects"
    assert divergences.explain(divergences.request_rules(), g, replace(o, hops=0)) is None


def test_cases_cover_every_route_and_every_malformed_entry() -> None:
    assert godotkit.uncovered_routes() == []
    paths = {c.path for c in godotkit.all_cases()}
    from httpexplore.demo import MALFORMED
    assert {f"/malformed/{name}" for name in MALFORMED} <= paths


def test_parity_doc_lists_every_case() -> None:
    # Without the engine this catches a new endpoint or catalogue entry missing from the doc.
    text = gen_parity_doc.DOC.read_text(encoding="utf-8")
    for case in godotkit.all_cases():
        assert f"| `{case.id}` | `{case.path}` |" in text, case.id
    for request_case in godotkit.REQUEST_CASES:
        assert f"| `{request_case.id}` | `{request_case.path}` |" in text
