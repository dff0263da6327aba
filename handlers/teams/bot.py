"""The Teams bot: each `on_*` method translates one kind of activity into a Desk call.

Desk calls block on the database, so they run in worker threads. Activities Teams may deliver
twice (messages, reactions, installs) are recorded by id first and handled once; invokes are
answered every time, since the caller waits for the answer and the use cases are idempotent.
"""

from __future__ import annotations

import asyncio
import html
import logging
import re
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from botbuilder.core import InvokeResponse, MessageFactory, TurnContext
from botbuilder.core.teams import TeamsActivityHandler
from botbuilder.schema import Activity, ActivityTypes, MessageReaction
from botbuilder.schema.teams import MessagingExtensionActionResponse, TaskModuleMessageResponse

from bot.commands.console import Console
from bot.commands.parse import is_command
from bot.commands.runner import CommandRunner
from bot.customers.stories import CustomerStories
from bot.domain import BODY_MAX_CHARS, Platform
from bot.errors import AllHandsError
from bot.intake import FeedbackDraft
from bot.replies import Replies
from bot.service import Desk
from handlers.teams import actions, commands
from handlers.teams.cards import TELL_INPUT, Verb, attachment
from handlers.teams.people import TeamsPeople
from handlers.teams.references import TeamsDirectory, thread_root
from handlers.teams.settings_card import SAVE_VERB

log = logging.getLogger(__name__)

CARD_ACTION = "adaptiveCard/action"
LOG_MESSAGE = "composeExtension/submitAction"
ONCE_ONLY = {
    ActivityTypes.message,
    ActivityTypes.message_reaction,
    ActivityTypes.message_update,
    ActivityTypes.message_delete,
    ActivityTypes.conversation_update,
    ActivityTypes.installation_update,
}
_TAG = re.compile(r"<[^>]+>")
READ_ONLY = {
    Verb.REFRESH,
    Verb.SHOW,
    Verb.SHOW_FULL,
    Verb.EDIT_REPLY,
}  # clicks that change nothing, answered every time


class AllHandsBot(TeamsActivityHandler):  # type: ignore[misc]
    def __init__(
        self,
        desk: Desk,
        replies: Replies,
        stories: CustomerStories,
        console: Console,
        directory: TeamsDirectory,
        people: TeamsPeople,
        reactions: Mapping[str, Verb],
    ) -> None:
        self._desk = desk
        self._replies = replies
        self._stories = stories
        self._console = console
        self._commands = CommandRunner(desk, console)
        self._directory = directory
        self._people = people
        self._reactions = dict(reactions)

    async def on_turn(self, turn_context: TurnContext) -> None:
        activity = turn_context.activity
        if activity.type in ONCE_ONLY and not await self._first_time(activity):
            return
        await super().on_turn(turn_context)

    async def _first_time(self, activity: Activity) -> bool:
        """Whether this activity is new: Teams resends, and a captured one can be replayed."""
        if not activity.id:
            return True
        key = f"{activity.type}:{activity.id}"
        if await asyncio.to_thread(self._desk.first_delivery, Platform.TEAMS, key):
            return True
        log.info("teams.duplicate_delivery type=%s id=%s", activity.type, activity.id)
        return False

    # ---- installs: remember where proactive cards can go ---------------------------------

    async def on_conversation_update_activity(self, turn_context: TurnContext) -> None:
        await self._remember_conversation(turn_context)

    async def on_installation_update_add(self, turn_context: TurnContext) -> None:
        await self._remember_conversation(turn_context)

    async def _remember_conversation(self, turn_context: TurnContext) -> None:
        activity = turn_context.activity
        reference = TurnContext.get_conversation_reference(activity).serialize()
        team = (activity.channel_data or {}).get("team") or {}
        await asyncio.to_thread(self._directory.remember_conversation, reference, team.get("id"))
        log.info("teams.conversation_remembered conversation=%s", activity.conversation.id)

    # ---- messages: commands, and replies in a card's thread ------------------------------

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        activity = turn_context.activity
        text = _text(turn_context)
        root = thread_root(activity.conversation.id or "")
        item = (
            await asyncio.to_thread(self._desk.item_for_card, Platform.TEAMS, root)
            if root
            else None
        )
        who = await self._people.identity(turn_context)
        if item is not None and not is_command(text):
            try:
                await asyncio.to_thread(
                    self._desk.comment, item.ref, who, text, external_id=activity.id
                )
            except AllHandsError as error:
                await turn_context.send_activity(error.message)
            return
        answer = await asyncio.to_thread(
            self._commands.answer,
            text,
            who,
            default_ref=item.ref if item else None,
            message_id=activity.id or None,
        )
        reply = commands.render(answer)
        message = MessageFactory.text(reply.text)
        if reply.card is not None:
            message = MessageFactory.attachment(attachment(reply.card), text=reply.text)
        await turn_context.send_activity(message)

    async def on_teams_message_edit(self, turn_context: TurnContext) -> None:
        activity = turn_context.activity
        await asyncio.to_thread(
            self._desk.follow_comment_edit, Platform.TEAMS, activity.id, _text(turn_context)
        )

    async def on_teams_message_soft_delete(self, turn_context: TurnContext) -> None:
        activity = turn_context.activity
        await asyncio.to_thread(self._desk.follow_comment_edit, Platform.TEAMS, activity.id, None)

    # ---- reactions: none changes state unless configured ---------------------------------

    async def on_reactions_added(
        self, message_reactions: list[MessageReaction], turn_context: TurnContext
    ) -> None:
        verbs = [self._reactions[r.type] for r in message_reactions if r.type in self._reactions]
        card_id = turn_context.activity.reply_to_id
        if not verbs or not card_id:
            return
        item = await asyncio.to_thread(self._desk.item_for_card, Platform.TEAMS, card_id)
        if item is None:
            return
        who = await self._people.identity(turn_context)
        user_id = turn_context.activity.from_property.id
        for verb in verbs:
            await asyncio.to_thread(
                actions.execute,
                self._desk,
                self._stories,
                self._directory,
                verb,
                {"ref": item.ref},
                who,
                user_id,
                card_id,
            )

    # ---- invokes: card clicks and "Log as customer feedback" -----------------------------

    async def on_invoke_activity(self, turn_context: TurnContext) -> InvokeResponse:
        name = turn_context.activity.name
        try:
            if name == CARD_ACTION:
                return await self._card_action(turn_context)
            if name == LOG_MESSAGE:
                return await self._log_message(turn_context)
        except Exception:
            log.exception("teams.invoke_failed name=%s", name)
            return actions.error_response(HTTPStatus.INTERNAL_SERVER_ERROR, "Something broke.")
        return await super().on_invoke_activity(turn_context)

    async def _card_action(self, turn_context: TurnContext) -> InvokeResponse:
        action: dict[str, Any] = (turn_context.activity.value or {}).get("action") or {}
        verb = str(action.get("verb"))
        if verb != SAVE_VERB and verb not in Verb.__members__.values():
            return actions.error_response(HTTPStatus.BAD_REQUEST, f"Unknown action {verb!r}.")
        raw = action.get("data")
        data = raw if isinstance(raw, dict) else {}
        if verb not in READ_ONLY and not await self._first_time(turn_context.activity):
            # A click runs once: resent or replayed (its token lasts an hour), it only shows
            # the card as it is now: a captured claim cannot claim again after an unclaim.
            if verb == SAVE_VERB:
                return actions.message_response("Those settings were saved already.")
            if verb == Verb.RETRY_REPLY:
                return actions.message_response("That reply is on its way again already.")
            verb = Verb.REFRESH
        who = await self._people.identity(turn_context)
        if verb == SAVE_VERB:
            return await asyncio.to_thread(actions.save_settings, self._console.admin, data, who)
        if verb == Verb.RETRY_REPLY:
            return await asyncio.to_thread(actions.retry_reply, self._replies, data, who)
        if verb == Verb.REPLY:
            return await asyncio.to_thread(actions.reply, self._replies, data, who)
        if verb == Verb.CLOSE and data.get(TELL_INPUT) == "true":
            return await asyncio.to_thread(actions.close_telling, self._replies, data, who)
        if verb == Verb.APPROVE_REPLY:
            return await asyncio.to_thread(actions.approve_reply, self._replies, data, who)
        if verb == Verb.EDIT_REPLY:
            edit = actions.edit_reply
            return await asyncio.to_thread(edit, self._desk, self._replies, data, who)
        user_id = turn_context.activity.from_property.id
        return await asyncio.to_thread(
            actions.execute,
            self._desk,
            self._stories,
            self._directory,
            Verb(verb),
            data,
            who,
            user_id,
            turn_context.activity.reply_to_id,
        )

    async def _log_message(self, turn_context: TurnContext) -> InvokeResponse:
        value: dict[str, Any] = turn_context.activity.value or {}
        message = value.get("messagePayload") or {}
        text = _html_text(str((message.get("body") or {}).get("content") or ""))
        if not message.get("id") or not text:
            return _task_message("There is no text in that message to log.")
        note = str((value.get("data") or {}).get("note") or "").strip()
        draft = FeedbackDraft(
            source=Platform.TEAMS.value,
            external_id=str(message["id"])[:200],
            title=note[:300] or None,
            body=text[:BODY_MAX_CHARS],
            url=message.get("linkToMessage") or None,
        )
        who = await self._people.identity(turn_context)
        ingested = await asyncio.to_thread(self._desk.ingest, draft, who)
        verb = "Logged" if ingested.created else "Already logged"
        return _task_message(f"{verb} as {ingested.item.ref}.")


def _task_message(text: str) -> InvokeResponse:
    body = MessagingExtensionActionResponse(task=TaskModuleMessageResponse(value=text))
    return InvokeResponse(status=int(HTTPStatus.OK), body=body)


def _text(turn_context: TurnContext) -> str:
    """The message text without the bot's @mention (and without Teams' HTML)."""
    activity = turn_context.activity
    text = TurnContext.remove_recipient_mention(activity) if activity.recipient else activity.text
    return _html_text(text or "")


def _html_text(content: str) -> str:
    return html.unescape(_TAG.sub(" ", content)).replace("\xa0", " ").strip()
