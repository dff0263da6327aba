"""What the core asks of the company's own customer records: the look-up behind
`ALLHANDS_CUSTOMER_LOOKUP_URL` (`handlers/vendors/customers.py` implements it over HTTP)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol


class CustomerLookup(Protocol):
    async def find(self, email: str) -> Mapping[str, Any] | None:
        """The company's record of the customer with this email (the JSON object its endpoint
        answers), or None when it has none. Raises `bot.errors.LookupFailed` when the
        endpoint answers something else; the caller bounds how long it waits."""
        ...

    async def close(self) -> None: ...
