"""Acceptance: reactions claim, unclaim and close; thread replies become comments (edits and
deletions followed, the bot's and other apps' messages skipped); a retried event does nothing
twice."""

from __future__ import annotations

from typing import Any

from bot.core import Core
from bot.domain import State
from tests.support.eventually import eventually
from tests.support.fakes.slack_api import FakeSlackApi
from tests.support.fakes.slack_workspace import BOT_USER
from tests.support.realdata import needs_realdata
from tests.support.slack_payloads import CARDS, SlackSender, event

pytestmark = needs_realdata


def _reaction(kind: str, event_id: str, user: str, name: str, ts: str) -> dict[str, Any]:
    file = "reaction_added.json" if kind == "added" else "ReactionRemovedPayload.json"
    item = {"type": "message", "channel": CARDS, "ts": ts}
    return event(file, event_id, user=user, reaction=name, item=item, item_user=BOT_USER)


async def test_eyes_claims_removing_it_unclaims_and_a_check_mark_closes(
    core: Core, slack: FakeSlackApi, sender: SlackSender, ingest: Any
) -> None:
    ref, ts = await ingest()

    await sender.event(_reaction("added", "Ev1", "UANA", "eyes", ts))
    await eventually(lambda: core.desk.get(ref).state is State.CLAIMED)
    await sender.event(_reaction("removed", "Ev2", "UBEN", "eyes", ts))  # not the holder
    await sender.event(_reaction("removed", "Ev3", "UANA", "eyes", ts))
    await eventually(lambda: core.desk.get(ref).state is State.OPEN)
    await sender.event(_reaction("added", "Ev4", "UBEN", "white_check_mark", ts))
    await eventually(lambda: core.desk.get(ref).state is State.CLOSED)

    item = core.desk.get(ref)
    assert item.closed is not None
    assert item.closed.person.name == "Ben Okafor"
    with core.db.read() as uow:
        kinds = [e.kind.value for e in uow.events.for_item(item.id)]
    assert kinds == ["ingested", "claimed", "unclaimed", "closed"]


async def test_other_reactions_and_reactions_elsewhere_do_nothing(
    core: Core, sender: SlackSender, ingest: Any
) -> None:
    ref, ts = await ingest()
    assert (await sender.event(_reaction("added", "Ev1", "UANA", "heart", ts))).status == 200
    other = _reaction("added", "Ev2", "UANA", "eyes", "1.000001")
    assert (await sender.event(other)).status == 200
    await sender.event(_reaction("added", "Ev3", "UBEN", "eyes", ts))
    await eventually(lambda: core.desk.get(ref).state is State.CLAIMED)
    claimed = core.desk.get(ref).claimed
    assert claimed is not None
    assert claimed.person.name == "Ben Okafor"


def _reply(event_id: str, user: str, text: str, thread_ts: str, ts: str) -> dict[str, Any]:
    return event(
        "message_thread_reply.json",
        event_id,
        user=user,
        text=text,
        thread_ts=thread_ts,
        ts=ts,
        channel=CARDS,
        parent_user_id=BOT_USER,
    )


async def test_thread_replies_become_comments_once_even_when_retried(
    core: Core, sender: SlackSender, ingest: Any
) -> None:
    ref, ts = await ingest()
    reply = _reply("Ev10", "UANA", "Called the customer, it's their proxy", ts, "1800000000.1")

    await sender.event(reply)
    await sender.event(reply, retry=1)
    await sender.event({**reply, "event_id": "Ev11"})  # the same message, delivered again
    await eventually(lambda: core.desk.get(ref).comments)

    (comment,) = core.desk.get(ref).comments
    assert comment.text == "Called the customer, it's their proxy"
    assert comment.author.email == "ana@example.com"


async def test_edits_and_deletions_of_replies_are_followed(
    core: Core, sender: SlackSender, ingest: Any
) -> None:
    ref, ts = await ingest()
    await sender.event(_reply("Ev20", "UANA", "Frist look", ts, "1800000000.2"))
    await eventually(lambda: core.desk.get(ref).comments)

    edited = event("message_changed.json", "Ev21", channel=CARDS)
    edited["event"]["message"] |= {"text": "First look", "user": "UANA", "thread_ts": ts}
    edited["event"]["previous_message"] |= {"ts": "1800000000.2", "user": "UANA"}
    await sender.event(edited)
    await eventually(lambda: core.desk.get(ref).comments[0].text == "First look")

    deleted = event("message_deleted.json", "Ev22", channel=CARDS, deleted_ts="1800000000.2")
    await sender.event(deleted)
    await eventually(lambda: not core.desk.get(ref).comments)


async def test_bot_messages_in_the_thread_are_not_comments(
    core: Core, slack: FakeSlackApi, sender: SlackSender, ingest: Any
) -> None:
    ref, ts = await ingest()
    other_app = event("message_from_bot_user.json", "Ev30", channel=CARDS, thread_ts=ts)
    old_bot = event("message_bot_message.json", "Ev31", channel=CARDS, thread_ts=ts)
    ours = _reply("Ev32", BOT_USER, "<@UANA> claimed this", ts, "1800000000.3")
    ours["event"]["bot_id"] = "BBOT"
    for envelope in (other_app, old_bot, ours):
        assert (await sender.event(envelope)).status == 200
    await sender.event(_reply("Ev33", "UBEN", "A person", ts, "1800000000.4"))
    await eventually(lambda: core.desk.get(ref).comments)
    assert [c.text for c in core.desk.get(ref).comments] == ["A person"]
