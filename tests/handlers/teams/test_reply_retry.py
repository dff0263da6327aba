"""A reply to a customer who wrote in Intercom, refused by Intercom: the card's thread in Teams
gets the refusal's words on a card with Retry, and so does the item's card until it is sent; a
click posts the reply once in the customer's conversation, and the same click delivered again
posts nothing more."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.admin.secrets import new_key
from bot.core import Core
from bot.domain import ReplyStatus
from handlers.teams.cards import Verb
from tests.support.eventually import eventually
from tests.support.fakes.connector import FakeConnector
from tests.support.fakes.helpdesks import FakeIntercom
from tests.support.outbox import settle
from tests.support.realdata import needs_realdata
from tests.support.replies import person, vendor_item
from tests.support.teams import (
    Post,
    assert_valid_card,
    claim_invoke,
    install,
    posted_id,
    teams_settings,
)

pytestmark = needs_realdata

TEXT = "Fixed in 4.2, sorry for the trouble."


@pytest.fixture
def core_settings(connector: FakeConnector) -> dict[str, Any]:
    return teams_settings(connector) | {"ALLHANDS_SECRET_KEY": new_key()}


@pytest.fixture
async def intercom() -> AsyncIterator[FakeIntercom]:
    async with FakeIntercom() as fake:
        yield fake


def retry_cards(connector: FakeConnector) -> list[dict[str, Any]]:
    return [
        attachment["content"]
        for call in connector.sent("POST")
        for attachment in call.body.get("attachments") or ()
        if Verb.RETRY_REPLY in str(attachment.get("content", {}).get("actions"))
    ]


def latest_card(connector: FakeConnector, card_id: str) -> dict[str, Any]:
    """The item's card as its latest update left it."""
    updates = [call.body for call in connector.sent("PUT") if call.path.endswith(card_id)]
    content: dict[str, Any] = updates[-1]["attachments"][0]["content"]
    return content


async def test_retry_on_the_refusal_posts_the_reply_once(
    core: Core, post: Post, connector: FakeConnector, intercom: FakeIntercom
) -> None:
    await install(post)
    item, conversation = await vendor_item(core, intercom)
    await settle(core.db)
    card_id = posted_id(core, item.id)
    core.admin.change("replies", {"who": "anyone"}, None)
    intercom.refuse_reply("Conversation is closed")

    core.replies.reply(item.ref, person("ana@example.com"), TEXT)
    await eventually(lambda: len(retry_cards(connector)) == 1, what="the refusal's card")

    (note,) = retry_cards(connector)
    assert_valid_card(note)
    assert "Intercom answered 422: Conversation is closed" in note["body"][0]["text"]
    await settle(core.db)
    refused = latest_card(connector, card_id)
    assert_valid_card(refused)
    assert "Reply to the customer refused: Intercom answered 422" in str(refused["body"])
    assert Verb.RETRY_REPLY in str(refused["body"])
    click = claim_invoke(Verb.RETRY_REPLY, item.ref, card_id)
    answers = []
    for _ in range(2):  # Teams may deliver the same click twice
        response = await post(click)
        assert response.status == 200
        answers.append((await response.json())["value"])
        await settle(core.db)

    assert answers == [
        f"Sending the reply on {item.ref} again.",
        "That reply is on its way again already.",
    ]
    assert [(r.target, r.text) for r in intercom.replies] == [(conversation, f"<p>{TEXT}</p>")]
    assert [r.status for r in core.desk.get(item.ref).replies] == [ReplyStatus.SENT]
    assert Verb.RETRY_REPLY not in str(latest_card(connector, card_id))
