"""Fixtures for the browser tests: a private JupyterLab, headless Chromium, per-test notebooks.

Recipe: /work/shared/docs/BROWSER-TESTING.md (lifted from its worked example).

* ``jupyter_server`` (session): ``python -m jupyterlab`` with *this* interpreter, on
  127.0.0.1, OS-chosen port (read back from ``jpserver-<pid>.json``), random token, every
  JUPYTER_* directory private, the ``python3`` kernelspec pinned to ``sys.executable``, news
  and update checks off. SIGTERM on teardown (it stops its kernels itself).
* ``browser`` (session): Debian's ``/usr/bin/chromium`` driven by Playwright (never
  ``playwright install``). Missing browser: skip, or fail when ``REQUIRE_BROWSER=1`` (CI).
* ``notebook`` (function): a factory that copies a notebook from ``notebooks/`` under a
  per-test name, optionally rewriting its ``parameters`` cell; the kernel sessions are ended on
  teardown.
* ``browser_context`` (session) and ``page`` (function): one context for the session (its
  caches make later page loads cheaper), a new page per test that aborts every non-loopback
  request; on teardown a full-page screenshot and the console log go to the artifacts directory.
* ``lab`` (function): ``lab.open_and_run_all(nb)`` opens a notebook in a workspace of its own,
  waits until the kernel is really idle and runs all cells (failing with the cells' output if
  one raises); ``lab.widget(selector)`` waits for a rendered widget.

Artifacts go to ``$BROWSER_ARTIFACTS``, else ``artifacts/browser/`` in the repository.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
NOTEBOOKS = HERE / "notebooks"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")

# The fixture notebooks are driven through the browser; never let nbval (``make test`` passes
# ``--nbval``) collect and execute them as notebook tests of their own.
collect_ignore_glob = ["notebooks/*"]

try:
    from playwright.sync_api import Page, expect, sync_playwright
except ImportError:  # pragma: no cover - playwright is in the [test] extra
    sync_playwright = None

# Playwright already passes --headless --no-sandbox --disable-background-networking
# --disable-component-update --disable-sync --no-first-run and a fresh --user-data-dir.
CHROMIUM_ARGS = [
    "--disable-gpu",
    "--disable-quic",
    # Chromium resolves Google hosts in the background even with Playwright's flags:
    # resolve nothing but loopback.
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
]
# Every request that is not for loopback is aborted at once (and listed in the console log).
NOT_LOOPBACK = re.compile(r"^(https?|wss?)://(?!127\.0\.0\.1[:/]|localhost[:/])")

SERVER_START_TIMEOUT = 60  # s; ~1.5 s here
UI_TIMEOUT_MS = 60_000  # JupyterLab shell + kernel start; ~4 s here
EXPECT_TIMEOUT_MS = 20_000  # click -> kernel -> comm -> DOM; ~0.1 s here

# urllib would honour http_proxy & co. even for 127.0.0.1: talk to our server directly.
_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _skip_or_fail(msg: str) -> None:
    if os.environ.get("REQUIRE_BROWSER") == "1":
        pytest.fail(f"REQUIRE_BROWSER=1 but {msg}", pytrace=False)
    pytest.skip(msg)


class JupyterServer:
    """``jupyter lab`` on 127.0.0.1, isolated from the user's Jupyter setup, stopped by pid."""

    def __init__(self, workdir: Path, log_path: Path) -> None:
        self.workdir = workdir
        self.log_path = log_path
        self.token = secrets.token_hex(16)
        self.proc: subprocess.Popen[bytes] | None = None
        self.base_url = ""

    @property
    def root(self) -> Path:
        return self.workdir / "root"

    def _environment(self) -> dict[str, str]:
        d = self.workdir
        for sub in ("root", "config", "data", "runtime", "settings", "workspaces", "ipython"):
            (d / sub).mkdir(parents=True, exist_ok=True)
        # The "get notified about official Jupyter news?" toast is driven by this setting,
        # not by --LabApp.news_url; it would cover the bottom of the page.
        notif = d / "settings" / "@jupyterlab" / "apputils-extension"
        notif.mkdir(parents=True, exist_ok=True)
        (notif / "notification.jupyterlab-settings").write_text(
            json.dumps({"fetchNews": "false", "checkForUpdates": False})
        )
        # The kernel must be this interpreter (the venv), whatever other kernelspecs exist:
        # JUPYTER_DATA_DIR comes first on the kernelspec search path.
        spec = d / "data" / "kernels" / "python3"
        spec.mkdir(parents=True, exist_ok=True)
        (spec / "kernel.json").write_text(json.dumps({
            "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
            "display_name": "Python 3 (ipykernel)",
            "language": "python",
            "metadata": {"debugger": False},
        }))
        pythonpath = os.pathsep.join(
            p for p in (str(REPO), os.environ.get("PYTHONPATH", "")) if p
        )
        return dict(
            os.environ,
            JUPYTER_CONFIG_DIR=str(d / "config"),
            JUPYTER_DATA_DIR=str(d / "data"),
            JUPYTER_RUNTIME_DIR=str(d / "runtime"),
            JUPYTER_PREFER_ENV_PATH="1",
            JUPYTERLAB_SETTINGS_DIR=str(d / "settings"),
            JUPYTERLAB_WORKSPACES_DIR=str(d / "workspaces"),
            IPYTHONDIR=str(d / "ipython"),
            # Kernels inherit this environment: they import this checkout's httpexplore.
            PYTHONPATH=pythonpath,
            PYTHONDONTWRITEBYTECODE="1",
        )

    def start(self) -> None:
        self.launch()
        self.wait_ready()

    def launch(self) -> None:
        env = self._environment()
        cmd = [
            sys.executable, "-m", "jupyterlab",
            "--no-browser",
            "--allow-root",  # the server exits when run as root without it (CI)
            "--ServerApp.ip=127.0.0.1",
            "--ServerApp.port=0",  # the OS picks; read back from jpserver-<pid>.json
            f"--IdentityProvider.token={self.token}",
            f"--ServerApp.root_dir={self.root}",
            "--LabApp.news_url=None",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
            "--LabApp.extension_manager=readonly",
        ]
        self._log = open(self.log_path, "w")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            cmd, env=env, cwd=self.root, stdout=self._log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_ready(self) -> None:
        assert self.proc is not None
        info_file = self.workdir / "runtime" / f"jpserver-{self.proc.pid}.json"
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while True:  # the file can exist a moment before it is completely written
            try:
                info = json.loads(info_file.read_text())
                break
            except (OSError, ValueError):
                self._check_alive(deadline)
                time.sleep(0.05)
        self.base_url = f"http://127.0.0.1:{info['port']}/"
        while True:
            try:
                self.api("GET", "api/status")
                return
            except OSError:
                self._check_alive(deadline)
                time.sleep(0.05)

    def _check_alive(self, deadline: float) -> None:
        assert self.proc is not None
        if self.proc.poll() is not None:
            raise RuntimeError(
                f"jupyter lab exited with {self.proc.returncode}:\n{self.log_path.read_text()}"
            )
        if time.monotonic() > deadline:
            raise TimeoutError(f"jupyter lab not ready:\n{self.log_path.read_text()}")

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}?token={self.token}"

    def api(self, method: str, path: str, body: object = None) -> object:
        req = urllib.request.Request(
            f"{self.base_url}{path}", method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={"Authorization": f"token {self.token}",  # header token: no XSRF check
                     "Content-Type": "application/json"},
        )
        with _DIRECT.open(req, timeout=10) as r:
            body = r.read()
        return json.loads(body) if body else None

    def start_session(self, nb_path: str) -> None:
        """Start the notebook's kernel now, so it boots while the page loads (Lab attaches to
        the existing session of the same path)."""
        self.api("POST", "api/sessions", {"path": nb_path, "name": nb_path, "type": "notebook",
                                          "kernel": {"name": "python3"}})

    def shutdown_sessions(self, nb_path: str) -> None:
        """End the kernel sessions of ``nb_path`` (Lab keys sessions by notebook path)."""
        sessions = self.api("GET", "api/sessions")
        assert isinstance(sessions, list)
        for s in sessions:
            if s.get("path") == nb_path:
                self.api("DELETE", f"api/sessions/{s['id']}")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)  # the server shuts its kernels down itself
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)  # its own session only
                self.proc.wait()
        if getattr(self, "_log", None):
            self._log.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    d = Path(os.environ.get("BROWSER_ARTIFACTS") or REPO / "artifacts" / "browser")
    d.mkdir(parents=True, exist_ok=True)
    return d


@pytest.fixture(scope="session")
def chromium() -> str:
    """The browser binary, checked before anything expensive starts."""
    if sync_playwright is None:
        _skip_or_fail("the Python package 'playwright' is not installed")
    if not os.access(CHROMIUM, os.X_OK):
        _skip_or_fail(f"{CHROMIUM} is missing: apt-get install -y chromium")
    return CHROMIUM


# Module scope, not session: Playwright's sync API keeps an asyncio loop running in this thread
# while it is started, which would break every later test that calls asyncio.run().  Module
# fixtures are torn down as soon as this directory's tests are done.
@pytest.fixture(scope="module")
def browser(chromium: str) -> Iterator[object]:
    pw = sync_playwright().start()
    try:
        b = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        expect.set_options(timeout=EXPECT_TIMEOUT_MS)
        yield b
        b.close()
    finally:
        pw.stop()


@pytest.fixture(scope="module")
def jupyter_server(chromium: str, tmp_path_factory: pytest.TempPathFactory,
                   artifacts: Path, request: pytest.FixtureRequest) -> Iterator[JupyterServer]:
    srv = JupyterServer(tmp_path_factory.mktemp("jupyter"), artifacts / "jupyter-server.log")
    try:
        srv.launch()
        request.getfixturevalue("browser")  # Chromium starts while the server boots
        srv.wait_ready()
        yield srv
    finally:
        srv.stop()


def _node_slug(request: pytest.FixtureRequest) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", request.node.name)


def _with_parameters(nb: dict, params: dict[str, object]) -> dict:
    """Replace the source of the cell tagged ``parameters`` by ``NAME = repr(value)`` lines."""
    cells = [c for c in nb["cells"] if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(cells) == 1, "the notebook needs exactly one cell tagged 'parameters'"
    known = {m.group(1) for m in re.finditer(r"^([A-Z_][A-Z0-9_]*)\s*=",
                                             "".join(cells[0]["source"]), re.M)}
    unknown = set(params) - known
    assert not unknown, f"not parameters of the notebook: {sorted(unknown)}"
    lines = "".join(cells[0]["source"]).splitlines()
    out = [f"{ln.split('=')[0].strip()} = {params[ln.split('=')[0].strip()]!r}"
           if "=" in ln and ln.split("=")[0].strip() in params else ln for ln in lines]
    cells[0]["source"] = "\n".join(out)
    return nb


@pytest.fixture
def notebook(jupyter_server: JupyterServer,
             request: pytest.FixtureRequest) -> Iterator[Callable[..., str]]:
    """``notebook("inspector.ipynb", PATH="/x")`` -> the name of a fresh per-test copy.

    A fresh copy per test: reopening the same path reuses its running kernel session, and
    Lab autosaves into the file.
    """
    made: list[str] = []

    def make(template: str = "inspector.ipynb", **params: object) -> str:
        # A fixture notebook of this folder, or else one of the lessons in notebooks/.
        source = NOTEBOOKS / template
        if not source.is_file():
            source = REPO / "notebooks" / template
        nb = json.loads(source.read_text())
        if params:
            nb = _with_parameters(nb, params)
        name = f"{_node_slug(request)}-{len(made)}.ipynb"
        (jupyter_server.root / name).write_text(json.dumps(nb, indent=1))
        made.append(name)
        jupyter_server.start_session(name)
        return name

    yield make
    for name in made:
        jupyter_server.shutdown_sessions(name)


@pytest.fixture(scope="module")
def browser_context(browser) -> Iterator[object]:
    """One context for the session: its HTTP and code caches make every page load after the
    first one cheaper. Tests stay apart through their own page, notebook, kernel and workspace.
    """
    ctx = browser.new_context(viewport={"width": 1280, "height": 2400})
    ctx.set_default_timeout(UI_TIMEOUT_MS)
    yield ctx
    ctx.close()


@pytest.fixture
def page(browser_context, artifacts: Path, request: pytest.FixtureRequest) -> Iterator[Page]:
    pg = browser_context.new_page()
    blocked: list[str] = []
    pg.route(NOT_LOOPBACK, lambda route: (blocked.append(route.request.url), route.abort()))
    console: list[str] = []
    pg.on("console", lambda m: console.append(f"{m.type}: {m.text}"))
    pg.on("pageerror", lambda e: console.append(f"pageerror: {e}"))
    try:
        yield pg
    finally:
        slug = _node_slug(request)
        try:
            pg.screenshot(path=str(artifacts / f"{slug}-page.png"), full_page=True)
        finally:
            (artifacts / f"{slug}-console.txt").write_text(
                "\n".join(console + [f"blocked: {u}" for u in blocked]) + "\n"
            )
            pg.close()


class Lab:
    """Drives JupyterLab 4 in one page."""

    def __init__(self, server: JupyterServer, page: Page) -> None:
        self.server = server
        self.page = page

    def open_and_run_all(self, nb_name: str) -> None:
        page = self.page
        # A workspace of its own, or Lab restores the previous test's tabs too.
        workspace = nb_name.removesuffix(".ipynb")
        page.goto(self.server.url(f"lab/workspaces/{workspace}/tree/{nb_name}"))
        page.locator(".jp-NotebookPanel .jp-Notebook").wait_for()
        expect(page.locator(".jp-NotebookPanel")).to_have_count(1)
        # Kernel really ready = status bar "<kernel> | Idle". The execution indicator says
        # idle while there is still no kernel, and a Run All issued then is silently dropped.
        page.locator("#jp-main-statusbar").get_by_text(re.compile(r"\| Idle$")).wait_for()
        page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
        page.locator('#jp-mainmenu-run li[data-command="runmenu:run-all"]').click()
        # Every code cell ran; if not, fail with what the cells printed (a traceback, say).
        n = page.locator(".jp-CodeCell").count()
        done = page.locator(".jp-CodeCell").nth(n - 1).locator(
            ".jp-InputArea-prompt", has_text=f"[{n}]:")
        traceback = page.locator(".jp-OutputArea-output",
                                 has_text="Traceback (most recent call last)")
        try:
            expect(done.or_(traceback).first).to_be_visible(timeout=UI_TIMEOUT_MS)
        except AssertionError:
            self.fail_with_outputs(f"Run All did not run the {n} code cells")
        if traceback.count():
            self.fail_with_outputs("a cell raised")

    def widget(self, selector: str):
        """The rendered widget matching ``selector``, waited for."""
        root = self.page.locator(selector)
        try:
            expect(root).to_be_visible()
        except AssertionError:
            self.fail_with_outputs(f"{selector} was not rendered")
        return root

    def fail_with_outputs(self, msg: str) -> None:
        outputs = self.page.locator(".jp-OutputArea-output").all_inner_texts()
        pytest.fail(f"{msg}; cell outputs:\n" + "\n---\n".join(outputs), pytrace=False)


@pytest.fixture
def lab(jupyter_server: JupyterServer, page: Page) -> Lab:
    return Lab(jupyter_server, page)
