"""Inbound email as the vendors post it: multipart forms, and Mailgun's signature from a test
signing key."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Mapping, Sequence
from typing import Any

BOUNDARY = "----allhands-test-boundary"
Files = Sequence[tuple[str, str, bytes]]  # (field, filename, content)


def encode_multipart(fields: Mapping[str, str], files: Files = ()) -> tuple[bytes, str]:
    """A `multipart/form-data` body with CRLF line endings, as an HTTP client sends it."""
    parts = [
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
        + value.encode()
        + b"\r\n"
        for name, value in fields.items()
    ]
    parts += [
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"'
        "\r\nContent-Type: application/octet-stream\r\n\r\n".encode()
        + content
        + b"\r\n"
        for name, filename, content in files
    ]
    body = b"".join(parts) + f"--{BOUNDARY}--\r\n".encode()
    return body, f"multipart/form-data; boundary={BOUNDARY}"


def mailgun_sign(fields: Mapping[str, Any], key: str, at: float | None = None) -> dict[str, str]:
    """The fields with a fresh `timestamp`, `token` and `signature`, first, as Mailgun signs."""
    timestamp = str(int(time.time() if at is None else at))
    token = secrets.token_hex(25)
    signature = hmac.new(key.encode(), (timestamp + token).encode(), hashlib.sha256).hexdigest()
    signed = {"timestamp": timestamp, "token": token, "signature": signature}
    return signed | {k: str(v) for k, v in fields.items() if k not in signed}
