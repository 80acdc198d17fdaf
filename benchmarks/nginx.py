"""nginx from Debian's package on a loopback port, with a config of its own, when installed.

The document root holds the same paths as :mod:`benchmarks.server` for the Content-Length
workloads (``/cl/<bytes>``, ``/small``); nginx cannot choose chunk frame sizes, so the chunked
workloads run against the Python server only.  nginx runs in the foreground as a single process
(``master_process off``) so it is ended with the harness and needs no user switch.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from .server import BLOCK_SIZE, SMALL_BODY_SIZE, pinned

_CONF = """\
daemon off;
master_process off;
worker_processes 1;
pid {root}/nginx.pid;
error_log {root}/error.log warn;
events {{ worker_connections 64; }}
http {{
    access_log off;
    default_type application/octet-stream;
    sendfile on;
    tcp_nopush on;
    tcp_nodelay on;
    keepalive_requests 1000000;
    keepalive_timeout 120s;
    client_body_temp_path {root}/tmp;
    proxy_temp_path {root}/tmp;
    fastcgi_temp_path {root}/tmp;
    uwsgi_temp_path {root}/tmp;
    scgi_temp_path {root}/tmp;
    server {{
        listen 127.0.0.1:{port};
        root {root}/www;
        location / {{ }}
    }}
}}
"""


def nginx_binary() -> str | None:
    """The nginx executable, or None when it is not installed."""
    return shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if Path(p).exists()), None)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _write_body(path: Path, size: int) -> None:
    block = bytes(range(256)) * (BLOCK_SIZE // 256)
    with path.open("wb") as f:
        while size > 0:
            f.write(block[: min(size, BLOCK_SIZE)])
            size -= BLOCK_SIZE


class Nginx:
    """nginx serving ``/cl/<size>`` for each of ``sizes`` and ``/small`` on 127.0.0.1."""

    def __init__(self, binary: str, sizes: set[int], cpus: set[int] | None = None) -> None:
        self._dir = tempfile.TemporaryDirectory(prefix="httpexplore-bench-nginx-")
        root = Path(self._dir.name)
        root.chmod(0o755)
        for sub in ("www/cl", "tmp"):
            (root / sub).mkdir(parents=True)
        for size in sizes:
            _write_body(root / "www" / "cl" / str(size), size)
        (root / "www" / "small").write_bytes(bytes(SMALL_BODY_SIZE))
        self.port = _free_port()
        conf = root / "nginx.conf"
        conf.write_text(_CONF.format(root=root, port=self.port))
        self._proc = subprocess.Popen(
            [binary, "-p", str(root), "-c", str(conf), "-e", str(root / "error.log")],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
            preexec_fn=pinned(cpus))
        self._wait_ready(root)

    def _wait_ready(self, root: Path) -> None:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                err = self._proc.stderr.read() if self._proc.stderr else ""
                log = (root / "error.log").read_text() if (root / "error.log").exists() else ""
                self._dir.cleanup()
                raise RuntimeError(f"nginx exited: {err.strip()} {log.strip()}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.05)
        self.close()
        raise RuntimeError("nginx did not start listening within 10 s")

    def close(self) -> None:
        if self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        if self._proc.stderr:
            self._proc.stderr.close()
        self._dir.cleanup()

    def __enter__(self) -> Nginx:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
