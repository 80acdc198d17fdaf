"""``TLSOptions``: how a client verifies the server, in Godot's vocabulary.

Godot's ``TLSOptions`` cannot be instantiated directly; ``TLSOptions.client()`` verifies the
chain and the host name, ``TLSOptions.client_unsafe()`` skips both.  ``trusted_chain`` may be a
path to a PEM file, PEM text (``str``) or PEM bytes; ``None`` means the system's CA store.
``TLSOptions.server(...)`` exists so that passing server options to a client can be rejected
with ``ERR_INVALID_PARAMETER``, as Godot does.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import ssl
else:  # imported on first use: Pyodide has no ssl, and plain HTTP needs none
    from ._ssl import ssl

__all__ = ["TLSOptions"]

Chain = str | bytes | os.PathLike[str] | None


@dataclass(frozen=True)
class TLSOptions:
    """Client (or server) TLS settings.  Build with :meth:`client` or :meth:`client_unsafe`."""

    trusted_chain: Chain = None
    common_name_override: str = ""
    unsafe: bool = False
    is_server: bool = False

    @classmethod
    def client(cls, trusted_chain: Chain = None, common_name_override: str = "") -> TLSOptions:
        """Verify the certificate chain (against ``trusted_chain`` or the system CAs) and the
        host name (or ``common_name_override`` when given)."""
        return cls(trusted_chain, common_name_override, unsafe=False)

    @classmethod
    def client_unsafe(cls, trusted_chain: Chain = None) -> TLSOptions:
        """Accept any certificate: for tests and self-signed lab servers only."""
        return cls(trusted_chain, "", unsafe=True)

    @classmethod
    def server(cls, key: object = None, certificate: object = None) -> TLSOptions:
        """Server-side options; ``HTTPClient.connect_to_host`` rejects them, as Godot does."""
        return cls(None, "", unsafe=False, is_server=True)

    def server_name(self, host: str) -> str:
        """The name sent as SNI and checked against the certificate, as Godot does: the
        ``common_name_override`` when given, else the host connected to."""
        return self.common_name_override or host

    def is_unsafe_client(self) -> bool:
        """Godot's name for :attr:`unsafe`."""
        return self.unsafe

    def is_server_options(self) -> bool:
        return self.is_server

    def create_context(self) -> ssl.SSLContext:
        """Build the ``ssl.SSLContext`` these options describe.

        Raises ``ssl.SSLError``/``OSError``/``ValueError`` if ``trusted_chain`` cannot be loaded;
        the client reports that as a TLS handshake error.
        """
        ctx = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
        ctx.set_alpn_protocols(["http/1.1"])
        chain = self.trusted_chain
        if chain is not None:
            if isinstance(chain, bytes):
                ctx.load_verify_locations(cadata=chain.decode("ascii"))
            elif isinstance(chain, str) and "-----BEGIN" in chain:
                ctx.load_verify_locations(cadata=chain)
            else:
                ctx.load_verify_locations(cafile=os.fspath(chain))
        if self.unsafe:
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
        return ctx

    def __repr__(self) -> str:
        if self.is_server:
            return "TLSOptions.server()"
        kind = "client_unsafe" if self.unsafe else "client"
        args = []
        if self.trusted_chain is not None:
            args.append("trusted_chain=...")
        if self.common_name_override:
            args.append(f"common_name_override={self.common_name_override!r}")
        return f"TLSOptions.{kind}({', '.join(args)})"
