"""Slack and Teams renderings stay inside platform limits whatever the data holds."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

import jsonschema
import pytest

from bot.digest.build import build_digest
from bot.digest.chart import render_chart
from bot.digest.model import Digest
from bot.domain import EventKind, Kind, Platform, Severity
from bot.intake import CustomerIn, FeedbackDraft
from handlers.slack.digest_blocks import digest_message
from handlers.teams.digest_card import digest_card
from storage.uow import SqlStore
from tests.support.digest import PLAN, local
from tests.support.realdata import realdata_json

DIGEST_DAY = date(2026, 3, 10)
ITEMS = 10_000
LONG = "x" * 4_000
TEAMS_MESSAGE_BYTES = 28_000
SLACK_LIMITS = {"header": 150, "section": 3_000, "field": 2_000, "fields": 10, "context": 10}


def flood(database: SqlStore) -> None:
    """10,000 arrivals yesterday with very long tags, titles, names and words; 40 helpers."""
    at = local(DIGEST_DAY - timedelta(days=1), 10)
    words = " ".join(f"{'w' * 300}{n % 7}" for n in range(12))
    # Built past validation on purpose: the digest must cope with whatever is stored.
    drafts = [
        FeedbackDraft.model_construct(
            source="flood",
            external_id=str(n),
            title=f"<!channel> *{LONG}"[:300],
            body=f"{words} @everyone <https://x|y> {LONG}",
            kind=list(Kind)[n % len(Kind)],
            severity=Severity.NORMAL,
            tags=[f"{LONG}{n % 30}", f"tag-{'y' * 2_000}-{n % 3}"],
            product_area=None,
            url=None,
            customer=CustomerIn.model_construct(
                name=f"{'Z' * 150} Customer", email=None, company=None, tier=None
            ),
            received_at=at - timedelta(minutes=n % 40),
        )
        for n in range(ITEMS)
    ]
    with database.write() as uow:
        uow.feedback.insert_many(drafts, at)
        api = uow.people.ensure("api", "api@example.com", at)
        uow.events.add_ingested(
            "flood", [str(n) for n in range(ITEMS)], api.id, Platform.API, at, {}
        )
        for n in range(1, 400):
            helper = uow.people.ensure(f"{'H' * 190} {n % 40}", f"h{n % 40}@example.com", at)
            uow.events.add(n, EventKind.CLAIMED, helper.id, Platform.SLACK, at + timedelta(hours=1))
        uow.commit()


@pytest.fixture
def flooded(database: SqlStore) -> Digest:
    flood(database)
    return build_digest(database, PLAN, DIGEST_DAY, local(DIGEST_DAY, 9))


def test_the_flood_fills_every_section(flooded: Digest) -> None:
    assert flooded.counts.new.value == ITEMS
    assert flooded.sampled
    assert len(flooded.themes) >= 5
    assert len(flooded.quotes) == 3
    assert len(flooded.oldest_open) == 5
    assert len(flooded.helpers) == 10


def assert_within_slack_limits(message: dict[str, Any]) -> None:
    blocks = message["blocks"]
    assert len(blocks) <= 50
    assert len(message["text"]) <= 4_000
    for block in blocks:
        if block["type"] == "header":
            assert len(block["text"]["text"]) <= SLACK_LIMITS["header"]
        if block["type"] == "section":
            assert len(block.get("text", {}).get("text", "")) <= SLACK_LIMITS["section"]
            fields = block.get("fields", [])
            assert len(fields) <= SLACK_LIMITS["fields"]
            assert all(len(f["text"]) <= SLACK_LIMITS["field"] for f in fields)
        if block["type"] == "context":
            assert len(block["elements"]) <= SLACK_LIMITS["context"]
            assert all(len(e["text"]) <= SLACK_LIMITS["section"] for e in block["elements"])
    text = json.dumps(message)
    assert "<!channel>" not in text
    assert "<https://x|y>" not in text


def test_slack_message_stays_within_block_kit_limits(flooded: Digest) -> None:
    assert_within_slack_limits(digest_message(flooded))
    assert_within_slack_limits(digest_message(flooded.brief()))


def test_teams_card_validates_and_fits_one_message_with_its_chart(flooded: Digest) -> None:
    schema = realdata_json("teams", "schemas", "adaptive-card-1.5.json")
    card = digest_card(flooded, render_chart(flooded).compact)
    jsonschema.validate(card, schema)
    assert any(block["type"] == "Image" for block in card["body"])
    assert len(json.dumps({"type": "message", "attachments": [card]})) <= TEAMS_MESSAGE_BYTES


def test_an_oversized_chart_is_left_out_rather_than_breaking_the_card(flooded: Digest) -> None:
    card = digest_card(flooded, b"\x89PNG" + bytes(40_000))
    assert all(block["type"] != "Image" for block in card["body"])
    assert len(json.dumps(card)) <= TEAMS_MESSAGE_BYTES
