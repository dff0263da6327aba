"""Sends outbound webhooks over HTTP, signed so receivers can trust them."""

from __future__ import annotations

import aiohttp

from bot.admin.webhooks import SIGNATURE_HEADER, sign
from bot.errors import DeliveryError
from bot.ports.clock import Clock, SystemClock

TIMEOUT_SECONDS = 10.0
_RETRYABLE = {408, 425, 429}


class HttpWebhookSender:
    def __init__(self, clock: Clock | None = None, timeout: float = TIMEOUT_SECONDS) -> None:
        self._clock: Clock = clock or SystemClock()
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None

    async def deliver(self, url: str, secret: str, delivery_id: str, body: bytes) -> None:
        """POST `body`; 2xx is done, 429/5xx/timeouts retry later, other 4xx give up."""
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "AllHands-Webhook/1",
            "X-AllHands-Delivery": delivery_id,
            SIGNATURE_HEADER: sign(secret, int(self._clock.now().timestamp()), body),
        }
        try:
            async with self._session.post(url, data=body, headers=headers) as response:
                status, retry_after = response.status, response.headers.get("Retry-After", "")
        except (TimeoutError, aiohttp.ClientError) as error:
            raise DeliveryError(f"webhook unreachable: {type(error).__name__}", 0) from None
        if 200 <= status < 300:
            return
        if status in _RETRYABLE or status >= 500:
            wait = float(retry_after) if retry_after.isdigit() else 0
            raise DeliveryError(f"webhook answered {status}", wait, rate_limited=status == 429)
        raise DeliveryError(f"webhook answered {status}; not retried", None)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
