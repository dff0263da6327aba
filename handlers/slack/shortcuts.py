"""The message shortcut "Log as customer feedback": any message → a prefilled modal → an item.

The item's external id is the message's channel and ts, so logging one message twice gives the
same item; the modal's submission is in `handlers.slack.submissions`.
"""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp, AsyncBoltContext

from handlers.slack import views
from handlers.slack.ids import SlackId
from handlers.slack.inbound import Body, Inbound
from handlers.slack.views import Origin


class Shortcuts:
    def __init__(self, inbound: Inbound) -> None:
        self._in = inbound

    def register(self, app: AsyncApp) -> None:
        app.shortcut(SlackId.LOG_SHORTCUT)(self._in.acked(self._log_message))

    async def _log_message(self, body: Body, context: AsyncBoltContext) -> None:
        message = body.get("message") or {}
        author = await self._in.who(context, message.get("user") or context.user_id)
        origin = Origin(
            channel=str(body["channel"]["id"]),
            ts=str(message.get("ts") or body.get("message_ts")),
            author=author.email or "",
        )
        view = views.log_message(str(message.get("text") or ""), author.name, origin)
        await self._in.client.views_open(trigger_id=body["trigger_id"], view=view)
