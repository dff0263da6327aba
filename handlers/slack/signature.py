"""Slack's request signature, checked before anything else reads the request.

`X-Slack-Signature: v0=` hex HMAC-SHA256(signing secret, "v0:<timestamp>:<body>"), with
`X-Slack-Request-Timestamp` within five minutes. slack_sdk's own check raises on headers a
stranger can send (a timestamp that is not a whole number, or is 400 digits long; a signature
with non-ASCII characters), which answered 500 with a traceback; these are simply refused.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping

MAX_AGE_SECONDS = 300
_TIMESTAMP = re.compile(r"^[0-9]{1,12}$")
_SIGNATURE = re.compile(r"^v0=[0-9a-f]{64}$")


def refused_headers(headers: Mapping[str, str], now: float) -> str | None:
    """Why the signature headers cannot be right (missing, malformed, stale), or None —
    decided before the body is read."""
    stamp = headers.get("X-Slack-Request-Timestamp", "")
    if not _TIMESTAMP.match(stamp):
        return "missing or malformed X-Slack-Request-Timestamp"
    if abs(now - int(stamp)) > MAX_AGE_SECONDS:
        return "stale X-Slack-Request-Timestamp"
    if not _SIGNATURE.match(headers.get("X-Slack-Signature", "")):
        return "missing or malformed X-Slack-Signature"
    return None


def signed(secret: str, headers: Mapping[str, str], body: bytes) -> bool:
    """Whether the (well-formed) signature is the signing secret's for this body."""
    stamp = headers["X-Slack-Request-Timestamp"]
    mac = hmac.new(secret.encode(), b"v0:" + stamp.encode() + b":" + body, hashlib.sha256)
    return hmac.compare_digest("v0=" + mac.hexdigest(), headers["X-Slack-Signature"])
