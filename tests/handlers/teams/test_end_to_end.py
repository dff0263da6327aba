"""Install → ingest → card in the channel → Action.Execute claim → refreshed card, DB, notes."""

from __future__ import annotations

from typing import Any

from bot.core import Core
from bot.domain import Identity, Platform, State
from bot.intake import FeedbackDraft
from tests.fakes.connector import FakeConnector
from tests.handlers.teams.conftest import (
    CHANNEL,
    RIDO,
    Post,
    assert_valid_card,
    claim_invoke,
    recording,
    settle,
)
from tests.support import needs_realdata

pytestmark = needs_realdata
CUSTOMER_CARE = Identity(Platform.API, "zendesk", "zendesk")


async def install(post: Post) -> None:
    response = await post(recording("conversation_update_bot_added_to_team.json"))
    assert response.status in (200, 201)


async def ingest_with_card(core: Core, post: Post, connector: FakeConnector) -> tuple[str, str]:
    """Install the app, log one item, and return (its ref, its card's Teams message id)."""
    await install(post)
    draft = FeedbackDraft(source="zendesk", body="My card was declined **twice**", url=None)
    item = core.desk.ingest(draft, CUSTOMER_CARE).item
    await settle(core.db)
    return item.ref, posted_id(core, item.id)


def posted_id(core: Core, item_id: int) -> str:
    with core.db.read() as uow:
        copies = uow.cards.for_item(item_id)
    assert [c.platform for c in copies] == [Platform.TEAMS]
    assert copies[0].message_id is not None
    return copies[0].message_id


def card_of(call_body: dict[str, Any]) -> dict[str, Any]:
    attachment = call_body["attachments"][0]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card: dict[str, Any] = attachment["content"]
    return card


async def test_ingested_item_is_posted_as_a_card_in_the_configured_channel(
    core: Core, post: Post, connector: FakeConnector
) -> None:
    ref, message_id = await ingest_with_card(core, post, connector)

    call = connector.sent("POST")[-1]
    assert call.path == f"/v3/conversations/{CHANNEL}/activities"
    card = card_of(call.body)
    assert_valid_card(card)
    assert card["body"][0]["text"].startswith(ref)
    assert card["body"][1]["text"] == "My card was declined \\*\\*twice\\*\\*"  # stays text
    assert [a.get("verb") for a in card["actions"]][:1] == ["allhands.claim"]
    assert message_id.isdigit()  # the id the connector gave the new post


async def test_claim_click_answers_200_with_the_refreshed_card_and_updates_everything(
    core: Core, post: Post, connector: FakeConnector
) -> None:
    ref, card_id = await ingest_with_card(core, post, connector)
    before = len(connector.calls)

    response = await post(claim_invoke("allhands.claim", ref, card_id))

    assert response.status == 200
    answer = await response.json()
    assert answer["statusCode"] == 200
    assert answer["type"] == "application/vnd.microsoft.card.adaptive"
    card = answer["value"]
    assert_valid_card(card)
    assert "Claimed by Rido" in str(card)
    verbs = [a.get("verb") or a["type"] for a in card["actions"]]
    assert "allhands.unclaim" in verbs
    assert "allhands.claim" not in verbs
    assert card["refresh"]["userIds"] == [RIDO]

    item = core.desk.get(ref)
    assert item.state is State.CLAIMED
    assert item.claimed is not None
    assert item.claimed.person.email == "rido@example.com"
    assert item.claimed.platform is Platform.TEAMS

    await settle(core.db)
    calls = connector.calls[before:]
    updates = [c for c in calls if c.method == "PUT"]
    assert [c.path for c in updates] == [f"/v3/conversations/{CHANNEL}/activities/{card_id}"]
    shared = card_of(updates[0].body)
    assert_valid_card(shared)
    assert shared["refresh"]["userIds"] == [RIDO]  # the claimer's client asks for Unclaim
    assert "allhands.unclaim" not in str(shared["actions"])  # everybody else's copy
    notes = [c for c in calls if c.method == "POST" and "messageid=" in c.path]
    assert [n.path for n in notes] == [
        f"/v3/conversations/{CHANNEL};messageid={card_id}/activities"
    ]
    assert notes[0].body["text"] == f"Rido claimed {ref}."
