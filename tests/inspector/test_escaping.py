"""Hostile responses render as inert text in every view, at every step of the history."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from html.parser import HTMLParser

import ipywidgets as widgets
import pytest

from httpexplore import Status
from httpexplore.inspector import Inspector

# Every element the inspector's own markup uses.  A tag outside this list, or any on*
# attribute, in a view means server bytes became markup.
ALLOWED_TAGS = {"div", "span", "b", "i", "pre", "code", "table", "thead", "tbody", "tr", "th",
                "td", "caption", "svg", "defs", "marker", "path", "g", "rect", "text", "title"}


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: set[str] = set()
        self.attrs: set[str] = set()
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self.attrs.update(name for name, _ in attrs)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def check_views(insp: Inspector, all_widgets: Callable[[widgets.Widget],
                                                       list[widgets.Widget]]) -> str:
    """Assert every HTML value is our markup only and no text widget carries a raw NUL or bidi
    override; return the visible text of all HTML views."""
    seen: list[str] = []
    for w in all_widgets(insp):
        strings = [getattr(w, "tooltip", None) or "", getattr(w, "description", "") or ""]
        if isinstance(w, (widgets.HTML, widgets.HTMLMath)):
            parser = _Tags()
            parser.feed(w.value)
            parser.close()
            assert parser.tags <= ALLOWED_TAGS, (w._dom_classes, parser.tags - ALLOWED_TAGS)
            assert not {a for a in parser.attrs if a.startswith("on")}, w._dom_classes
            assert "<script" not in w.value.lower() and "<img" not in w.value.lower()
            seen.append("".join(parser.text))
            strings.append("".join(parser.text))
        elif isinstance(w, (widgets.Label, widgets.Textarea, widgets.Text)):
            strings.append(w.value)
        for s in strings:
            assert "\x00" not in s and "\u202e" not in s, (w._dom_classes, s[:80])
    return "\n".join(seen)


def run(insp: Inspector) -> None:
    insp.connect()
    asyncio.run(insp.run_auto_poll())
    if insp.client.get_status() is Status.CONNECTED:
        insp.request()
        asyncio.run(insp.run_auto_poll())


@pytest.mark.parametrize("path", ["/hostile", "/hostile-chunked"])
def test_hostile_response_is_inert(path: str, canned: tuple[str, int],
                                   make_inspector: Callable[..., Inspector],
                                   all_widgets: Callable[[widgets.Widget],
                                                         list[widgets.Widget]]) -> None:
    host, port = canned
    insp = make_inspector(url=f"http://{host}:{port}{path}")
    run(insp)
    assert insp.client.get_status() is Status.DISCONNECTED, insp.client.error_message
    assert insp.client.get_response_code() == 200
    # Nothing was lost: the hostile text is there, visible as text.
    text = check_views(insp, all_widgets)
    for needle in ("<script>alert('reason')</script>", "<img src=x onerror=alert(1)>",
                   "</table><script>alert(2)</script>", "\"><svg onload=alert(3)> 'single'",
                   "duplicate <b>bold</b>", "<script>alert('body')</script>", "\\x00",
                   "\\u202egnp.exe"):
        assert needle in text, needle
    headers = insp.client.get_response_headers()
    assert len(headers) == 7 and headers[0].startswith("X-Evil") and headers[3].startswith("x-evil")
    table = insp.headers_html.value.split('<table class="hx-table">')[1].split("</table>")[0]
    assert table.count("<tr>") == 1 + 7  # case and duplicates kept
    assert "&lt;script&gt;alert(&#x27;reason&#x27;)&lt;/script&gt;" in insp.status_html.value
    body = insp.body_text.value
    assert "\\x00\\xff\\xfe bad utf-8 \\u202egnp.exe" in body and "<script>" in body  # Textarea
    if path == "/hostile-chunked":
        assert "<img src=x onerror=alert(7)>" in text  # the trailer
        assert ";<script>alert(6)</script>CRLF" in text  # the chunk extension on the wire
    for k in range(insp.steps):  # every step of the history, not just the last one
        insp.show(k)
        check_views(insp, all_widgets)


def test_hostile_header_name_is_an_inert_error(canned: tuple[str, int],
                                               make_inspector: Callable[..., Inspector],
                                               all_widgets: Callable[[widgets.Widget],
                                                                     list[widgets.Widget]]
                                               ) -> None:
    host, port = canned
    insp = make_inspector(url=f"http://{host}:{port}/hostile-name")
    run(insp)
    assert insp.client.get_status() is Status.CONNECTION_ERROR
    assert "STATUS_CONNECTION_ERROR (8)" in insp.status_html.value
    assert "header" in insp.error_html.value and insp.error_html.value.startswith("<pre")
    text = check_views(insp, all_widgets)
    assert "<img src=x onerror=alert(8)>: v" in text  # on the wire, as text
    snap = insp.snapshot()
    assert snap.startswith("status: STATUS_CONNECTION_ERROR (8)") and "error: " in snap
