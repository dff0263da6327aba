"""Delivers the digest in Slack (the `DigestPublisher` port) with the Web API.

The message goes out with `chat.postMessage`; the chart follows in its thread through
`files.getUploadURLExternal` + `files.completeUploadExternal` (slack_sdk's `files_upload_v2`
makes exactly those two calls around the upload). An executive is reached in a direct message
(`handlers.slack.direct`).
"""

from __future__ import annotations

from slack_sdk.errors import SlackApiError

from bot.digest.model import Chart, Digest
from handlers.slack.digest_blocks import digest_message
from handlers.slack.direct import SlackDirect, delivery_error


class SlackDigestPoster(SlackDirect):
    async def post_to_channel(self, channel: str, digest: Digest, chart: Chart) -> None:
        posted = await self.post(channel, **digest_message(digest))
        try:
            await self._client.files_upload_v2(
                channel=str(posted["channel"]),
                thread_ts=str(posted["ts"]),
                content=chart.sharp,
                filename=f"digest-{digest.period.last_day}.png",
                title="New feedback and open backlog, last 14 days",
                alt_txt="New feedback per day by kind, and the open backlog, over 14 days",
                request_file_info=False,
            )
        except SlackApiError as error:
            raise delivery_error(error) from error

    async def send_to_person(self, email: str, digest: Digest, chart: Chart) -> bool:
        channel = await self.direct_channel(email)
        if channel is None:
            return False
        await self.post_to_channel(channel, digest, chart)
        return True
