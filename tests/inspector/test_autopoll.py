"""Auto-poll on an asyncio loop, and the throttling of what reaches the browser."""

from __future__ import annotations

import asyncio
import html
import itertools
import re
import socket
import time
import tracemalloc
from collections.abc import Callable

import ipywidgets as widgets
import pytest

from httpexplore import HTTPClient, Status
from httpexplore.demo import DemoServer
from httpexplore.inspector import Inspector, autopoll
from httpexplore.inspector.autopoll import Throttle, auto_poll, wait_readable
from httpexplore.transport import WOULD_BLOCK, ScriptedTransport


def ready(insp: Inspector, path: str) -> None:
    """Connect and queue a GET with the inspector's own actions."""
    insp.path_field.value = path
    insp.connect()
    while insp.client.get_status() is Status.CONNECTING:
        insp.poll()
    assert insp.request() == 0


def test_auto_poll_downloads_chunked_body_while_loop_stays_free(
        demo: DemoServer, make_inspector: Callable[..., Inspector]) -> None:
    insp = make_inspector(url=f"http://{demo.host}:{demo.port}/")
    ready(insp, "/chunked?chunks=40&size=1000&delay=0.005")
    assert not insp.auto_button.disabled

    async def main() -> tuple[int, float]:
        ticks = 0

        async def other_cell() -> None:  # another coroutine on the same loop
            nonlocal ticks
            while True:
                ticks += 1
                await asyncio.sleep(0.005)

        other = asyncio.create_task(other_cell())
        started = time.monotonic()
        insp.auto_button.value = True  # the toggle starts a task on the running loop
        task = insp.start_auto_poll()  # ...which this returns
        assert task is not None and insp.auto_polling
        assert insp.poll_button.disabled and "auto-poll is running" in insp.poll_button.tooltip
        assert await task > 40
        other.cancel()
        return ticks, time.monotonic() - started

    ticks, elapsed = asyncio.run(main())
    assert elapsed > 0.19  # 39 pauses of 5 ms on the server side
    assert ticks >= 10  # the loop ran other work during the download
    assert insp.client.get_status() is Status.CONNECTED and not insp.auto_polling
    assert insp.auto_button.value is False and not insp.poll_button.disabled
    assert insp.body_count.value == "40000 bytes"
    assert insp.body_chunks.value.count("⟨chunk ") >= 5  # boundaries marked in the preview
    assert "STATUS_CONNECTED (5)" in insp.status_html.value


def test_auto_poll_without_a_loop_runs_to_completion(
        demo: DemoServer, make_inspector: Callable[..., Inspector]) -> None:
    insp = make_inspector(url=f"http://{demo.host}:{demo.port}/")
    ready(insp, "/bytes/100000")
    insp.auto_button.value = True  # plain script or test: the synchronous fallback
    assert insp.client.get_status() is Status.CONNECTED
    assert insp.auto_button.value is False and insp.body_count.value == "100000 bytes"


def test_auto_poll_stops_when_toggled_off(demo: DemoServer,
                                          make_inspector: Callable[..., Inspector]) -> None:
    insp = make_inspector(url=f"http://{demo.host}:{demo.port}/")
    ready(insp, "/chunked?chunks=10&size=10&delay=0.3")

    async def main() -> None:
        task = insp.start_auto_poll()
        await asyncio.sleep(0.1)
        insp.auto_button.value = False
        await asyncio.sleep(0)
        assert task is not None and task.done()

    asyncio.run(main())
    assert not insp.auto_polling
    assert insp.client.get_status() in (Status.REQUESTING, Status.BODY)  # stopped midway
    steps = insp.steps
    time.sleep(0.02)
    assert insp.steps == steps


def test_auto_poll_stops_on_error(make_inspector: Callable[..., Inspector]) -> None:
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    insp = make_inspector(url=f"http://127.0.0.1:{port}/")
    insp.connect()
    asyncio.run(insp.run_auto_poll())
    assert insp.client.get_status() is Status.CANT_CONNECT
    assert "STATUS_CANT_CONNECT (4)" in insp.status_html.value
    assert insp.error_html.value and insp.auto_button.disabled and insp.poll_button.disabled


@pytest.mark.usefixtures("recording_comm")
def test_64_mib_download_is_throttled(demo: DemoServer,
                                      all_widgets: Callable[[widgets.Widget],
                                                            list[widgets.Widget]]) -> None:
    size = 64 * 1024 * 1024
    insp = Inspector(HTTPClient(), url=f"http://{demo.host}:{demo.port}/")
    try:
        ready(insp, f"/bytes/{size}")
        views = [w for w in all_widgets(insp) if hasattr(w, "value")]
        sent_before = {id(w): len(w.comm.updates()) for w in views}
        refreshes = insp.refresh_count

        async def main() -> float:
            started = time.monotonic()
            task = insp.start_auto_poll()
            assert task is not None
            await task
            return time.monotonic() - started

        tracemalloc.start()
        try:
            elapsed = asyncio.run(main())
            held, _peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        refreshes = insp.refresh_count - refreshes
        # Nothing keeps the body: what is still allocated is the recorder's capped byte log
        # (4 MiB per cycle), the bounded preview, rendered strings and caches.
        assert held < 12 * 1024 * 1024, held
        assert insp.client.get_status() is Status.CONNECTED
        assert insp.body_count.value == f"{size} bytes"
        assert refreshes <= 20 * elapsed + 2  # 50 ms apart at least, plus the final one
        for w in views:
            updates = w.comm.updates()[sent_before[id(w)]:]
            # No widget is updated between refreshes (the history slider sends its new max
            # on its own, then the value: two messages per refresh).
            limit = 2 * refreshes if w is insp.history_slider else refreshes
            assert len(updates) <= limit + 2, w
            # A huge body never floods the browser: every message stays small.
            assert all(len(str(u)) < 200_000 for u in updates), w
        assert len(insp.body_text.value) <= 4 * (4096 + 1024) + 100  # \\xNN at worst
        # The preview keeps the first 4 KiB and the last 1 KiB, at their true offsets.
        hex_lines = html.unescape(re.sub(r"<[^>]*>", "", insp.body_hex.value)).splitlines()
        assert hex_lines[0].startswith("00000000  ")
        assert hex_lines[-1].startswith(f"{size - 16:08x}  ")
        assert f"… {size - 5120} bytes not shown …" in hex_lines
    finally:
        insp.close()


def test_auto_poll_wakes_when_the_socket_becomes_readable(
        demo: DemoServer, make_inspector: Callable[..., Inspector],
        monkeypatch: pytest.MonkeyPatch) -> None:
    # Only readability can end a wait this long: each chunk comes 0.15 s after the previous.
    monkeypatch.setattr(autopoll, "IDLE_WAIT", 3.0)
    insp = make_inspector(url=f"http://{demo.host}:{demo.port}/")
    ready(insp, "/chunked?chunks=3&size=10&delay=0.15")
    started = time.monotonic()
    steps = asyncio.run(insp.run_auto_poll())
    assert time.monotonic() - started < 2.5
    assert insp.client.get_status() is Status.CONNECTED and insp.body_count.value == "30 bytes"
    assert steps < 40  # woken by the bytes, not polling in a loop


def test_auto_poll_with_a_scripted_transport_sleeps_between_idle_steps(
        make_inspector: Callable[..., Inspector]) -> None:
    head = b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\n"
    transport = ScriptedTransport([head + b"abc", WOULD_BLOCK, WOULD_BLOCK, b"def"])
    insp = make_inspector(HTTPClient(transport_factory=lambda: transport),
                          url="http://192.0.2.1/")
    insp.connect()
    while insp.client.get_status() is not Status.CONNECTED:
        insp.poll()
    assert insp.request() == 0
    started = time.monotonic()
    asyncio.run(insp.run_auto_poll())  # no socket to watch: short sleeps instead
    assert time.monotonic() - started >= autopoll.IDLE_WAIT
    assert insp.client.get_status() is Status.CONNECTED and insp.body_count.value == "6 bytes"


def test_wait_readable_returns_when_bytes_arrive_or_the_time_is_up() -> None:
    async def main(a: socket.socket, b: socket.socket) -> None:
        loop = asyncio.get_running_loop()
        started = time.monotonic()
        assert await wait_readable(a.fileno(), 0.02) is False  # nothing came
        assert time.monotonic() - started >= 0.02
        loop.call_later(0.05, b.send, b"x")
        started = time.monotonic()
        assert await wait_readable(a.fileno(), 3.0) is True
        assert time.monotonic() - started < 2
        assert not loop.remove_reader(a.fileno())  # the socket is no longer watched
        assert await wait_readable(None, 0.001) is False  # no socket: a plain sleep

    a, b = socket.socketpair()
    with a, b:
        a.setblocking(False)
        asyncio.run(main(a, b))


def test_a_socket_that_stays_readable_does_not_make_auto_poll_spin() -> None:
    watched: list[int] = []

    async def main(fd: int) -> int:
        def readable() -> int:
            watched.append(fd)
            return fd
        left = iter(range(10))
        return await auto_poll(lambda: False, lambda: next(left, None) is not None,
                               lambda: 0.0, readable)

    a, b = socket.socketpair()
    with a, b:
        b.send(b"never read")
        started = time.monotonic()
        assert asyncio.run(main(a.fileno())) == 10
    # Readable, yet the next step moved nothing: plain sleeps until a step moves bytes again.
    assert len(watched) == 1
    assert time.monotonic() - started >= 9 * autopoll.IDLE_WAIT


def test_a_refresh_cancels_the_pending_timer() -> None:
    calls: list[float] = []
    throttle = Throttle(lambda: calls.append(time.monotonic()), 0.05)

    async def main() -> None:
        throttle.request()  # at once
        throttle.request()  # too soon: a timer takes it
        time.sleep(0.06)  # the loop is busy past the timer's time...
        throttle.request()  # ...and this step refreshes at once
        throttle.request()  # dirty again: must wait a full interval, not for the old timer
        await asyncio.sleep(0.01)
        assert len(calls) == 2
        await asyncio.sleep(0.1)

    asyncio.run(main())
    assert len(calls) == 3 and calls[2] - calls[1] >= 0.05 - 1e-3


def test_a_request_made_while_refreshing_is_drawn_by_that_refresh() -> None:
    calls: list[int] = []

    def refresh() -> None:
        calls.append(1)
        throttle.request()  # as when reading the recorder delivers a folded quiet step

    throttle = Throttle(refresh, 0.0)  # no interval: any other request refreshes at once
    throttle.request()
    assert calls == [1] and not throttle.dirty


def test_throttle_coalesces_bursts() -> None:
    now = [0.0]
    calls: list[float] = []
    throttle = Throttle(lambda: calls.append(now[0]), 0.05, clock=lambda: now[0])
    for _ in range(1000):  # a poll every millisecond for a second
        throttle.request()
        now[0] += 0.001
    assert 19 <= len(calls) <= 21
    assert all(b - a >= 0.05 - 1e-9 for a, b in itertools.pairwise(calls))
    assert throttle.dirty  # the last change is pending...
    throttle.flush()
    assert not throttle.dirty and len(calls) == throttle.count  # ...until flushed


def test_slow_refresh_is_spaced_further() -> None:
    now = [0.0]

    def slow() -> None:
        now[0] += 0.1  # a refresh that takes 100 ms

    throttle = Throttle(slow, 0.05, clock=lambda: now[0])
    throttle.request()
    start = now[0]
    for _ in range(100):
        now[0] += 0.001
        throttle.request()
    # After a 100 ms refresh the next one waits 400 ms: drawing takes at most a fifth.
    assert throttle.count == 1 and now[0] - start < 0.4
    now[0] = start + 0.41
    throttle.request()
    assert throttle.count == 2


def test_trailing_refresh_runs_on_the_loop() -> None:
    calls: list[int] = []
    throttle = Throttle(lambda: calls.append(1), 0.05)

    async def main() -> None:
        throttle.request()
        throttle.request()  # too soon: a timer takes it
        assert len(calls) == 1 and throttle.dirty
        await asyncio.sleep(0.1)

    asyncio.run(main())
    assert len(calls) == 2 and not throttle.dirty
