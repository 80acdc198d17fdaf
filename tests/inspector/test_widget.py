"""The inspector driven by ``Button.click()`` against the demo server on loopback."""

from __future__ import annotations

import asyncio
import http.client
import re
import time
from collections.abc import Callable

import ipywidgets as widgets
import pytest
from IPython.core.formatters import DisplayFormatter

from httpexplore import HTTPClient, Status
from httpexplore._render import CR_HTML as CR
from httpexplore._render import LF_HTML as LF
from httpexplore.demo import DemoServer
from httpexplore.inspector import Inspector
from httpexplore.inspector.views import disabled_reasons
from httpexplore.trace import Trace

WAITING = {Status.RESOLVING, Status.CONNECTING}


def fetch(srv: DemoServer, path: str) -> bytes:
    """The reference body, fetched with the standard library."""
    conn = http.client.HTTPConnection(srv.host, srv.port, timeout=10)
    try:
        conn.request("GET", path)
        return conn.getresponse().read()
    finally:
        conn.close()


def status_of(insp: Inspector) -> str:
    found = re.search(r"STATUS_[A-Z_]+ \(\d\)", insp.status_html.value)
    assert found, insp.status_html.value
    return found.group(0)


def header_rows(insp: Inspector) -> int:
    # What `.hx-headers table.hx-table tr` selects in the browser (trailers have a table of
    # their own).  No response head: a sentence and no table at all (an empty table squeezed
    # its caption into one word per line).
    if '<table class="hx-table">' not in insp.headers_html.value:
        assert "no response yet" in insp.headers_html.value \
            or "waiting for the response head" in insp.headers_html.value
        return 0
    table = insp.headers_html.value.split('<table class="hx-table">')[1].split("</table>")[0]
    assert table.count("<th>") == 3
    return table.count("<tr>") - 1  # minus the row of <th>


def body_size(insp: Inspector) -> int:
    count, unit = insp.body_count.value.split()
    assert unit == "bytes"
    return int(count)


def test_step_by_step(demo: DemoServer, make_inspector: Callable[..., Inspector]) -> None:
    path = "/chunked?chunks=8&size=1000&delay=0"
    expected = fetch(demo, path)
    insp = make_inspector(url=f"http://{demo.host}:{demo.port}{path}")
    client = insp.client
    # Every past view must be rebuilt exactly, so no step may be summarised: a loaded machine
    # can make this busy loop pass the default record cap (docs/limits.md) before the body ends.
    insp.trace.max_records = 10**7
    assert (insp.host_field.value, insp.port_field.value, insp.path_field.value,
            insp.method_field.value.name) == (demo.host, demo.port, path, "GET")
    assert status_of(insp) == "STATUS_DISCONNECTED (0)"
    assert insp.poll_button.disabled and "Connect first" in insp.poll_button.tooltip
    assert insp.request_button.disabled and "STATUS_CONNECTED" in insp.request_button.tooltip
    live: list[tuple[str, str, str, str]] = []  # the views after each step, for the history

    def seen() -> None:
        # A quiet poll after a quiet poll joins its history step (one stop per quiet run):
        # the view after it replaces the one stored for that step.
        del live[insp.steps - 1:]
        live.extend([("", "", "", "")] * (insp.steps - len(live) - 1))
        live.append((status_of(insp), insp.headers_html.value, insp.body_count.value,
                     insp.body_text.value))
        assert insp.history_slider.max == insp.steps - 1 == insp.history_slider.value

    def step(button: widgets.Button) -> None:
        button.click()
        seen()

    step(insp.connect_button)
    assert status_of(insp) == "STATUS_CONNECTING (3)"  # an IP literal: no RESOLVING
    while client.get_status() in WAITING:
        step(insp.poll_button)
    assert status_of(insp) == "STATUS_CONNECTED (5)"
    assert not insp.request_button.disabled
    assert insp.read_button.disabled and "STATUS_BODY" in insp.read_button.tooltip

    step(insp.request_button)
    assert status_of(insp) == "STATUS_REQUESTING (6)"
    assert header_rows(insp) == 0
    assert "nothing yet" in insp.wire_html.value  # request() only queues the bytes...
    steps = insp.steps
    step(insp.poll_button)  # exactly one poll() per click
    assert insp.steps == steps + 1 and insp.trace.records[-1].op == "poll"
    # Line ends as CR/LF badges, which every font draws (not U+240D/U+240A).
    assert "GET /chunked?chunks=8&amp;size=1000&amp;delay=0 HTTP/1.1" + CR + LF \
        in insp.wire_html.value
    assert "␍" not in insp.wire_html.value and "␊" not in insp.wire_html.value
    while client.get_status() is Status.REQUESTING:
        step(insp.poll_button)
    assert status_of(insp) == "STATUS_BODY (7)"
    names = [h.split(":")[0] for h in client.get_response_headers()]
    assert header_rows(insp) == len(names) >= 3
    assert [re.sub("<.*?>", "", cell) for cell in
            re.findall(r"<tr><td>\d+</td><td>(.*?)</td>", insp.headers_html.value)] == names
    assert body_size(insp) == 0 and not insp.read_button.disabled

    sizes = [0]
    while client.get_status() is Status.BODY:
        step(insp.read_button)
        sizes.append(body_size(insp))
        assert sizes[-1] >= sizes[-2]  # the body only grows
        if client.get_status() is Status.BODY and sizes[-1] == sizes[-2]:
            step(insp.poll_button)
    assert status_of(insp) == "STATUS_CONNECTED (5)"  # keep-alive: ready for the next request
    assert body_size(insp) == len(expected) == 8000
    text = insp.body_text.value
    assert text.startswith(expected[:4096].decode()) and text.endswith(expected[-1024:].decode())
    assert "bytes not shown" in text  # 8000 bytes: head + tail only
    assert "⟨chunk 1: 0x3e8 = 1000 bytes⟩" in insp.body_chunks.value
    assert "00000000  " in insp.body_hex.value
    assert "chunked" in insp.body_info.value and "complete" in insp.body_info.value
    assert "STATUS_CONNECTED (5)" in insp.status_html.value

    # The history slider shows every view as it was after step k.
    for k in range(insp.steps):
        if live[k][0]:
            insp.show(k)
            assert insp.history_slider.value == k
            shown = (status_of(insp), insp.headers_html.value, insp.body_count.value,
                     insp.body_text.value)
            assert shown == live[k], f"step {k}"
    insp.show(2)
    assert "(history)" in insp.status_html.value
    client.poll()  # a new step does not move a slider the learner moved back
    insp.refresh()
    assert insp.history_slider.value == 2 and insp.history_slider.max == insp.steps - 1
    insp.show(-1)  # back at the end: follows again
    client.poll()
    insp.refresh()
    assert insp.history_slider.value == insp.history_slider.max == insp.steps - 1


def test_views_follow_code_driven_client(demo: DemoServer) -> None:
    """``client.poll()`` typed in another cell updates the views; bursts are coalesced and the
    last state is drawn by a timer on the running loop."""

    async def main() -> tuple[int, str, str]:
        client = HTTPClient()
        insp = Inspector(client)
        try:
            refreshes = insp.refresh_count
            client.connect_to_host(demo.host, demo.port)
            while client.get_status() is Status.CONNECTING:
                client.poll()
            client.request(HTTPClient.METHOD_GET, "/bytes/3000", [])
            started = time.monotonic()
            steps = 0
            # A tight loop in a cell (far faster than 20 refreshes/s), until the response is in.
            while (steps < 400 or client.get_status() is not Status.CONNECTED) \
                    and time.monotonic() - started < 10:
                client.poll()
                client.read_response_body_chunk()
                steps += 2
            elapsed = time.monotonic() - started
            burst = insp.refresh_count - refreshes
            await asyncio.sleep(0.2)  # the cell ends: the loop runs the trailing refresh
            return burst, elapsed, status_of(insp), insp.body_count.value
        finally:
            insp.close()

    burst, elapsed, status, count = asyncio.run(main())
    # 400+ steps, yet at most one refresh per 50 ms of the burst (plus the first one): the
    # bound scales with how long this loaded machine took, so the check is about throttling.
    assert burst <= 2 + elapsed / 0.05
    assert burst < 40
    assert status == "STATUS_CONNECTED (5)" and count == "3000 bytes"


def test_refused_call_shows_client_message(make_inspector: Callable[..., Inspector]) -> None:
    insp = make_inspector(url="http://127.0.0.1:9/x")
    insp.path_field.value = "no-slash"
    assert insp.request() == 31  # ERR_INVALID_PARAMETER, with the client's explanation
    assert "must start with" in insp.error_html.value
    insp.host_field.value = "ab"
    insp.connect_button.click()
    assert "too short" in insp.error_html.value
    insp.host_field.value = "127.0.0.1"
    insp.port_field.value = 9
    insp.connect_button.click()  # a valid call clears the message
    assert insp.error_html.value == ""


def test_reset_and_repr(demo: DemoServer, make_inspector: Callable[..., Inspector]) -> None:
    path = "/chunked?chunks=3&size=16&delay=0"
    insp = make_inspector(url=f"http://{demo.host}:{demo.port}{path}")
    assert repr(insp) == "<Inspector STATUS_DISCONNECTED (0), 0 polls>"
    assert insp.snapshot() == "status: STATUS_DISCONNECTED (0)\nsteps: 0"
    insp.connect()
    while insp.client.get_status() is Status.CONNECTING:
        insp.poll()
    insp.request()
    asyncio.run(insp.run_auto_poll())
    polls = sum(r.repeat for r in insp.trace.records if r.op == "poll")
    # (idle polls reach the inspector and the trace by their short callbacks, and both count
    # them: the same total)
    assert insp.client._d.log.quiet is not None
    assert repr(insp) == f"<Inspector GET {path} STATUS_CONNECTED (5), {polls} polls>"
    bundle = insp._repr_mimebundle_()
    assert bundle["text/plain"] == repr(insp)
    assert "application/vnd.jupyter.widget-view+json" in bundle
    snap = insp.snapshot()
    assert str(demo.port) not in snap + repr(insp)
    lines = snap.splitlines()
    assert lines[0] == "status: STATUS_CONNECTED (5)"
    # The call that ends the body depends on timing: read_response_body_chunk() when the last
    # chunk came with the data, poll() when it came alone after the data was handed out.
    last = insp.trace.records[-1].op
    assert last in ("poll", "read_response_body_chunk")
    assert lines[1] == f"step: {insp.steps - 1} of {insp.steps - 1} ({last} -> OK), polls: {polls}"
    assert lines[2:5] == [f"request: GET {path}", "response: HTTP/1.1 200 OK", "headers (3):"]
    assert "body: 48 bytes read (chunked, complete)" in lines
    assert not re.search(r"\d+\.\d+ ?ms|\d\d:\d\d", snap)  # no clock times

    records = len(insp.trace)
    insp.reset_button.click()
    assert insp.client.get_status() is Status.DISCONNECTED
    assert insp.steps == 0 and insp.history_slider.max == 0 and insp.body_count.value == "0 bytes"
    assert len(insp.trace) == records + 1  # the trace keeps its records (plus the close)
    assert repr(insp) == "<Inspector STATUS_DISCONNECTED (0), 0 polls>"
    assert header_rows(insp) == 0
    insp.close()  # no front-end any more: displays as text
    data, _meta = DisplayFormatter().format(insp)
    assert data == {"text/plain": "<Inspector STATUS_DISCONNECTED (0), 0 polls>"}


def test_inspector_adopts_a_used_client(demo: DemoServer) -> None:
    """An inspector opened after the fact shows the client's recorded steps and fields."""
    client = HTTPClient()
    if client.trace is None:  # what importing httpexplore arranges once the recorder is wired
        client.trace = Trace(client)
    client.connect_to_host(demo.host, demo.port)
    while client.get_status() is Status.CONNECTING:
        client.poll()
    client.request(HTTPClient.METHOD_HEAD, "/bytes/10", [])
    while client.get_status() in (Status.REQUESTING, Status.BODY):  # Godot shows BODY for HEAD
        client.poll()
        client.read_response_body_chunk()
    insp = Inspector(client)
    try:
        # Thousands of records of polls and reads where nothing happened fold into a few
        # history steps; every call is still counted.
        assert insp.trace is client.trace and insp.calls == client.trace.steps
        assert insp.steps <= len(client.trace) and insp.steps < 20
        assert (insp.host_field.value, insp.port_field.value, insp.path_field.value,
                insp.method_field.value.name) == (demo.host, demo.port, "/bytes/10", "HEAD")
        assert status_of(insp) == "STATUS_CONNECTED (5)" and body_size(insp) == 0
        assert header_rows(insp) >= 1
        polls = sum(r.repeat for r in client.trace.records if r.op == "poll")
        assert repr(insp) == f"<Inspector HEAD /bytes/10 STATUS_CONNECTED (5), {polls} polls>"
        assert f"polls: {polls}" in insp.snapshot()
    finally:
        insp.close()


def test_inspector_without_client_records_its_own() -> None:
    insp = Inspector()
    try:
        assert isinstance(insp.client, HTTPClient) and insp.client.trace is insp.trace
        assert insp.host_field.value == "" and insp.port_field.value == -1
        assert insp.path_field.value == "/" and insp.headers_field.value == \
            "User-Agent: Pirulo/1.0 (Godot)\nAccept: */*"
    finally:
        insp.close()


@pytest.mark.parametrize("status", list(Status))
def test_buttons_follow_status(status: Status) -> None:
    why = disabled_reasons(status, auto_running=False)
    assert why["reset"] == "" and why["connect"] == ""
    assert (why["request"] == "") == (status is Status.CONNECTED)
    assert (why["read"] == "") == (status is Status.BODY)
    polls = status in {Status.RESOLVING, Status.CONNECTING, Status.CONNECTED,
                       Status.REQUESTING, Status.BODY}
    assert (why["poll"] == "") == polls == (why["poll10"] == "")
    assert (why["auto"] == "") == (polls and status is not Status.CONNECTED)
    busy = disabled_reasons(status, auto_running=True)
    assert busy["auto"] == "" and busy["reset"] == ""
    assert all("auto-poll is running" in busy[k] for k in ("connect", "request", "poll", "read"))
