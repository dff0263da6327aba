"""Card clicks (`Action.Execute`) as core calls, and the invoke answers Teams expects.

Every answer is a model object inside an `InvokeResponse`: botbuilder 4.17 serializes the body
with msrest on the way out, and a plain dict there turns a finished click into an HTTP 500.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from http import HTTPStatus
from typing import Any

from botbuilder.core import InvokeResponse
from botbuilder.schema import AdaptiveCardInvokeResponse

from bot.admin import form as settings_form
from bot.admin.configure import Admin
from bot.customers.stories import CustomerStories
from bot.customers.story import NO_STORY
from bot.domain import Feedback, Identity, Platform, State
from bot.errors import AllHandsError, Invalid
from bot.replies import Replies
from bot.service import Desk
from handlers.teams.cards import (
    EDITED_REPLY_INPUT,
    ISSUE_INPUT,
    MERGE_INPUT,
    REPLY_INPUT,
    RESOLUTION_INPUT,
    SPLIT_INPUT,
    Verb,
    edit_reply_card,
    feedback_card,
    plain,
    status_line,
)
from handlers.teams.references import TeamsDirectory
from handlers.teams.settings_card import settings_card, submitted

CARD = "application/vnd.microsoft.card.adaptive"
MESSAGE = "application/vnd.microsoft.activity.message"
ERROR = "application/vnd.microsoft.error"
SHOWN_CHARS = 1_000


class _MessageInvokeResponse(AdaptiveCardInvokeResponse):  # type: ignore[misc]
    """The "message" answer carries a string; the SDK's model only serializes a dict value."""

    _attribute_map = {
        **AdaptiveCardInvokeResponse._attribute_map,
        "value": {"key": "value", "type": "str"},
    }


def card_response(card: dict[str, Any]) -> InvokeResponse:
    return _ok(AdaptiveCardInvokeResponse(status_code=200, type=CARD, value=card))


def message_response(text: str) -> InvokeResponse:
    """A message Teams shows to the one who clicked, leaving the card as it was."""
    return _ok(_MessageInvokeResponse(status_code=200, type=MESSAGE, value=text))


def error_response(status: HTTPStatus, message: str) -> InvokeResponse:
    body = AdaptiveCardInvokeResponse(
        status_code=int(status), type=ERROR, value={"code": status.phrase, "message": message}
    )
    return InvokeResponse(status=int(status), body=body)


def _ok(body: object) -> InvokeResponse:
    return InvokeResponse(status=int(HTTPStatus.OK), body=body)


def execute(
    desk: Desk,
    stories: CustomerStories,
    directory: TeamsDirectory,
    verb: Verb,
    data: dict[str, Any],
    who: Identity,
    user_id: str,
    card_id: str | None = None,
) -> InvokeResponse:
    """Run one click and answer with the card as the clicker should now see it: as the copy
    clicked on (`card_id`, its activity id) shows the item.

    Synchronous (database work); the bot calls it in a worker thread.
    """
    ref = str(data.get("ref", ""))
    if verb is Verb.SHOW:
        return _show(desk, ref)
    if verb is Verb.SHOW_FULL:
        return _show_full(desk, stories, ref, who)
    steps: dict[Verb, Callable[[], Feedback]] = {
        Verb.CLAIM: lambda: desk.claim(ref, who).item,
        Verb.UNCLAIM: lambda: desk.unclaim(ref, who).item,
        Verb.CLOSE: lambda: desk.close(ref, who, str(data.get(RESOLUTION_INPUT) or "")).item,
        Verb.REOPEN: lambda: desk.reopen(ref, who).item,
        Verb.LINK: lambda: desk.link(ref, who, str(data.get(ISSUE_INPUT) or "")).item,
        Verb.REFRESH: lambda: desk.get(ref),
        Verb.MERGE: lambda: _then_get(desk, ref, desk.merge(ref, _typed(data, MERGE_INPUT), who)),
        Verb.SPLIT: lambda: _then_get(desk, ref, desk.split(_typed(data, SPLIT_INPUT), who)),
    }
    try:
        item = steps[verb]()
    except AllHandsError as error:
        return message_response(error.message)
    if verb is Verb.CLAIM and item.claimed is not None:
        viewer = item.claimed.person  # the claim just made, or the clicker's own earlier one
    else:
        viewer = desk.person(who)
    mine = item.state is State.CLAIMED and item.claimed and item.claimed.person.id == viewer.id
    refresh = [user_id] if mine else directory.refresh_ids(item)
    shown = desk.on_card(item, Platform.TEAMS, card_id)
    story = NO_STORY  # a sensitive item's stub tells nothing of its customer
    if shown.words:
        story = desk.privacy.story(stories.for_item(item))  # read with the email, then masked
    return card_response(feedback_card(shown.item, viewer, refresh, story))


def _typed(data: Mapping[str, Any], input_id: str) -> str:
    return str(data.get(input_id) or "").strip()


def _then_get(desk: Desk, ref: str, _done: object) -> Feedback:
    """The card clicked on, as it is after a change made to (or through) another item."""
    return desk.get(ref)


def reply(replies: Replies, data: Mapping[str, Any], who: Identity) -> InvokeResponse:
    """Send the card form's text to the customer; the answer, to the clicker alone, says it is
    on its way, or why not (a refusal; no way back to the customer, with their words to copy).
    Synchronous (database work); the bot calls it in a worker thread."""
    text = str(data.get(REPLY_INPUT) or "")
    try:
        sent = replies.reply(str(data.get("ref", "")), who, text)
    except Invalid as error:
        if error.field != "ref":
            return message_response(error.message)
        return message_response(f"{error.message}\nYour reply:\n{text.strip()}")
    except AllHandsError as error:
        return message_response(error.message)
    return message_response(sent.told)


def close_telling(replies: Replies, data: Mapping[str, Any], who: Identity) -> InvokeResponse:
    """Close from the card form with "tell the customer" on: the resolution goes to them as a
    reply; the answer, to the clicker alone, says so (the card's update follows from the
    outbox). Synchronous (database work); the bot calls it in a worker thread."""
    resolution = str(data.get(RESOLUTION_INPUT) or "")
    try:
        closed = replies.close(str(data.get("ref", "")), who, resolution, tell=True)
    except AllHandsError as error:
        return message_response(error.message)
    return message_response(closed.told or f"Closed {closed.outcome.item.ref}.")


def approve_reply(replies: Replies, data: Mapping[str, Any], who: Identity) -> InvokeResponse:
    """A lead's Approve (or Send after Edit…): the held reply goes; anyone else is told no.
    Synchronous (database work); the bot calls it in a worker thread."""
    ref = str(data.get("ref", ""))
    edited = data.get(EDITED_REPLY_INPUT)
    try:
        sent = replies.approve(ref, who, None if edited is None else str(edited))
    except AllHandsError as error:
        return message_response(error.message)
    return message_response(f"Approved: {sent.told}")


def edit_reply(
    desk: Desk, replies: Replies, data: Mapping[str, Any], who: Identity
) -> InvokeResponse:
    """The held reply's words in a form, for the lead who clicked alone (an invoke's card is
    shown to the clicker only); a refusal to anyone else."""
    ref = str(data.get("ref", ""))
    try:
        text = replies.held_text(ref, who)
    except AllHandsError as error:
        return message_response(error.message)
    return card_response(edit_reply_card(desk.privacy.item(desk.shown(ref)), text))


def _show_full(desk: Desk, stories: CustomerStories, ref: str, who: Identity) -> InvokeResponse:
    """The card with the item's words unmasked, for the one who clicked (Teams shows an invoke's
    card to the clicker only); without a refresh, so it stays until the card next changes for
    everybody. Anyone but the claimer or a lead gets a refusal instead."""
    try:
        item = desk.full_text(ref, who)
    except AllHandsError as error:
        return message_response(error.message)
    story = desk.privacy.story(stories.for_item(item))
    return card_response(feedback_card(item, desk.person(who), (), story, whole=True))


def _show(desk: Desk, ref: str) -> InvokeResponse:
    """An earlier item named on a card, told to the one who clicked; the card stays as it is."""
    try:
        item = desk.shown(ref)
    except AllHandsError as error:
        return message_response(error.message)
    return message_response(f"{item.ref}: {status_line(item)}. {plain(item.body, SHOWN_CHARS)}")


def retry_reply(replies: Replies, data: Mapping[str, Any], who: Identity) -> InvokeResponse:
    """Retry on a refused reply's note: the reply goes out once more; the clicker is told."""
    try:
        sent = replies.retry(str(data.get("ref", "")), who)
    except AllHandsError as error:
        return message_response(error.message)
    return message_response(f"Sending the reply on {sent.item.ref} again.")


def save_settings(admin: Admin, data: Mapping[str, Any], who: Identity) -> InvokeResponse:
    """Apply the settings form and answer with the form as now stored, saying what changed.

    A refusal or a mistake comes back as a message instead, so the card keeps what was typed.
    Synchronous (database work); the bot calls it in a worker thread.
    """
    try:
        changed = settings_form.apply(admin, submitted(data), who)
    except AllHandsError as error:
        return message_response(error.message)
    note = f"Saved: {', '.join(changed)}." if changed else "Nothing changed."
    return card_response(settings_card(settings_form.current(admin), note))
