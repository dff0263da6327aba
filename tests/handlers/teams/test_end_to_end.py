"""Install → ingest → card in the channel → Action.Execute claim → refreshed card, DB, notes."""

from __future__ import annotations

from bot.core import Core
from bot.domain import Platform, State
from tests.support.fakes.connector import FakeConnector
from tests.support.outbox import settle
from tests.support.realdata import needs_realdata
from tests.support.teams import (
    CHANNEL,
    RIDO,
    Post,
    assert_valid_card,
    card_of,
    claim_invoke,
    ingest_with_card,
)

pytestmark = needs_realdata


async def test_ingested_item_is_posted_as_a_card_in_the_configured_channel(
    core: Core, post: Post, connector: FakeConnector
) -> None:
    ref, message_id = await ingest_with_card(core, post)

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
    ref, card_id = await ingest_with_card(core, post)
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
