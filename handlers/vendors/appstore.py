"""App Store Connect API: an app's customer reviews, newest first, page by page.

Every request carries a JWT signed ES256 with the team's API key (the `.p8` file): header
`kid` = key id, `typ` JWT; claims `iss` = issuer id, `iat`, `exp` (Apple refuses more than 20
minutes: ours last 15), `aud` = appstoreconnect-v1. Reviews come sorted by `-createdDate`,
`links.next` leads to the next page; paging stops at the first review older than asked for.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote, urlencode

import jwt
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from bot.ports.clock import Clock
from bot.ports.sources import Polled, PollFailed
from bot.sources.registry import SourceConfig
from handlers.sources import appstore
from handlers.vendors.http import api_base, call, entries, member, next_link, page, session

API = "https://api.appstoreconnect.apple.com"
AUDIENCE = "appstoreconnect-v1"
TOKEN_LIFETIME = timedelta(minutes=15)
PAGE_SIZE = 200
VENDOR = "App Store Connect"
HINTS = {
    401: "check --key-id, --issuer-id and the .p8 key (revoked?); the next poll tries again",
    403: "the key's role may not read customer reviews",
    404: "is --app-id the app's Apple ID?",
    429: "over Apple's rate limit; the next poll tries again",
}


def key_problem(pem: str) -> str | None:
    """Why this is not an App Store Connect API key (the `.p8` file), or None."""
    try:
        key = load_pem_private_key(pem.encode(), password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        return "it is not a PEM private key (the .p8 file App Store Connect gave you)"
    if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
        return "it is not an ES256 (P-256) key"
    return None


def token(source: SourceConfig, now: datetime) -> str:
    """The bearer token Apple asks for, signed with the source's key."""
    options = source.options
    claims = {
        "iss": str(options.get("issuer_id") or ""),
        "iat": int(now.timestamp()),
        "exp": int((now + TOKEN_LIFETIME).timestamp()),
        "aud": AUDIENCE,
    }
    headers = {"kid": str(options.get("key_id") or ""), "typ": "JWT"}
    try:
        return jwt.encode(claims, source.credentials or "", algorithm="ES256", headers=headers)
    except (ValueError, TypeError, UnsupportedAlgorithm, jwt.PyJWTError):
        raise PollFailed(f"{VENDOR}: the key given with --key-file cannot sign") from None


def refused(status: int, answer: Any) -> str:
    """What Apple's error answer says, and what to do about it."""
    errors = answer.get("errors") if isinstance(answer, dict) else None
    first = errors[0] if isinstance(errors, list) and errors and isinstance(errors[0], dict) else {}
    said = ": ".join(str(first[k]) for k in ("code", "title") if first.get(k))
    hint = HINTS.get(status, "the next poll tries again")
    return f"{VENDOR} answered {status}" + (f" ({said})" if said else "") + f"; {hint}"


class AppStoreReviews:
    """`bot.ports.sources.SourcePoller` for App Store Connect."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock

    async def fetch(self, source: SourceConfig, since: datetime) -> list[Polled]:
        base = api_base(source, API)
        app = quote(str(source.options.get("app_id") or ""), safe="")
        query = urlencode({"sort": "-createdDate", "limit": PAGE_SIZE})
        url: str | None = f"{base}/v1/apps/{app}/customerReviews?{query}"
        headers = {"Authorization": f"Bearer {token(source, self._clock.now())}"}
        found: list[Polled] = []
        seen: set[str] = set()
        async with session() as client:
            while url:
                status, answer = await call(client, VENDOR, "GET", url, headers=headers)
                if status != 200:
                    raise PollFailed(refused(status, answer))
                listed = page(VENDOR, status, answer)
                for review in entries(listed, "data"):
                    changed = appstore.changed_at(review) or since
                    if changed < since:
                        return found  # newest first: the rest is older still
                    body = json.dumps(review).encode()
                    found.append(Polled(appstore.event_id(review), body, changed))
                url = next_link(member(listed, "links").get("next"), base, VENDOR, seen)
        return found
