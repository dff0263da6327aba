"""Buttons and menus on cards, lists and App Home: each click becomes one Desk call or a modal."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext

from bot.domain import Platform
from bot.service import Outcome
from handlers.slack import views
from handlers.slack.blocks import full_text
from handlers.slack.home import HomeTab
from handlers.slack.ids import SlackId, message_key
from handlers.slack.inbound import Body, Inbound, channel_of
from handlers.slack.views import Origin

DONE = {
    SlackId.CLAIM: "You claimed {ref}.",
    SlackId.UNCLAIM: "You gave {ref} back.",
    SlackId.REOPEN: "You reopened {ref}.",
}
MODALS = {
    SlackId.CLOSE: views.close_item,
    SlackId.HAND_OFF: views.hand_off,
    SlackId.SEVERITY: views.change_severity,
    SlackId.TAGS: views.edit_tags,
    SlackId.REPLY: views.reply_to_customer,
    SlackId.REPEATS: views.merge_or_split,
    SlackId.LINK: views.link_issue,
}


class CardActions:
    def __init__(self, inbound: Inbound, home: HomeTab) -> None:
        self._in = inbound
        self._home = home

    def register(self, app: AsyncApp) -> None:
        for action_id in DONE:  # done later by `change` (handlers/slack/durable.py)
            app.action(action_id)(self._in.record)
        app.action(SlackId.RETRY_REPLY)(self._in.record)
        app.action(SlackId.CLOSE)(self._in.acked(self._open_modal))
        app.action(SlackId.REPLY)(self._in.acked(self._open_modal))  # a fix-shipped DM's button
        app.action(SlackId.SHOW_FULL)(self._in.acked(self._show_full))
        app.action(SlackId.MORE)(self._in.acked(self._more))
        app.action(SlackId.OPEN_SOURCE)(_opened)
        app.action(SlackId.APPROVE_REPLY)(self._in.record)  # done later by `approve_reply`
        app.action(SlackId.EDIT_REPLY)(self._in.acked(self._edit_reply))

    async def approve_reply(self, body: Body, context: AsyncBoltContext) -> None:
        """A lead's Approve: the held reply is queued; the card's update answers. Anyone
        else is told no, alone."""
        ref = str(body["actions"][0]["value"])
        who = await self._in.who(context)
        await self._in.core(self._in.replies.approve, ref, who)

    async def _edit_reply(self, body: Body, context: AsyncBoltContext) -> None:
        """The held reply's words in a modal, for a lead (anyone else is told no, alone)."""
        ref = str(body["actions"][0]["value"])
        text = await self._in.core(self._in.replies.held_text, ref, await self._in.who(context))
        item = await self._in.core(self._in.desk.shown, ref)
        view = views.edit_reply(item, _origin(body, ref), text)
        await self._in.client.views_open(trigger_id=body["trigger_id"], view=view)

    async def change(self, body: Body, context: AsyncBoltContext) -> None:
        """Claim, unclaim or reopen from a button; on the card, the card's update answers."""
        action = body["actions"][0]
        action_id, ref = SlackId(action["action_id"]), str(action["value"])
        who = await self._in.who(context)
        desk = self._in.desk
        use_case = {
            SlackId.CLAIM: desk.claim,
            SlackId.UNCLAIM: desk.unclaim,
            SlackId.REOPEN: desk.reopen,
        }[action_id]
        outcome = await self._in.core(use_case, ref, who)
        if _from_home(body):
            await self._home.publish(context)
        elif not _on_card(body, outcome):
            await self._in.tell(who_id(context), channel_of(body), DONE[action_id].format(ref=ref))

    async def retry_reply(self, body: Body, context: AsyncBoltContext) -> None:
        """Retry on a refused reply's note: the reply goes out once more, as it was written."""
        ref = str(body["actions"][0]["value"])
        sent = await self._in.core(self._in.replies.retry, ref, await self._in.who(context))
        await self._in.tell(
            who_id(context), channel_of(body), f"Sending the reply on {sent.item.ref} again."
        )

    async def _open_modal(self, body: Body, context: AsyncBoltContext) -> None:
        action = body["actions"][0]
        await self._modal(body, SlackId(action["action_id"]), str(action["value"]))

    async def _more(self, body: Body, context: AsyncBoltContext) -> None:
        choice, _, ref = str(body["actions"][0]["selected_option"]["value"]).partition(":")
        if choice in MODALS:
            await self._modal(body, SlackId(choice), ref)

    async def _show_full(self, body: Body, context: AsyncBoltContext) -> None:
        """The full text, to the clicker alone, if they claimed the item or lead (a refusal
        otherwise, also to them alone: see `Inbound._answered`)."""
        ref = str(body["actions"][0]["value"])
        who = await self._in.who(context)
        item = await self._in.core(self._in.desk.full_text, ref, who)
        message = full_text(item)
        await self._in.tell(who_id(context), channel_of(body), message.text, blocks=message.blocks)

    async def _modal(self, body: Body, choice: SlackId, ref: str) -> None:
        item = await self._in.core(self._in.desk.shown, ref)
        view = MODALS[choice](item, _origin(body, ref))
        await self._in.client.views_open(trigger_id=body["trigger_id"], view=view)


async def _opened(ack: AsyncAck) -> None:
    """Slack opens the button's URL itself; the click only needs its ack."""
    await ack()


def _origin(body: Body, ref: str) -> Origin:
    container = body.get("container") or {}
    return Origin(ref, channel_of(body) or "", str(container.get("message_ts") or ""))


def who_id(context: AsyncBoltContext) -> str:
    return context.user_id or ""


def _on_card(body: Body, outcome: Outcome) -> bool:
    """Whether the click was on the item's card, whose update then answers it for all."""
    container: dict[str, Any] = body.get("container") or {}
    if container.get("is_ephemeral") or not container.get("message_ts"):
        return False
    key = message_key(str(container.get("channel_id")), str(container["message_ts"]))
    return outcome.shown_on(Platform.SLACK, key)


def _from_home(body: Body) -> bool:
    return (body.get("view") or {}).get("type") == "home"
