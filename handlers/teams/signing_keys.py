"""The Bot Framework's signing keys, fetched without ever holding up the event loop.

botbuilder 4.17 fetches the OpenID metadata and the keys it names with a blocking
`requests.get`, without a timeout, on the event loop's own thread, and forgets a failed
fetch: one forged token (an unknown key id makes it refetch) behind a slow network held every
route, Slack's acks and `/healthz` included, for as long as the fetch took. Here the fetch is
asynchronous with a timeout, one at a time per URL, and a failure is remembered for a while,
so forged tokens meanwhile fail at once (401) instead of each waiting for the network.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import datetime
from typing import Any

import aiohttp
from botframework.connector.auth.jwt_token_extractor import JwtTokenExtractor, _OpenIdMetadata

log = logging.getLogger(__name__)

FETCH_TIMEOUT_SECONDS = 5.0
AFTER_FAILURE_SECONDS = 30.0


class KeysUnavailable(Exception):
    """The signing keys could not be fetched just now: the request cannot be verified."""


class SigningKeys(_OpenIdMetadata):  # type: ignore[misc]
    """botbuilder's per-URL key cache, with its refresh replaced (its `get` and `_find` stay)."""

    def __init__(self, url: str) -> None:
        super().__init__(url)
        self._fetching: asyncio.Task[None] | None = None
        self._failed_until = 0.0

    async def _refresh(self) -> None:
        if time.monotonic() < self._failed_until:
            raise KeysUnavailable("signing keys unavailable (retrying after a failed fetch)")
        loop = asyncio.get_running_loop()
        fetching = self._fetching
        if fetching is None or fetching.done() or fetching.get_loop() is not loop:
            fetching = self._fetching = loop.create_task(self._fetch())
        await asyncio.shield(fetching)  # a caller giving up does not cancel the others' fetch

    async def _fetch(self) -> None:
        timeout = aiohttp.ClientTimeout(total=FETCH_TIMEOUT_SECONDS)
        try:
            async with aiohttp.ClientSession(timeout=timeout) as session:
                metadata = await _json(session, self.url)
                keys = await _json(session, str(metadata["jwks_uri"]))
        except (aiohttp.ClientError, TimeoutError, KeyError, ValueError) as error:
            self._failed_until = time.monotonic() + AFTER_FAILURE_SECONDS
            log.warning("teams.signing_keys_unavailable error=%s", type(error).__name__)
            raise KeysUnavailable("signing keys unavailable") from error
        self.keys = keys["keys"]
        self.last_updated = datetime.now()


async def _json(session: aiohttp.ClientSession, url: str) -> Any:
    async with session.get(url) as response:
        response.raise_for_status()
        return await response.json(content_type=None)


_BY_URL: dict[str, SigningKeys] = {}


def _keys_for(metadata_url: str) -> SigningKeys:
    found = _BY_URL.get(metadata_url)
    if found is None:
        found = _BY_URL[metadata_url] = SigningKeys(metadata_url)
    return found


def install() -> None:
    """Make every token check botbuilder does use these keys (idempotent)."""
    JwtTokenExtractor.get_open_id_metadata = staticmethod(_keys_for)
