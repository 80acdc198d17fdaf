"""A download driven by the inspector's auto-poll, counting what goes to the front end.

The widgets talk to a recording comm (as ipywidgets' own tests do, ``widgets/tests/utils.py``),
so no kernel or browser is needed: every ``comm.send`` is counted with its JSON and buffer bytes.
The client connects and sends the request in the tutorial loop; auto-poll then runs on an
asyncio loop until the body is complete.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any, ClassVar

from . import explore
from .common import ClientFailed, Outcome, Unavailable

#: Gaps shorter than this between two messages make them one front-end update (one "burst").
BURST_GAP = 0.005


class RecordingComm:
    """A stand-in for ``comm.base_comm.BaseComm`` that only records what would be sent."""

    comm_id = "bench"
    kernel = "Truthy"
    #: (time, bytes) of every message sent, shared by all widgets
    sent: ClassVar[list[tuple[float, int]]] = []

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    def open(self, *args: Any, **kwargs: Any) -> None:
        pass

    def on_msg(self, *args: Any, **kwargs: Any) -> None:
        pass

    def close(self, *args: Any, **kwargs: Any) -> None:
        pass

    def send(self, data: Any = None, metadata: Any = None, buffers: Any = None) -> None:
        size = len(json.dumps(data, default=str)) + sum(len(b) for b in buffers or ())
        RecordingComm.sent.append((time.monotonic(), size))


def _install_comm() -> None:
    import comm
    import ipywidgets.widgets.widget as widget_module
    from ipywidgets import Widget

    comm.create_comm = lambda **kwargs: RecordingComm()
    comm.get_comm_manager = lambda **kwargs: {}
    widget_module.Comm = RecordingComm  # type: ignore[attr-defined]
    Widget.comm.klass = RecordingComm  # type: ignore[attr-defined]


def _start_auto_poll(insp: Any) -> None:
    """Switch auto-poll on through whichever public entry point the inspector has."""
    for name in ("start_auto_poll", "auto_poll_on"):
        if callable(getattr(insp, name, None)):
            getattr(insp, name)()
            return
    for name in ("auto_poll_button", "auto_poll_toggle", "auto_button"):
        toggle = getattr(insp, name, None)
        if toggle is not None and hasattr(toggle, "value"):
            toggle.value = True
            return
    if isinstance(getattr(insp, "auto_poll", None), bool):
        insp.auto_poll = True
        return
    raise Unavailable("Inspector has no auto-poll entry point the benchmark knows "
                      "(start_auto_poll(), auto_poll_button.value or auto_poll = True)")


async def _download(insp: Any, client: Any, timeout: float) -> None:
    _, Status = explore.load()
    _start_auto_poll(insp)
    deadline = time.monotonic() + timeout
    while client.get_status() == Status.BODY:
        if time.monotonic() > deadline:
            raise ClientFailed("auto-poll did not finish the body in time")
        await asyncio.sleep(0.001)
    stop = getattr(insp, "stop_auto_poll", None)
    if callable(stop):
        stop()
    await asyncio.sleep(0)


def _bursts(times: list[float]) -> int:
    return sum(1 for a, b in zip([-1.0, *times], times, strict=False) if b - a > BURST_GAP)


def run(host: str, port: int, path: str, count: int) -> Outcome:
    _, Status = explore.load()
    try:
        _install_comm()
        from httpexplore.inspector import Inspector
    except ImportError as exc:
        raise Unavailable(f"httpexplore.inspector is not importable ({exc})") from exc
    client = explore.make_client()
    try:
        insp = Inspector(client)
        explore.connect(client, host, port)
        total = 0
        for _ in range(count):
            RecordingComm.sent.clear()
            explore.start_request(client, path)
            length = client.get_response_body_length()
            start = time.monotonic()
            asyncio.run(_download(insp, client, timeout=600))
            elapsed = time.monotonic() - start
            if client.get_status() != Status.CONNECTED:
                raise ClientFailed(f"status {client.get_status()!r} after auto-poll")
            total += length
        times = [t for t, _ in RecordingComm.sent]
        return Outcome(total, extra={
            "messages": len(times), "message_bytes": sum(n for _, n in RecordingComm.sent),
            "bursts": _bursts(times), "download_seconds": elapsed})
    finally:
        client.close()
