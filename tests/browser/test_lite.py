"""The JupyterLite site (``make lite``) in Debian's Chromium, with the network cut.

The built site (``_lite/site``, or ``$HTTPEXPLORE_LITE_SITE``) is served by a static file server
on 127.0.0.1 started here. Every request that is not for loopback is aborted and counted, and
any 404 from the static server fails the test: the site must hold every file it asks for.

- ``01-tutorial``: Run All in the Pyodide kernel; the tutorial's printed output appears
  (``Response is Chunked!``, ``bytes got: N`` with N the length the ``/ChangeLog-5.php`` page
  has in this very kernel).
- ``02-inspector-tour``: Run All, then Poll clicks on the rendered inspector until its status
  badge reaches the body; then Auto-poll on a fresh request, driven by the browser's event loop.

``make test`` builds the site first (``make lite``). Without a built site the tests skip, or fail
when ``REQUIRE_BROWSER=1`` (CI). Screenshots go to the artifacts folder (``lite-*.png``), and
``lite-timings.txt`` records the first-load and Run All times.
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import pytest

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[2]
# As in conftest.py (not importable here: pytest loads it under its own module name).
NOT_LOOPBACK = re.compile(r"^(https?|wss?)://(?!127\.0\.0\.1[:/]|localhost[:/])")


def _skip_or_fail(msg: str) -> None:
    if os.environ.get("REQUIRE_BROWSER") == "1":
        pytest.fail(f"REQUIRE_BROWSER=1 but {msg}", pytrace=False)
    pytest.skip(msg)


def _node_slug(request: pytest.FixtureRequest) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", request.node.name)

SITE = Path(os.environ.get("HTTPEXPLORE_LITE_SITE") or REPO / "_lite" / "site")
KERNEL_TIMEOUT_MS = 180_000  # Pyodide + IPython + ipywidgets from loopback; ~10-20 s here
RUN_TIMEOUT_MS = 180_000  # the tutorial sleeps ~3 s between its polls


_CONTENTS_PROBE = re.compile(r"^/api/contents/(.+/)?all\.json$")


class _Handler(http.server.SimpleHTTPRequestHandler):
    extensions_map: ClassVar[dict[str, str]] = {
        **http.server.SimpleHTTPRequestHandler.extensions_map,
        ".wasm": "application/wasm", ".mjs": "text/javascript", ".js": "text/javascript",
        ".json": "application/json"}
    missing: ClassVar[list[str]]

    def send_error(self, code: int, message: str | None = None,
                   explain: str | None = None) -> None:
        # JupyterLab turns file paths in outputs (a traceback's "/lib/python3.12/...") into
        # links by asking the contents API whether such a folder exists; JupyterLite answers
        # from static "api/contents/<folder>/all.json" files, so a folder outside the site's
        # contents is a 404 by design, not a missing asset.
        if code == 404 and not _CONTENTS_PROBE.match(self.path):
            self.missing.append(self.path)
        super().send_error(code, message, explain)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def site() -> Iterator[tuple[str, list[str]]]:
    """``(base URL, list of 404 paths)`` of the site served on 127.0.0.1."""
    if not (SITE / "index.html").is_file():
        _skip_or_fail(f"no JupyterLite site in {SITE}: run `make lite`")
    missing: list[str] = []
    handler = type("Handler", (_Handler,), {"missing": missing})
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(handler, directory=str(SITE)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/", missing
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def lite_page(browser, site: tuple[str, list[str]], artifacts: Path,
              request: pytest.FixtureRequest) -> Iterator[object]:
    """A fresh context per test (JupyterLite keeps its files and settings in the browser's
    storage), with every non-loopback request aborted and recorded, workers included."""
    context = browser.new_context(viewport={"width": 1280, "height": 1600})
    context.set_default_timeout(KERNEL_TIMEOUT_MS)
    blocked: list[str] = []
    context.route(NOT_LOOPBACK, lambda route: (blocked.append(route.request.url), route.abort()))
    console: list[str] = []
    page = context.new_page()
    page.on("console", lambda m: console.append(f"{m.type}: {m.text}"))
    page.on("pageerror", lambda e: console.append(f"pageerror: {e}"))
    page.blocked = blocked  # type: ignore[attr-defined]
    try:
        yield page
    finally:
        slug = _node_slug(request)
        try:
            page.screenshot(path=str(artifacts / f"{slug}-page.png"), full_page=True)
        finally:
            (artifacts / f"{slug}-console.txt").write_text("\n".join(
                console + [f"blocked: {u}" for u in blocked]
                + [f"404: {p}" for p in site[1]]) + "\n")
            context.close()
    assert not blocked, f"the site asked for non-loopback URLs: {blocked}"
    assert not site[1], f"the site asked for files it does not have: {site[1]}"


def _open(page, base: str, notebook: str) -> tuple[float, float]:
    """Open ``notebook`` in JupyterLite and wait for its kernel; return the seconds until the
    notebook is drawn and until the kernel is idle."""
    start = time.monotonic()
    page.goto(f"{base}lab/index.html?path={notebook}")
    page.locator(".jp-NotebookPanel .jp-Notebook .jp-Cell").first.wait_for()
    drawn = time.monotonic() - start
    # "| Idle" only once the kernel really runs (see NOTES.md: a Run All before is dropped).
    page.locator("#jp-main-statusbar").get_by_text(re.compile(r"\| Idle$")).wait_for(
        timeout=KERNEL_TIMEOUT_MS)
    return drawn, time.monotonic() - start


def _code_cells_in_file(notebook: str) -> int:
    cells = json.loads((SITE / "files" / notebook).read_text(encoding="utf-8"))["cells"]
    return sum(cell["cell_type"] == "code" for cell in cells)


def _run_all(page, notebook: str) -> float:
    """Run All; wait until the last code cell has its execution number; return the seconds."""
    from playwright.sync_api import expect

    code_cells = page.locator(".jp-Notebook .jp-CodeCell")
    count = code_cells.count()
    # Every cell is in the page (the site turns JupyterLab's notebook windowing off).
    assert count == _code_cells_in_file(notebook), "some code cells are not in the page"
    start = time.monotonic()
    page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
    page.locator('#jp-mainmenu-run li[data-command="runmenu:run-all"]').click()
    expect(code_cells.last.locator(".jp-InputArea-prompt")).to_have_text(
        f"[{count}]:", timeout=RUN_TIMEOUT_MS)
    return time.monotonic() - start


def _assert_no_failed_cell(page) -> None:
    """No cell printed an error, except the optional ones that go to the real www.php.net:
    a browser page has no TCP sockets (docs/lite.md)."""
    failed = page.locator(".jp-Notebook .jp-CodeCell").filter(has=page.locator(
        '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]'))
    for i in range(failed.count()):
        source = failed.nth(i).locator(".jp-InputArea-editor").inner_text()
        error = failed.nth(i).locator(".jp-OutputArea-output").last.inner_text()
        assert "www.php.net" in source, f"a cell failed in the browser:\n{source}\n{error}"


def _record(artifacts: Path, line: str) -> None:
    with open(artifacts / "lite-timings.txt", "a", encoding="utf-8") as out:
        out.write(line + "\n")


def test_tutorial_runs_in_jupyterlite(lite_page, site, artifacts: Path) -> None:
    from playwright.sync_api import expect

    drawn, ready = _open(lite_page, site[0], "01-tutorial.ipynb")
    run_all = _run_all(lite_page, "01-tutorial.ipynb")
    outputs = lite_page.locator(".jp-Notebook .jp-OutputArea-output")
    _assert_no_failed_cell(lite_page)
    try:
        expect(outputs.filter(has_text="Response is Chunked!")).to_have_count(1)
        got = outputs.filter(has_text=re.compile(r"^bytes got:\s+\d+"))
        expect(got).to_have_count(1)
        n = int(got.inner_text().split(":")[1])
        assert n > 0
        # The same number the notebook adds up from the trace's chunk-size lines.
        expect(outputs.filter(has_text=f"total: {n} bytes")).to_have_count(1)
        expect(outputs.filter(has_text="DISCONNECTED -> CONNECTING -> CONNECTED -> REQUESTING"
                              " -> BODY -> CONNECTED")).to_have_count(1)
    finally:
        lite_page.locator(".jp-Notebook").screenshot(path=str(artifacts / "lite-tutorial.png"))
    _record(artifacts, f"01-tutorial (fresh browser profile): goto -> notebook drawn {drawn:.1f} s,"
                       f" -> kernel idle {ready:.1f} s; Run All {run_all:.1f} s")


def test_inspector_tour_in_jupyterlite(lite_page, site, artifacts: Path) -> None:
    from playwright.sync_api import expect

    _open(lite_page, site[0], "02-inspector-tour.ipynb")
    # The first two code cells: the (in-memory) demo server and the inspector.  Not Run All:
    # the notebook's last cell closes the inspector.
    # Shift+Enter runs a cell and moves on, markdown cells included: one press per cell from
    # the first code cell to the second.
    kinds = lite_page.locator(".jp-Notebook .jp-Cell").evaluate_all(
        "cells => cells.map(c => c.classList.contains('jp-CodeCell'))")
    first = kinds.index(True)
    second = kinds.index(True, first + 1)
    lite_page.locator(".jp-Notebook .jp-CodeCell").first.click()
    for _ in range(second - first + 1):
        lite_page.keyboard.press("Shift+Enter")
    root = lite_page.locator(".hx-inspector")
    expect(root).to_have_count(1, timeout=RUN_TIMEOUT_MS)
    status = root.locator(".hx-status")
    expect(status).to_contain_text("STATUS_DISCONNECTED")
    root.locator("button.hx-connect").click()
    poll = root.locator("button.hx-poll")
    clicks = 0
    while "STATUS_CONNECTED" not in status.inner_text():
        assert clicks < 200, f"not connected after {clicks} polls: {status.inner_text()}"
        poll.click()
        clicks += 1
    root.locator("button.hx-request").click()
    while "STATUS_BODY" not in status.inner_text():
        assert clicks < 400, f"no body after {clicks} polls: {status.inner_text()}"
        poll.click()
        clicks += 1
    expect(root.locator(".hx-headers")).to_contain_text("200 OK")
    root.screenshot(path=str(artifacts / "lite-inspector-body.png"))
    # Auto-poll, on the browser's event loop: it reads the whole body and stops.
    root.locator("button.hx-auto").click()
    expect(status).to_contain_text("STATUS_CONNECTED", timeout=RUN_TIMEOUT_MS)
    expect(root.locator(".hx-body-info")).to_contain_text("complete")
    expect(root.locator(".hx-body-count")).to_have_text(re.compile(r"^[1-9]\d* bytes$"))
    expect(root.locator("button.hx-auto")).not_to_have_class(re.compile(r"mod-active"))
    root.screenshot(path=str(artifacts / "lite-inspector-auto.png"))


# 06-tls and 08-timings-and-har need a TLS demo server, which the browser cannot have (no ssl
# module; the in-memory server refuses tls=True): they are not expected to run here.
@pytest.mark.parametrize("notebook", ["02-inspector-tour.ipynb",
                                      "03-chunked-encoding.ipynb", "04-keep-alive.ipynb",
                                      "05-when-things-go-wrong.ipynb", "07-async-polling.ipynb",
                                      "09-httprequest.ipynb", "fr/01-tutoriel.ipynb"])
def test_topic_notebook_runs_in_jupyterlite(lite_page, site, notebook: str) -> None:
    _open(lite_page, site[0], notebook)
    _run_all(lite_page, notebook)
    _assert_no_failed_cell(lite_page)
