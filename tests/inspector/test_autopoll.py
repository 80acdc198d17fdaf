"""Auto-poll on an asyncio loop, and the throttling of what reaches the browser."""

from __future__ import annotations

import asyncio
import itertools
import time
import tracemalloc
from collections.abc import Callable

import ipywidgets as widgets
import pytest

from httpexplore import HTTPClient, Status
from httpexplore.demo import DemoServer
from httpexplore.inspector import Inspector
from httpexplore.inspector.autopoll import Throttle


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
        hex_lines = insp.body_hex.value.splitlines()
        assert hex_lines[0].startswith("00000000  ")
        assert hex_lines[-1].startswith(f"{size - 16:08x}  ")
        assert f"… {size - 5120} bytes not shown …" in hex_lines
    finally:
        insp.close()


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
