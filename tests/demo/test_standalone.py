"""The demo server stands alone: stdlib only (plus trustme/cryptography for TLS), and from the
rest of httpexplore only ``_listeners``, the stdlib-only meeting point with in-memory clients."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import httpexplore.demo

PACKAGE = Path(httpexplore.demo.__file__).resolve().parent
ALLOWED_THIRD_PARTY = {"trustme", "cryptography"}


def imported_roots(path: Path) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0 and node.module:
                roots.add(node.module.split(".")[0])
            elif node.level > 1:  # "from .. import x" would reach into the rest of httpexplore
                names = {alias.name for alias in node.names}
                if node.level != 2 or node.module is not None or names != {"_listeners"}:
                    roots.add("httpexplore")
    return roots


def test_imports_only_stdlib_and_tls_helpers() -> None:
    files = sorted(PACKAGE.glob("*.py"))
    assert len(files) >= 8
    for path in files:
        foreign = imported_roots(path) - set(sys.stdlib_module_names) - ALLOWED_THIRD_PARTY
        assert foreign == set(), f"{path.name} imports {foreign}"


def test_tls_helpers_are_imported_lazily() -> None:
    # Module-level imports run on "import httpexplore.demo"; trustme and cryptography may
    # only be imported inside functions, when TLS is asked for.
    for path in sorted(PACKAGE.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        top = {alias.name.split(".")[0] for node in tree.body
               if isinstance(node, ast.Import) for alias in node.names}
        top |= {node.module.split(".")[0] for node in tree.body
                if isinstance(node, ast.ImportFrom) and node.module and node.level == 0}
        assert not top & ALLOWED_THIRD_PARTY, path.name


def test_the_listener_registry_is_stdlib_only() -> None:
    # The one module of httpexplore the demo may import must not pull the client in.
    path = PACKAGE.parent / "_listeners.py"
    tree = ast.parse(path.read_text(encoding="utf-8"))
    assert not [node for node in ast.walk(tree)
                if isinstance(node, ast.ImportFrom) and node.level > 0]
    assert imported_roots(path) <= set(sys.stdlib_module_names)
