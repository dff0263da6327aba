"""A reply on a closed item ends with the satisfaction question (when leads turn it on); the
customer's click lands on `GET /csat/TOKEN?score=N` (a small page), on the item (its JSON, an
event) and on its cards; a second score replaces the first, the same one changes nothing."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from bot.core import Core
from bot.digest.build import build_digest
from bot.digest.model import Csat
from bot.digest.render import csat_text, digest_json, digest_text
from bot.domain import EventKind
from handlers.item_json import item_json
from handlers.slack.blocks import card
from handlers.slack.digest_blocks import digest_message
from handlers.teams.cards import feedback_card
from handlers.teams.digest_card import digest_card
from tests.support.clock import FakeClock
from tests.support.digest import PLAN, local
from tests.support.eventually import eventually
from tests.support.replies import email_thread, outbox, person
from tests.support.smtp import RunningSmtp

PUBLIC = "https://allhands.example"
ANA = "ana@company.example"
LINK = re.compile(r"https://allhands\.example(/csat/[^?\s]+)\?score=4")


@pytest.fixture
def core_settings(core_settings: dict[str, Any]) -> dict[str, Any]:
    """The replies' settings (tests/replies), with the public URL links are made with."""
    return core_settings | {"ALLHANDS_PUBLIC_URL": PUBLIC}


async def rating_path(core: Core, smtp: RunningSmtp, *, closed: bool = True) -> str | None:
    """The path the customer's "4" link in the reply leads to (None: the reply has none)."""
    item = await email_thread(core)
    core.admin.change("replies", {"who": "anyone", "csat": True, "csat_days": 7}, None)
    if closed:
        core.desk.close(item.ref, person(ANA), "Fixed in 4.2")
    core.replies.reply(item.ref, person(ANA), "It is fixed in 4.2.")
    await outbox(core, smtp.url).drain_once()  # or the server's own outbox, when it runs
    await eventually(lambda: len(smtp.sink.received) == 1, what="the reply")
    (mail,) = smtp.sink.received
    found = LINK.search(mail.get_payload(decode=True).decode())
    return found.group(1) if found else None


async def test_a_score_lands_on_the_item_its_json_and_its_cards(
    core: Core, smtp: RunningSmtp, client: TestClient[Any, Any]
) -> None:
    path = await rating_path(core, smtp)
    assert path is not None

    page = await client.get(path, params={"score": "4"})

    assert page.status == 200
    assert "You rated our answer 4 out of 5." in await page.text()
    item = core.desk.get("FB-1")
    assert item.csat == 4
    assert item_json(item)["csat"] == 4
    assert ":star: 4/5" in str(card(item, {}).blocks)
    facts = [f for b in feedback_card(item)["body"] if b["type"] == "FactSet" for f in b["facts"]]
    assert {"title": "Satisfaction", "value": "4/5"} in facts
    assert "Satisfaction" not in str(feedback_card(replace(item, csat=None)))


async def test_a_second_score_replaces_the_first_and_a_repeat_changes_nothing(
    core: Core, smtp: RunningSmtp, client: TestClient[Any, Any]
) -> None:
    path = await rating_path(core, smtp)
    assert path is not None

    for score in ("4", "2", "2"):
        assert (await client.get(path, params={"score": score})).status == 200

    assert core.desk.get("FB-1").csat == 2
    with core.db.read() as uow:
        rated = [e.data for e in uow.events.for_item(1) if e.kind is EventKind.CSAT_RATED]
    assert [d["score"] for d in rated] == [4, 2]


async def test_bad_scores_foreign_and_stale_links_get_a_page_saying_so(
    core: Core, smtp: RunningSmtp, client: TestClient[Any, Any], clock: FakeClock
) -> None:
    path = await rating_path(core, smtp)
    assert path is not None

    assert (await client.get(path, params={"score": "9"})).status == 400
    assert (await client.get(path + "x", params={"score": "4"})).status == 404
    clock.advance(days=8)
    stale = await client.get(path, params={"score": "4"})

    assert stale.status == 410
    assert stale.content_type == "text/html"
    assert core.desk.get("FB-1").csat is None


async def test_a_reply_on_an_open_item_asks_nothing(core: Core, smtp: RunningSmtp) -> None:
    assert await rating_path(core, smtp, closed=False) is None


async def test_the_digest_shows_the_weeks_satisfaction(core: Core, smtp: RunningSmtp) -> None:
    path = await rating_path(core, smtp)
    assert path is not None
    core.satisfaction.rate(path.rsplit("/", 1)[1], "4")
    tuesday = date(2026, 3, 3)

    digest = build_digest(core.db, PLAN, tuesday, local(tuesday, 9))

    assert digest.csat == Csat(this_week=(4,))
    assert "Satisfaction 4.0/5 this week (1 answer)" in digest_text(digest)
    assert digest_json(digest)["csat"] == {"this_week": [4], "last_week": []}
    assert "Satisfaction 4.0/5" in str(digest_message(digest)["blocks"])
    assert "Satisfaction 4.0/5" in str(digest_card(digest))


def test_the_satisfaction_line_compares_with_the_week_before() -> None:
    line = csat_text(Csat(this_week=(5, 4, 4), last_week=(2, 3)))

    assert line == "Satisfaction 4.3/5 this week (3 answers; last week 2.5/5 from 2)"
    assert csat_text(Csat()) is None
