"""Acceptance: two people click Claim at once → one claim; the other is told who has it."""

from __future__ import annotations

import asyncio
from typing import Any

from bot.core import Core
from bot.domain import EventKind, State
from handlers.slack.ids import SlackId
from tests.support.fakes.slack_api import FakeSlackApi
from tests.support.realdata import needs_realdata
from tests.support.slack_payloads import CARDS, SlackSender, block_action

pytestmark = needs_realdata


async def test_concurrent_claims_give_one_claim_and_an_already_claimed_line(
    core: Core, slack: FakeSlackApi, sender: SlackSender, ingest: Any
) -> None:
    ref, ts = await ingest()
    responses = await asyncio.gather(
        sender.interactive(block_action(SlackId.CLAIM, ref, "UANA", message_ts=ts)),
        sender.interactive(block_action(SlackId.CLAIM, ref, "UBEN", message_ts=ts)),
    )
    assert [r.status for r in responses] == [200, 200]
    (told,) = await slack.wait_for("chat.postEphemeral")
    item = core.desk.get(ref)
    assert item.state is State.CLAIMED
    assert item.claimed is not None
    winner = item.claimed.person.name
    loser = "UBEN" if winner == "Ana Lima" else "UANA"
    assert told.args["user"] == loser
    assert told.args["channel"] == CARDS
    assert told.args["text"] == f"{ref} is already claimed by {winner}."
    with core.db.read() as uow:
        assert uow.events.count(item.id, EventKind.CLAIMED) == 1
