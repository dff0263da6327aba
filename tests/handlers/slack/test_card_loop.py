"""Acceptance: API ingest → one card; Claim, Close… and Reopen each update it in place."""

from __future__ import annotations

import json
from typing import Any

from aiohttp.test_utils import TestClient
from slack_sdk.models.blocks import Block

from bot.core import Core
from bot.domain import State
from handlers.slack.ids import Field, SlackId
from handlers.slack.views import Origin
from tests.support.eventually import eventually
from tests.support.fakes.slack_api import FakeSlackApi
from tests.support.realdata import needs_realdata
from tests.support.slack_payloads import CARDS, SlackSender, block_action, view_submission

pytestmark = needs_realdata


def _text_of(blocks: list[dict[str, Any]]) -> str:
    return json.dumps(blocks, ensure_ascii=False)


async def test_an_ingested_item_is_posted_once_with_valid_blocks(
    client: TestClient[Any, Any], slack: FakeSlackApi, auth: dict[str, str]
) -> None:
    response = await client.post(
        "/api/v1/feedback",
        json={"source": "zendesk", "body": "Export is broken", "kind": "bug"},
        headers=auth,
    )
    assert response.status == 201
    (call,) = await slack.wait_for("chat.postMessage")
    assert call.args["channel"] == CARDS
    blocks = call.args["blocks"]
    assert [Block.parse(b).to_dict() for b in blocks] == blocks  # slack_sdk validates each
    assert "FB-1" in _text_of(blocks)
    assert "Export is broken" in _text_of(blocks)
    assert call.args["metadata"]["event_payload"]["key"].startswith("allhands-card-")
    assert len(slack.cards(CARDS)) == 1


async def test_claim_close_and_reopen_update_the_card_in_place(
    core: Core, slack: FakeSlackApi, sender: SlackSender, ingest: Any
) -> None:
    ref, ts = await ingest()

    response = await sender.interactive(block_action(SlackId.CLAIM, ref, "UANA", message_ts=ts))
    assert response.status == 200
    (update,) = await slack.wait_for("chat.update")
    assert core.desk.get(ref).state is State.CLAIMED
    assert update.args["ts"] == ts
    assert "Claimed by <@UANA>" in _text_of(update.args["blocks"])
    notes = await _notes(slack, ts, 1)
    assert "<@UANA> claimed this" in notes[-1]

    origin = Origin(ref, CARDS, ts).dump()
    values = {
        Field.RESOLUTION: {"type": "plain_text_input", "value": "Fixed in 2.4.1"},
        Field.TELL_CUSTOMER: {"type": "checkboxes", "selected_options": [{"value": "yes"}]},
    }
    response = await sender.interactive(view_submission(SlackId.CLOSE_VIEW, values, origin, "UANA"))
    assert response.status == 200
    (_, closed) = await slack.wait_for("chat.update", 2)
    item = core.desk.get(ref)
    assert (item.state, item.resolution, item.notify_customer) == (
        State.CLOSED,
        "Fixed in 2.4.1",
        True,
    )
    assert "Closed by <@UANA>: Fixed in 2.4.1" in _text_of(closed.args["blocks"])

    await sender.interactive(block_action(SlackId.REOPEN, ref, "UBEN", message_ts=ts))
    (*_, reopened) = await slack.wait_for("chat.update", 3)
    assert core.desk.get(ref).state is State.OPEN
    assert "Open — nobody has it yet" in _text_of(reopened.args["blocks"])
    assert "<@UBEN> reopened this" in (await _notes(slack, ts, 3))[-1]
    assert len(slack.cards(CARDS)) == 1


async def test_the_bot_reactions_mirror_the_state(
    slack: FakeSlackApi, sender: SlackSender, ingest: Any
) -> None:
    ref, ts = await ingest()
    await sender.interactive(block_action(SlackId.CLAIM, ref, "UANA", message_ts=ts))
    await eventually(lambda: "eyes" in slack.cards(CARDS)[0].reactions)
    origin = Origin(ref, CARDS, ts).dump()
    await sender.interactive(view_submission(SlackId.CLOSE_VIEW, {}, origin, "UANA"))
    await eventually(lambda: set(slack.cards(CARDS)[0].reactions) == {"white_check_mark"})


async def test_close_opens_a_modal_that_remembers_the_card(
    slack: FakeSlackApi, sender: SlackSender, ingest: Any
) -> None:
    ref, ts = await ingest()
    await sender.interactive(block_action(SlackId.CLOSE, ref, "UANA", message_ts=ts))
    (opened,) = await slack.wait_for("views.open")
    view = opened.args["view"]
    assert view["callback_id"] == SlackId.CLOSE_VIEW
    assert Origin.load(view["private_metadata"]) == Origin(ref, CARDS, ts)


async def _notes(slack: FakeSlackApi, ts: str, count: int) -> list[str]:
    await eventually(lambda: len(slack.replies(CARDS, ts)) >= count)
    return [m.text for m in slack.replies(CARDS, ts)]
