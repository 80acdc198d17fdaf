"""``ssl``, imported only when TLS is used, and a stand-in where Python has none (Pyodide).

``transport.py`` and ``tls.py`` write ``ssl.X`` as usual, but ``ssl`` is the :data:`ssl` proxy
below. Reading an exception class (``ssl.SSLWantReadError`` in an ``except`` clause) does not
import the module: while ``ssl`` is not loaded, no TLS object exists, so none of its exceptions
can be raised, and a class that nothing raises is given instead. Any other name (``ssl.
create_default_context``, ``ssl.CERT_NONE``) imports ``ssl``; where there is none, building a
context raises ``OSError`` with a plain message, which the client reports as a TLS failure.
"""

from __future__ import annotations

import importlib
import sys
from types import SimpleNamespace
from typing import Any

__all__ = ["NO_SSL_MESSAGE", "ssl"]

NO_SSL_MESSAGE = ("this Python has no ssl module (as in Pyodide/JupyterLite): TLS is not "
                  "available here; use http://")

_EXCEPTIONS = frozenset({
    "SSLError", "SSLWantReadError", "SSLWantWriteError", "SSLZeroReturnError", "SSLEOFError",
    "SSLCertVerificationError", "SSLSyscallError", "CertificateError",
})


class _NeverRaised(Exception):
    """Stands for an ssl exception while no TLS object can exist."""


def _no_context(*args: object, **kwargs: object) -> Any:
    raise OSError(NO_SSL_MESSAGE)


def _load() -> Any:
    try:
        return importlib.import_module("ssl")
    except ImportError:
        return SimpleNamespace(
            create_default_context=_no_context, SSLContext=_no_context,
            Purpose=SimpleNamespace(SERVER_AUTH=None, CLIENT_AUTH=None), CERT_NONE=0,
            SSLSocket=_NeverRaised, **dict.fromkeys(_EXCEPTIONS, _NeverRaised))


class _LazySSL:
    def __getattr__(self, name: str) -> Any:
        module = sys.modules.get("ssl")
        if module is None:
            if name in _EXCEPTIONS or name == "SSLSocket":
                return _NeverRaised
            module = _load()
        return getattr(module, name)


#: Use like the ``ssl`` module (see the module docstring).
ssl: Any = _LazySSL()
