"""The inspector: an ipywidgets UI over an :class:`~httpexplore.HTTPClient`.

``Inspector(client)`` shows the client's status, response headers, growing body, the bytes on
the wire, the status machine, a per-step timeline, timings and a history slider, and drives the
client with Connect / Request / Poll / Read chunk / Auto-poll / Reset buttons.  Importing this
package imports ipywidgets; ``import httpexplore`` does not import it.

Modules: :mod:`.widget` (the widget), :mod:`.views` (what each view shows, as strings),
:mod:`.steps` (the Steps table), :mod:`.history` (which steps the history slider stops at),
:mod:`.diagram` (the SVG state diagram), :mod:`.autopoll` (auto-poll on the event loop and
refresh throttling), :mod:`.autotask` (the Auto-poll toggle's task), :mod:`.static` (the static
HTML copy in the display data, for pages read without a kernel).
"""

from __future__ import annotations

from .widget import DEFAULT_HEADERS, Inspector

__all__ = ["DEFAULT_HEADERS", "Inspector"]
