"""Make the shared helpers (``clientkit``) importable: the suite uses ``--import-mode=importlib``,
under which test modules cannot import their neighbours."""

from __future__ import annotations

import sys
from pathlib import Path

_here = str(Path(__file__).resolve().parent)
if _here not in sys.path:
    sys.path.insert(0, _here)
