"""Cards and modals from hostile customer text: inert, within Block Kit's limits."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from slack_sdk.models.blocks import Block

from bot.domain import Customer, Feedback, Holder, Kind, Person, Platform, Severity, State
from handlers.slack.blocks import card, full_text, item_rows, state_line

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
HOSTILE = "Hey <!channel> <!here> @here <@U123> <https://evil.example|click> & <b>bold</b> "
ANA = Person(7, "Ana Lima", "ana@example.com")


def _item(body: str, **changes: Any) -> Feedback:
    item = Feedback(
        id=12,
        source="zendesk",
        external_id=None,
        title=HOSTILE,
        body=body,
        kind=Kind.COMPLAINT,
        severity=Severity.HIGH,
        tags=("<!everyone>", "billing"),
        product_area=None,
        url="https://zendesk.example/tickets/1",
        customer=Customer(name="<@U999> Mallory", company="Evil & Co"),
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
    return replace(item, **changes)


def _texts(blocks: Any) -> Iterator[dict[str, Any]]:
    """Every text object in serialised blocks."""
    if isinstance(blocks, dict):
        if blocks.get("type") in {"mrkdwn", "plain_text"} and "text" in blocks:
            yield blocks
        for value in blocks.values():
            yield from _texts(value)
    elif isinstance(blocks, list):
        for value in blocks:
            yield from _texts(value)


def _serialised(blocks: list[Block]) -> list[dict[str, Any]]:
    return [block.to_dict() for block in blocks]  # slack_sdk checks each field's limits here


BODIES = {
    "hostile": HOSTILE * 3,
    "50 KB": (HOSTILE * 800)[:50_000],
    "emoji": "🔥🙈👩‍👩‍👧‍👦" * 6_000,
    "entities": "&" * 20_000,
}


@pytest.mark.parametrize("body", BODIES.values(), ids=BODIES.keys())
def test_customer_text_is_inert_and_within_limits(body: str) -> None:
    closed = Holder(ANA, Platform.SLACK, NOW)
    for item in (
        _item(body),
        _item(body, state=State.CLOSED, closed=closed, resolution=HOSTILE * 300),
    ):
        message = card(item, {ANA.id: "UANA"})
        blocks = _serialised(message.blocks)
        whole = _serialised(full_text(item).blocks)
        assert len(blocks) <= 50
        assert len(whole) <= 50
        for text in _texts([*blocks, *whole]):
            if text["type"] == "mrkdwn":
                assert text["verbatim"] is True
                assert len(text["text"].encode("utf-16-le")) // 2 <= 3_000
                _assert_inert(text["text"])
        _assert_inert(message.text)


def _assert_inert(text: str) -> None:
    for dangerous in (
        "<!channel>",
        "<!here>",
        "<!everyone>",
        "<@U123>",
        "<@U999>",
        "<https://evil",
    ):
        assert dangerous not in text
    assert "@here" not in text  # a word joiner splits it


def test_long_text_is_cut_with_a_button_to_a_message_holding_all_of_it() -> None:
    body = "word " * 10_000
    item = _item(body)
    blocks = _serialised(card(item, {}).blocks)
    (button,) = [
        b["accessory"]
        for b in blocks
        if b.get("accessory", {}).get("action_id") == "allhands.show_full"
    ]
    assert button["value"] == "FB-12"
    whole = _serialised(full_text(item).blocks)
    assert len(whole) <= 50
    shown = "".join(b["text"]["text"] for b in whole[1:])
    assert shown == body


def test_short_text_needs_no_button() -> None:
    blocks = json.dumps(_serialised(card(_item("Short"), {}).blocks))
    assert "allhands.show_full" not in blocks


def test_state_lines_name_people_with_a_mention_or_their_platform() -> None:
    ben = Person(8, "Ben Okafor", "ben@example.com")
    open_item = _item("x")
    assert state_line(open_item, {}) == ":large_green_circle: Open — nobody has it yet"
    claimed = _item("x", state=State.CLAIMED, claimed=Holder(ANA, Platform.SLACK, NOW))
    assert state_line(claimed, {ANA.id: "UANA"}).startswith(":eyes: Claimed by <@UANA> · <!date^")
    by_teams = _item("x", state=State.CLOSED, closed=Holder(ben, Platform.TEAMS, NOW))
    assert state_line(replace(by_teams, resolution="Fixed <!here>"), {}) == (
        ":white_check_mark: Closed by Ben Okafor (in Teams): Fixed &lt;!here&gt;"
    )


def test_buttons_follow_the_state() -> None:
    def actions(item: Feedback) -> list[str]:
        (row,) = [b for b in _serialised(card(item, {}).blocks) if b["type"] == "actions"]
        return [e["action_id"] for e in row["elements"]]

    holder = Holder(ANA, Platform.SLACK, NOW)
    source = "allhands.open_source"  # a link button: the menu's five options are taken
    assert actions(_item("x")) == ["allhands.claim", "allhands.close", source, "allhands.more"]
    assert actions(_item("x", state=State.CLAIMED, claimed=holder)) == [
        "allhands.unclaim",
        "allhands.close",
        source,
        "allhands.more",
    ]
    assert actions(_item("x", state=State.CLOSED, closed=holder, url=None)) == [
        "allhands.reopen",
        "allhands.more",
    ]


def test_the_menu_holds_at_most_five_options() -> None:
    def options(item: Feedback) -> list[str]:
        (row,) = [b for b in _serialised(card(item, {}).blocks) if b["type"] == "actions"]
        return [o["text"]["text"] for o in row["elements"][-1]["options"]]

    assert options(_item("x")) == [
        "Hand off to…",
        "Change severity",
        "Edit tags",
        "Reply to customer…",
        "Link issue…",
    ]


def test_list_rows_are_inert_too() -> None:
    rows = _serialised(item_rows([_item(HOSTILE)], claim_buttons=True))
    for text in _texts(rows):
        _assert_inert(text["text"])
