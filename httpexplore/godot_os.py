"""``OS``: the few members of Godot's ``OS`` singleton the tutorial's two branches use.

Godot's HTTPClient tutorial waits between polls in one of two ways::

    if OS.has_feature("web"):
        # Synchronous HTTP requests are not supported on the web,
        # so wait for the next main loop iteration.
        await get_tree().process_frame
    else:
        OS.delay_msec(500)

With this module a notebook reads the same::

    from httpexplore.godot_os import OS, process_frame

    if OS.has_feature("web"):
        await process_frame()      # the browser: give the page's event loop its turn
    else:
        OS.delay_msec(500)         # a real machine: block this thread for 500 ms

Why the web branch matters in JupyterLite: the kernel runs in the browser, in one thread whose
event loop also carries the notebook's messages and the widgets' updates. ``OS.delay_msec`` (like
``time.sleep``) blocks that thread: nothing is drawn and no click is handled until the wait
ends, and a loop of such waits freezes the page. ``await process_frame()`` returns control to the
event loop for about one frame, so the page stays alive between polls. The in-memory demo server
runs on the clock, not on a thread, so both branches see the same responses.
"""

from __future__ import annotations

import asyncio
import sys
import time

__all__ = ["FRAME", "OS", "GodotOS", "process_frame"]

#: Seconds :func:`process_frame` waits: one frame at 60 frames per second, as in Godot.
FRAME = 1 / 60

# Godot's feature tags for the platform this runs on (a subset: what a notebook may ask).
_PLATFORM_TAGS = {
    "emscripten": ("web",),
    "linux": ("linux", "pc"),
    "win32": ("windows", "pc"),
    "darwin": ("macos", "pc"),
}
_NAMES = {"emscripten": "Web", "linux": "Linux", "win32": "Windows", "darwin": "macOS"}


def _check_delay(value: object, unit: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"delay_{unit}() takes a number of {unit}, not {type(value).__name__}")
    if value < 0:
        raise ValueError(f"delay_{unit}() cannot wait a negative time ({value} {unit})")
    return float(value)


class GodotOS:
    """Godot's ``OS`` for notebooks: platform questions and blocking waits.

    ``has_feature(tag)`` is true for ``"web"`` under Emscripten (Pyodide, JupyterLite) and for
    ``"pc"`` plus the system's name (``"linux"``, ``"windows"``, ``"macos"``) elsewhere; any
    other tag is false. The delays block the calling thread like Godot's; a wrong argument
    raises ``TypeError`` (not a number) or ``ValueError`` (negative), with a plain message.
    """

    def has_feature(self, tag: str) -> bool:
        """True when ``tag`` is one of this platform's feature tags (see the class)."""
        if not isinstance(tag, str):
            raise TypeError(f"has_feature() takes a tag name (str), not {type(tag).__name__}")
        return tag.lower() in _PLATFORM_TAGS.get(sys.platform, ())

    def get_name(self) -> str:
        """``"Web"``, ``"Linux"``, ``"Windows"`` or ``"macOS"`` (else Python's platform name)."""
        return _NAMES.get(sys.platform, sys.platform)

    def delay_msec(self, msec: float) -> None:
        """Block this thread for ``msec`` milliseconds (``time.sleep``)."""
        time.sleep(_check_delay(msec, "msec") / 1e3)

    def delay_usec(self, usec: float) -> None:
        """Block this thread for ``usec`` microseconds (``time.sleep``)."""
        time.sleep(_check_delay(usec, "usec") / 1e6)

    def __repr__(self) -> str:
        return f"<OS {self.get_name()}>"


#: The singleton, as in GDScript: ``OS.has_feature("web")``.
OS = GodotOS()


async def process_frame() -> None:
    """``await get_tree().process_frame``: let the event loop run for about one frame
    (:data:`FRAME` seconds) without blocking it."""
    await asyncio.sleep(FRAME)
