"""Every card the bot builds validates against the Adaptive Cards 1.5 schema and tells the truth."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.domain import (
    Customer,
    Event,
    EventKind,
    Feedback,
    Holder,
    Kind,
    Person,
    Platform,
    Severity,
    State,
)
from handlers.teams.cards import feedback_card, message_card, note_text
from tests.support.realdata import needs_realdata
from tests.support.teams import assert_valid_card

pytestmark = needs_realdata
AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
ANA = Person(1, "Ana", "ana@example.com")
BO = Person(2, "Bo", "bo@example.com")
LEAD = Person(3, "Lee", "lee@example.com", is_lead=True)
OPEN = Feedback(
    id=7,
    source="zendesk",
    external_id="t-7",
    title="Card declined [again]",
    body="It failed _twice_ <!channel> @everyone " + "x" * 3_000,
    kind=Kind.COMPLAINT,
    severity=Severity.URGENT,
    tags=("billing", "card"),
    product_area="payments",
    url="https://help.example.com/t/7",
    customer=Customer("Dana", "dana@example.com", "Acme", "gold"),
    received_at=AT,
    state=State.OPEN,
    claimed=None,
    closed=None,
    resolution=None,
    notify_customer=False,
    created_at=AT,
    updated_at=AT,
    version=1,
)
CLAIMED_IN_SLACK = replace(OPEN, state=State.CLAIMED, claimed=Holder(ANA, Platform.SLACK, AT))
CLOSED = replace(
    CLAIMED_IN_SLACK,
    state=State.CLOSED,
    closed=Holder(BO, Platform.TEAMS, AT),
    resolution="Refunded **both**",
)


REPLY, LINK = "Reply to customer…", "Link issue…"  # forms under the card
SHOW_FULL = "allhands.show_full"  # the body is cut (or masked): its full text is a click away


def verbs(card: dict[str, Any]) -> list[str]:
    return [a.get("verb") or a["title"] for a in card["actions"]]


def text(card: dict[str, Any]) -> str:
    return "\n".join(b.get("text", "") for b in card["body"])


MERGE = "Merge or split…"


@pytest.mark.parametrize(
    ("item", "viewer", "expected"),
    [
        (OPEN, None, ["allhands.claim", "Close…", "Open source", REPLY, LINK, MERGE, SHOW_FULL]),
        (CLAIMED_IN_SLACK, None, ["Close…", "Open source", REPLY, LINK, MERGE, SHOW_FULL]),
        (CLAIMED_IN_SLACK, BO, ["Close…", "Open source", REPLY, LINK, MERGE, SHOW_FULL]),
        (
            CLAIMED_IN_SLACK,
            ANA,
            ["allhands.unclaim", "Close…", "Open source", REPLY, LINK, MERGE, SHOW_FULL],
        ),
        (
            CLAIMED_IN_SLACK,
            LEAD,
            ["allhands.unclaim", "Close…", "Open source", REPLY, LINK, MERGE, SHOW_FULL],
        ),
        (CLOSED, ANA, ["allhands.reopen", "Open source", REPLY, LINK, MERGE, SHOW_FULL]),
        (
            replace(OPEN, url=None, title=None, tags=()),
            None,
            ["allhands.claim", "Close…", REPLY, LINK, MERGE, SHOW_FULL],
        ),
        (
            replace(OPEN, body="Short"),
            None,
            ["allhands.claim", "Close…", "Open source", REPLY, LINK, MERGE],
        ),
        (
            replace(OPEN, body="Short", text_masked=True),
            None,
            ["allhands.claim", "Close…", "Open source", REPLY, LINK, MERGE, SHOW_FULL],
        ),
    ],
)
def test_each_state_and_viewer_gets_a_valid_card_with_its_buttons(
    item: Feedback, viewer: Person | None, expected: list[str]
) -> None:
    card = feedback_card(item, viewer, ["29:ana"])

    assert_valid_card(card)
    assert verbs(card) == expected


def test_claim_from_the_other_platform_is_named() -> None:
    assert "Claimed by Ana (in Slack)" in text(feedback_card(CLAIMED_IN_SLACK))
    closed = text(feedback_card(CLOSED))
    assert "Closed by Bo: Refunded \\*\\*both\\*\\*" in closed  # Teams needs no "(in Teams)"


def test_customer_text_is_escaped_and_cut() -> None:
    card = feedback_card(OPEN)
    body = card["body"][2]["text"]

    assert body.startswith("It failed \\_twice\\_ <!channel\\> @everyone")
    assert body.endswith("…")
    assert len(body) < 1_600
    assert card["body"][1]["text"] == "Card declined \\[again\\]"


def test_refresh_lists_the_claimer_and_the_close_form_posts_the_resolution() -> None:
    card = feedback_card(CLAIMED_IN_SLACK, None, ["29:ana"] * 2 + [f"29:{n}" for n in range(80)])

    assert card["refresh"]["action"]["verb"] == "allhands.refresh"
    assert card["refresh"]["userIds"][0] == "29:ana"
    assert len(card["refresh"]["userIds"]) == 60
    form = card["actions"][0]["card"]
    assert form["body"][0]["id"] == "resolution"
    assert form["actions"][0]["verb"] == "allhands.close"
    assert "refresh" not in feedback_card(OPEN)


def test_list_card_is_valid() -> None:
    assert_valid_card(message_card(["FB-1 one", "FB-2 two"]))


@pytest.mark.parametrize(
    ("kind", "platform", "data", "line"),
    [
        (EventKind.CLAIMED, Platform.SLACK, {}, "Ana (in Slack) claimed FB-7."),
        (EventKind.CLAIMED, Platform.TEAMS, {}, "Ana claimed FB-7."),
        (EventKind.CLOSED, Platform.TEAMS, {"resolution": "done"}, "Ana closed FB-7: done"),
        (EventKind.COMMENTED, Platform.SLACK, {"text": "on *it*"}, "Ana (in Slack): on \\*it\\*"),
        (EventKind.HANDED_OFF, Platform.TEAMS, {"to_name": "Bo"}, "Ana handed FB-7 to Bo."),
        (EventKind.REOPENED, Platform.CLI, {}, "Ana (in the command line) reopened FB-7."),
    ],
)
def test_thread_notes_are_one_line(
    kind: EventKind, platform: Platform, data: dict[str, object], line: str
) -> None:
    event = Event(1, 7, kind, ANA, platform, AT, data)
    assert note_text(OPEN, event) == line
