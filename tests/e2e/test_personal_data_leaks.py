"""Leak test (issue 23): feedback full of personal data, driven through every outward surface
of the real server, leaves none of it anywhere it must not be.

The surfaces: cards, thread notes and command answers on Slack (the fake Web API) and Teams
(the real CloudAdapter against the fake Bot Connector), the answers to card clicks, an outbound
webhook's receiver, the digest in every format, and the logs at DEBUG. The database keeps every
word. (There is no search and no CSV export yet: when they come, they need the masker too.)
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import date
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.core import Core
from bot.digest.build import build_digest
from bot.digest.render import digest_json, digest_text
from bot.domain import Platform
from handlers.chat import ChatAdapter
from handlers.slack.digest_blocks import digest_message
from handlers.slack.ids import SlackId
from handlers.teams.digest_card import digest_card
from tests.support.builders import person
from tests.support.digest import PLAN
from tests.support.fakes.connector import FakeConnector
from tests.support.fakes.slack_api import FakeSlackApi
from tests.support.outbox import settle
from tests.support.realdata import needs_realdata
from tests.support.servers import both_adapters, both_platforms
from tests.support.slack_payloads import SlackSender, block_action, slash_command
from tests.support.teams import claim_invoke, recording

pytestmark = [needs_realdata, pytest.mark.usefixtures("no_internet")]

EMAIL, OTHER_EMAIL = "dana.whitfield@example.com", "m.okafor+orders@example.co.uk"
CARD, OTHER_CARD = "4111 1111 1111 1111", "5555-5555-5555-4444"
IBAN, OTHER_IBAN = "GB82 WEST 1234 5698 7654 32", "DE89370400440532013000"
PHONE, OTHER_PHONE = "+44 20 7946 0958", "+1 (415) 555-2671"
PERSONAL = (EMAIL, OTHER_EMAIL, CARD, OTHER_CARD, IBAN, OTHER_IBAN, PHONE, OTHER_PHONE)
CORPUS = (
    {
        "source": "zendesk",
        "title": f"Charged twice on {CARD}",
        "body": f"Hi, Dana here ({EMAIL}). My card {CARD} was charged twice; refund it to "
        f"{IBAN} or call {PHONE}.",
        "customer": {"name": "Dana Whitfield", "email": EMAIL},
    },
    {
        "source": "zendesk",
        "body": f"Call me on {OTHER_PHONE} or write to {OTHER_EMAIL}; card {OTHER_CARD}, "
        f"account {OTHER_IBAN}. Order 100234567 of 2026-03-01 never came.",
        "customer": {"email": OTHER_EMAIL},
    },
    {  # the card number sits where the card's preview is cut: masked before it is cut
        "source": "zendesk",
        "body": "The app froze. " * 99 + f"Card {OTHER_CARD}, mail {EMAIL}.",
    },
)
SECRET = "leak-test-secret-0123456789"


def _compact(text: str) -> str:
    """Without blanks, dashes, brackets and the escapes Slack and Teams add."""
    return re.sub(r"[\s\-()\\]", "", text)


def leaked(surface: str) -> list[str]:
    haystack = _compact(surface)
    return [value for value in PERSONAL if _compact(value) in haystack]


@pytest.fixture
def core_settings(slack: FakeSlackApi, connector: FakeConnector) -> dict[str, Any]:
    return both_platforms(slack, connector)


@pytest.fixture
def adapters(core: Core, connector: FakeConnector) -> list[ChatAdapter]:
    return both_adapters(core, connector)


@pytest.fixture
async def received() -> AsyncIterator[tuple[list[str], str]]:
    """A webhook receiver: the bodies it got, and its URL."""
    bodies: list[str] = []

    async def receive(request: web.Request) -> web.Response:
        bodies.append(json.dumps(await request.json(), ensure_ascii=False))
        return web.Response()

    app = web.Application()
    app.router.add_post("/hook", receive)
    async with TestServer(app) as server:
        yield bodies, str(server.make_url("/hook"))


async def test_no_personal_data_reaches_any_outward_surface(
    core: Core,
    client: TestClient[Any, Any],
    slack: FakeSlackApi,
    connector: FakeConnector,
    received: tuple[list[str], str],
    auth: dict[str, str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    bodies, hook_url = received
    core.admin.change(
        "webhooks", {"hooks": [{"name": "crm", "url": hook_url, "secret": SECRET}]}, None
    )

    async def teams_post(activity: dict[str, Any]) -> Any:
        activity = connector.activity(activity)
        headers = {"Authorization": connector.authorization(activity)}
        return await client.post("/api/messages", json=activity, headers=headers)

    await teams_post(recording("conversation_update_bot_added_to_team.json"))
    refs = []
    for fields in CORPUS:
        response = await client.post("/api/v1/feedback", json=fields, headers=auth)
        assert response.status == 201
        refs.append((await response.json())["ref"])
    await settle(core.db)
    first, second = refs[0], refs[1]
    with core.db.read() as uow:
        copies = {
            ref: {c.platform: str(c.message_id) for c in uow.cards.for_item(int(ref[3:]))}
            for ref in refs
        }

    # A claim in Slack, one in Teams (its answer is the card, to the clicker), a comment and a
    # close with personal data in them, and the chat commands that show items.
    sender = SlackSender(client)
    slack_ts = copies[first][Platform.SLACK].split(":")[-1]
    await sender.interactive(block_action(SlackId.CLAIM, first, "UANA", message_ts=slack_ts))
    clicked = await teams_post(
        claim_invoke("allhands.claim", second, copies[second][Platform.TEAMS])
    )
    assert clicked.status == 200
    answers = [json.dumps(await clicked.json(), ensure_ascii=False)]
    await settle(core.db)
    ana = person("ana")
    core.desk.comment(first, ana, f"Rang her on {PHONE}, she wants it on {IBAN}", external_id="c")
    core.desk.close(first, ana, f"Refunded {CARD} to {IBAN}")
    for command in (f"show {first}", f"show {second}", "open"):
        await sender.form(slash_command(command, "UBEN", slack.response_url()))
    await settle(core.db)

    plan = replace(PLAN, mask_customers=False)  # customers' names shown: personal data is not
    digest = build_digest(core.db, plan, date(2026, 3, 3), core.clock.now())
    assert digest.quotes
    assert digest.oldest_open
    documents = [
        digest_text(shown)
        + json.dumps([digest_json(shown), digest_message(shown), digest_card(shown)])
        for shown in (digest, digest.brief())
    ]
    surfaces = {
        "slack": json.dumps([call.args for call in slack.calls], ensure_ascii=False),
        "teams": json.dumps([call.body for call in connector.calls], ensure_ascii=False),
        "card answers": "\n".join(answers),
        "webhooks": "\n".join(bodies),
        "digest": "\n".join(documents),
        "logs": caplog.text + "\n".join(r.getMessage() for r in caplog.records),
    }

    assert {name: leaked(text) for name, text in surfaces.items()} == {key: [] for key in surfaces}
    # …and each surface did carry the items, masked.
    assert "•••• 1111" in surfaces["slack"]
    assert "GB•• •••• 5432" in surfaces["teams"]
    assert "+44 •••• 958" in surfaces["webhooks"]
    assert "m•••@example.co.uk" in surfaces["card answers"]
    assert "•••• 4444" in surfaces["digest"]
    assert "100234567" in surfaces["slack"]
    assert "2026-03-01" in surfaces["teams"]
    assert any("•••• 1111" in r.getMessage() for r in caplog.records if r.levelno == logging.DEBUG)
    assert len(bodies) >= 3  # claimed, commented, closed
    assert core.desk.get(first).body == CORPUS[0]["body"]  # the database keeps every word
