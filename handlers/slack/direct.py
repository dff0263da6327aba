"""Messages the bot starts on its own: the digest and the rota's queue, and (through the
outbox) a person's direct message when a fix they wait on ships.

All need the same things: a client of their own that waits out rate limits (a scheduler beat
may send many messages at once), a person reached by email (`users.lookupByEmail`, then the
DM that `conversations.open` returns), and Slack's errors as the `DeliveryError` their job
logs or retries.
"""

from __future__ import annotations

from typing import Any, Self

from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from bot.config import Settings
from bot.domain import Platform
from bot.errors import DeliveryError
from handlers.slack.blocks import direct_message

NOT_FOUND = "users_not_found"
GIVE_UP = {"channel_not_found", "not_in_channel", "is_archived", "account_inactive"}


class SlackDirect:
    platform = Platform.SLACK

    def __init__(self, client: AsyncWebClient) -> None:
        self._client = client

    @classmethod
    def from_settings(cls, settings: Settings) -> Self | None:
        """One with its own client (rate-limit retries on), or None when Slack is off."""
        if settings.slack_bot_token is None:
            return None
        client = AsyncWebClient(
            token=settings.slack_bot_token.get_secret_value(), base_url=settings.slack_api_url
        )
        client.retry_handlers.append(AsyncRateLimitErrorRetryHandler(max_retry_count=2))
        return cls(client)

    async def direct_channel(self, email: str) -> str | None:
        """The DM channel with the person who has this email; None when Slack knows nobody."""
        try:
            user = await self._client.users_lookupByEmail(email=email)
            opened = await self._client.conversations_open(users=str(user["user"]["id"]))
        except SlackApiError as error:
            if error.response.get("error") == NOT_FOUND:
                return None
            raise delivery_error(error) from error
        return str(opened["channel"]["id"])

    async def send_direct(self, email: str, text: str, reply_ref: str | None = None) -> bool:
        """The `DirectMessenger` port: plain text, escaped, in the person's DM; with
        `reply_ref`, the card's Reply to customer… button (its modal) beneath."""
        channel = await self.direct_channel(email)
        if channel is None:
            return False
        message = direct_message(text, reply_ref)
        await self.post(channel, text=message.text, blocks=message.blocks)
        return True

    async def post(self, channel: str, **message: Any) -> dict[str, Any]:
        """`chat.postMessage` without link previews; returns Slack's answer (channel, ts)."""
        try:
            posted = await self._client.chat_postMessage(
                channel=channel, unfurl_links=False, unfurl_media=False, **message
            )
        except SlackApiError as error:
            raise delivery_error(error) from error
        return dict(posted.data) if isinstance(posted.data, dict) else {}


def delivery_error(error: SlackApiError) -> DeliveryError:
    code = str(error.response.get("error") or "unknown")
    if code in GIVE_UP:
        return DeliveryError(f"Slack refused: {code}", retry_after=None)
    retry_after = error.response.headers.get("Retry-After")
    return DeliveryError(f"Slack failed: {code}", float(retry_after) if retry_after else 60.0)
