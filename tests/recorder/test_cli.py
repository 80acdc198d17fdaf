"""The ``httpexplore`` command."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from httpexplore import cli


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_get_prints_the_tutorial_steps(demo: Any, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "get", f"{demo.url}/ChangeLog-5.php?delay=0.01")
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert lines[:4] == [f"connect_to_host('http://127.0.0.1', {demo.port})",
                         "status: CONNECTING (3)", "status: CONNECTED (5)",
                         "request(GET, '/ChangeLog-5.php?delay=0.01')"]
    assert lines[4:9] == ["status: REQUESTING (6)", "status: BODY (7)", "response? True",
                          "code: 200", "**headers:"]
    assert "  Transfer-Encoding: chunked" in lines
    assert lines[-3:] == ["Response is Chunked!", "status: CONNECTED (5)", "bytes got: 6238"]


def test_get_with_method_headers_data_text_har_and_trace(
        demo: Any, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    har = tmp_path / "out.har"
    code, out, _err = run(capsys, "get", f"{demo.url}/echo?type=text", "-X", "post", "-H",
                          "X-Test: 1", "--data", "hello", "--text", "--trace-ascii",
                          "--har", str(har), "--chunk-size", "256")
    assert code == 0
    assert "request(POST, '/echo?type=text')" in out and "Response Length: " in out
    assert "X-Test: 1\\x0d" in out and out.count("hello") >= 3  # echoed, dumped, and sent
    assert "=> Send header" in out and "=> Send data, 5 bytes (0x5)" in out
    assert f"HAR written to {har}" in out
    entry = json.loads(har.read_text(encoding="utf-8"))["log"]["entries"][0]
    assert entry["request"]["method"] == "POST" and entry["request"]["postData"]["text"] == "hello"


def test_get_head_has_no_body(demo: Any, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _err = run(capsys, "get", f"{demo.url}/bytes/100", "-X", "HEAD")
    assert code == 0 and out.splitlines()[-1] == "bytes got: 0"


def test_failures_exit_non_zero_with_the_message(demo: Any,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    code, out, err = run(capsys, "get", f"http://127.0.0.1:{port}/")
    assert code == 1 and "status: CANT_CONNECT (4)" in out
    assert err.startswith("error: connect: CANT_CONNECT: ") and "refused" in err.lower()
    code, _out, err = run(capsys, "get", f"{demo.url}/malformed/garbage-status-line")
    assert code == 1 and err.startswith("error: request: CONNECTION_ERROR: ")
    code, _out, err = run(capsys, "get", f"{demo.url}/delay/2", "--timeout", "0.2")
    assert code == 1 and "read_timeout" in err
    code, _out, err = run(capsys, "get", f"{demo.url}/", "--chunk-size", "10")
    assert code == 1 and "read_chunk_size" in err


def test_https_options(capsys: pytest.CaptureFixture[str]) -> None:
    from httpexplore.demo import DemoServer

    with DemoServer(tls=True) as srv:
        url = f"https://localhost:{srv.port}/bytes/5"
        assert run(capsys, "get", url, "--cacert", str(srv.ca_path))[0] == 0
        assert run(capsys, "get", url, "--insecure")[0] == 0
        code, _out, err = run(capsys, "get", url)  # the demo CA is not trusted by default
        assert code == 1 and err.startswith("error: connect: TLS_HANDSHAKE_ERROR: ")


def test_bad_arguments(capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (["get", "ftp://x/"], ["get", "http://x/", "-X", "BREW"], ["nope"]):
        with pytest.raises(SystemExit) as exc:
            cli.main(argv)
        assert exc.value.code == 2
    assert cli.main([]) == 2
    capsys.readouterr()


def test_help_documents_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    out = capsys.readouterr().out
    for word in ("get", "demo-server", "lab", "tutorial", "--trace-ascii"):
        assert word in out
    # Each command is listed once (argparse's list; the epilog only has examples).
    assert out.count("run the loopback demo server") == 1
    assert out.count("start JupyterLab") == 1
    with pytest.raises(SystemExit):
        cli.main(["get", "--help"])
    out = capsys.readouterr().out
    for flag in ("-X", "-H", "--data", "--trace-ascii", "--har", "--chunk-size", "--insecure",
                 "--cacert", "--timeout"):
        assert flag in out


def test_subcommands_delegate(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import httpexplore.demo
    import httpexplore.tutorial

    calls: list[Any] = []
    monkeypatch.setattr(httpexplore.demo, "main", lambda argv: calls.append(("demo", argv)) or 0)
    monkeypatch.setattr(httpexplore.tutorial, "main",
                        lambda argv: calls.append(("tutorial", argv)) or 0)
    monkeypatch.setattr(subprocess, "call", lambda cmd: calls.append(("lab", cmd)) or 0)
    assert cli.main(["demo-server", "--port", "8080", "--tls"]) == 0
    assert cli.main(["tutorial", "http://127.0.0.1:1/x"]) == 0
    assert cli.main(["lab", "--no-browser"]) == 0
    assert calls[:2] == [("demo", ["--port", "8080", "--tls"]),
                         ("tutorial", ["http://127.0.0.1:1/x"])]
    lab = calls[2][1]
    assert lab[:3] == [sys.executable, "-m", "jupyterlab"] and lab[-1] == "--no-browser"
    assert lab[lab.index("--notebook-dir") + 1].endswith("notebooks")
    assert "--ServerApp.ip=127.0.0.1" in lab
    assert ("--allow-root" in lab) == (os.geteuid() == 0)
    assert cli.notebook_dir(tmp_path).name == "notebooks"  # the checkout's folder wins


def test_entry_point_runs_as_a_program(demo: Any) -> None:
    done = subprocess.run([sys.executable, "-c", "import sys; from httpexplore.cli import main;"
                           " sys.exit(main())", "get", f"{demo.url}/bytes/7"],
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0 and done.stdout.splitlines()[-1] == "bytes got: 7"
