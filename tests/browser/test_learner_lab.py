"""Issue #13: the inspector tour as a learner meets it, in a real JupyterLab.

``02-inspector-tour.ipynb`` (the lesson itself, not a fixture) is opened and run with Run All.
It must end with a live inspector whose path asks for a multi-second drip.  Then, by clicks:
Connect, Poll until connected, Request, Auto-poll; the history stays short (quiet polls are
folded), the slider goes back in time and any action returns to live, and screenshots at
1400 px and 900 px are saved as artifacts (``learner-1400.png``, ``learner-900.png``).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # pragma: no cover - playwright is in the [test] extra
    if os.environ.get("REQUIRE_BROWSER") == "1":
        raise
    pytest.skip("the Python package 'playwright' is not installed", allow_module_level=True)

pytestmark = pytest.mark.browser

DRIP = "/drip?bytes=60&pieces=30&delay=0.1"  # 3 seconds, as the notebook's last cell sets
STEP = re.compile(r"step (\d+) of (\d+)")

STATUS_CONNECTED = "STATUS_CONNECTED (5)"


def click_until(button, target, text: str, max_clicks: int = 40) -> None:
    """Click ``button`` until ``target`` contains ``text``."""
    for _ in range(max_clicks):
        button.click()
        try:
            expect(target).to_contain_text(text, timeout=750)
            return
        except AssertionError:
            continue
    expect(target).to_contain_text(text)


# Sideways overflow of an element (a table wider than its box, text cut at the right edge).
_OVERFLOW_JS = "e => e.scrollWidth - e.clientWidth"


def test_tour_run_all_then_auto_poll_a_slow_drip(lab, notebook, artifacts: Path):
    lab.open_and_run_all(notebook("02-inspector-tour.ipynb"))
    page = lab.page
    # Run All leaves the panel live: every display of `insp` is a view of one widget; the
    # last one is the "Your turn" cell's.
    views = page.locator(".hx-inspector")
    expect(views.last).to_be_visible()
    root = views.last
    root.scroll_into_view_if_needed()
    expect(root.locator(".hx-path input")).to_have_value(DRIP)
    status = root.locator(".hx-status")
    expect(status).to_contain_text("STATUS_DISCONNECTED (0)")  # Reset, not closed

    root.locator("button.hx-connect").click()
    expect(status).to_contain_text(re.compile(r"STATUS_(CONNECTING|CONNECTED)"))
    click_until(root.locator("button.hx-poll"), status, STATUS_CONNECTED)
    root.locator("button.hx-request").click()
    expect(status).to_contain_text("STATUS_REQUESTING (6)")
    auto = root.locator("button.hx-auto")
    auto.click()
    expect(auto).to_have_class(re.compile(r"\bmod-active\b"))
    expect(auto).not_to_have_class(re.compile(r"\bmod-active\b"), timeout=30_000)
    expect(status).to_contain_text(STATUS_CONNECTED)
    expect(root.locator(".hx-body-count")).to_have_text("60 bytes")
    expect(status).not_to_contain_text("(history)")

    # Thousands of polls, folded: a short history.
    found = STEP.search(status.inner_text())
    assert found, status.inner_text()
    last = int(found.group(2))
    assert int(found.group(1)) == last and last < 300, status.inner_text()
    steps = root.locator(".hx-timeline")
    expect(steps).to_contain_text("nothing happened")

    for width in (1400, 900):
        page.set_viewport_size({"width": width, "height": 2400})
        root.scroll_into_view_if_needed()
        root.screenshot(path=str(artifacts / f"learner-{width}.png"))
        # No sideways scrolling in the steps table; the diagram keeps its size (it scrolls).
        assert steps.locator("div").first.evaluate(_OVERFLOW_JS) <= 1, width
        svg = root.locator(".hx-diagram svg")
        assert svg.evaluate("e => e.getBoundingClientRect().width - e.width.baseVal.value"
                            ) >= -1, width  # drawn at its full size, not shrunk
        assert root.locator(".hx-body-count").evaluate(_OVERFLOW_JS) <= 1, width

    # Back in time with the keyboard; the banner says so; End comes back.
    handle = root.locator(".hx-history .noUi-handle")
    handle.focus()
    handle.press("Home")
    expect(status).to_contain_text(re.compile(r"step 0 of \d+ \(history\)"))
    expect(status).to_contain_text("Looking at the past")
    root.screenshot(path=str(artifacts / "learner-900-history.png"))
    handle.press("End")
    expect(status).to_contain_text(f"step {last} of {last}")
    expect(status).not_to_contain_text("(history)")

    # Back again, then an action: the views return to live.
    handle.press("Home")
    expect(status).to_contain_text("(history)")
    root.locator("button.hx-poll").click()
    expect(status).not_to_contain_text("(history)")
    expect(status).not_to_contain_text("Looking at the past")
    expect(status).to_contain_text(STATUS_CONNECTED)
    expect(status).to_contain_text(re.compile(r"step (\d+) of \1\b"))

    # The chunks tab wraps prose at spaces, never inside a word (JupyterLab's output CSS
    # says word-break: break-all for every <pre>), and the hex tab never wraps.
    root.locator(".hx-path input").fill("/ChangeLog-5.php")
    root.locator(".hx-path input").press("Enter")
    root.locator("button.hx-request").click()
    expect(status).to_contain_text("STATUS_REQUESTING (6)")
    auto.click()
    expect(auto).not_to_have_class(re.compile(r"\bmod-active\b"), timeout=30_000)
    expect(root.locator(".hx-body-count")).to_have_text("6238 bytes")
    root.get_by_role("tab", name="chunks").click()
    chunks = root.locator(".hx-chunks-pre")
    expect(chunks).to_contain_text("⟨chunk 1:")
    assert chunks.evaluate("e => getComputedStyle(e).wordBreak") == "normal"
    root.screenshot(path=str(artifacts / "learner-900-chunks.png"))
    root.get_by_role("tab", name="hex").click()
    hexdump = root.locator(".hx-hex-pre")
    expect(hexdump).to_contain_text("00000000  ")
    assert hexdump.evaluate("e => getComputedStyle(e).whiteSpace") == "pre"
