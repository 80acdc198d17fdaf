"""``httpexplore.godot_os``: Godot's ``OS.has_feature`` / ``delay_msec`` / ``delay_usec`` and
``await process_frame()``. (That ``has_feature("web")`` is true in real Pyodide is checked by
tests/pyodide.)"""

from __future__ import annotations

import asyncio
import sys
import time

import pytest

from httpexplore.godot_os import FRAME, OS, GodotOS, process_frame


def test_web_is_a_feature_under_emscripten_only(monkeypatch: pytest.MonkeyPatch) -> None:
    assert sys.platform != "emscripten"
    assert OS.has_feature("web") is False
    monkeypatch.setattr(sys, "platform", "emscripten")
    assert OS.has_feature("web") is True
    assert OS.has_feature("WEB") is True  # Godot's tags are matched without case
    assert OS.has_feature("pc") is False
    assert OS.get_name() == "Web"


@pytest.mark.parametrize(("platform", "name", "tags"), [
    ("linux", "Linux", {"linux", "pc"}),
    ("win32", "Windows", {"windows", "pc"}),
    ("darwin", "macOS", {"macos", "pc"}),
])
def test_native_platforms(monkeypatch: pytest.MonkeyPatch, platform: str, name: str,
                          tags: set[str]) -> None:
    monkeypatch.setattr(sys, "platform", platform)
    assert OS.get_name() == name
    every = {"web", "linux", "windows", "macos", "pc", "mobile", "android"}
    assert {tag for tag in every if OS.has_feature(tag)} == tags


def test_has_feature_rejects_a_non_string() -> None:
    with pytest.raises(TypeError, match="tag name"):
        OS.has_feature(1)  # type: ignore[arg-type]


def test_delays_block_at_least_that_long() -> None:
    # Lower bounds only: a loaded machine may sleep longer, never shorter.
    start = time.monotonic()
    OS.delay_msec(30)
    middle = time.monotonic()
    OS.delay_usec(20_000)
    end = time.monotonic()
    assert middle - start >= 0.03
    assert end - middle >= 0.02


@pytest.mark.parametrize("call", [OS.delay_msec, OS.delay_usec])
def test_delays_reject_bad_arguments(call: object) -> None:
    with pytest.raises(ValueError, match="negative"):
        call(-1)  # type: ignore[operator]
    for bad in ("500", None, True):
        with pytest.raises(TypeError, match="number"):
            call(bad)  # type: ignore[operator]


def test_process_frame_yields_to_the_event_loop() -> None:
    order: list[str] = []

    async def other() -> None:
        order.append("other task ran")

    async def main() -> float:
        task = asyncio.get_running_loop().create_task(other())
        start = time.monotonic()
        await process_frame()
        order.append("frame over")
        await task
        return time.monotonic() - start

    waited = asyncio.run(main())
    assert order == ["other task ran", "frame over"]
    assert waited >= FRAME * 0.9  # the loop's timer, not a zero-length yield


def test_singleton_and_repr() -> None:
    assert isinstance(OS, GodotOS)
    assert repr(OS).startswith("<OS ")
