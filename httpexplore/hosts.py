"""Host names and request targets, checked before anything is sent (issue #12 item 5).

Theory of operation
-------------------
A host given to ``connect_to_host`` or ``set_http(s)_proxy`` ends up in a request line
(absolute-form through an HTTP proxy, ``CONNECT host:port`` through an HTTPS one), in the
``Host`` field and in a DNS query.  So it must be exactly one host and nothing more: an IPv4
address, an IPv6 address (bracketed as in a URL, or bare), or a *reg-name* (RFC 3986 §3.2.2)
that DNS can carry (labels of 1 to 63 octets, at most 253 in all, RFC 1035 §2.3.4).  Anything
else (``good.example@evil.example``, ``evil.example#.good.example``, ``evil.example/x``, a
``host:port`` string, a 300-character name) is refused with a sentence saying why, instead of
being glued into a URL whose meaning changes on the way.

A name whose last label is a number (``1.2.3``, ``0x7f.1``) is refused unless it is a plain
dotted-quad IPv4 address: the C resolver reads such names as numeric addresses in legacy forms
(``1.2.3`` is 1.2.0.3), so the address connected to would not be the one written (the WHATWG
URL Standard treats them as IPv4 for the same reason).

Request targets: :func:`absolute_parts` splits an absolute-form target (``http://host:port/p``)
given to ``request()`` and refuses userinfo (RFC 9110 §4.2.4: a sender must not generate it);
:func:`strip_fragment` drops a ``#fragment``, which is never sent (RFC 9110 §4.2.4, RFC 9112
§3.2).
"""

from __future__ import annotations

import ipaddress
import string

__all__ = ["absolute_parts", "host_problem", "ip_literal", "strip_fragment"]

# RFC 3986 §2.3 unreserved and §2.2 sub-delims; "%" for pct-encoded (checked below).
_REG_NAME = frozenset(string.ascii_letters + string.digits + "-._~" + "!$&'()*+,;=" + "%")
_HEX = frozenset(string.hexdigits)
_MAX_NAME, _MAX_LABEL = 253, 63


def ip_literal(host: str) -> str | None:
    """Return ``host`` as a bare IP address if it is an IPv4/IPv6 literal (brackets allowed)."""
    bare = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    try:
        return str(ipaddress.ip_address(bare))
    except ValueError:
        return None


def _ipv6(text: str) -> bool:
    try:
        ipaddress.IPv6Address(text)
    except ValueError:
        return False
    return True


def _ipv4(text: str) -> bool:
    try:
        ipaddress.IPv4Address(text)
    except ValueError:
        return False
    return True


def _numeric(label: str) -> bool:
    low = label.lower()
    return bool(label) and (label.isdigit() or (
        low.startswith("0x") and all(ch in _HEX for ch in low[2:])))


def host_problem(host: str, what: str = "host") -> str | None:
    """Why ``host`` is not one valid host (see the module docstring), or None."""
    if host.startswith("["):
        if host.endswith("]") and _ipv6(host[1:-1]):
            return None
        return f"the {what} {host!r} is not a valid bracketed IPv6 address such as '[::1]'"
    if ":" in host:
        if _ipv6(host):
            return None
        hint = (" (give the port as a separate argument)"
                if host.rpartition(":")[2].isdigit() else "")
        return f"the {what} {host!r} is not a host name or IP address{hint}"
    if not host.isascii():
        return (f"the {what} {host!r} is not ASCII: write an internationalised name in its "
                f"IDNA form ({what}.encode('idna'), e.g. 'xn--bcher-kva.example')")
    bad = sorted({ch for ch in host if ch not in _REG_NAME})
    if bad:
        shown = " ".join(repr(ch) for ch in bad)
        return (f"the {what} {host!r} contains {shown}, which a host name cannot contain "
                "(RFC 3986 §3.2.2): give only the host, e.g. 'example.com' or '192.0.2.1'")
    for i, ch in enumerate(host):
        if ch == "%" and not (i + 2 < len(host) and host[i + 1] in _HEX
                              and host[i + 2] in _HEX):
            return f"the {what} {host!r} has a '%' that is not followed by two hex digits"
    if _ipv4(host):
        return None
    name = host[:-1] if host.endswith(".") else host
    labels = name.split(".")
    if len(name) > _MAX_NAME or any(not 0 < len(label) <= _MAX_LABEL for label in labels):
        return (f"the {what} name is not a valid DNS name: at most {_MAX_NAME} characters, "
                f"made of dot-separated labels of 1 to {_MAX_LABEL} characters "
                f"(RFC 1035 §2.3.4); got {len(host)} characters")
    if _numeric(labels[-1]):
        return (f"the {what} {host!r} ends in a number but is not a dotted-quad IPv4 address "
                "such as '192.0.2.1'; resolvers read such names as numeric addresses in "
                "legacy forms, so it is refused")
    return None


def strip_fragment(url: str) -> str:
    """The target without its ``#fragment`` (never sent: RFC 9110 §4.2.4, RFC 9112 §3.2)."""
    return url.partition("#")[0]


def absolute_parts(url: str) -> tuple[bool, str, int] | str:
    """``(tls, host, port)`` of an absolute-form ``http(s)://`` target, or why it is refused:
    userinfo (RFC 9110 §4.2.4), an invalid host or port."""
    tls = url[:8].lower() == "https://"
    rest = url[8:] if tls else url[7:]
    end = min((i for i in (rest.find("/"), rest.find("?"), rest.find("#")) if i >= 0),
              default=len(rest))
    auth = rest[:end]
    if "@" in auth:
        return ("the URL carries userinfo (user:password@): RFC 9110 §4.2.4 says a sender "
                "must not generate it; send credentials in a header such as Authorization")
    if auth.startswith("["):
        close = auth.find("]")
        host, port_text = (auth[:close + 1], auth[close + 2:]) if close > 0 else (auth, "")
        if close > 0 and auth[close + 1:close + 2] not in ("", ":"):
            return f"the URL's authority {auth!r} is not host[:port]"
    else:
        host, _colon, port_text = auth.partition(":")
    problem = host_problem(host, "URL's host")
    if problem is not None:
        return problem
    default = 443 if tls else 80
    if port_text == "":
        return tls, host, default
    if not (port_text.isascii() and port_text.isdigit()) or int(port_text) > 65535:
        return f"the URL's port {port_text!r} is not a number from 0 to 65535"
    return tls, host, int(port_text)
