"""The customer's story as both platforms render it: pure functions over the core's view model,
inert and within Block Kit's and Adaptive Cards' limits whatever the text; and which fields of
the company's record reach a card."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import jsonschema
import pytest

from bot.admin.schemas import validate
from bot.customers.accounts import facts
from bot.customers.story import AccountFact, CustomerStory, EarlierItem, History, first_words
from bot.domain import Customer, Feedback, Kind, Person, Platform, Severity, State
from bot.errors import Invalid
from handlers.slack.blocks import card
from handlers.teams.cards import feedback_card
from tests.support.realdata import needs_realdata, realdata_json

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
HOSTILE = "Hey <!channel> @here <@U123> <https://evil.example|click> & **bold** [x](y) "
ANA = Person(7, "Ana <!here> Lima", "ana@example.com")
ITEM = Feedback(
    id=12,
    source="zendesk",
    external_id="12",
    title="Charged twice",
    body="Still charged twice",
    kind=Kind.COMPLAINT,
    severity=Severity.HIGH,
    tags=(),
    product_area=None,
    url=None,
    customer=Customer("Dana", "dana@example.com"),
    received_at=NOW,
    state=State.OPEN,
    claimed=None,
    closed=None,
    resolution=None,
    notify_customer=False,
    created_at=NOW,
    updated_at=NOW,
    version=1,
)
EARLIER = (
    EarlierItem("FB-11", State.OPEN, HOSTILE * 40),
    EarlierItem("FB-10", State.CLAIMED, HOSTILE, ANA, Platform.TEAMS),
    EarlierItem("FB-9", State.CLOSED, HOSTILE, ANA, Platform.SLACK, HOSTILE * 40),
)
STORY = CustomerStory(
    History(42, EARLIER),
    tuple(AccountFact(f"{HOSTILE[:50]}{n}", HOSTILE * 10) for n in range(12)),
)


def _texts(value: Any) -> Iterator[dict[str, Any]]:
    if isinstance(value, dict):
        if value.get("type") in {"mrkdwn", "plain_text"} and "text" in value:
            yield value
        for inner in value.values():
            yield from _texts(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from _texts(inner)


def test_slack_card_with_the_longest_story_is_inert_and_within_limits() -> None:
    blocks = [block.to_dict() for block in card(ITEM, {ANA.id: "UANA"}, STORY).blocks]

    assert len(blocks) <= 50
    for text in _texts(blocks):
        assert len(text["text"].encode("utf-16-le")) // 2 <= 3_000
        if text["type"] == "mrkdwn":
            assert text["verbatim"] is True
            for dangerous in ("<!channel>", "<!here>", "<@U123>", "<@UANA>", "<https://evil"):
                assert dangerous not in text["text"]
    shows = [b["accessory"]["value"] for b in blocks if b.get("accessory", {}).get("text")]
    assert shows == ["FB-11", "FB-10", "FB-9"]
    assert "*42 earlier items from this customer*" in json.dumps(blocks)


def test_slack_card_without_a_story_is_the_card_it_always_was() -> None:
    assert card(ITEM, {}, CustomerStory()).blocks == card(ITEM, {}).blocks


def test_one_earlier_item_is_said_in_the_singular() -> None:
    story = CustomerStory(History(1, EARLIER[:1]))
    assert "*1 earlier item from this customer*" in json.dumps(
        [b.to_dict() for b in card(ITEM, {}, story).blocks]
    )


@needs_realdata
@pytest.mark.parametrize("story", [STORY, CustomerStory(History(3, ())), CustomerStory()])
def test_teams_card_with_a_story_validates_and_neutralises_markdown(story: CustomerStory) -> None:
    rendered = feedback_card(replace(ITEM, state=State.CLOSED), None, (), story)

    jsonschema.validate(rendered, realdata_json("teams", "schemas", "adaptive-card-1.5.json"))
    text = json.dumps(rendered)
    assert "**bold**" not in text
    assert "[x](y)" not in text
    if story.history.shown:
        assert "42 earlier items from this customer" in text
        shows = [b for b in rendered["body"] if b["type"] == "ActionSet"]
        assert [a["data"]["ref"] for a in shows[0]["actions"]] == ["FB-11", "FB-10", "FB-9"]
        assert {a["verb"] for a in shows[0]["actions"]} == {"allhands.show"}


RECORD = {
    "Plan": "Enterprise",
    "arr": 120000,
    "churned": False,
    "owner": {"name": "Ana Lima", "phone": "+1 555 0100"},
    "products": ["chat", "voice"],
    "address": {"city": "Porto"},
    "blank": "  ",
    "notes": "confidential",
}


def test_only_the_allowlisted_fields_reach_the_card_in_the_leads_order() -> None:
    shown = facts(RECORD, ["owner.name", "plan", "arr", "churned", "products", "address", "x"])
    assert shown == (
        AccountFact("owner.name", "Ana Lima"),
        AccountFact("plan", "Enterprise"),  # keys match ignoring case when not exact
        AccountFact("arr", "120000"),
        AccountFact("churned", "no"),
        AccountFact("products", "chat, voice"),
    )  # a nested object, an absent field and blanks are not shown
    assert facts(RECORD, []) == ()
    assert facts({"plan": "x" * 500}, ["plan"])[0].value == "x" * 199 + "…"


def test_first_words_of_a_resolution() -> None:
    assert first_words("Refunded.") == "Refunded."
    assert first_words("one two three four five six seven eight nine") == (
        "one two three four five six seven eight…"
    )
    assert first_words("x" * 200) == "x" * 79 + "…"


def test_customer_fields_setting_is_checked() -> None:
    typed = validate("customers", {"fields": [" plan ", "plan", "", "owner.name"]})
    assert typed.model_dump() == {"fields": ["plan", "owner.name"]}
    with pytest.raises(Invalid, match=r"customers\.fields"):
        validate("customers", {"fields": ["x" * 65]})
    with pytest.raises(Invalid, match=r"customers\.fields"):
        validate("customers", {"fields": [f"f{n}" for n in range(13)]})
