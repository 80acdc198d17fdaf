"""Issue #13 (learner experience), kernel-free: folded history, history mode, line ends that
every font draws, layouts that fit, URL in the host field, Reset, static HTML."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable

import ipywidgets as widgets

from httpexplore import HTTPClient, Status
from httpexplore._render import CR_HTML, LF_HTML, eol_html
from httpexplore.demo import DemoServer
from httpexplore.errors import Error
from httpexplore.inspector import Inspector, views
from httpexplore.inspector.diagram import state_diagram
from httpexplore.inspector.history import Stops, calls_text
from httpexplore.trace import TimelineRow
from httpexplore.transport import WOULD_BLOCK, ScriptedTransport


def row(index: int, op: str = "poll", *, received: int = 0, before: Status = Status.BODY,
        after: Status = Status.BODY, repeat: int = 1, start: float = 0.0) -> TimelineRow:
    return TimelineRow(index, op, before, after, Error.OK, 0, received, 0, (), "", 1, 1,
                       start, 0.5, repeat)


def connected(insp: Inspector) -> None:
    insp.connect()
    while insp.client.get_status() in (Status.RESOLVING, Status.CONNECTING):
        insp.poll()


# -- item 2: CR and LF ------------------------------------------------------------------------
def test_line_ends_are_badges_every_font_draws() -> None:
    html = eol_html(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n<b>")
    assert html == (f"GET / HTTP/1.1{CR_HTML}{LF_HTML}\nHost: a{CR_HTML}{LF_HTML}\n"
                    f"{CR_HTML}{LF_HTML}\n&lt;b&gt;")
    assert ">CR</span>" in CR_HTML and ">LF</span>" in LF_HTML
    # No control pictures (U+2400 block): DejaVu and Liberation lack them.
    wire = views.wire_html([], [], -1) + html
    assert not re.search("[\u2400-\u243f]", wire)


# -- item 3: folded history ------------------------------------------------------------------
def test_quiet_runs_are_one_history_step_with_their_count() -> None:
    rows = [row(0, "request", before=Status.CONNECTED, after=Status.REQUESTING),
            row(1, received=10, before=Status.REQUESTING),  # the head arrives
            row(2), row(3, "read_response_body_chunk"), row(4, repeat=7),
            row(5, "read_response_body_chunk", repeat=6),
            row(6, received=5), row(7)]
    stops = Stops(0)
    stops.update(rows[:5])
    assert stops.positions == [0, 1, 4]
    stops.update(rows)  # incremental: the open quiet run grows, then ends
    assert stops.positions == [0, 1, 5, 6, 7]
    assert list(stops.group(2)) == [2, 3, 4, 5]
    assert calls_text(rows, stops.group(2)) == ("poll ×8, read_chunk ×7", 15) == stops.calls(2)
    table = views.timeline_html(rows, stops, len(stops) - 1)
    assert "poll ×8, read_chunk ×7" in table and "nothing happened (15 calls)" in table
    assert table.count("<tr") == 1 + len(stops)  # a row per history step


def test_poll_ten_shows_as_ten_polls(make_inspector: Callable[..., Inspector]) -> None:
    script = [WOULD_BLOCK] * 30 + [b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi"]
    client = HTTPClient(transport_factory=lambda: ScriptedTransport(script))
    insp = make_inspector(client, url="http://192.0.2.1/x")
    connected(insp)
    insp.request()
    insp.poll()  # writes the request
    before = insp.steps
    insp.poll10_button.click()
    assert insp.steps == before + 1  # one step of the history...
    assert "poll ×10" in insp.timeline_html.value  # ...that says it is ten polls
    assert "nothing happened (10 calls)" in insp.timeline_html.value


def test_auto_poll_on_a_slow_download_makes_few_steps(
        demo: DemoServer, make_inspector: Callable[..., Inspector]) -> None:
    insp = make_inspector(url=f"{demo.url}/drip?bytes=10&pieces=10&delay=0.1")
    connected(insp)
    insp.request()
    asyncio.run(insp.run_auto_poll())
    assert insp.client.get_status() is Status.CONNECTED
    # Each piece makes a poll that reads it and a read that hands it out, with a folded quiet
    # run between pieces: a few steps per piece, however many calls auto-poll made.
    assert insp.steps <= 10 * 4 + 10
    assert insp.history_slider.max == insp.steps - 1
    assert "nothing happened" in insp.timeline_html.value


# -- item 4: history mode ---------------------------------------------------------------------
def test_any_action_returns_to_live(demo: DemoServer,
                                    make_inspector: Callable[..., Inspector]) -> None:
    insp = make_inspector(url=f"{demo.url}/bytes/10")
    connected(insp)
    insp.show(0)
    assert "(history)" in insp.status_html.value
    assert "Looking at the past" in insp.status_html.value
    assert "the live client is in STATUS_CONNECTED (5)" in insp.status_html.value
    insp.request_button.click()
    assert insp.history_slider.value == insp.history_slider.max
    assert "(history)" not in insp.status_html.value and "past" not in insp.status_html.value
    assert "STATUS_REQUESTING (6)" in insp.status_html.value
    insp.show(1)
    insp.auto_button.value = True  # no running loop: runs to the end here
    assert insp.client.get_status() is Status.CONNECTED
    assert insp.history_slider.value == insp.history_slider.max
    assert "(history)" not in insp.status_html.value


def test_the_slider_view_is_rebuilt_when_its_range_grew(
        demo: DemoServer, recording_comm: None,
        make_inspector: Callable[..., Inspector]) -> None:
    """noUiSlider's End key goes to the max the browser's slider was built with; a change of
    orientation rebuilds it (ipywidgets' regenSlider), so End reaches the last step."""
    insp = make_inspector(url=f"{demo.url}/bytes/10")
    comm = insp.history_slider.comm
    sent = len(comm.updates())
    insp.connect()
    changes = [u["orientation"] for u in comm.updates()[sent:] if "orientation" in u]
    assert changes == ["vertical", "horizontal"]
    sent = len(comm.updates())
    insp.reset_button.click()  # the range did not grow: nothing to rebuild
    assert not [u for u in comm.updates()[sent:] if "orientation" in u]
    assert insp.history_slider.orientation == "horizontal"


# -- item 6, 7, 12: layout and polish -------------------------------------------------------
def test_views_fit_a_narrow_panel(demo: DemoServer,
                                  make_inspector: Callable[..., Inspector]) -> None:
    insp = make_inspector(url=f"{demo.url}/chunked?chunks=3&size=40&delay=0")
    assert "max-width:100%" not in state_diagram()  # scroll, not shrink
    assert insp.diagram_html.layout.overflow == "auto hidden"
    assert insp.body_count.layout.width == "auto" and insp.history_label.layout.width == "auto"
    connected(insp)
    insp.request()
    asyncio.run(insp.run_auto_poll())
    assert "white-space:pre;" in insp.body_hex.value  # the hex dump never wraps a line
    assert "word-break:normal" in insp.body_chunks.value  # no "emp ty"
    steps = insp.timeline_html.value
    assert "white-space:nowrap" not in steps and "overflow-x:hidden" in steps
    assert "read_response_body_chunk</td>" not in steps  # abbreviated: read_chunk
    # One form in the status column: a name, or "A → B".
    cells = re.findall(r"<td[^>]*>([A-Z_]+(?: → [A-Z_]+)?)</td>", steps)
    assert "CONNECTED → REQUESTING" in cells or "REQUESTING → BODY" in cells
    assert not re.search(r"STATUS_[A-Z]+ \(\d\)</td>", steps)


def test_wire_legend_is_in_wire_order_with_one_colour_each(
        demo: DemoServer, make_inspector: Callable[..., Inspector]) -> None:
    colours = list(views.LABEL_COLOURS.values())
    assert len(colours) == len(set(colours))
    insp = make_inspector(url=f"{demo.url}/chunked?chunks=2&size=4&delay=0")
    connected(insp)
    insp.request()
    asyncio.run(insp.run_auto_poll())
    legend = insp.wire_html.value.split("</div>")[0]
    labels = re.findall(r">([a-z-]+)</span>", legend)
    # Sent before received, each in the order the bytes came (alphabetical would put
    # chunk-size first).
    assert labels.index("request-line") < labels.index("status-line") \
        < labels.index("chunk-size") < labels.index("last-chunk")
    assert labels == list(dict.fromkeys(labels))


def test_no_empty_headers_table_before_a_response(
        make_inspector: Callable[..., Inspector]) -> None:
    insp = make_inspector()
    assert "<table" not in insp.headers_html.value
    assert "no response yet" in insp.headers_html.value


# -- item 8: a URL pasted into the host field -------------------------------------------------
def test_url_in_the_host_field_is_split(demo: DemoServer,
                                        make_inspector: Callable[..., Inspector]) -> None:
    insp = make_inspector()
    insp.host_field.value = f"http://{demo.host}:{demo.port}/ChangeLog-5.php"
    assert insp.connect() is Error.OK
    assert (insp.host_field.value, insp.port_field.value, insp.path_field.value) == (
        demo.host, demo.port, "/ChangeLog-5.php")
    while insp.client.get_status() is Status.CONNECTING:
        insp.poll()
    assert insp.client.get_status() is Status.CONNECTED
    insp.host_field.value = f"[::1]:{demo.port}"  # host:port, no scheme, IPv6
    insp.connect()
    assert (insp.host_field.value, insp.port_field.value) == ("[::1]", demo.port)
    insp.host_field.value = "https://example.invalid"  # a scheme alone stays (TLS on)
    insp.port_field.value = 8443
    insp.connect()
    assert (insp.host_field.value, insp.port_field.value) == ("https://example.invalid", 8443)


# -- item 9: Reset starts a clean view --------------------------------------------------------
def test_reset_restarts_the_clock_and_the_path(
        demo: DemoServer, make_inspector: Callable[..., Inspector]) -> None:
    insp = make_inspector(url=f"{demo.url}/bytes/10")
    connected(insp)
    insp.request()
    asyncio.run(insp.run_auto_poll())
    assert re.search(r'class="hx-node hx-visited" data-status="BODY"', insp.diagram_html.value)
    insp.reset_button.click()
    insp.connect()
    # The first step after Reset is at 0: the clock starts again.
    first = re.findall(r"<tr[^>]*>(<td[^>]*>.*?)</tr>", insp.timeline_html.value)[-1]
    cells = re.findall(r"<td[^>]*>(.*?)</td>", first)
    assert cells[:2] == ["0", "connect_to_host"] and cells[2].startswith("0.0 ms (took ")
    # The diagram shows this connection's path only (the earlier one went through BODY).
    while insp.client.get_status() is Status.CONNECTING:
        insp.poll()
    assert not re.search(r'hx-visited" data-status="BODY"', insp.diagram_html.value)
    assert re.search(r'hx-visited" data-status="CONNECTING"', insp.diagram_html.value)


# -- static pages -----------------------------------------------------------------------------
def test_display_data_holds_a_static_copy(demo: DemoServer,
                                          make_inspector: Callable[..., Inspector]) -> None:
    insp = make_inspector(url=f"{demo.url}/ChangeLog-5.php")
    connected(insp)
    insp.request()
    asyncio.run(insp.run_auto_poll())
    bundle = insp._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    page = bundle["text/html"]
    assert 'class="hx-static"' in page and "STATUS_CONNECTED (5)" in page
    assert "Transfer-Encoding" in page  # headers
    assert "ChangeLog for the 5.x series" in page  # body preview
    assert "GET /ChangeLog-5.php HTTP/1.1" + CR_HTML + LF_HTML in page  # wire bytes
    assert "<script" not in page and " ms<" not in page  # no scripts, no clock times
    assert isinstance(insp, widgets.Widget)


# -- item 12: small things a learner trips over ------------------------------------------------
def test_demo_tables_align_prose_left() -> None:
    from httpexplore.demo import MALFORMED

    page = MALFORMED._repr_html_()
    cells = re.findall(r"<t[dh](?: [^>]*)?>", page)
    assert cells and all('style="text-align:left"' in c for c in cells)


def test_cli_get_keeps_ipv6_brackets(capsys) -> None:  # type: ignore[no-untyped-def]
    from httpexplore import cli

    with DemoServer(host="::1") as srv:
        assert cli.main(["get", f"http://[::1]:{srv.port}/bytes/3"]) == 0
    out = capsys.readouterr().out
    assert f"connect_to_host('http://[::1]', {srv.port})" in out


def test_tutorial_explains_the_backslash_n(capsys) -> None:  # type: ignore[no-untyped-def]
    from httpexplore import tutorial

    assert tutorial.main(["--delay", "0"]) == 0
    lines = capsys.readouterr().out.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("**headers:\\n"))
    assert "prints a backslash and an n" in lines[at + 1]


# -- item 10: the tutorial's promise that a hand sees the body grow --------------------------
def test_tutorial_inspector_is_paced_for_hand_clicking(
        demo: DemoServer, make_inspector: Callable[..., Inspector]) -> None:
    """01-tutorial's last inspector asks for the page one chunk per second: a Read a moment
    after the head arrived gets part of the page, not all of it."""
    import json
    import time
    from pathlib import Path

    notebook = Path(__file__).resolve().parents[2] / "notebooks" / "01-tutorial.ipynb"
    cells = ["".join(c["source"]) for c in json.loads(notebook.read_text())["cells"]]
    (path,) = [m.group(1) for c in cells for m in
               [re.search(r'insp\.path_field\.value = "([^"]+)"', c)] if m]
    insp = make_inspector(url=demo.url + path)
    connected(insp)
    insp.request()
    while insp.client.get_status() is Status.REQUESTING:
        insp.poll()
        time.sleep(0.01)
    time.sleep(0.3)  # about one click later
    insp.poll()
    insp.read_chunk()
    assert insp.client.get_status() is Status.BODY  # more to come
    first = int(insp.body_count.value.split()[0])
    page = demo.url + "/ChangeLog-5.php"
    import urllib.request
    with urllib.request.build_opener(urllib.request.ProxyHandler({})).open(page) as answer:
        whole = len(answer.read())
    assert 0 < first < whole
