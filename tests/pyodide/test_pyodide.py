"""The seed tutorial in real Pyodide under Node: the npm ``pyodide`` core (no network at run
time), the project's wheel and h11's wheel unpacked into Pyodide's file system, and
``DemoServer()`` in the same process -- in memory there by default, since Pyodide has no
sockets, threads or ``ssl``. Same body and status flow as on CPython.

Needs ``node`` and ``npm`` (``.ci/run`` installs them from Debian). Without them the test
skips locally and fails when ``REQUIRE_PYODIDE=1`` (CI).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from core import PYODIDE_VERSION, install_core  # noqa: E402


def _missing(message: str) -> None:
    if os.environ.get("REQUIRE_PYODIDE") == "1":
        pytest.fail(f"REQUIRE_PYODIDE=1 but {message}", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="module")
def node() -> str:
    found = shutil.which("node")
    if found is None:
        _missing("node is not installed (Debian: apt-get install nodejs npm)")
    assert found is not None
    return found


@pytest.fixture(scope="module")
def pyodide_core(node: str) -> Path:
    try:
        return install_core()
    except RuntimeError as exc:
        _missing(str(exc))
        raise


@pytest.fixture(scope="module")
def wheels(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[Path]]:
    """The project's wheel, built from this tree, and the h11 wheel it runs with."""
    import h11

    folder = tmp_path_factory.mktemp("wheels")
    pip = [sys.executable, "-m", "pip"]
    for command in (
        [*pip, "wheel", "--no-deps", "--quiet", "-w", str(folder), str(ROOT)],
        [*pip, "download", "--no-deps", "--quiet", "-d", str(folder), f"h11=={h11.__version__}"],
    ):
        done = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
        assert done.returncode == 0, done.stderr
    found = sorted(folder.glob("*.whl"))
    assert [p.name.split("-")[0] for p in found] == ["h11", "httpexplore"], found
    yield found


def summary(command: list[str]) -> dict[str, object]:
    done = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False,
                          cwd=ROOT)
    assert done.returncode == 0, done.stderr[-4000:]
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def test_seed_tutorial_in_real_pyodide(node: str, pyodide_core: Path,
                                       wheels: list[Path]) -> None:
    script = str(HERE / "seed_tutorial.py")
    in_pyodide = summary([node, str(HERE / "run_in_pyodide.mjs"), str(pyodide_core), script,
                          *map(str, wheels)])
    on_cpython = summary([sys.executable, script])
    assert json.loads((pyodide_core / "package.json").read_text())["version"] == PYODIDE_VERSION
    assert in_pyodide["platform"] == "emscripten" and on_cpython["platform"] != "emscripten"
    # DemoServer() is in memory in Pyodide, a socket server on CPython; the client got there
    # with connect_to_host(srv.host, srv.port) in both.
    assert (in_pyodide["in_memory"], in_pyodide["transports"]) == (True, ["in-memory"])
    assert (on_cpython["in_memory"], on_cpython["transports"]) == (False, ["socket"])
    for key in ("code", "headers", "chunked", "length", "sha256", "statuses", "har_entries",
                "text_lines", "snapshot"):
        assert in_pyodide[key] == on_cpython[key], key
    assert in_pyodide["code"] == 200 and in_pyodide["chunked"] is True
    assert in_pyodide["statuses"] == ["DISCONNECTED", "CONNECTING", "CONNECTED", "REQUESTING",
                                      "BODY", "CONNECTED"]
    # Paced in memory too: the page arrives over several reads when polled quickly.
    assert isinstance(in_pyodide["reads"], int) and in_pyodide["reads"] > 1


def test_inspector_paths_in_real_pyodide(node: str, pyodide_core: Path,
                                         wheels: list[Path]) -> None:
    """The inspector's views, state diagram and auto_poll, the trace's snapshot, text dump,
    HAR and save/load: the same results in Pyodide as in CPython (views byte for byte)."""
    script = str(HERE / "inspector_paths.py")
    in_pyodide = summary([node, str(HERE / "run_in_pyodide.mjs"), str(pyodide_core), script,
                          *map(str, wheels)])
    on_cpython = summary([sys.executable, script])
    assert (in_pyodide["platform"], in_pyodide["web"]) == ("emscripten", True)
    assert (on_cpython["web"], in_pyodide["in_memory"], on_cpython["in_memory"]) == \
        (False, True, False)
    for key in ("path", "views", "view_count", "final_snapshot", "diagram", "trace_snapshot",
                "loaded_snapshot_same", "text_lines", "har", "har_file_entries", "body_preview",
                "auto_code", "auto_body", "auto_status", "auto_steps_over_one",
                "port_in_range"):
        assert in_pyodide[key] == on_cpython[key], key
    assert in_pyodide["loaded_snapshot_same"] is True and in_pyodide["har_file_entries"] == 1
    assert in_pyodide["body_preview"] == "hello world\n"
    assert in_pyodide["har"][2:] == [200, 12, "hello world\n"]  # type: ignore[index]
    # auto_poll ran on Pyodide's JavaScript event loop, paced by the in-memory server.
    assert (in_pyodide["auto_code"], in_pyodide["auto_status"]) == (200, "CONNECTED")
    assert len(in_pyodide["auto_body"]) == 20  # type: ignore[arg-type]  # /drip?bytes=20
    assert in_pyodide["auto_steps_over_one"] is True
    # The in-memory server got a real port number (Emscripten's bind picks none).
    assert in_pyodide["port_in_range"] is True
