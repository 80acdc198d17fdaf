"""The in-memory path keeps imports one way: the client side (``memory.py``, the transport,
the client) never imports the demo package, and the demo reaches the client only through the
stdlib-only listener registry."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import httpexplore

PACKAGE = Path(httpexplore.__file__).resolve().parent
CLIENT_SIDE = ["client.py", "memory.py", "_listeners.py", "_ssl.py", "transport.py", "tls.py"]


def relative_imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level:
            found.add(node.module or "")
            found |= {alias.name for alias in node.names} if not node.module else set()
    return found


def test_client_side_modules_do_not_import_the_demo() -> None:
    for name in CLIENT_SIDE:
        imports = relative_imports(PACKAGE / name)
        assert not {m for m in imports if m == "demo" or m.startswith("demo.")}, name


def test_the_client_and_memory_transport_load_no_demo_module() -> None:
    code = ("import sys, httpexplore, httpexplore.memory\n"
            "assert httpexplore.memory.transport_for('127.0.0.1', 1) is None\n"
            "print(sorted(m for m in sys.modules if m.startswith('httpexplore.demo')))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, check=True)
    assert done.stdout.strip() == "[]"
