"""Issue #13: every notebook survives Run All, offline, and the lessons end with something to
play with.

Each notebook runs top to bottom in a fresh kernel, as JupyterLab's Run All runs it: the
``NBVAL_SKIP`` cells (the optional online cell) included.  The machine may be offline, and the
tests must never leave it: the online cell's target is overridable (``HTTPEXPLORE_ONLINE_URL``)
and points here at a closed port on loopback, so the cell meets a refused connection, the same
"network unreachable" path an offline student meets, and must report it in one line.

After the run, cells appended to the tutorial and tour notebooks check that they leave a live
inspector and a running demo server.  The notebooks run in a copy of ``notebooks/``, so the files
they write (``run.har``) stay out of the checkout.
"""

from __future__ import annotations

import json
import shutil
import socket
from pathlib import Path

import pytest

from tests.tools.run_notebooks import NOTEBOOKS, find_notebooks, run_one

pytestmark = pytest.mark.slow

ALL = [p.relative_to(NOTEBOOKS) for p in find_notebooks()]
# Appended to a lesson that must end with something to play with.
LIVE_CHECK = """
import urllib.request
assert insp.comm is not None, "the inspector was closed"
assert srv.running, "the demo server was stopped"
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
with opener.open(srv.url + "/bytes/3", timeout=10) as answer:
    assert answer.status == 200 and len(answer.read()) == 3
print("live:", type(insp).__name__, insp.client.get_status().name)
"""
LIVE = {"01-tutorial.ipynb", "fr/01-tutoriel.ipynb", "02-inspector-tour.ipynb"}


@pytest.fixture(scope="module")
def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("run-all") / "notebooks"
    shutil.copytree(NOTEBOOKS, target, ignore=shutil.ignore_patterns("*.har", ".ipynb_*"))
    return target


def _outputs(nb: object, marker: str) -> list[str]:
    cells = [c for c in nb.cells if c.cell_type == "code" and marker in c.source]  # type: ignore[attr-defined]
    assert cells, marker
    return ["".join(o.get("text", "")) for o in cells[0].outputs]


@pytest.mark.parametrize("name", ALL, ids=str)
def test_run_all_completes_offline(name: Path, copy: Path, closed_port: int,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPEXPLORE_ONLINE_URL", f"https://127.0.0.1:{closed_port}")
    live = str(name) in LIVE
    outcome = run_one(copy / name, run_skipped=True, extra_cells=(LIVE_CHECK,) if live else ())
    assert not outcome.error, outcome.error
    nb = outcome.notebook
    assert not [o for c in nb.cells if c.cell_type == "code" for o in c.outputs
                if o.output_type == "error"]
    if live:
        assert _outputs(nb, "live:")[0].startswith("live: Inspector")
    if "HTTPEXPLORE_ONLINE_URL" in "".join(c.source for c in nb.cells):
        (text,) = _outputs(nb, "HTTPEXPLORE_ONLINE_URL")
        assert text.startswith("Offline? 127.0.0.1 could not be reached: CANT_CONNECT")
        assert text.count("\n") == 1 and "Traceback" not in text  # one line
    if name.name == "08-timings-and-har.ipynb":
        # The timings table fits a line: the times first, quiet runs folded.
        (text,) = _outputs(nb, "start ms")
        table = text.split("\n\n")[0].splitlines()  # then the cycles' timings
        assert table[0].lstrip().startswith("start ms") and len(table) > 10
        assert max(len(line) for line in table) <= 100
        har = json.loads((copy / "run.har").read_text(encoding="utf-8"))
        assert len(har["log"]["entries"]) == 3  # left next to the notebook for dev tools


def test_run_har_is_not_committed() -> None:
    ignored = (NOTEBOOKS.parent / ".gitignore").read_text(encoding="utf-8").split()
    assert "notebooks/run.har" in ignored


def test_online_cell_still_works_when_the_site_answers() -> None:
    """The optional cell's online branch, with a loopback demo server standing in for
    www.php.net (plain HTTP: the site's address comes from HTTPEXPLORE_ONLINE_URL)."""
    import os
    import subprocess
    import sys

    import nbformat

    from httpexplore.demo import DemoServer

    nb = nbformat.read(NOTEBOOKS / "01-tutorial.ipynb", as_version=4)
    (source,) = [c.source for c in nb.cells if "HTTPEXPLORE_ONLINE_URL" in c.source]
    with DemoServer() as srv:
        env = dict(os.environ, HTTPEXPLORE_ONLINE_URL=srv.url)
        out = subprocess.run(
            [sys.executable, "-c", "import time\nfrom httpexplore import HTTPClient\n"
             "from httpexplore.godot_os import OS\n" + source],
            env=env, capture_output=True, text=True, timeout=120, check=True).stdout
    assert "Offline?" not in out
    assert "code:  200" in out and "Response is Chunked!" in out
    assert "bytes got:  6238" in out and "ChangeLog for the 5.x series" in out
