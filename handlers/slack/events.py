"""Events in the card's channel: reactions work the item, thread replies become its discussion.

👀 claims, ✅ closes, taking your 👀 back unclaims. Only people's messages count as comments:
the bot's own notes are skipped by Bolt, other apps' messages here.
"""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp, AsyncBoltContext

from bot.domain import Feedback, Platform, State
from handlers.slack.home import HomeTab
from handlers.slack.ids import SlackEvent, message_key
from handlers.slack.inbound import Body, Inbound

CLAIM_REACTION = "eyes"
CLOSE_REACTION = "white_check_mark"
COMMENT_SUBTYPES = {None, "thread_broadcast", "file_share"}


class Events:
    def __init__(self, inbound: Inbound, home: HomeTab) -> None:
        self._in = inbound
        self._home = home

    def register(self, app: AsyncApp) -> None:
        for event in SlackEvent:  # each handled later (handlers/slack/durable.py)
            app.event(event)(self._in.record)

    async def reaction_added(self, body: Body, context: AsyncBoltContext) -> None:
        event = body["event"]
        if event["reaction"] not in {CLAIM_REACTION, CLOSE_REACTION}:
            return
        item = await self._card(event.get("item") or {})
        if item is None:
            return
        who = await self._in.who(context)
        if event["reaction"] == CLAIM_REACTION:
            await self._in.core(self._in.desk.claim, item.ref, who)
        else:
            await self._in.core(self._in.desk.close, item.ref, who)

    async def reaction_removed(self, body: Body, context: AsyncBoltContext) -> None:
        """Only the holder's own 👀 gives the item back; anyone else's is just a reaction."""
        event = body["event"]
        if event["reaction"] != CLAIM_REACTION:
            return
        item = await self._card(event.get("item") or {})
        if item is None or item.state is not State.CLAIMED or item.claimed is None:
            return
        who = await self._in.who(context)
        me = await self._in.core(self._in.desk.person, who)
        if item.claimed.person.id == me.id:
            await self._in.core(self._in.desk.unclaim, item.ref, who)

    async def message(self, body: Body, context: AsyncBoltContext) -> None:
        event = body["event"]
        channel, subtype = str(event.get("channel")), event.get("subtype")
        if subtype == "message_changed":
            changed = event.get("message") or {}
            ts = changed.get("ts") or (event.get("previous_message") or {}).get("ts")
            text = str(changed.get("text") or "")
            await self._follow(message_key(channel, str(ts)), text)
        elif subtype == "message_deleted":
            await self._follow(message_key(channel, str(event.get("deleted_ts"))), None)
        elif subtype in COMMENT_SUBTYPES and not event.get("bot_id"):
            await self._reply(event, context)

    async def _reply(self, event: Body, context: AsyncBoltContext) -> None:
        thread, ts, text = event.get("thread_ts"), event.get("ts"), event.get("text")
        if not thread or thread == ts or not str(text or "").strip():
            return
        channel = str(event.get("channel"))
        item = await self._in.core(
            self._in.desk.item_for_card, Platform.SLACK, message_key(channel, str(thread))
        )
        if item is None:
            return
        who = await self._in.who(context)
        external_id = message_key(channel, str(ts))
        await self._in.core(
            self._in.desk.comment, item.ref, who, str(text), external_id=external_id
        )

    async def _follow(self, external_id: str, text: str | None) -> None:
        await self._in.core(self._in.desk.follow_comment_edit, Platform.SLACK, external_id, text)

    async def home_opened(self, body: Body, context: AsyncBoltContext) -> None:
        if body["event"].get("tab") == "home":
            await self._home.publish(context)

    async def _card(self, where: Body) -> Feedback | None:
        if where.get("type") != "message":
            return None
        key = message_key(str(where.get("channel")), str(where.get("ts")))
        return await self._in.core(self._in.desk.item_for_card, Platform.SLACK, key)
