"""What a :class:`~httpexplore.trace.Trace` becomes outside Python: HAR, text, files, HTML.

Theory of operation
-------------------
The recorder keeps records; everything that turns them into a format lives here and reads the
trace only through its public API:

* :mod:`~httpexplore.export.har`: HAR 1.2 (:func:`to_har`, :func:`save_har`);
* :mod:`~httpexplore.export.text`: a ``curl --trace-ascii``-style dump (:func:`to_text`);
* :mod:`~httpexplore.export.store` and :mod:`~httpexplore.export.loader`: the JSON replay format
  (:func:`save`, :func:`load`); loading trusts nothing in the file and builds the trace with
  :meth:`Trace.from_records <httpexplore.trace.Trace.from_records>`;
* :mod:`~httpexplore.export.views`: the plain-text and HTML views shown in notebooks
  (:func:`snapshot`, :func:`to_html`).

A :class:`~httpexplore.trace.Trace` knows no format: call these functions with it
(``export.to_har(trace)``, ``export.save(trace, path)``, ``export.load(path)``...).  Its one
link here is its notebook display, ``Trace._repr_html_``, which returns :func:`to_html`.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from .har import to_har, write_json
from .loader import DEFAULT_MAX_FILE
from .store import dump_records
from .text import to_text
from .views import snapshot, to_html

if TYPE_CHECKING:
    from ..trace import Trace

__all__ = ["load", "save", "save_har", "snapshot", "to_har", "to_html", "to_text"]


def save_har(trace: Trace, path: str | os.PathLike[str], *, raw_bytes: bool = False) -> None:
    """Write :func:`to_har` as UTF-8 JSON (open it in a browser's network tab)."""
    write_json(path, to_har(trace, raw_bytes=raw_bytes))


def save(trace: Trace, path: str | os.PathLike[str]) -> None:
    """Write every record of ``trace`` (bytes as base64) as JSON, for :func:`load`."""
    write_json(path, dump_records(trace))


def load(path: str | os.PathLike[str], *, max_file_bytes: int = DEFAULT_MAX_FILE,
         cls: Any = None) -> Trace:
    """Read a trace written by :func:`save` (as ``cls``, default :class:`Trace`), checking
    every field (:mod:`httpexplore.export.loader`)."""
    from . import loader
    if cls is None:
        from ..trace import Trace
        cls = Trace
    trace: Trace = loader.load(cls, path, max_file_bytes=max_file_bytes)
    return trace
