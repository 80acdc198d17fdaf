"""Godot's ``HTTPClient.query_string_from_dict``: a dict as ``application/x-www-form-urlencoded``.

:meth:`httpexplore.client.HTTPClient.query_string_from_dict` delegates here.  The encoding is
Godot's, not :func:`urllib.parse.urlencode`'s: booleans are ``true``/``false`` (GDScript's
``String(value)``), a space is ``%20`` (never ``+``), and only the RFC 3986 unreserved
characters are left as they are.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["query_string_from_dict"]


def query_string_from_dict(fields: Mapping[Any, Any]) -> str:
    """Godot's ``application/x-www-form-urlencoded`` builder: ``None`` → bare key, a list
    → the key repeated, everything percent-encoded except ``A-Z a-z 0-9 - . _ ~``."""
    if not isinstance(fields, Mapping):
        raise TypeError(f"fields must be a mapping, not {type(fields).__name__}")
    parts: list[str] = []
    for key, value in fields.items():
        k = _uri_encode(_godot_str(key))
        if value is None:
            parts.append(k)
        elif isinstance(value, (list, tuple)):
            parts.extend(f"{k}={_uri_encode(_godot_str(v))}" for v in value)
        else:
            parts.append(f"{k}={_uri_encode(_godot_str(value))}")
    return "&".join(parts)


_UNRESERVED = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")


def _uri_encode(text: str) -> str:
    """Godot's ``String.uri_encode``: unreserved bytes kept, others ``%XX`` (uppercase)."""
    return "".join(chr(b) if b in _UNRESERVED else f"%{b:02X}" for b in text.encode("utf-8"))


def _godot_str(value: Any) -> str:
    """GDScript's ``String(value)`` for the types a query dict holds."""
    if value is True:
        return "true"
    if value is False:
        return "false"
    return str(value)
