"""``Signal``: Godot's signal object, small enough for a Python node.

In Godot 4 a signal is a value: ``request.request_completed.connect(callable)``,
``.disconnect(callable)``, ``.is_connected(callable)``, ``.emit(...)``.  Connecting the same
callable twice is an error there (unless a flag says otherwise); here it is refused the same way,
with ``ERR_INVALID_PARAMETER``, and disconnecting a callable that is not connected likewise.
Callables run in the order they were connected, on the thread that emits.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .errors import Error

__all__ = ["Signal"]


class Signal:
    """A named signal with Godot 4's ``connect`` / ``disconnect`` / ``emit`` methods."""

    def __init__(self, name: str, *arguments: str) -> None:
        self.name = name
        #: The argument names, as in the class reference (for display only).
        self.arguments = arguments
        self._callables: list[Callable[..., Any]] = []

    def connect(self, callable_: Callable[..., Any]) -> Error:
        """Call ``callable_`` on every emission.  ``ERR_INVALID_PARAMETER`` if it is already
        connected (Godot refuses a second connection of the same callable)."""
        if not callable(callable_):
            raise TypeError(f"connect() needs a callable, not {type(callable_).__name__}")
        if callable_ in self._callables:
            return Error.ERR_INVALID_PARAMETER
        self._callables.append(callable_)
        return Error.OK

    def disconnect(self, callable_: Callable[..., Any]) -> Error:
        """Stop calling ``callable_``; ``ERR_INVALID_PARAMETER`` if it was not connected."""
        if callable_ not in self._callables:
            return Error.ERR_INVALID_PARAMETER
        self._callables.remove(callable_)
        return Error.OK

    def is_connected(self, callable_: Callable[..., Any]) -> bool:
        return callable_ in self._callables

    def get_connections(self) -> list[Callable[..., Any]]:
        """The connected callables, in connection order."""
        return list(self._callables)

    def emit(self, *args: Any) -> None:
        """Call every connected callable with ``args`` (a copy of the list is iterated, so a
        callable may disconnect itself, or connect another, while the signal is emitted)."""
        for callable_ in list(self._callables):
            callable_(*args)

    def __repr__(self) -> str:
        return (f"<Signal {self.name}({', '.join(self.arguments)}): "
                f"{len(self._callables)} connected>")
