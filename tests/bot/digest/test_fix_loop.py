"""The digest closes the loop: fixes shipped this week with the customers still waiting to hear,
and the open issues with the most customers behind them (with their summed account value when
the customer look-up is on), in every rendering."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import date
from typing import Any

import jsonschema
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.core import Core
from bot.digest.build import build_digest
from bot.digest.model import Digest, FixLoop, IssueWeight
from bot.digest.render import digest_json, digest_text
from bot.domain import LinkStatus
from bot.service import Desk
from bot.trackers.issues import IssueChange
from bot.trackers.shipping import FixShipping
from handlers.jobs import issue_values
from handlers.slack.digest_blocks import digest_message
from handlers.teams.digest_card import digest_card
from tests.support.builders import API, draft, person
from tests.support.clock import FakeClock
from tests.support.digest import PLAN, local
from tests.support.realdata import realdata_json

TUESDAY = date(2026, 3, 10)
ISSUES = "https://github.com/acme/shop/issues/"
ANA = person("ana")
CHECKOUT, EXPORT, SHIPPED, OLD = (f"{ISSUES}{n}" for n in (1, 2, 3, 4))


def ingest(desk: Desk, email: str | None, body: str) -> str:
    customer = {"email": email} if email else {}
    return desk.ingest(draft(body, customer=customer), API).item.ref


def ship(desk: Desk, url: str, title: str) -> None:
    FixShipping(desk).apply("github", url, IssueChange(url, title, LinkStatus.CLOSED))


def linked_history(desk: Desk, clock: FakeClock) -> None:
    """Checkout: three customers on four items (one without an email); export: one; a fix
    shipped on Monday for one customer, and one three weeks ago."""
    clock.current = local(date(2026, 2, 16), 10)
    ship_old = ingest(desk, "old@example.com", "Old crash")
    desk.link(ship_old, ANA, OLD)
    ship(desk, OLD, "Old crash fixed")
    clock.current = local(date(2026, 3, 9), 10)
    for email in ("ana@example.com", "Bo@Example.com", "bo@example.com", None):
        desk.link(ingest(desk, email, "Checkout spins forever"), ANA, CHECKOUT)
    desk.link(ingest(desk, "cy@example.com", "Export is empty"), ANA, EXPORT)
    waiting = ingest(desk, "dee@example.com", "Receipts are blank")
    desk.link(waiting, ANA, SHIPPED)
    ship(desk, SHIPPED, "Blank receipts")


def build(desk: Desk) -> Digest:
    return build_digest(desk.db, PLAN, TUESDAY, local(TUESDAY, 9))


def test_the_digest_says_what_shipped_and_which_open_issues_most_customers_wait_on(
    desk: Desk, clock: FakeClock
) -> None:
    linked_history(desk, clock)

    digest = build(desk)

    assert digest.fixes == FixLoop(
        fixed=1,
        waiting=1,
        top=(
            IssueWeight(CHECKOUT, "acme/shop#1", items=4, customers=3),
            IssueWeight(EXPORT, "acme/shop#2", items=1, customers=1),
        ),
    )
    shipped = "Fixed this week: 1 issue — 1 customer waiting to hear"
    checkout = "acme/shop#1 — 3 customers · 4 items"
    text = digest_text(digest)
    assert shipped in text
    assert f"{checkout} ({CHECKOUT})" in text
    assert digest_json(digest)["fixes"]["top_issues"][0] == {
        "url": CHECKOUT,
        "title": "acme/shop#1",
        "items": 4,
        "customers": 3,
        "account_value": None,
    }
    slack = json.dumps(digest_message(digest)["blocks"], ensure_ascii=False)
    assert shipped in slack
    assert checkout in slack
    card = digest_card(digest)
    jsonschema.validate(card, realdata_json("teams", "schemas", "adaptive-card-1.5.json"))
    teams = json.dumps(card, ensure_ascii=False)
    assert shipped in teams
    assert "3 customers · 4 items" in teams


def test_without_links_the_digest_says_nothing_of_fixes(desk: Desk, clock: FakeClock) -> None:
    clock.current = local(date(2026, 3, 9), 10)
    ingest(desk, "ana@example.com", "Checkout spins forever")

    digest = build(desk)

    assert digest.fixes == FixLoop(0, 0, ())
    assert "Fixed this week" not in digest_text(digest)
    assert "Open issues" not in json.dumps(digest_message(digest))


@pytest.fixture
async def lookup() -> AsyncIterator[str]:
    """The company's customer look-up: ARR per known email (a number, or text), 404 else."""
    arr: dict[str, Any] = {"ana@example.com": 1000, "bo@example.com": "2,500"}

    async def answer(request: web.Request) -> web.Response:
        email = request.query["email"]
        if email not in arr:
            return web.json_response({"error": "not found"}, status=404)
        return web.json_response({"email": email, "arr": arr[email], "plan": "Pro"})

    app = web.Application()
    app.router.add_get("/customers", answer)
    async with TestServer(app, host="127.0.0.1") as server:
        yield str(server.make_url("/customers"))


@pytest.fixture
def core_settings(lookup: str) -> dict[str, Any]:
    return {"ALLHANDS_CUSTOMER_LOOKUP_URL": lookup}


async def test_the_open_issues_show_their_customers_summed_account_value(
    core: Core, clock: FakeClock
) -> None:
    linked_history(core.desk, clock)
    digest = build(core.desk)

    weighed = await issue_values(core).weighed(digest.fixes)

    assert [(i.url, i.value) for i in weighed.top] == [(CHECKOUT, 3500.0), (EXPORT, None)]
    shown = digest_text(replace(digest, fixes=weighed))
    assert "3 customers · 4 items · account value 3,500" in shown
