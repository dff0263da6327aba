"""Show full text on a Teams card: the claimer and leads get the card back with the words
unmasked, for them alone (an invoke's answer is shown to the one who clicked) and without a
refresh that would bring the masked copy straight back; anyone else is refused."""

from __future__ import annotations

from typing import Any

import pytest

from bot.core import Core
from bot.intake import FeedbackDraft
from handlers.teams.cards import Verb
from tests.support.builders import API
from tests.support.eventually import eventually
from tests.support.fakes.connector import FakeConnector
from tests.support.outbox import settle
from tests.support.realdata import needs_realdata
from tests.support.teams import (
    Post,
    assert_valid_card,
    card_of,
    claim_invoke,
    install,
    posted_id,
    recording,
)

pytestmark = needs_realdata

PHONE, IBAN = "+44 20 7946 0958", "GB82 WEST 1234 5698 7654 32"
BODY = f"Call me on {PHONE}; the refund goes to {IBAN}."


@pytest.fixture(autouse=True)
def mo(connector: FakeConnector) -> dict[str, Any]:
    """The author of the recorded channel message: neither the claimer nor a lead."""
    user: dict[str, Any] = recording("message_channel_with_mention.json")["from"]
    connector.add_member(user["id"], user["aadObjectId"], "Mo", "mo@example.com")
    return user


async def _card_up(core: Core, post: Post) -> tuple[str, str]:
    await install(post)
    item = core.desk.ingest(FeedbackDraft(source="email", body=BODY), API).item
    await settle(core.db)
    return item.ref, posted_id(core, item.id)


async def _show_full(post: Post, ref: str, card_id: str, by: dict[str, Any] | None = None) -> Any:
    click = claim_invoke(Verb.SHOW_FULL, ref, card_id)
    if by is not None:
        click["id"], click["from"] = f"f:show-{by['id']}", by
    response = await post(click)
    assert response.status == 200
    return await response.json()


async def test_the_claimer_gets_a_personal_card_with_the_full_text(
    core: Core, post: Post, connector: FakeConnector, mo: dict[str, Any]
) -> None:
    ref, card_id = await _card_up(core, post)
    shared = card_of(connector.sent("POST")[-1].body)
    assert PHONE not in str(shared)
    assert "+44 •••• 958" in str(shared)
    assert Verb.SHOW_FULL in [a.get("verb") for a in shared["actions"]]

    refused_early = await _show_full(post, ref, card_id)  # nobody has claimed it yet
    await post(claim_invoke(Verb.CLAIM, ref, card_id))
    answer = await _show_full(post, ref, card_id)
    refused = await _show_full(post, ref, card_id, by=mo)

    assert answer["type"] == "application/vnd.microsoft.card.adaptive"
    card = answer["value"]
    assert_valid_card(card)
    assert BODY in [block.get("text") for block in card["body"]]
    assert "refresh" not in card
    assert Verb.SHOW_FULL not in [a.get("verb") for a in card["actions"]]
    refusal = f"Only whoever claimed {ref} or a support lead can see its full text."
    assert (
        refused_early
        == refused
        == {
            "statusCode": 200,
            "type": "application/vnd.microsoft.activity.message",
            "value": refusal,
        }
    )


async def test_a_lead_sees_it_until_leads_turn_it_off(
    core: Core, post: Post, mo: dict[str, Any]
) -> None:
    ref, card_id = await _card_up(core, post)
    core.admin.set_role("mo@example.com", "lead", True, None)

    shown = await _show_full(post, ref, card_id, by=mo)
    core.admin.change("privacy", {"show_full_text": False}, None)
    await eventually(
        lambda: not core.desk.privacy.config().show_full_text
    )  # read again within seconds
    again = await _show_full(post, ref, card_id, by=mo)

    assert BODY in [block.get("text") for block in shown["value"]["body"]]
    assert again["value"] == "Leads turned off showing the full text: personal data stays masked."
