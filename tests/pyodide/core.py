"""The Pyodide core for the real-Pyodide test: the npm ``pyodide`` package, pinned, installed
with npm into a git-ignored cache folder (``.cache/pyodide`` at the repository root).

``make pyodide-core`` (or ``python -m tests.pyodide.core``) installs it; the test's fixture
does the same on first use. Only the install talks to the npm registry; running Pyodide loads
nothing but these files.

0.26.4 is pinned because its lockfile's micropip (0.6.0) and packaging (23.2) are on PyPI as
wheels, which an offline JupyterLite build needs later.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

__all__ = ["CACHE", "PYODIDE_VERSION", "core_dir", "install_core"]

PYODIDE_VERSION = "0.26.4"
CACHE = Path(__file__).resolve().parents[2] / ".cache" / "pyodide"
_FILES = ("pyodide.mjs", "pyodide.asm.wasm", "pyodide.asm.js", "python_stdlib.zip",
          "pyodide-lock.json")


def core_dir() -> Path:
    """Where the core's files are (they may not be installed yet)."""
    return CACHE / PYODIDE_VERSION / "node_modules" / "pyodide"


def installed() -> bool:
    return all((core_dir() / name).is_file() for name in _FILES)


def install_core() -> Path:
    """Install the pinned core with npm if it is not there yet; return its folder.

    Raises ``RuntimeError`` with npm's output if npm is missing or fails.
    """
    if installed():
        return core_dir()
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError("npm is not installed (Debian: apt-get install nodejs npm)")
    prefix = CACHE / PYODIDE_VERSION
    prefix.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        [npm, "install", "--prefix", str(prefix), "--no-audit", "--no-fund", "--ignore-scripts",
         "--no-save", f"pyodide@{PYODIDE_VERSION}"],
        capture_output=True, text=True, timeout=600, check=False)
    if done.returncode != 0 or not installed():
        raise RuntimeError(f"npm install pyodide@{PYODIDE_VERSION} failed:\n{done.stdout}\n"
                           f"{done.stderr}")
    return core_dir()


if __name__ == "__main__":
    print(install_core())
    sys.exit(0)
