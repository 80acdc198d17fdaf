"""A download driven by the inspector's auto-poll, counting what goes to the front end.

The widgets talk to a recording comm (as ipywidgets' own tests do, ``widgets/tests/utils.py``),
so no kernel or browser is needed: every ``comm.send`` is counted with its JSON and buffer bytes.
Messages sent in one go, without the event loop running anything in between, are one front-end
*update* (one refresh of the views sends a message per changed widget).

The inspector is built first (like an import, not timed); then the client connects and sends
the request in the tutorial loop, and auto-poll (``Inspector.run_auto_poll()``, the coroutine
behind the Auto-poll button) runs on an asyncio loop until the body is complete.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any, ClassVar

from . import explore
from .common import ClientFailed, Outcome, Unavailable


class RecordingComm:
    """A stand-in for ``comm.base_comm.BaseComm`` that only records what would be sent."""

    comm_id = "bench"
    kernel = "Truthy"
    messages: ClassVar[int] = 0
    message_bytes: ClassVar[int] = 0
    updates: ClassVar[int] = 0
    _in_update: ClassVar[bool] = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    def open(self, *args: Any, **kwargs: Any) -> None:
        pass

    def on_msg(self, *args: Any, **kwargs: Any) -> None:
        pass

    def close(self, *args: Any, **kwargs: Any) -> None:
        pass

    def send(self, data: Any = None, metadata: Any = None, buffers: Any = None) -> None:
        cls = RecordingComm
        cls.messages += 1
        cls.message_bytes += len(json.dumps(data, default=str)) + sum(
            len(b) for b in buffers or ())
        if not cls._in_update:
            cls._in_update = True
            cls.updates += 1
            try:  # the update ends when the loop gets control back
                asyncio.get_running_loop().call_soon(cls._end_update)
            except RuntimeError:
                pass  # no loop: everything until reset() is one update

    @classmethod
    def _end_update(cls) -> None:
        cls._in_update = False

    @classmethod
    def reset(cls) -> None:
        cls.messages = cls.message_bytes = cls.updates = 0
        cls._in_update = False


def _install_comm() -> None:
    """Patch the comm layer as ipywidgets' ``setup_test_comm()`` does."""
    import comm
    import ipywidgets.widgets.widget as widget_module
    from ipywidgets import Widget

    patches: dict[str, Any] = {"create_comm": lambda **kwargs: RecordingComm(),
                               "get_comm_manager": lambda **kwargs: {}}
    for name, value in patches.items():
        setattr(comm, name, value)
    setattr(widget_module, "Comm", RecordingComm)  # noqa: B010
    setattr(Widget.comm, "klass", RecordingComm)  # noqa: B010


async def _auto_poll(insp: Any, timeout: float) -> None:
    run = getattr(insp, "run_auto_poll", None)
    if not callable(run):
        raise Unavailable("Inspector has no run_auto_poll() coroutine")
    await asyncio.wait_for(run(), timeout)


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
        RecordingComm.reset()
        start = time.perf_counter()
        explore.connect(client, host, port)
        total = 0
        for _ in range(count):
            explore.start_request(client, path)
            length = client.get_response_body_length()
            asyncio.run(_auto_poll(insp, timeout=600))
            if client.get_status() != Status.CONNECTED:
                raise ClientFailed(f"status {client.get_status()!r} after auto-poll")
            total += length
        elapsed = time.perf_counter() - start
        return Outcome(total, elapsed, extra={
            "messages": RecordingComm.messages, "message_bytes": RecordingComm.message_bytes,
            "updates": RecordingComm.updates})
    finally:
        client.close()
