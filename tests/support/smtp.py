"""A mail server of the test's own (aiosmtpd, on this machine), recording what it accepts.

`refuse` makes it answer the end of DATA with that line (a 5xx refusal); `drop_first` makes it
take the first message and then hang up before answering, as a server does whose answer is
lost: the sender cannot tell whether it went. With a certificate (`self_signed`) it speaks
TLS: after STARTTLS (which it then requires) or from the first byte (`smtps`).
"""

from __future__ import annotations

import email
import ipaddress
import socket
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import Message
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


@dataclass
class MailSink:
    received: list[Message] = field(default_factory=list)
    recipients: list[list[str]] = field(default_factory=list)
    refuse: str | None = None
    drop_first: bool = False

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.refuse:
            return self.refuse
        self.received.append(email.message_from_bytes(envelope.original_content))
        self.recipients.append(list(envelope.rcpt_tos))
        if self.drop_first:
            self.drop_first = False
            server.transport.close()
        return "250 2.0.0 Accepted"


@dataclass(frozen=True)
class RunningSmtp:
    sink: MailSink
    url: str


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key, as PEM files in `folder`."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "smtp-cert.pem", folder / "smtp-key.pem"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


@contextmanager
def running_smtp(
    tls: tuple[Path, Path] | None = None, *, implicit_tls: bool = False
) -> Iterator[RunningSmtp]:
    sink = MailSink()
    port = _free_port()
    options: dict[str, Any] = {}
    if tls is not None:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(*tls)
        options = (
            {"ssl_context": context}
            if implicit_tls
            else {"tls_context": context, "require_starttls": True}
        )
    controller = Controller(sink, hostname="127.0.0.1", port=port, **options)
    controller.start()
    scheme = "smtps" if implicit_tls else "smtp"
    try:
        yield RunningSmtp(sink, f"{scheme}://127.0.0.1:{port}")
    finally:
        controller.stop()
