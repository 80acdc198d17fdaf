"""Fixtures for the in-memory demo server tests: a fake clock.

``clientkit`` (from ``tests/client``) is made importable (``--import-mode=importlib``).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

_here = Path(__file__).resolve().parent
for _path in (str(_here), str(_here.parent / "client")):
    if _path not in sys.path:
        sys.path.insert(0, _path)

from memkit import FakeClock  # noqa: E402


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()
