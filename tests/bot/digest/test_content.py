"""What the digest says: quiet days, themes, quotes with masked customers, Claim buttons."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import jsonschema
import pytest

from bot.digest.build import build_digest
from bot.digest.model import Digest
from bot.digest.render import digest_json, digest_text
from bot.intake import FeedbackDraft
from bot.service import Desk
from handlers.slack.digest_blocks import digest_message
from handlers.slack.ids import SlackId
from handlers.teams.cards import Verb
from handlers.teams.digest_card import digest_card
from tests.support.builders import API, person
from tests.support.clock import FakeClock
from tests.support.digest import PLAN, local
from tests.support.realdata import realdata_json

TUESDAY = date(2026, 3, 10)
MONDAY = date(2026, 3, 9)


def ingest(desk: Desk, clock: FakeClock, day: date, body: str, **fields: Any) -> str:
    clock.current = local(day, 10)
    draft = FeedbackDraft(source="email", body=body, **fields)
    return desk.ingest(draft, API).item.ref


def build(desk: Desk, mask: bool = True) -> Digest:
    plan = replace(PLAN, mask_customers=mask)
    return build_digest(desk.db, plan, TUESDAY, local(TUESDAY, 9))


def test_an_empty_day_still_gets_a_short_friendly_digest(desk: Desk, clock: FakeClock) -> None:
    ingest(desk, clock, date(2026, 3, 2), "The old export bug")

    digest = build(desk)

    assert digest.quiet
    assert "A quiet Monday 9 March" in digest_text(digest)
    assert "1 item still open" in digest_text(digest)
    assert digest_json(digest)["counts"]["still_open"]["value"] == 1
    assert len(digest_message(digest)["blocks"]) <= 8
    jsonschema.validate(
        digest_card(digest), realdata_json("teams", "schemas", "adaptive-card-1.5.json")
    )


def test_themes_rank_the_periods_tags_and_clusters_with_weekly_change(
    desk: Desk, clock: FakeClock
) -> None:
    for _ in range(3):
        ingest(desk, clock, MONDAY, "My new card has not arrived yet", tags=["delivery"])
    ingest(
        desk, clock, MONDAY - timedelta(days=8), "My new card has not arrived", tags=["delivery"]
    )
    ingest(desk, clock, MONDAY, "Love the new app, great app", tags=["app"])
    ingest(desk, clock, MONDAY, "Great new app", tags=["app"])

    themes = {(t.source, t.label): t for t in build(desk).themes}

    delivery = themes["tag", "delivery"]
    assert (delivery.period, delivery.this_week, delivery.last_week) == (3, 3, 1)
    assert delivery.change == "+200%"
    assert themes["tag", "app"].change == "new"
    clusters = [t for (source, _), t in themes.items() if source == "cluster"]
    card = next(t for t in clusters if "arrived" in t.label)
    assert (card.period, card.this_week, card.last_week) == (3, 3, 1)
    assert card.examples == ("My new card has not arrived yet",)
    app = next(t for t in clusters if "app" in t.label)
    assert (app.period, app.last_week) == (2, 0)


def test_quotes_mask_customer_names_unless_told_not_to_and_personal_data_always(
    desk: Desk, clock: FakeClock
) -> None:
    body = "I'm Jane Doe (jane.doe@example.com), card 4000 1234 5678 9010 was charged twice!"
    ref = ingest(desk, clock, MONDAY, body, customer={"name": "Jane Doe"})

    masked = build(desk).quotes[0]
    shown = build(desk, mask=False).quotes[0]

    assert (masked.ref, masked.customer, masked.source) == (ref, "J. D.", "email")
    assert "Jane" not in masked.text
    assert "Doe" not in masked.text
    assert "jane.doe@example.com" not in masked.text
    assert "4000" not in masked.text
    assert shown.customer == "Jane Doe"
    assert "Jane Doe" in shown.text
    assert "jane.doe@example.com" not in shown.text
    assert "j•••@example.com" in shown.text


def test_sentiment_splits_the_period_into_moods(desk: Desk, clock: FakeClock) -> None:
    ingest(desk, clock, MONDAY, "I love this app, it is wonderful and fast")
    ingest(desk, clock, MONDAY, "This is terrible, I hate the awful new fees")
    ingest(desk, clock, MONDAY, "Where do I change my address")

    digest = build(desk)

    mix = digest.sentiment
    assert (mix.positive, mix.neutral, mix.negative) == (1, 1, 1)
    assert sorted(q.sentiment for q in digest.quotes) == ["negative", "neutral", "positive"]


def test_oldest_unclaimed_items_carry_claim_buttons_on_both_platforms(
    desk: Desk, clock: FakeClock
) -> None:
    refs = [ingest(desk, clock, MONDAY - timedelta(days=n), f"Issue {n}") for n in range(7)]

    digest = build(desk)

    oldest = list(reversed(refs))[:5]
    assert [i.ref for i in digest.oldest_open] == oldest
    buttons = [
        b["accessory"]
        for b in digest_message(digest)["blocks"]
        if b.get("accessory", {}).get("type") == "button"
    ]
    assert [(b["action_id"], b["value"]) for b in buttons] == [(SlackId.CLAIM, r) for r in oldest]
    card = digest_card(digest)
    executes = [
        action
        for block in card["body"]
        if block["type"] == "ColumnSet"
        for action in block["columns"][1]["items"][0]["actions"]
    ]
    assert [(a["verb"], a["data"]["ref"]) for a in executes] == [(Verb.CLAIM, r) for r in oldest]


def test_the_executive_variant_is_shorter_with_the_same_numbers(
    desk: Desk, clock: FakeClock
) -> None:
    for n in range(8):
        ingest(desk, clock, MONDAY - timedelta(days=n // 3), f"Problem {n}", tags=[f"t{n}"])

    digest = build(desk)
    brief = digest.brief()

    assert brief.counts == digest.counts
    assert len(brief.oldest_open) < len(digest.oldest_open)
    assert len(brief.quotes) < len(digest.quotes)
    assert len(digest_message(brief)["blocks"]) < len(digest_message(digest)["blocks"])


@pytest.mark.parametrize("mask", [True, False])
def test_text_rendering_names_every_section(desk: Desk, clock: FakeClock, mask: bool) -> None:
    ref = ingest(desk, clock, MONDAY, "The export button is broken", tags=["export"])
    desk.claim(ref, person("ana"))

    text = digest_text(build(desk, mask))

    thanks = "Thanks to the 1 person who worked on feedback on Monday 9 March:"
    for heading in ("New 1", "Claimed 1", "Themes:", "What customers said:", thanks):
        assert heading in text
    assert "Ana: 1 claimed, 0 closed" in text
