"""``python -m httpexplore.demo`` / ``main(argv)``: runs in the foreground, stops on Ctrl-C."""

from __future__ import annotations

import http.client
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

import httpexplore.demo
from httpexplore.demo import main

# The folder that holds the ``httpexplore`` package, so the child imports this same code.
SOURCE_ROOT = str(Path(httpexplore.demo.__file__).resolve().parents[2])


def run_until_url(*args: str) -> tuple[subprocess.Popen[str], list[str]]:
    env = {**os.environ, "PYTHONPATH": SOURCE_ROOT, "PYTHONUNBUFFERED": "1"}
    child = subprocess.Popen([sys.executable, "-m", "httpexplore.demo", *args], cwd=SOURCE_ROOT,
                             env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert child.stdout is not None
    lines = [child.stdout.readline()]
    if "--tls" in args:
        lines.append(child.stdout.readline())
    return child, lines


def stop(child: subprocess.Popen[str]) -> tuple[int, str]:
    child.send_signal(signal.SIGINT)
    out, err = child.communicate(timeout=20)
    return child.returncode, out + err


def test_module_runs_and_stops_on_ctrl_c() -> None:
    child, lines = run_until_url("--port", "0")
    try:
        match = re.fullmatch(
            r"Serving http://127\.0\.0\.1:(\d+)/ \(the route table is at /; Ctrl-C to stop\)\n",
            lines[0])
        assert match, lines
        conn = http.client.HTTPConnection("127.0.0.1", int(match[1]), timeout=10)
        conn.request("GET", "/status/200")
        assert conn.getresponse().status == 200
        conn.close()
    finally:
        code, rest = stop(child)
    assert code == 0, rest
    assert "Stopping." in rest


def test_tls_prints_the_ca_file_and_removes_it() -> None:
    child, lines = run_until_url("--tls")
    try:
        assert lines[0].startswith("Serving https://127.0.0.1:"), lines
        ca_match = re.fullmatch(r"CA certificate: (.+\.pem)\n", lines[1])
        assert ca_match, lines
        with open(ca_match[1], "rb") as file:
            assert file.read().startswith(b"-----BEGIN CERTIFICATE-----")
    finally:
        code, rest = stop(child)
    assert code == 0, rest
    assert not os.path.exists(ca_match[1])


def test_cert_needs_tls(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--cert", "expired"])
    assert info.value.code == 2
    assert "--cert needs --tls" in capsys.readouterr().err


def test_port_in_use_reports_and_returns_1(capsys: pytest.CaptureFixture[str]) -> None:
    with httpexplore.demo.DemoServer() as srv:
        assert main(["--port", str(srv.port)]) == 1
    assert "cannot start" in capsys.readouterr().err
