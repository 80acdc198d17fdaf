"""The differential tests need Debian's ``godot3-server``.  Without it they skip with a clear
message, except under ``REQUIRE_GODOT=1`` (CI: ``.ci/run`` installs the engine), where its
absence is a failure.  The helpers next to this file are importable under importlib mode."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

_here = str(Path(__file__).resolve().parent)
if _here not in sys.path:
    sys.path.insert(0, _here)

import godotkit  # noqa: E402


@pytest.fixture(scope="session")
def godot_engine() -> str:
    path = godotkit.godot_available()
    if path is None:
        message = (f"{godotkit.GODOT} is not installed (Debian: apt-get install godot3-server); "
                   "the differential tests against the real Godot engine need it")
        if os.environ.get("REQUIRE_GODOT") == "1":
            pytest.fail(f"REQUIRE_GODOT=1 but {message}", pytrace=False)
        pytest.skip(message)
    return path
