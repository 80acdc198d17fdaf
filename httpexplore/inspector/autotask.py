"""The Auto-poll toggle of the inspector: :func:`~.autopoll.auto_poll` run as a task.

:class:`AutoPollMixin` holds the inspector's auto-poll methods (``run_auto_poll``,
``start_auto_poll``, ``stop_auto_poll``, ``auto_polling``) and what they need: one step (a poll,
and a read in BODY), the socket to watch, the toggle button kept in step with the task.  It is
a part of :class:`~.widget.Inspector`, kept in a module of its own; the attributes and methods
declared below without a body are the inspector's.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from typing import Any

import ipywidgets as widgets

from ..client import HTTPClient
from ..status import Status
from .autopoll import auto_poll, running_loop

__all__ = ["AutoPollMixin"]

_WAITING = frozenset({Status.RESOLVING, Status.CONNECTING, Status.REQUESTING, Status.BODY})


class AutoPollMixin:
    """Auto-poll for :class:`~.widget.Inspector` (see the module docstring)."""

    # Provided by the inspector.
    client: HTTPClient
    auto_button: widgets.ToggleButton
    interval_slider: widgets.FloatSlider
    _task: asyncio.Task[int] | None
    _auto_running: bool
    _auto_stop: bool
    _follow: bool
    _quiet: bool
    _moved: int

    def refresh(self) -> None:
        raise NotImplementedError

    def _update_buttons(self) -> None:
        raise NotImplementedError

    def _rebuild_slider_view(self) -> None:
        raise NotImplementedError

    async def run_auto_poll(self) -> int:
        """Poll (reading the body in BODY) until the response is complete or an error status
        is reached, yielding to the event loop between steps; returns the number of steps.

        ``await insp.run_auto_poll()`` works anywhere; the Auto-poll button starts it as a task
        on the running loop (:meth:`start_auto_poll`)."""
        self._auto_running, self._auto_stop = True, False
        self._follow = True  # an action: back to live
        self._set_toggle(True)
        self._update_buttons()
        try:
            return await auto_poll(self._auto_step, self._auto_active,
                                   lambda: float(self.interval_slider.value), self._auto_socket)
        finally:
            self._auto_running = False
            self._task = None
            self._set_toggle(False)
            self.refresh()
            self._rebuild_slider_view()

    def start_auto_poll(self) -> asyncio.Task[int] | None:
        """Start auto-poll as a task on the running event loop and return it.

        With no running loop (a plain script) it runs to completion here and returns None."""
        if self._task is not None or self._auto_running:
            return self._task
        self._follow = True  # an action: back to live
        loop = running_loop()
        if loop is None:
            asyncio.run(self.run_auto_poll())
            return None
        self._task = loop.create_task(self.run_auto_poll())
        self._set_toggle(True)
        self._update_buttons()
        return self._task

    def stop_auto_poll(self) -> None:
        """Stop auto-poll after the current step."""
        self._auto_stop = True
        if self._task is not None and not self._task.done():
            self._task.cancel()

    @property
    def auto_polling(self) -> bool:
        """True while auto-poll runs."""
        return self._auto_running or self._task is not None

    def _auto_active(self) -> bool:
        return not self._auto_stop and self.client.get_status() in _WAITING

    def _auto_socket(self) -> int | None:
        """The file descriptor the next bytes will arrive on, while waiting for an answer; else
        None (auto-poll then sleeps a moment instead of watching the socket)."""
        if self.client.get_status() not in (Status.REQUESTING, Status.BODY):
            return None
        return self.client.fileno()  # None for a transport with no socket (memory, scripted)

    def _auto_step(self) -> bool:
        client = self.client
        before = (self._moved, client.get_status())
        client.poll()
        if client.get_status() is Status.BODY:
            client.read_response_body_chunk()
        return (self._moved, client.get_status()) != before

    def _on_auto_toggle(self, change: dict[str, Any]) -> None:
        if self._quiet:
            return
        if change["new"]:
            self.start_auto_poll()
        else:
            self.stop_auto_poll()

    def _set_toggle(self, value: bool) -> None:
        with self._quietly(), self.auto_button.hold_sync():
            self.auto_button.value = value
            self.auto_button.icon = "stop" if value else "play"

    @contextlib.contextmanager
    def _quietly(self) -> Iterator[None]:
        quiet, self._quiet = self._quiet, True
        try:
            yield
        finally:
            self._quiet = quiet
