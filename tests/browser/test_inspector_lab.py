"""Issue #5: the Inspector, clicked in a real JupyterLab, against the real DemoServer.

The notebook (``notebooks/inspector.ipynb``) starts a DemoServer inside the kernel, connects an
``HTTPClient`` to it and displays ``Inspector(client, url=srv.url + PATH)``. Everything after
that is done the way a learner does it: clicks and keys in Chromium. Widgets are found only by
the ``hx-*`` classes of the Inspector's DOM contract (see ``docs/inspector-dom.md``).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

try:
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import Locator, expect
except ImportError:  # pragma: no cover - playwright is in the [test] extra
    if os.environ.get("REQUIRE_BROWSER") == "1":
        raise
    pytest.skip("the Python package 'playwright' is not installed", allow_module_level=True)

pytestmark = pytest.mark.browser

TEMPLATE = "inspector.ipynb"
# The tutorial page, chunked, 8 chunks; 0.5 s apart (default 0.05) so it is still arriving
# while the test reads it.
CHANGELOG = "/ChangeLog-5.php?delay=0.5"
CHUNKS, CHUNK_SIZE = 16, 256
CHUNKED = f"/chunked?chunks={CHUNKS}&size={CHUNK_SIZE}&delay=0.02"

STATUS_CONNECTED = "STATUS_CONNECTED (5)"
STATUS_REQUESTING = "STATUS_REQUESTING (6)"
STATUS_BODY = "STATUS_BODY (7)"
ANY_STATUS = re.compile(r"STATUS_[A-Z_]+ \(\d\)")
# How long one click may take to show in the DOM before clicking again (a kernel round trip
# is ~0.1 s; a slow one only costs an extra, harmless poll).
CLICK_SETTLE_MS = 750


def click_until(button: Locator, target: Locator, text: str | re.Pattern[str],
                max_clicks: int = 40) -> int:
    """Click ``button`` until ``target`` contains ``text``; returns the number of clicks."""
    for clicks in range(1, max_clicks + 1):
        button.click()
        try:
            expect(target).to_contain_text(text, timeout=CLICK_SETTLE_MS)
            return clicks
        except AssertionError:
            continue
    expect(target).to_contain_text(text)  # fails with Playwright's message
    return max_clicks


def byte_count(counter: Locator) -> int:
    text = counter.inner_text()
    m = re.fullmatch(r"\s*(\d+) bytes\s*", text)
    assert m, f"body counter {text!r} does not read '<n> bytes'"
    return int(m.group(1))


def wait_count_above(counter: Locator, n: int) -> bool:
    """True once the body counter reads more than ``n`` bytes (within CLICK_SETTLE_MS)."""
    try:
        counter.page.wait_for_function(
            "([el, n]) => parseInt(el.textContent) > n",
            arg=[counter.element_handle(), n], timeout=CLICK_SETTLE_MS,
        )
        return True
    except PlaywrightError:  # its TimeoutError
        return False


def badge(status: Locator) -> str:
    """``STATUS_<NAME> (<n>)`` as shown in the status badge."""
    m = ANY_STATUS.search(status.inner_text())
    assert m, f"no STATUS_<NAME> (<n>) in the status badge: {status.inner_text()!r}"
    return m.group(0)


def open_inspector(lab, notebook, path: str) -> Locator:
    lab.open_and_run_all(notebook(TEMPLATE, PATH=path))
    root = lab.widget(".hx-inspector")
    expect(root).to_have_count(1)
    expect(root.locator(".hx-path input")).to_have_value(path)
    return root


def test_poll_request_body_history(lab, notebook, artifacts: Path):
    root = open_inspector(lab, notebook, CHANGELOG)
    status = root.locator(".hx-status")
    counter = root.locator(".hx-body-count")
    poll = root.locator("button.hx-poll")

    # The notebook called connect_to_host(): polling completes the TCP connect.
    expect(status).to_contain_text("STATUS_CONNECTING (3)")
    click_until(poll, status, STATUS_CONNECTED)
    root.locator("button.hx-request").click()
    expect(status).to_contain_text(STATUS_REQUESTING)
    click_until(poll, status, STATUS_BODY)
    expect(status).to_contain_text("200 OK")

    # The response head: one <tr> per header field, chunked framing.
    table = root.locator(".hx-headers table.hx-table")
    field_rows = table.locator("tr", has=root.page.locator("td"))
    expect(field_rows.first).to_be_visible()
    assert field_rows.count() > 0
    expect(table).to_contain_text("Transfer-Encoding")
    expect(table).to_contain_text("chunked")

    # The body counter (bytes handed out by read_response_body_chunk()) grows with Read chunk,
    # twice: the page is paced, so the second growth needs more polls first.
    expect(counter).to_have_text(re.compile(r"^\d+ bytes$"))
    read = root.locator("button.hx-read")
    sizes = [byte_count(counter)]
    for _ in range(30):
        if len(sizes) == 3 or read.is_disabled():  # disabled: the body has been read
            break
        read.click()
        if wait_count_above(counter, sizes[-1]):
            sizes.append(byte_count(counter))
        elif poll.is_enabled():
            poll.click()
    assert len(sizes) >= 2, f"the body counter stayed at {sizes[0]} bytes"
    if len(sizes) == 2:  # only if one Read took the whole body (a very slow machine)
        expect(status).to_contain_text(STATUS_CONNECTED)
    expect(status, "the history slider stopped following new steps (stuck in history)"
           ).not_to_contain_text("(history)")
    expect(root.locator(".hx-body textarea")).to_have_value(
        re.compile(r"^ChangeLog for the 5\.x series"))

    shot = artifacts / "inspector-widget.png"
    root.screenshot(path=str(shot))
    assert shot.stat().st_size > 10_000

    # History: keyboard on the slider handle goes back in time, and the badge follows.
    live = badge(status)
    live_count = counter.inner_text()
    handle = root.locator(".hx-history .noUi-handle")
    expect(handle).to_have_attribute("aria-valuenow", re.compile(r"^[1-9]"))
    handle.focus()
    handle.press("Home")
    expect(handle).to_have_attribute("aria-valuenow", re.compile(r"^0(\.0)?$"))
    expect(status).to_contain_text(re.compile(r"step 0 of \d+ \(history\)"))
    expect(status).to_contain_text(re.compile(r"STATUS_[A-Z_]+ \([0-6]\)"))  # before BODY
    expect(counter).to_have_text("0 bytes")
    for step in range(1, 6):  # one step at a time, to the request() step
        handle.press("ArrowRight")
        expect(status).to_contain_text(f"step {step} of")
        if STATUS_REQUESTING in status.inner_text():
            break
    expect(status).to_contain_text(STATUS_REQUESTING)
    expect(status).to_contain_text("request() →")
    root.screenshot(path=str(artifacts / "inspector-history-widget.png"))

    # ...and forward again to the newest step. (Not End: noUiSlider's End key jumps to the
    # range the slider was created with, not to the max it has grown to since.)
    for _ in range(100):
        if handle.get_attribute("aria-valuenow") == handle.get_attribute("aria-valuemax"):
            break
        handle.press("PageUp")
    expect(status).to_contain_text(live)
    expect(status).not_to_contain_text("(history)")
    expect(counter).to_have_text(live_count)


def test_auto_poll_completes_download(lab, notebook, artifacts: Path):
    root = open_inspector(lab, notebook, CHUNKED)
    status = root.locator(".hx-status")
    counter = root.locator(".hx-body-count")

    click_until(root.locator("button.hx-poll"), status, STATUS_CONNECTED)
    root.locator("button.hx-request").click()
    expect(status).to_contain_text(STATUS_REQUESTING)  # so CONNECTED below is not stale
    auto = root.locator("button.hx-auto")
    auto.click()
    # Auto-poll polls and reads until the response is complete, then switches itself off;
    # keep-alive: CONNECTED again.
    expect(auto).not_to_have_class(re.compile(r"\bmod-active\b"))
    expect(status, "the history slider stopped following new steps (stuck in history)"
           ).not_to_contain_text("(history)")
    expect(status).to_contain_text(STATUS_CONNECTED)
    expect(counter).to_have_text(f"{CHUNKS * CHUNK_SIZE} bytes")
    expect(status).to_contain_text("200 OK")
    root.screenshot(path=str(artifacts / "inspector-auto-widget.png"))


# Whether a user can actually see an element: a box of its own, and the point just inside its
# top-left corner is not clipped away by a scrolling ancestor or covered by something else.
_ON_SCREEN_JS = """e => {
  // Scroll only the notebook's own scroller (the first scrollable ancestor outside the
  // inspector); scrollIntoView() would also scroll JupyterLab's overflow:hidden shell.
  let sc = e.closest(".hx-inspector").parentElement;
  while (sc && !(sc.scrollHeight > sc.clientHeight
                 && /(auto|scroll)/.test(getComputedStyle(sc).overflowY))) sc = sc.parentElement;
  if (sc) sc.scrollTop += e.getBoundingClientRect().top - sc.getBoundingClientRect().top - 40;
  const r = e.getBoundingClientRect();
  if (r.width < 2 || r.height < 2)
    return `${r.width.toFixed(0)}x${r.height.toFixed(0)} px box`;
  const x = r.left + Math.min(8, r.width / 2), y = r.top + Math.min(8, r.height / 2);
  const hit = document.elementFromPoint(x, y);
  if (hit && (hit === e || e.contains(hit))) return "";
  const by = hit ? (hit.closest("[class*=hx-]") || hit) : null;
  return "not visible at its own position (clipped by an ancestor or covered by "
    + (by ? by.tagName.toLowerCase() + "." + [...by.classList].join(".") : "nothing") + ")";
}"""

VIEWS = (".hx-status", ".hx-history", ".hx-headers", ".hx-body-count", ".hx-body",
         ".hx-wire", ".hx-diagram", ".hx-timeline", ".hx-waterfall")


def test_every_view_is_on_screen(lab, notebook, artifacts: Path):
    root = open_inspector(lab, notebook, "/chunked?chunks=4&size=64")
    status = root.locator(".hx-status")
    click_until(root.locator("button.hx-poll"), status, STATUS_CONNECTED)
    root.locator("button.hx-request").click()
    expect(status).to_contain_text(STATUS_REQUESTING)
    root.locator("button.hx-auto").click()
    expect(root.locator("button.hx-auto")).not_to_have_class(re.compile(r"\bmod-active\b"))
    expect(status, "the history slider stopped following new steps (stuck in history)"
           ).not_to_contain_text("(history)")
    expect(status).to_contain_text(STATUS_CONNECTED)
    expect(root.locator(".hx-body-count")).to_have_text("256 bytes")
    expect(root.locator(".hx-diagram svg")).to_have_count(1)
    expect(root.locator(".hx-wire")).to_contain_text("GET /chunked")

    problems = {}
    for sel in VIEWS:
        expect(root.locator(sel)).to_have_count(1)
        why = root.locator(sel).evaluate(_ON_SCREEN_JS)
        if why:
            problems[sel] = why
    root.screenshot(path=str(artifacts / "inspector-views-widget.png"))
    assert not problems, "views a learner cannot see:\n" + "\n".join(
        f"  {sel}: {why}" for sel, why in problems.items())
