"""The company's own customer records over HTTP: `GET ALLHANDS_CUSTOMER_LOOKUP_URL?email=…`
(`bot.ports.customers.CustomerLookup`).

The endpoint answers the customer's record as a JSON object (200), or 404 when it has none.
Anything else is a failure the core tolerates: the card goes out without the account. The
core bounds the wait (`bot.customers.accounts.LOOKUP_SECONDS`); this client's own timeout only
makes sure no request outlives it for long.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import aiohttp
from yarl import URL

from bot.customers.accounts import LOOKUP_SECONDS
from bot.errors import LookupFailed

ANSWER_LIMIT_BYTES = 64 * 1024


class HttpCustomerLookup:
    def __init__(self, url: str, token: str | None = None, timeout: float = LOOKUP_SECONDS) -> None:
        self._url = URL(url)
        self._headers = {"Accept": "application/json", "User-Agent": "AllHands-Lookup/1"}
        if token:
            self._headers["Authorization"] = f"Bearer {token}"
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None

    async def find(self, email: str) -> Mapping[str, Any] | None:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        url = self._url.update_query(email=email)
        try:
            async with self._session.get(
                url, headers=self._headers, allow_redirects=False
            ) as response:
                if response.status == 404:
                    return None
                if response.status != 200:
                    raise LookupFailed(f"the customer look-up answered {response.status}")
                body = await response.content.read(ANSWER_LIMIT_BYTES + 1)
        except (TimeoutError, aiohttp.ClientError) as error:
            raise LookupFailed(
                f"the customer look-up is unreachable: {type(error).__name__}"
            ) from None
        if len(body) > ANSWER_LIMIT_BYTES:
            raise LookupFailed("the customer look-up answered more than 64 KiB")
        try:
            record = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            raise LookupFailed("the customer look-up answered something other than JSON") from None
        if not isinstance(record, dict):
            raise LookupFailed("the customer look-up answered JSON that is not an object")
        return record

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
