"""``import httpexplore``, the client, the recorder, the exports and the in-memory demo server
work with no ``ssl`` module, no threads, no sockets and no ``select`` (as in Pyodide); ``ssl``
is imported only when TLS is used."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent / "limited_python.py"


def run_python(*args: str) -> str:
    done = subprocess.run([sys.executable, *args], capture_output=True, text=True, timeout=120,
                          check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_tutorial_recorder_and_exports_without_ssl_threads_or_sockets() -> None:
    result = json.loads(run_python(str(SCRIPT)).strip().splitlines()[-1])
    assert result["attempts"] == []
    assert result["ssl_loaded"] is False
    assert result["code"] == 200 and result["length"] > 6000 and result["reads"] > 1
    assert result["statuses"] == ["DISCONNECTED", "CONNECTING", "CONNECTED", "REQUESTING",
                                  "BODY", "CONNECTED"]
    assert result["har_entries"] == 1 and result["in_memory_in_text"] is True
    assert result["loaded_steps"] is True
    # https:// where there is no ssl: a TLS error status with a plain message, no exception.
    assert result["tls_status"] == "TLS_HANDSHAKE_ERROR"
    assert "no ssl module" in result["tls_message"]


def test_ssl_is_imported_only_when_tls_is_used() -> None:
    code = """
import sys
import httpexplore, httpexplore.demo, httpexplore.export, httpexplore.trace
from httpexplore import HTTPClient, export
from httpexplore.demo import DemoServer
with DemoServer() as srv:   # a socket server, plain HTTP
    c = HTTPClient()
    c.connect_to_host(srv.host, srv.port)
    while c.get_status() != HTTPClient.STATUS_CONNECTED:
        c.poll()
    c.request(HTTPClient.METHOD_GET, "/bytes/100", [])
    while c.get_status() in (HTTPClient.STATUS_REQUESTING, HTTPClient.STATUS_BODY):
        c.poll(); c.read_response_body_chunk()
    export.to_har(c.trace); export.to_text(c.trace)
print("before", "ssl" in sys.modules)
from httpexplore import TLSOptions
TLSOptions.client().create_context()
print("after", "ssl" in sys.modules)
"""
    lines = run_python("-c", code).split()
    assert lines == ["before", "False", "after", "True"]
