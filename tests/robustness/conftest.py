"""Make the shared helpers importable (``--import-mode=importlib``): ``clientkit`` from
``tests/client`` and the case catalogue ``malformed_cases`` from here."""

from __future__ import annotations

import sys
from pathlib import Path

_here = Path(__file__).resolve().parent
for _path in (str(_here), str(_here.parent / "client")):
    if _path not in sys.path:
        sys.path.insert(0, _path)
