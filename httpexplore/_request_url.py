"""URLs for :class:`~httpexplore.httprequest.HTTPRequest`: parsing, and following a redirect.

Godot's ``HTTPRequest`` accepts ``http://`` and ``https://`` URLs only (anything else is
``ERR_INVALID_PARAMETER``), defaults the port to 80 or 443 and sends ``/`` for an empty path.

Redirects follow RFC 9110 §15.4 (Godot's code differs; see ``docs/httprequest.md``):

* ``Location`` is a URI reference resolved against the URL that was requested (§10.2.2, with
  RFC 3986 §5), so ``/next``, ``next`` and ``//host/next`` all work; Godot takes a value that
  does not start with ``http`` as the new path verbatim.
* 301 and 302: a POST becomes a GET without a body, as browsers do (§15.4.2, §15.4.3 allow it
  "for historical reasons"); other methods are kept.
* 303: every method but HEAD becomes GET without a body (§15.4.4).
* 307 and 308: method and body are kept (§15.4.8, §15.4.9).
* When the body is dropped, so are the header fields that described it; when the redirect leaves
  the origin (scheme, host or port change), ``Authorization`` and ``Cookie`` are dropped.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from .status import Method

__all__ = ["REDIRECT_CODES", "Target", "parse_url", "redirect_target", "redirected_request"]

#: The codes that are followed (300, 304, 305 and 306 are not redirects to follow).
REDIRECT_CODES = frozenset({301, 302, 303, 307, 308})

_BODY_FIELDS = ("content-type", "content-length", "content-encoding", "content-language",
                "content-location", "transfer-encoding")
_CREDENTIALS = ("authorization", "cookie")


@dataclass(frozen=True)
class Target:
    """Where a request goes: ``tls``, ``host`` (IPv6 in brackets), ``port`` and the request
    target ``path`` (origin-form: path and query, no fragment)."""

    tls: bool
    host: str
    port: int
    path: str

    @property
    def origin(self) -> tuple[bool, str, int]:
        return self.tls, self.host.lower(), self.port

    @property
    def url(self) -> str:
        scheme = "https" if self.tls else "http"
        default = 443 if self.tls else 80
        port = "" if self.port == default else f":{self.port}"
        return f"{scheme}://{self.host}{port}{self.path}"


def parse_url(url: str) -> Target | str:
    """The :class:`Target` of an absolute ``http``/``https`` URL, or a sentence saying what is
    wrong with it."""
    if not isinstance(url, str):
        raise TypeError(f"url must be a str, not {type(url).__name__}")
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        return f"{url!r} is not a valid URL ({exc})"
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        shown = f"{scheme}://" if scheme else "no scheme"
        return (f"{url!r} has {shown}: HTTPRequest only makes http:// and https:// requests "
                "(write the URL in full, e.g. http://127.0.0.1:8080/path)")
    host = parts.hostname or ""
    if not host:
        return f"{url!r} has no host"
    if parts.username is not None or parts.password is not None:
        return f"{url!r} has user information; send an Authorization header instead"
    if ":" in host:
        host = f"[{host}]"
    tls = scheme == "https"
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return Target(tls, host, port if port else (443 if tls else 80), path)


def redirect_target(current: Target, location: str) -> Target | str:
    """Resolve a ``Location`` value against the URL requested; a sentence if it cannot be
    followed (not http(s), no host)."""
    return parse_url(urljoin(current.url, location.strip()))


def redirected_request(code: int, method: Method, body: bytes, headers: list[str],
                       same_origin: bool) -> tuple[Method, bytes, list[str]]:
    """The method, body and header fields of the request that follows a ``code`` redirect."""
    drop_body = (code == 303 and method is not Method.HEAD) or \
        (code in (301, 302) and method is Method.POST)
    if drop_body:
        method, body = Method.GET, b""
        headers = [h for h in headers if _name(h) not in _BODY_FIELDS]
    if not same_origin:
        headers = [h for h in headers if _name(h) not in _CREDENTIALS]
    return method, body, headers


def _name(header: str) -> str:
    return header.split(":", 1)[0].strip().lower()
