"""Fixtures for the HTTPRequest tests: a demo server per module, and the helpers of
``requestkit`` (plus ``clientkit``'s raw loopback server) importable under importlib mode."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

for _path in (Path(__file__).resolve().parent, Path(__file__).resolve().parent.parent / "client"):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from httpexplore.demo import DemoServer  # noqa: E402


@pytest.fixture(scope="module")
def srv() -> Iterator[DemoServer]:
    with DemoServer(silence_timeout=0.5) as server:
        yield server
