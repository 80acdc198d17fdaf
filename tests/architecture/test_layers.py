"""Imports go one way between the layers of docs/architecture.md ("The client's layers").

Every import of an ``httpexplore`` module by another is read with ``ast`` (also the ones inside
functions and under ``TYPE_CHECKING``) and checked against the layer table below: a module may
import its own layer and the layers listed for it, nothing else.  The engine and the modules
under it may not import anything that does I/O or reads a clock.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import httpexplore

PACKAGE = Path(httpexplore.__file__).resolve().parent

#: Layer of every top-level module (``demo`` and ``inspector`` are whole packages).
LAYERS: dict[str, str] = {
    "client": "facade",
    "driver": "loop", "_steps": "loop",
    "connector": "connector",
    "transport": "transport", "memory": "transport", "_listeners": "transport",
    "_ssl": "transport", "tls": "transport",
    "engine": "engine", "request": "engine", "response": "engine", "_cycle": "engine",
    "_h11compat": "engine", "_fasthead": "engine",
    "errors": "base", "status": "base", "records": "base", "hosts": "base", "query": "base",
    "trace": "recorder", "_rowstore": "recorder", "_analysis": "recorder",
    "cycles": "recorder", "annotate": "recorder",
    "export": "export", "_render": "export",
    "cli": "ui", "tutorial": "ui", "inspector": "ui",
    "demo": "demo",
    "httprequest": "node", "signals": "node", "_download": "node", "_request_url": "node",
    "godot_os": "godot",
    "__init__": "package",
}

#: What each layer may import besides itself.
ALLOWED: dict[str, set[str]] = {
    "base": {"engine:_h11compat"},  # errors reads h11's complaints through the compat module
    "engine": {"base", "transport:tls"},  # (request checks TLSOptions given to connect)
    "transport": {"base"},
    "connector": {"engine", "transport", "base", "loop:_steps"},
    "loop": {"connector", "engine", "transport", "base"},
    "facade": {"loop", "engine", "transport", "base"},
    "recorder": {"base", "facade"},  # (the client only as a type, under TYPE_CHECKING)
    "export": {"recorder", "base", "facade", "package"},
    "ui": {"facade", "recorder", "export", "base", "engine", "transport", "demo", "package",
           "loop", "connector"},
    "demo": {"transport:_listeners"},  # the in-memory listener registry, stdlib only
    # Godot's HTTPRequest node, on the public client (the inspector only through client.inspect)
    "node": {"facade", "base", "transport:tls"},
    "godot": set(),  # Godot's OS singleton for notebooks: the standard library only
    "package": set(LAYERS.values()),
}

#: Imports that break the table today, each with the reason; when one goes, so must its line
#: here (``test_known_exceptions_are_still_needed`` fails as soon as one is no longer used).
KNOWN_EXCEPTIONS: dict[tuple[str, str], str] = {
    ("trace", "export"): "Trace._repr_html_ (the notebook display, which Jupyter looks up on the "
                         "object) returns export.to_html(trace); no format lives in trace.py",
}

#: Modules that must not do I/O or read a clock, and what that means in imports.
NO_IO = ["engine", "request", "response", "_cycle", "_h11compat", "_fasthead", "errors", "status",
         "records", "hosts", "query", "_steps"]
IO_MODULES = {"socket", "select", "selectors", "ssl", "threading", "time", "asyncio",
              "concurrent", "subprocess"}


def _top_modules(path: Path) -> tuple[str, int]:
    """(the importing module's layer key, the package depth of its file)."""
    rel = path.relative_to(PACKAGE)
    if len(rel.parts) > 1:
        return rel.parts[0], len(rel.parts) - 1
    return rel.stem, 0


def internal_imports(path: Path) -> set[str]:
    """The top-level ``httpexplore`` modules ``path`` imports (``__init__`` for the package)."""
    _me, depth = _top_modules(path)
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                if node.level <= depth:
                    continue  # inside its own subpackage
                module = node.module
            elif node.module and node.module.split(".")[0] == "httpexplore":
                module = node.module.partition(".")[2] or None
            else:
                continue
            if module:
                found.add(module.split(".")[0])
            else:  # from . import a, b
                for alias in node.names:
                    name = alias.name
                    exists = (PACKAGE / f"{name}.py").exists() or (PACKAGE / name).is_dir()
                    found.add(name if exists else "__init__")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] == "httpexplore":
                    found.add(parts[1] if len(parts) > 1 else "__init__")
    return found


def stdlib_imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            found.add(node.module.split(".")[0])
    return found


def all_edges() -> set[tuple[str, str]]:
    edges = set()
    for path in PACKAGE.rglob("*.py"):
        me, _depth = _top_modules(path)
        for target in internal_imports(path):
            if target != me:
                edges.add((me, target))
    return edges


def test_every_module_has_a_layer() -> None:
    names = {p.stem for p in PACKAGE.glob("*.py")} | {
        p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert names - set(LAYERS) == set(), "add the new module to LAYERS (and the docs' picture)"


def _allowed(source: str, target: str) -> bool:
    layer, target_layer = LAYERS[source], LAYERS[target]
    if layer == target_layer:
        return True
    rules = ALLOWED[layer]
    return target_layer in rules or f"{target_layer}:{target}" in rules


def test_imports_follow_the_layers() -> None:
    wrong = sorted(f"{a} ({LAYERS[a]}) imports {b} ({LAYERS[b]})" for a, b in all_edges()
                   if not _allowed(a, b) and (a, b) not in KNOWN_EXCEPTIONS)
    assert wrong == []


def test_known_exceptions_are_still_needed() -> None:
    edges = all_edges()
    assert [edge for edge in KNOWN_EXCEPTIONS if edge not in edges] == []


@pytest.mark.parametrize(("source", "target"), [
    ("engine", "transport"), ("engine", "driver"), ("connector", "driver"),
    ("driver", "client"), ("trace", "inspector"), ("demo", "client"), ("client", "trace"),
    ("errors", "client"), ("_steps", "trace"), ("export", "inspector"), ("trace", "_render"),
    ("trace", "export"),
])
def test_the_table_refuses_the_edges_the_architecture_rules_out(source: str,
                                                                 target: str) -> None:
    """The check itself: these imports would be reported (the table is not permissive)."""
    assert not _allowed(source, target)


def test_nothing_imports_the_inspector_but_the_package() -> None:
    assert {a for a, b in all_edges() if b == "inspector"} <= {"__init__"}


@pytest.mark.parametrize("name", NO_IO)
def test_the_engine_and_below_do_no_io_and_read_no_clock(name: str) -> None:
    assert stdlib_imports(PACKAGE / f"{name}.py") & IO_MODULES == set()


def test_the_reader_sees_lazy_and_type_checking_imports() -> None:
    """The parser follows imports inside functions and under TYPE_CHECKING (trace.py has both)."""
    assert {"export", "client"} <= internal_imports(PACKAGE / "trace.py")
