"""Modal submissions: close with a resolution (told to the customer when asked), hand off,
change severity or tags, log a message, reply to the customer, link the fix.

Each is recorded and acked (which closes the modal), and then calls the Desk; the card's update
and its thread note then come from the outbox, like every other change.
"""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext
from slack_sdk.errors import SlackApiError

from bot.domain import Feedback, Identity, Kind, Severity
from bot.errors import Invalid
from bot.intake import CustomerIn, FeedbackDraft
from bot.trackers.issues import issue_at
from handlers.slack.blocks import hand_off_story
from handlers.slack.ids import Field, SlackId, message_key
from handlers.slack.inbound import Body, Inbound
from handlers.slack.text import escape
from handlers.slack.views import Origin

SOURCE = "slack"
TAG_CHARS = 50


def _value(body: Body, field: Field) -> dict[str, Any]:
    values: dict[str, Any] = body["view"]["state"]["values"]
    return dict(values.get(field, {}).get(field) or {})


def _text(body: Body, field: Field) -> str:
    return str(_value(body, field).get("value") or "").strip()


def _origin(body: Body) -> Origin:
    return Origin.load(body["view"].get("private_metadata") or "")


def _tags(body: Body) -> list[str]:
    return [tag.strip() for tag in _text(body, Field.TAGS).split(",") if tag.strip()]


class Submissions:
    def __init__(self, inbound: Inbound) -> None:
        self._in = inbound

    def register(self, app: AsyncApp) -> None:
        for view_id in (
            SlackId.CLOSE_VIEW,
            SlackId.HAND_OFF_VIEW,
            SlackId.SEVERITY_VIEW,
            SlackId.LOG_VIEW,
            SlackId.REPLY_VIEW,
            SlackId.REPEATS_VIEW,
            SlackId.EDIT_REPLY_VIEW,
        ):  # each handled later (handlers/slack/durable.py)
            app.view(view_id)(self._in.record)
        app.view(SlackId.TAGS_VIEW)(self._tags_checked)
        app.view(SlackId.LINK_VIEW)(self._link_checked)

    async def close(self, body: Body, context: AsyncBoltContext) -> None:
        tell = bool(_value(body, Field.TELL_CUSTOMER).get("selected_options"))
        resolution = _text(body, Field.RESOLUTION)
        who = await self._in.who(context)
        origin = _origin(body)
        closed = await self._in.core(self._in.replies.close, origin.ref, who, resolution, tell=tell)
        if closed.told:  # the resolution is what the customer is told
            await self._in.tell(context.user_id or "", origin.channel, escape(closed.told))

    async def hand_off(self, body: Body, context: AsyncBoltContext) -> None:
        origin = _origin(body)
        target = str(_value(body, Field.TARGET).get("selected_user") or "")
        note = _text(body, Field.NOTE)
        who = await self._in.who(context)
        to = await self._in.who(context, target)
        outcome = await self._in.core(self._in.desk.hand_off, origin.ref, who, to, note)
        await self._send_story(outcome.item, origin, target, context.user_id or "", note)

    async def _send_story(
        self, item: Feedback, origin: Origin, target: str, sender: str, note: str
    ) -> None:
        """The new holder gets the whole story in a DM: the card, the discussion, the thread."""
        full = await self._in.core(self._in.desk.shown, item.ref)
        mentions = await self._in.people.mentions_for(full)
        link = await self._permalink(origin)
        story = hand_off_story(full, mentions, sender, note, link)
        await self._in.direct_message(target, story.text, blocks=story.blocks)

    async def reply(self, body: Body, context: AsyncBoltContext) -> None:
        origin, text = _origin(body), _text(body, Field.REPLY)
        await self._answer(context, origin, await self._in.who(context), text)

    async def _answer(
        self, context: AsyncBoltContext, origin: Origin, who: Identity, text: str
    ) -> None:
        """Send `text` to the item's customer. A reply the item cannot carry (it has no way
        back to its customer) is told to the person with their words, to copy and send where
        the customer wrote."""
        try:
            sent = await self._in.core(self._in.replies.reply, origin.ref, who, text)
        except Invalid as error:
            if error.field != "ref":
                raise
            await self._in.tell(
                context.user_id or "",
                origin.channel,
                f"{escape(error.message)}\nYour reply:\n{escape(text)}",
            )
            return
        await self._in.tell(context.user_id or "", origin.channel, escape(sent.told))

    async def approve_edited(self, body: Body, context: AsyncBoltContext) -> None:
        """A lead's edit of a held reply: sent as it now reads; the card's update answers."""
        who = await self._in.who(context)
        text = _text(body, Field.REPLY)
        await self._in.core(self._in.replies.approve, _origin(body).ref, who, text)

    async def severity(self, body: Body, context: AsyncBoltContext) -> None:
        chosen = Severity(_value(body, Field.SEVERITY)["selected_option"]["value"])
        who = await self._in.who(context)
        await self._in.core(self._in.desk.edit, _origin(body).ref, who, severity=chosen)

    async def _tags_checked(self, ack: AsyncAck, body: Body, context: AsyncBoltContext) -> None:
        """Tags are checked before the ack, so a bad one keeps the modal open with the reason."""
        if any(len(tag) > TAG_CHARS for tag in _tags(body)):
            message = f"Each tag is at most {TAG_CHARS} characters."
            await ack(response_action="errors", errors={Field.TAGS.value: message})
            return
        await self._in.record(ack, body, context)

    async def merge_or_split(self, body: Body, context: AsyncBoltContext) -> None:
        origin, split, into = (
            _origin(body),
            _text(body, Field.SPLIT_OUT),
            _text(body, Field.MERGE_INTO),
        )
        if not (split or into):
            message = (
                f"Nothing merged or split: type the card to merge {origin.ref} into, "
                "or a repeat to split out."
            )
            await self._in.tell(context.user_id or "", origin.channel, message)
            return
        who, ref = await self._in.who(context), origin.ref
        if split:
            await self._in.core(self._in.desk.split, split, who)
        if into:
            await self._in.core(self._in.desk.merge, ref, into, who)

    async def _link_checked(self, ack: AsyncAck, body: Body, context: AsyncBoltContext) -> None:
        """The URL is checked before the ack, so one that names no issue keeps the modal open
        with the shapes that do."""
        try:
            issue_at(_text(body, Field.ISSUE_URL))
        except Invalid as error:
            await ack(response_action="errors", errors={Field.ISSUE_URL.value: error.message})
            return
        await self._in.record(ack, body, context)

    async def link(self, body: Body, context: AsyncBoltContext) -> None:
        """The card's update (its "Fix: …" line) and thread note come from the outbox."""
        who = await self._in.who(context)
        url = _text(body, Field.ISSUE_URL)
        await self._in.core(self._in.desk.link, _origin(body).ref, who, url)

    async def edit_tags(self, body: Body, context: AsyncBoltContext) -> None:
        who = await self._in.who(context)
        await self._in.core(self._in.desk.edit, _origin(body).ref, who, tags=_tags(body))

    async def log(self, body: Body, context: AsyncBoltContext) -> None:
        origin = _origin(body)
        customer = CustomerIn(name=_text(body, Field.CUSTOMER) or None, email=origin.author or None)
        draft = FeedbackDraft(
            source=SOURCE,
            external_id=message_key(origin.channel, origin.ts),
            body=_text(body, Field.BODY),
            kind=Kind(_value(body, Field.KIND)["selected_option"]["value"]),
            url=await self._permalink(origin),
            customer=customer,
        )
        ingested = await self._in.core(self._in.desk.ingest, draft, await self._in.who(context))
        verb = "Logged" if ingested.created else "This message was already logged"
        await self._in.tell(
            context.user_id or "", origin.channel, f"{verb} as {ingested.item.ref}."
        )

    async def _permalink(self, origin: Origin) -> str | None:
        if not (origin.channel and origin.ts):
            return None
        try:
            found = await self._in.client.chat_getPermalink(
                channel=origin.channel, message_ts=origin.ts
            )
        except SlackApiError:
            return None
        return str(found["permalink"])
