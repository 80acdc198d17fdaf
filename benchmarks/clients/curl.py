"""``curl -o /dev/null``: one curl process, every URL of the run on its one connection."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from .common import ClientFailed, Outcome, Unavailable


def run(host: str, port: int, path: str, count: int) -> Outcome:
    curl = shutil.which("curl")
    if curl is None:
        raise Unavailable("curl is not installed")
    url = f"http://{host}:{port}{path}"
    with tempfile.TemporaryDirectory(prefix="httpexplore-bench-curl-") as tmp:
        config = Path(tmp) / "urls.conf"
        # A config file rather than argv: 10,000 URLs would not fit on a command line.
        config.write_text(f'url = "{url}"\noutput = "/dev/null"\n' * count)
        proc = subprocess.run(
            [curl, "--silent", "--show-error", "--fail", "--noproxy", "*", "--config", str(config),
             "--write-out", "%{size_download} %{num_connects}\\n"],
            capture_output=True, text=True, check=False)
    if proc.returncode:
        raise ClientFailed(f"curl exited {proc.returncode}: {proc.stderr.strip()}")
    lines = [line.split() for line in proc.stdout.splitlines() if line.strip()]
    if len(lines) != count:
        raise ClientFailed(f"curl reported {len(lines)} transfers, expected {count}")
    connects = sum(int(c) for _, c in lines)
    return Outcome(sum(int(s) for s, _ in lines), child_rusage=True,
                   extra={"connections": connects})
