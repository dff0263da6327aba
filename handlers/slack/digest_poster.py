"""Delivers the digest in Slack (the `DigestPublisher` port) with the Web API.

The message goes out with `chat.postMessage`; the chart follows in its thread through
`files.getUploadURLExternal` + `files.completeUploadExternal` (slack_sdk's `files_upload_v2`
makes exactly those two calls around the upload). An executive is found with
`users.lookupByEmail` and reached in the DM that `conversations.open` returns.
"""

from __future__ import annotations

from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from bot.config import Settings
from bot.digest_model import Digest
from bot.domain import Platform
from bot.errors import DeliveryError
from handlers.slack.digest_blocks import digest_message

NOT_FOUND = "users_not_found"
GIVE_UP = {"channel_not_found", "not_in_channel", "is_archived", "account_inactive"}


class SlackDigestPoster:
    platform = Platform.SLACK

    def __init__(self, client: AsyncWebClient) -> None:
        self._client = client

    @classmethod
    def from_settings(cls, settings: Settings) -> SlackDigestPoster | None:
        """A poster with its own client (rate-limit retries on), or None when Slack is off."""
        if settings.slack_bot_token is None:
            return None
        client = AsyncWebClient(
            token=settings.slack_bot_token.get_secret_value(), base_url=settings.slack_api_url
        )
        client.retry_handlers.append(AsyncRateLimitErrorRetryHandler(max_retry_count=2))
        return cls(client)

    async def post_to_channel(self, channel: str, digest: Digest, chart: bytes) -> None:
        try:
            posted = await self._client.chat_postMessage(
                channel=channel, unfurl_links=False, unfurl_media=False, **digest_message(digest)
            )
            await self._client.files_upload_v2(
                channel=str(posted["channel"]),
                thread_ts=str(posted["ts"]),
                content=chart,
                filename=f"digest-{digest.period.last_day}.png",
                title="New feedback and open backlog, last 14 days",
                alt_txt="New feedback per day by kind, and the open backlog, over 14 days",
                request_file_info=False,
            )
        except SlackApiError as error:
            raise _delivery_error(error) from error

    async def send_to_person(self, email: str, digest: Digest, chart: bytes) -> bool:
        try:
            user = await self._client.users_lookupByEmail(email=email)
            opened = await self._client.conversations_open(users=str(user["user"]["id"]))
        except SlackApiError as error:
            if error.response.get("error") == NOT_FOUND:
                return False
            raise _delivery_error(error) from error
        await self.post_to_channel(str(opened["channel"]["id"]), digest, chart)
        return True


def _delivery_error(error: SlackApiError) -> DeliveryError:
    code = str(error.response.get("error") or "unknown")
    if code in GIVE_UP:
        return DeliveryError(f"Slack refused: {code}", retry_after=None)
    retry_after = error.response.headers.get("Retry-After")
    return DeliveryError(f"Slack failed: {code}", float(retry_after) if retry_after else 60.0)
