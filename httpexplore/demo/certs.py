"""Certificates for ``DemoServer(tls=True)``, generated at start-up.

A fresh certificate authority is created for every server with ``trustme``; its certificate
(``DemoServer.ca_pem``) is what a client trusts. The server certificate names ``127.0.0.1``,
``localhost`` and ``::1``. The other kinds exist so the client's TLS failures can be taught
and tested against a real handshake:

=============  ====================================================================
``valid``      signed by the exposed CA, for the loopback names
``expired``    signed by the exposed CA, but its validity ended yesterday
``wrong-host`` signed by the exposed CA, for ``wrong-host.invalid`` only
``unknown-ca`` signed by another CA, which nobody was given
``self-signed`` signed by its own key: it is its own issuer
=============  ====================================================================

``trustme`` (and ``cryptography``, which it depends on) and ``ssl`` are imported only here and
only when TLS is asked for, so ``import httpexplore.demo`` works without them.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
import tempfile
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING, Literal, get_args

if TYPE_CHECKING:  # ssl itself is imported by build(): Pyodide has none, and needs no TLS
    import ssl

__all__ = ["CERT_KINDS", "CertKind", "ServerCertificates", "build"]

CertKind = Literal["valid", "expired", "wrong-host", "unknown-ca", "self-signed"]
CERT_KINDS: tuple[str, ...] = get_args(CertKind)
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1")


@dataclass(frozen=True)
class ServerCertificates:
    """The CA certificate a client should trust, and the server's TLS context."""

    ca_pem: bytes
    context: ssl.SSLContext


def _trustme() -> ModuleType:
    try:
        import trustme
    except ImportError as exc:
        raise ImportError("DemoServer(tls=True) needs the 'trustme' package to generate its "
                          "certificates: pip install 'httpexplore[demo]'") from exc
    return trustme


def build(kind: str = "valid") -> ServerCertificates:
    """Generate a CA and a server certificate of the given ``kind`` (see the module doc)."""
    if kind not in CERT_KINDS:
        raise ValueError(f"cert must be one of {', '.join(CERT_KINDS)}, not {kind!r}")
    trustme = _trustme()
    ca = trustme.CA(organization_name="httpexplore demo CA")
    import ssl

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.set_alpn_protocols(["http/1.1"])
    now = datetime.datetime.now(datetime.timezone.utc)
    if kind == "valid":
        ca.issue_cert(*LOOPBACK_NAMES).configure_cert(context)
    elif kind == "expired":
        day = datetime.timedelta(days=1)
        ca.issue_cert(*LOOPBACK_NAMES, not_before=now - 30 * day,
                      not_after=now - day).configure_cert(context)
    elif kind == "wrong-host":
        ca.issue_cert("wrong-host.invalid").configure_cert(context)
    elif kind == "unknown-ca":
        trustme.CA(organization_name="someone else's CA").issue_cert(
            *LOOPBACK_NAMES).configure_cert(context)
    else:
        _load_self_signed(context, now)
    return ServerCertificates(ca.cert_pem.bytes(), context)


def _load_self_signed(context: ssl.SSLContext, now: datetime.datetime) -> None:
    # trustme always signs with a CA, so a truly self-signed certificate is built directly
    # with cryptography (a dependency of trustme).
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "httpexplore self-signed")])
    names = [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost"),
             x509.IPAddress(ipaddress.ip_address("::1"))]
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(x509.SubjectAlternativeName(names), critical=False)
            .sign(key, hashes.SHA256()))
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()) + cert.public_bytes(
                                serialization.Encoding.PEM)
    # ssl can only load a certificate chain from a file (bpo-16487).
    with tempfile.TemporaryDirectory(prefix="httpexplore-demo-") as folder:
        path = os.path.join(folder, "self-signed.pem")
        with open(path, "wb") as file:
            file.write(pem)
        context.load_cert_chain(path)
