"""``Inspector``: an ipywidgets UI that drives an :class:`~httpexplore.HTTPClient` one step at a
time and shows what every step did.

Theory of operation
-------------------
The inspector only *calls the client* (its buttons) and *reads the recorder* (its views).  It
subscribes to ``client.on_step`` (the cheap form of ``on_poll``) after the client's
:class:`~httpexplore.trace.Trace`, so when a step is announced the trace already holds it,
whoever made the step: a button, auto-poll, or ``client.poll()`` typed in another cell.  The
subscriber does almost nothing (it keeps the last KiB of the body and asks the
:class:`~.autopoll.Throttle` for a refresh); a refresh asks the trace for ``state_at(k)`` and
turns it into strings with :mod:`.views` and :mod:`.diagram`.

Because records are immutable and the trace can rebuild the state after any step, the history
slider is just "which ``k`` to render".  Its stops are the records where something happened,
with each run of calls where nothing happened folded into one stop (:mod:`.history`), so an
auto-polled download is a few dozen steps, not thousands.  While the slider sits at its end it
follows new steps; moved back, it stays where the learner put it, a banner says the views show
the past, and any action (a button, auto-poll) brings them back to live.

The inspector keeps no copy of a body: the views ask the trace for the first
:data:`~.views.HEAD_BYTES`, and the inspector itself keeps only the last
:data:`~.views.TAIL_BYTES` of the current response.

The DOM contract (the ``hx-*`` CSS classes the browser tests rely on) is in
``docs/inspector-dom.md``.
"""

from __future__ import annotations

import asyncio
import html
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import ipywidgets as widgets

from .._render import escape_html, printable
from ..client import HTTPClient
from ..errors import Error
from ..records import CycleInfo, EventInfo
from ..status import Method, Status
from ..tls import TLSOptions
from ..trace import Trace, TraceState
from . import address, history, static, views
from .autopoll import Throttle
from .autotask import AutoPollMixin
from .diagram import state_diagram
from .history import Stops

__all__ = ["DEFAULT_HEADERS", "Inspector"]

_T = TypeVar("_T")

#: The tutorial's request headers.
DEFAULT_HEADERS = ("User-Agent: Pirulo/1.0 (Godot)", "Accept: */*")

_METHODS = [(m.name, m) for m in Method if m is not Method.MAX]
_TOOLTIPS = {
    "connect": "connect_to_host(host, port): start connecting (closes any connection first)",
    "request": "request(method, path, headers, body): queue the request; poll() sends it",
    "poll": "poll(): exactly one step of work",
    "poll10": "poll() ten times",
    "read": "read_response_body_chunk(): take the body bytes that have arrived",
    "auto": "poll (and read the body) on the event loop until the response is complete",
    "reset": "stop auto-poll, close() the client and clear the history",
}


def _section(title: str, *children: widgets.Widget, grow: bool = False) -> widgets.VBox:
    """A titled column; ``grow`` shares the width of an ``HBox`` row equally."""
    head = widgets.HTML(f"<b>{html.escape(title)}</b>")
    layout = widgets.Layout(flex="1 1 600px", min_width="0") if grow else widgets.Layout()
    return widgets.VBox([head, *children], layout=layout)


class Inspector(AutoPollMixin, widgets.VBox):  # type: ignore[misc]
    """Step through an HTTP exchange with buttons and watch every layer of it.

    Parameters
    ----------
    client:
        The client to drive and watch; a new :class:`~httpexplore.HTTPClient` when None.  The
        views read ``client.trace``; a client without a recorder is given one there.
    url:
        ``http(s)://host[:port]/path`` to prefill the fields (else they come from the client).
    headers:
        Request header lines; default :data:`DEFAULT_HEADERS` (the tutorial's).
    tls_options:
        Passed to ``connect_to_host`` by the Connect button (e.g. the demo server's CA).
    interval:
        Seconds between auto-poll steps (0: as fast as the loop allows).
    refresh_interval:
        Minimum seconds between two view refreshes (0.05: at most 20 per second).

    Drive it with the buttons, from code with :meth:`connect`, :meth:`request`, :meth:`poll`,
    :meth:`read_chunk`, :meth:`reset`, :meth:`show`, or through the client itself; the views
    follow either way.  :meth:`snapshot` gives deterministic text for notebooks checked by nbval.
    See the module docstring for the DOM classes.
    """

    def __init__(self, client: HTTPClient | None = None, *, url: str | None = None,
                 headers: Sequence[str] | None = None, tls_options: TLSOptions | None = None,
                 interval: float = 0.0, refresh_interval: float = 0.05) -> None:
        client = client if client is not None else HTTPClient()
        if not isinstance(client.trace, Trace):
            # No recorder yet: attach one, as the client's own (others may read it too).
            client.trace = Trace(client)
        trace: Trace = client.trace
        controls = self._build_controls(client, trace, url, headers, interval)
        view = self._build_views()
        super().__init__(children=[*controls, *view])
        self.add_class("hx-inspector")
        #: The client driven by the buttons.
        self.client = client
        #: The recorder the views read.
        self.trace = trace
        self._tls = tls_options
        self._base = 0              # trace position shown as step 0 (moves on Reset)
        self._stops = Stops(0)      # the record positions the history slider stops at
        self._follow = True         # the history slider tracks the newest step
        self._regen_max = -1        # the slider's max when its browser view was last rebuilt
        self._quiet = False         # True while the inspector itself moves the slider/toggle
        self._tail = b""            # last TAIL_BYTES of the current body (the trace keeps the head)
        self._tail_key: tuple[int, int] | None = None
        self._polls = sum(row.repeat for row in trace.timeline if row.op == "poll")  # for __repr__
        self._moved = 0             # bytes moved by steps (auto-poll's progress test)
        self._task: asyncio.Task[int] | None = None
        self._auto_running = False
        self._auto_stop = False
        self._diagram_key: tuple[object, ...] | None = None
        self._throttle = Throttle(self._render, refresh_interval)
        self._wire_events()
        client.on_step(self._on_step, self._on_quiet)
        self.refresh()

    # ------------------------------------------------------------------ construction -----
    def _build_controls(self, client: HTTPClient, trace: Trace, url: str | None,
                        headers: Sequence[str] | None, interval: float) -> list[widgets.Widget]:
        host, port, path, method = address.prefill(client, trace, url)
        self.host_field = widgets.Text(host, description="host", placeholder="example.com",
                                       layout=widgets.Layout(width="240px"))
        self.port_field = widgets.BoundedIntText(port, min=-1, max=65535, description="port",
                                                 layout=widgets.Layout(width="150px"))
        self.path_field = widgets.Text(path, description="path",
                                       layout=widgets.Layout(width="440px"))
        self.method_field = widgets.Dropdown(options=_METHODS, value=method,
                                             description="method",
                                             layout=widgets.Layout(width="170px"))
        self.headers_field = widgets.Textarea(
            "\n".join(DEFAULT_HEADERS if headers is None else headers),
            description="headers", layout=widgets.Layout(width="98%", height="5em"))
        self.request_body_field = widgets.Textarea(
            "", description="body", layout=widgets.Layout(width="98%", height="3em"))
        self.connect_button = widgets.Button(description="Connect", icon="plug")
        self.request_button = widgets.Button(description="Request", icon="paper-plane")
        self.poll_button = widgets.Button(description="Poll", button_style="primary")
        self.poll10_button = widgets.Button(description="Poll ×10")
        self.read_button = widgets.Button(description="Read chunk")
        self.auto_button = widgets.ToggleButton(description="Auto-poll", icon="play")
        self.interval_slider = widgets.FloatSlider(
            interval, min=0.0, max=1.0, step=0.01, description="interval (s)",
            readout_format=".2f", layout=widgets.Layout(width="300px"))
        self.reset_button = widgets.Button(description="Reset", button_style="warning")
        for name, w in (("host", self.host_field), ("port", self.port_field),
                        ("path", self.path_field), ("method", self.method_field),
                        ("connect", self.connect_button), ("request", self.request_button),
                        ("poll", self.poll_button), ("poll10", self.poll10_button),
                        ("read", self.read_button), ("auto", self.auto_button),
                        ("interval", self.interval_slider), ("reset", self.reset_button),
                        ("request-headers", self.headers_field),
                        ("request-body", self.request_body_field)):
            w.add_class(f"hx-{name}")
        editor = widgets.Accordion(
            [widgets.VBox([self.headers_field, self.request_body_field])],
            titles=("Request headers and body",))
        return [
            widgets.HBox([self.host_field, self.port_field, self.path_field, self.method_field],
                         layout=widgets.Layout(flex_flow="row wrap")),
            widgets.HBox([self.connect_button, self.request_button, self.poll_button,
                          self.poll10_button, self.read_button, self.auto_button,
                          self.interval_slider, self.reset_button],
                         layout=widgets.Layout(flex_flow="row wrap")),
            editor,
        ]

    def _build_views(self) -> list[widgets.Widget]:
        self.status_html = widgets.HTML()
        self.error_html = widgets.HTML()
        self.history_slider = widgets.IntSlider(0, min=0, max=0, description="step",
                                                continuous_update=True, disabled=True,
                                                layout=widgets.Layout(flex="1 1 300px",
                                                                      max_width="720px"))
        self.history_label = widgets.Label(layout=widgets.Layout(width="auto"))
        self.headers_html = widgets.HTML()
        # width auto: a Label's default width cuts "3000 bytes" to "3000 by".
        self.body_count = widgets.Label("0 bytes", layout=widgets.Layout(width="auto"))
        self.body_info = widgets.Label(layout=widgets.Layout(margin="0 0 0 16px", width="auto"),
                                       style={"text_color": "#616161"})
        self.body_text = widgets.Textarea(disabled=False, layout=widgets.Layout(
            width="98%", height="18em"))
        self.body_hex = widgets.HTML(layout=widgets.Layout(max_height="20em", overflow="auto"))
        self.body_chunks = widgets.HTML(layout=widgets.Layout(max_height="20em",
                                                              overflow="auto"))
        self.wire_html = widgets.HTML(layout=widgets.Layout(max_height="28em", overflow="auto"))
        self.diagram_html = widgets.HTML(layout=widgets.Layout(overflow="auto hidden"))
        self.timeline_html = widgets.HTML()
        self.waterfall_html = widgets.HTML()
        for name, w in (("status", self.status_html), ("error", self.error_html),
                        ("history", self.history_slider), ("headers", self.headers_html),
                        ("body-count", self.body_count), ("body-info", self.body_info),
                        ("body", self.body_text), ("body-hex", self.body_hex),
                        ("body-chunks", self.body_chunks), ("wire", self.wire_html),
                        ("diagram", self.diagram_html), ("timeline", self.timeline_html),
                        ("waterfall", self.waterfall_html)):
            w.add_class(f"hx-{name}")
        body_tabs = widgets.Tab([self.body_text, self.body_hex, self.body_chunks],
                                titles=("text", "hex", "chunks"))
        return [
            self.status_html, self.error_html,
            widgets.HBox([self.history_slider, self.history_label],
                         layout=widgets.Layout(flex_flow="row wrap")),
            # Side by side when there is room for a 16-byte hex line in each half, one under
            # the other on a narrow screen (the row wraps).
            widgets.HBox([_section("Response headers", self.headers_html, grow=True),
                          _section("Body", widgets.HBox([self.body_count, self.body_info]),
                                   body_tabs, grow=True)],
                         layout=widgets.Layout(flex_flow="row wrap")),
            _section("On the wire (this request cycle)", self.wire_html),
            _section("Status machine (drawn from status.TRANSITIONS)", self.diagram_html),
            _section("Steps", self.timeline_html),
            _section("Timings", self.waterfall_html),
        ]

    def _wire_events(self) -> None:
        self.connect_button.on_click(lambda _b: self.connect())
        self.request_button.on_click(lambda _b: self.request())
        self.poll_button.on_click(lambda _b: self.poll())
        self.poll10_button.on_click(lambda _b: self.poll(10))
        self.read_button.on_click(lambda _b: self.read_chunk())
        self.reset_button.on_click(lambda _b: self.reset())
        self.auto_button.observe(self._on_auto_toggle, names="value")
        self.history_slider.observe(self._on_history, names="value")

    # ------------------------------------------------------------------ actions ----------
    def connect(self) -> Error:
        """``connect_to_host(host, port)`` with the fields' values (the Connect button).

        A whole URL pasted into the host field (``http://127.0.0.1:8080/page``) is first split
        into the host, port and path fields, as ``Inspector(url=...)`` does."""
        host = self.host_field.value.strip()
        if address.looks_like_url(host):
            self._fill_from_url(host)
            host = self.host_field.value
        return self._act(lambda: self.client.connect_to_host(host, self.port_field.value,
                                                             self._tls))

    def _fill_from_url(self, url: str) -> None:
        host, port, path, _method = address.prefill(self.client, self.trace, url)
        self.host_field.value = host
        self.port_field.value = port  # -1: the scheme's default port
        if "/" in url.split("://", 1)[-1]:
            self.path_field.value = path

    def request(self) -> Error:
        """``request(method, path, headers, body)`` from the fields (the Request button)."""
        headers = [line for line in self.headers_field.value.splitlines() if line.strip()]
        return self._act(lambda: self.client.request(
            self.method_field.value, self.path_field.value.strip(), headers,
            self.request_body_field.value))

    def poll(self, times: int = 1) -> Error:
        """Call ``poll()`` ``times`` times (the Poll and Poll ×10 buttons); the last code."""
        def run() -> Error:
            result = Error.OK
            for _ in range(times):
                result = self.client.poll()
            return result
        return self._act(run)

    def read_chunk(self) -> int:
        """``read_response_body_chunk()`` (the Read chunk button); the number of bytes read.

        The bytes themselves go to the recorder, not to a copy kept here."""
        return self._act(lambda: len(self.client.read_response_body_chunk()))

    def reset(self) -> None:
        """Stop auto-poll, ``close()`` the client and start a fresh history (the Reset
        button): step numbers, the steps table's clock and the diagram's path start again.
        The client's trace keeps its records; the inspector just starts after them."""
        self.stop_auto_poll()
        self.client.close()
        self._base = len(self.trace)
        self._stops.reset(self._base)
        self._follow = True
        self._tail, self._tail_key = b"", None
        self._polls = 0
        self.refresh()

    def show(self, k: int) -> None:
        """Show every view as it was right after step ``k`` of the history (negative: from
        the end; ``show(-1)`` is live)."""
        n = self.steps
        if not n:
            return
        self.history_slider.value = range(n)[k]

    def _act(self, call: Callable[[], _T]) -> _T:
        # Any action is about the live client: the views return to live (history mode ends).
        self._follow = True
        try:
            return call()
        finally:
            self._throttle.dirty = True
            self._throttle.flush()
            self._rebuild_slider_view()

    def _rebuild_slider_view(self) -> None:
        """Have the browser rebuild the history slider when its range has grown.

        The browser's slider (noUiSlider, in ipywidgets 8) keeps the range it was *built*
        with for its End key, so End would jump to step 0 of a slider shown before any step.
        ipywidgets rebuilds it when ``orientation`` changes: two changes, each sent on its own,
        rebuild it with the current range.  Done after a button's action, not while the
        slider is dragged or auto-poll runs."""
        slider = self.history_slider
        if slider.max == self._regen_max:
            return
        self._regen_max = slider.max
        with self._quietly():
            slider.orientation = "vertical"
            slider.orientation = "horizontal"

    # ------------------------------------------------------------------ recording --------
    def _on_step(self, index: int, op: str, end: float, started: float, before: Status,
                 after: Status, result: Error, cycle: CycleInfo, sent: bytes, received: bytes,
                 body: bytes, events: tuple[EventInfo, ...], message: str, repeat: int) -> None:
        # Hot path: runs after every step of the client (twice per 64 KiB of a download), so it
        # takes the record's fields as arguments (HTTPClient.on_step: no object is built), does
        # O(1) work, touches no widget and leaves the refresh to the throttle.
        if body:
            key = (cycle.connection, cycle.cycle)
            if key != self._tail_key:
                self._tail, self._tail_key = b"", key
            keep = views.TAIL_BYTES
            self._tail = body[-keep:] if len(body) >= keep else (self._tail + body)[-keep:]
        if op == "poll":
            self._polls += repeat
        self._moved += len(sent) + len(received) + len(body)
        self._throttle.request()

    def _on_quiet(self, index: int, op: str, end: float, started: float, status: Status,
                  cycle: CycleInfo) -> None:
        # A step where nothing happened (HTTPClient.on_step's on_quiet): an idle poll.
        if op == "poll":
            self._polls += 1
        self._throttle.request()

    @property
    def steps(self) -> int:
        """Steps in the history since the inspector was created (or Reset): the stops of the
        history slider.  A run of calls where nothing happened is one step (see
        :mod:`.history`); :attr:`calls` counts every call."""
        return len(self._update_stops())

    @property
    def calls(self) -> int:
        """Client calls recorded since the inspector was created (or Reset)."""
        timeline = self.trace.timeline
        return sum(timeline[p].repeat for p in range(min(self._base, len(timeline)),
                                                       len(timeline)))

    def _update_stops(self) -> Stops:
        if len(self.trace) < self._base:  # someone cleared the trace
            self._base = 0
            self._stops.reset(0)
        self._stops.update(self.trace.timeline)
        return self._stops

    @property
    def refresh_count(self) -> int:
        """View refreshes so far (throttled to at most one per ``refresh_interval``)."""
        return self._throttle.count

    # ------------------------------------------------------------------ rendering --------
    def refresh(self) -> None:
        """Redraw every view now."""
        self._throttle.dirty = True
        self._throttle.flush()

    def _on_history(self, change: dict[str, Any]) -> None:
        if self._quiet:
            return
        self._follow = change["new"] >= self.history_slider.max
        self.refresh()

    def _position(self) -> int | None:
        stops = self._update_stops()
        n = len(stops)
        slider = self.history_slider
        top = max(n - 1, 0)
        with self._quietly():
            if top > slider.max:
                # A larger max goes alone: sent together with a value above the old max, the
                # browser's slider clamps the value to the old max and sends that back.
                slider.max = top
            with slider.hold_sync():  # one message for the rest
                slider.max = top
                if self._follow or slider.value > top:
                    slider.value = top
                slider.disabled = n <= 1
        return stops.positions[slider.value] if n else None

    def _state(self) -> tuple[int | None, TraceState | None]:
        pos = self._position()
        if pos is None:
            return None, None
        return pos, self.trace.state_at(pos, preview_bytes=views.HEAD_BYTES)

    def _render(self) -> None:
        pos, state = self._state()
        status = state.status if state is not None else self.client.get_status()
        live = pos is None or pos == len(self.trace) - 1
        n = len(self._stops)
        if state is not None and pos is not None:
            k = self.history_slider.value
            where = f"step {k} of {n - 1}" + ("" if live else " (history)")
            response = f"{state.response_code} {state.reason}".rstrip() \
                if state.has_response else ""
            self.status_html.value = views.status_badge(
                status, op=state.record.op, result=state.result, response=response, where=where,
                live=None if live else self.client.get_status())
            self.history_label.value = f"{state.record.op}()" + ("" if live else
                                                                 " — End: back to live")
            message = state.error_message
        else:
            self.status_html.value = views.status_badge(status, where="no steps yet")
            self.history_label.value = ""
            message = ""
        self.error_html.value = (
            f'<pre class="hx-error-text" style="color:#c62828;white-space:pre-wrap;margin:0">'
            f"{escape_html(message)}</pre>" if message else "")
        self.headers_html.value = views.headers_table(state)
        self._render_body(state, pos, live)
        self._render_wire_and_steps(state, pos)
        self._update_buttons()

    def _render_body(self, state: TraceState | None, pos: int | None, live: bool) -> None:
        if state is None or pos is None:
            preview = views.body_preview(0, b"", b"")
            chunked, info = False, ""
        else:
            tail = self._tail_at(state, pos, live)
            preview = views.body_preview(state.body_size, state.body_preview, tail,
                                         views.chunk_starts(state.received))
            chunked = state.chunked
            info = self._body_info(state, live)
        self.body_count.value = f"{preview.size} bytes"
        self.body_info.value = info
        self.body_text.value = views.body_text(preview)
        self.body_hex.value = views.body_hex(preview)
        self.body_chunks.value = views.body_chunks(preview, chunked=chunked)

    def _body_info(self, state: TraceState, live: bool) -> str:
        parts = []
        if state.chunked:
            parts.append("chunked")
        elif state.body_length >= 0:
            parts.append(f"Content-Length {state.body_length}")
        if state.body_complete:
            parts.append("complete")
        if live and self.client.get_status() is Status.BODY:
            parts.append(f"{self.client.get_response_body_buffered()} bytes received, "
                         "not read yet")
        return " · ".join(parts)

    def _tail_at(self, state: TraceState, pos: int, live: bool) -> bytes | None:
        """The last TAIL_BYTES of the body at step ``pos``, or None if they were not kept."""
        if state.body_size <= views.HEAD_BYTES:
            return b""
        if live and self._tail_key == (state.connection, state.cycle):
            return self._tail
        return history.body_tail(self.trace, pos, views.TAIL_BYTES)

    def _render_wire_and_steps(self, state: TraceState | None, pos: int | None) -> None:
        if state is None or pos is None:
            self.wire_html.value = views.wire_html((), (), -1)
            self._set_diagram((), self.client.get_status())
            self.timeline_html.value = views.timeline_html((), self._stops, -1)
            self.waterfall_html.value = views.waterfall_html(None, None, 0.0)
            return
        self.wire_html.value = views.wire_html(state.sent, state.received, pos)
        self._set_diagram(self._path_since_base(state, pos), state.status)
        rows = state.timeline
        origin = rows[self._base].start_ms if len(rows) > self._base else 0.0
        self.timeline_html.value = views.timeline_html(rows, self._stops,
                                                       self.history_slider.value, origin)
        conn = next((c for c in self.trace.connections if c.number == state.connection), None)
        self.waterfall_html.value = views.waterfall_html(self.trace.exchange_at(pos), conn,
                                                         state.record.time)

    def _path_since_base(self, state: TraceState, pos: int) -> list[Status]:
        """The statuses the connection went through up to ``pos``, from the status it was in
        at the start of the history (before a Reset counts for nothing)."""
        return history.path_since(self.trace, state, self._base, pos)

    def _set_diagram(self, path: Sequence[Status], current: Status) -> None:
        key = (tuple(path), current)
        if key != self._diagram_key:
            self._diagram_key = key
            self.diagram_html.value = state_diagram(path, current)

    def _update_buttons(self) -> None:
        reasons = views.disabled_reasons(self.client.get_status(),
                                         auto_running=self.auto_polling)
        for name, button in (("connect", self.connect_button),
                             ("request", self.request_button), ("poll", self.poll_button),
                             ("poll10", self.poll10_button), ("read", self.read_button),
                             ("auto", self.auto_button), ("reset", self.reset_button)):
            why = reasons[name]
            with button.hold_sync():
                button.disabled = bool(why)
                button.tooltip = printable(why) if why else _TOOLTIPS[name]

    # ------------------------------------------------------------------ text output ------
    def __repr__(self) -> str:
        cycle = self.trace.records[-1].cycle if self.steps else None
        request = f"{cycle.method} {views.display_target(cycle.target)} " \
            if cycle is not None and cycle.method else ""
        status = views.status_text(self.client.get_status())
        return f"<Inspector {request}{status}, {self._polls} poll{'s' * (self._polls != 1)}>"

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        """The widget view, plus its text form and a static HTML rendering of the views as
        they are now (:meth:`static_html`), for pages shown without a kernel (GitHub,
        nbviewer, a docs site); JupyterLab draws the live widget instead."""
        text = repr(self)
        try:
            bundle = super()._repr_mimebundle_(**kwargs)
        except Exception:  # display must never raise (a closed widget, no comm...)
            bundle = None
        if not bundle:
            return {"text/plain": text}
        bundle["text/plain"] = text
        try:
            bundle["text/html"] = self.static_html()
        except Exception:  # the static copy is a bonus: never let it break the display
            pass
        return dict(bundle)

    def static_html(self) -> str:
        """The inspector's views as they are now, as one static HTML fragment: status, error,
        response headers, the start of the body and the bytes on the wire, with a note that
        the live panel needs a kernel.  No clock times (the steps table and timings are left
        out), so a stored copy changes only when what it shows changes."""
        self.refresh()
        return static.render(self.status_html.value, self.error_html.value,
                             self.headers_html.value, self.body_count.value,
                             self.body_text.value, self.wire_html.value)

    def snapshot(self) -> str:
        """Plain text of what the views show (at the step the history slider is at): status,
        last call, request, response head, body size and start, step and poll counts, error.
        No ports, ids or clock times, so nbval can compare it."""
        pos, state = self._state()
        if state is None or pos is None:
            return f"status: {views.status_text(self.client.get_status())}\nsteps: 0"
        polls = sum(r.repeat for r in self.trace.timeline[self._base:pos + 1] if r.op == "poll")
        return views.snapshot_text(state, step=self.history_slider.value, last=self.steps - 1,
                                   polls=polls, target=self.trace.records[pos].cycle.target,
                                   message=state.error_message)

    # ------------------------------------------------------------------ lifecycle --------
    def close(self) -> None:
        """Stop auto-poll, unsubscribe from the client and close every widget.

        Safe to call twice (ipywidgets also calls it when the object is collected)."""
        client = getattr(self, "client", None)
        if client is not None:
            self.stop_auto_poll()
            self._throttle.cancel()
            client.off_step(self._on_step)
            for child in self._descendants():
                child.close()
        super().close()

    def _descendants(self) -> list[widgets.Widget]:
        out: list[widgets.Widget] = []
        todo = list(self.children)
        while todo:
            w = todo.pop()
            out.append(w)
            todo.extend(getattr(w, "children", ()))
        return out
