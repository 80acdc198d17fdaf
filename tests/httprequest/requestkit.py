"""Drive an :class:`~httpexplore.HTTPRequest` frame by frame and collect what it emits."""

from __future__ import annotations

import time
from typing import Any

from httpexplore import Completion, HTTPRequest


class Collector:
    """Connected to ``request_completed``: keeps every emission, in order."""

    def __init__(self, request: HTTPRequest) -> None:
        self.calls: list[Completion] = []
        request.request_completed.connect(self)

    def __call__(self, *args: Any) -> None:
        self.calls.append(Completion(*args))


def frames_until_done(request: HTTPRequest, *, delta: float | None = 0.0) -> tuple[Completion, int]:
    """Call ``process(delta)`` until the request completes; its completion and the number of
    frames.  (No time limit: pytest's timeout catches a hang.)"""
    got = Collector(request)
    frames = 0
    try:
        while not got.calls:
            request.process(delta)
            frames += 1
            if not got.calls:
                time.sleep(0.0002)  # let the server threads run on a loaded machine
    finally:
        request.request_completed.disconnect(got)
    assert len(got.calls) == 1
    return got.calls[0], frames


def fetch(url: str, *headers: str, **properties: Any) -> tuple[Completion, HTTPRequest]:
    """A GET with a fresh node (``properties`` set on it first), run to completion."""
    request = HTTPRequest()
    for name, value in properties.items():
        setattr(request, name, value)
    err = request.request(url, list(headers))
    assert err == 0, request.error_message
    done, _ = frames_until_done(request)
    return done, request
