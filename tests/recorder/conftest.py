"""Make ``recorderkit`` importable (the suite uses ``--import-mode=importlib``) and share a demo
server between the live tests of this folder."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

_here = str(Path(__file__).resolve().parent)
if _here not in sys.path:
    sys.path.insert(0, _here)


@pytest.fixture(scope="module")
def demo() -> Iterator[object]:
    from httpexplore.demo import DemoServer

    with DemoServer() as srv:
        yield srv
