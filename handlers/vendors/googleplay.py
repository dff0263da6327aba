"""Google Play Developer API: an app's reviews of the last week, page by page.

A service account (its JSON key file) proves who asks: a JWT signed RS256 with its private
key (`iss` its email, `scope` androidpublisher, `aud` its token URI, an hour's life) is
exchanged at the token URI for an access token, kept until shortly before it expires. A 401
from the reviews API drops it, so the next poll asks for a new one. Google does not promise
an order, so every page is read and what changed before `since` is left out.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote, urlencode

import aiohttp
import jwt
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from bot.ports.clock import Clock
from bot.ports.sources import Polled, PollFailed
from bot.sources.registry import SourceConfig
from handlers.sources import googleplay
from handlers.vendors.http import api_base, call, entries, member, page, remember, session

API = "https://androidpublisher.googleapis.com"
OAUTH_ENDPOINT = "https://oauth2.googleapis.com/token"
SCOPE = "https://www.googleapis.com/auth/androidpublisher"
GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
ASSERTION_LIFETIME = timedelta(hours=1)
RENEW_BEFORE = timedelta(minutes=5)
PAGE_SIZE = 100
VENDOR = "Google Play"


@dataclass(frozen=True, slots=True)
class ServiceAccount:
    email: str
    private_key: str
    key_id: str | None
    token_uri: str


def service_account(text: str | None) -> ServiceAccount:
    """The service account in a JSON key file; ValueError saying what is wrong with it."""
    try:
        data = json.loads(text or "")
    except ValueError:
        raise ValueError("it is not JSON (the key file Google Cloud gave you)") from None
    if not isinstance(data, dict):
        raise ValueError("it is not a service account's JSON key")
    email, key = data.get("client_email"), data.get("private_key")
    if not isinstance(email, str) or not isinstance(key, str):
        raise ValueError("it has no client_email and private_key (a service account's key?)")
    try:
        loaded = load_pem_private_key(key.encode(), password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise ValueError("its private_key is not a PEM private key") from None
    if not isinstance(loaded, rsa.RSAPrivateKey):
        raise ValueError("its private_key is not an RSA key")
    key_id = data.get("private_key_id")
    uri = data.get("token_uri")
    return ServiceAccount(
        email,
        key,
        key_id if isinstance(key_id, str) else None,
        uri if isinstance(uri, str) and uri else OAUTH_ENDPOINT,
    )


def refused(status: int, answer: Any) -> str:
    """What Google's error answer says ({"error": {"code", "message", "status"}})."""
    error = answer.get("error") if isinstance(answer, dict) else None
    said = ""
    if isinstance(error, dict):
        said = ": ".join(str(error[k]) for k in ("status", "message") if error.get(k))
    hint = {
        401: "the access token was refused; the next poll asks for a new one",
        403: "the service account may not read this app's reviews (Play Console permissions)",
        404: "is --package the app's package name?",
    }.get(status, "the next poll tries again")
    return f"{VENDOR} answered {status}" + (f" ({said})" if said else "") + f"; {hint}"


class GoogleAccess:
    """Access tokens for service accounts, each kept until shortly before it expires."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._tokens: dict[tuple[str, str | None, str], tuple[str, datetime]] = {}

    def forget(self, account: ServiceAccount) -> None:
        """The API refused the token (401): the next call asks for a new one."""
        self._tokens.pop(_cache_key(account), None)

    async def token(self, client: aiohttp.ClientSession, account: ServiceAccount) -> str:
        """An access token for the account: the one kept, or a new one from its token URI."""
        now = self._clock.now()
        kept = self._tokens.get(_cache_key(account))
        if kept and kept[1] > now:
            return kept[0]
        claims = {
            "iss": account.email,
            "scope": SCOPE,
            "aud": account.token_uri,
            "iat": int(now.timestamp()),
            "exp": int((now + ASSERTION_LIFETIME).timestamp()),
        }
        headers = {"kid": account.key_id} if account.key_id else None
        assertion = jwt.encode(claims, account.private_key, algorithm="RS256", headers=headers)
        form = {"grant_type": GRANT, "assertion": assertion}
        status, answer = await call(client, VENDOR, "POST", account.token_uri, form=form)
        access = answer.get("access_token") if isinstance(answer, dict) else None
        if status != 200 or not isinstance(access, str):
            said = ""
            if isinstance(answer, dict):
                said = ": ".join(
                    str(answer[k]) for k in ("error", "error_description") if answer.get(k)
                )
            raise PollFailed(
                f"Google refused the service account's token request ({status}"
                + (f" {said}" if said else "")
                + "); check --service-account and its access to the Play Console"
            )
        lifetime = answer.get("expires_in")
        seconds = lifetime if isinstance(lifetime, int) and lifetime > 0 else 3600
        self._tokens[_cache_key(account)] = (
            access,
            now + timedelta(seconds=seconds) - RENEW_BEFORE,
        )
        return access


class GooglePlayReviews:
    """`bot.ports.sources.SourcePoller` for Google Play; keeps access tokens until they expire."""

    def __init__(self, clock: Clock) -> None:
        self._access = GoogleAccess(clock)

    async def fetch(self, source: SourceConfig, since: datetime) -> list[Polled]:
        try:
            account = service_account(source.credentials)
        except ValueError as error:
            raise PollFailed(f"{VENDOR}: the --service-account key: {error}") from None
        base = api_base(source, API)
        package = quote(str(source.options.get("package") or ""), safe="")
        address = f"{base}/androidpublisher/v3/applications/{package}/reviews"
        found: list[Polled] = []
        seen: set[str] = set()
        async with session() as client:
            headers = {"Authorization": f"Bearer {await self._access.token(client, account)}"}
            query: dict[str, Any] = {"maxResults": PAGE_SIZE}
            while True:
                url = f"{address}?{urlencode(query)}"
                status, answer = await call(client, VENDOR, "GET", url, headers=headers)
                if status == 401:
                    self._access.forget(account)
                if status != 200:
                    raise PollFailed(refused(status, answer))
                listed = page(VENDOR, status, answer)
                for review in entries(listed, "reviews"):
                    changed = googleplay.changed_at(review) or since
                    if changed >= since:
                        body = json.dumps(review).encode()
                        found.append(Polled(googleplay.event_id(review), body, changed))
                following = member(listed, "tokenPagination").get("nextPageToken")
                if not following:
                    return found
                remember(str(following), seen, VENDOR)
                query["token"] = following


def _cache_key(account: ServiceAccount) -> tuple[str, str | None, str]:
    return (account.email, account.key_id, account.token_uri)
