"""Leak tests (issue 23): feedback full of personal data, driven through every outward surface
of the real server, leaves none of it anywhere it must not be; and items a sensitive route
restricts never reach a broad channel, the digest or an untrusted webhook.

The surfaces: cards, thread notes and command answers on Slack (the fake Web API) and Teams
(the real CloudAdapter against the fake Bot Connector), the answers to card clicks, outbound
webhooks' receivers, the digest in every format, and the logs at DEBUG. The database keeps every
word. (Search results in chat are masked and never list a sensitive item: tests/bot/signal/
test_search.py checks both; there is no CSV export.) The restricted channels and a trusted
webhook do get a sensitive item's words, so the test would see them if they leaked.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

import pytest
from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient

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
from tests.support.fakes.slack_workspace import BOT_USER
from tests.support.outbox import settle
from tests.support.realdata import needs_realdata
from tests.support.receiver import Received, webhook_receiver
from tests.support.servers import both_adapters, both_platforms
from tests.support.slack_payloads import CARDS, SlackSender, block_action, event, slash_command
from tests.support.teams import CHANNEL, claim_invoke, message, recording

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
async def received() -> AsyncIterator[Received]:
    async with webhook_receiver() as receiver:
        yield receiver


def teams_poster(
    client: TestClient[Any, Any], connector: FakeConnector
) -> Callable[[dict[str, Any]], Awaitable[ClientResponse]]:
    """Posts an activity to the server as the fake Bot Connector signs it."""

    async def post(activity: dict[str, Any]) -> ClientResponse:
        activity = connector.activity(activity)
        headers = {"Authorization": connector.authorization(activity)}
        return await client.post("/api/messages", json=activity, headers=headers)

    return post


async def post_items(
    core: Core, client: TestClient[Any, Any], auth: dict[str, str], items: Iterable[dict[str, Any]]
) -> list[str]:
    """Each item through the ingest API, then every card posted; their refs."""
    refs = []
    for fields in items:
        response = await client.post("/api/v1/feedback", json=fields, headers=auth)
        assert response.status == 201
        refs.append((await response.json())["ref"])
    await settle(core.db)
    return refs


def digest_documents(core: Core) -> list[str]:
    """The digest and its brief version in every format, customers named (their personal data
    and sensitive items must not be); a waiting item and a quote in each."""
    plan = replace(PLAN, mask_customers=False)
    digest = build_digest(core.db, plan, date(2026, 3, 3), core.clock.now())
    assert digest.quotes
    assert digest.oldest_open
    return [
        digest_text(shown)
        + json.dumps([digest_json(shown), digest_message(shown), digest_card(shown)])
        for shown in (digest, digest.brief())
    ]


async def test_no_personal_data_reaches_any_outward_surface(
    core: Core,
    client: TestClient[Any, Any],
    slack: FakeSlackApi,
    connector: FakeConnector,
    received: Received,
    auth: dict[str, str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    bodies = received.bodies["crm"]
    core.admin.change(
        "webhooks", {"hooks": [{"name": "crm", "url": received.url("crm"), "secret": SECRET}]}, None
    )

    teams_post = teams_poster(client, connector)

    await teams_post(recording("conversation_update_bot_added_to_team.json"))
    refs = await post_items(core, client, auth, CORPUS)
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

    documents = digest_documents(core)
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


# ---- sensitive items (issue 23 item 2) ----------------------------------------------------

LEGAL_SLACK, LEGAL_TEAMS = "CLEGAL", "19:legal0c1d@thread.tacv2"
NAME, EMAIL = "Marisol Quintero", "marisol.quintero@example.org"
TITLE, BODY = "Chart exposed", "Our lawyer says the breach exposed my oncology chart"
SLACK_REPLY, TEAMS_REPLY = "Legal has the scan of her chart", "Counsel drafted the apology"
RESOLUTION = "Settled through counsel"
# What must stay in the restricted channels: the words, and who the customer is.
SECRETS = (NAME, "Quintero", EMAIL, TITLE, "oncology", SLACK_REPLY, TEAMS_REPLY, RESOLUTION)
STUB = "A sensitive item from Enterprise"
ROUTES = {
    "rules": [
        {
            "name": "Enterprise",
            "tags": ["enterprise"],
            "sensitive": True,
            "destinations": [
                {"platform": "slack", "channel": LEGAL_SLACK},
                {"platform": "teams", "channel": LEGAL_TEAMS},
            ],
        }
    ],
    "default": [{"platform": "slack", "channel": CARDS}, {"platform": "teams", "channel": CHANNEL}],
}


def sensitive_leaked(surface: str) -> list[str]:
    return [secret for secret in SECRETS if secret.lower() in surface.lower()]


@dataclass(frozen=True)
class Server:
    """The server under test with both platforms' fakes and the webhook receivers."""

    core: Core
    client: TestClient[Any, Any]
    slack: FakeSlackApi
    connector: FakeConnector
    received: Received


@pytest.fixture
def server(
    core: Core,
    client: TestClient[Any, Any],
    slack: FakeSlackApi,
    connector: FakeConnector,
    received: Received,
) -> Server:
    return Server(core, client, slack, connector, received)


async def test_a_sensitive_item_reaches_only_its_restricted_channels_and_trusted_webhooks(
    server: Server, auth: dict[str, str]
) -> None:
    core, client, slack, connector = server.core, server.client, server.slack, server.connector
    received = server.received
    bodies = received.bodies
    hooks = [
        {"name": "crm", "url": received.url("crm"), "secret": "crm-secret-0123456789"},
        {
            "name": "legal",
            "url": received.url("legal"),
            "secret": "legal-secret-01234567",
            "trusted": True,
        },
    ]
    core.admin.change("webhooks", {"hooks": hooks}, None)
    core.admin.change("routes", ROUTES, None)

    teams_post = teams_poster(client, connector)

    await teams_post(recording("conversation_update_bot_added_to_team.json"))
    sensitive = {
        "source": "zendesk",
        "title": TITLE,
        "body": BODY,
        "tags": ["enterprise"],
        "customer": {"name": NAME, "email": EMAIL, "company": "Quintero Clinic"},
    }
    ordinary = {"source": "zendesk", "body": "Export is lovely!"}
    items = (sensitive, {**sensitive, "external_id": "2"}, ordinary)
    refs = await post_items(core, client, auth, items)
    first, waiting = refs[0], refs[1]
    with core.db.read() as uow:
        cards = {
            (c.platform, c.channel): str(c.message_id) for c in uow.cards.for_item(int(first[3:]))
        }
    assert set(cards) == {
        (Platform.SLACK, LEGAL_SLACK),
        (Platform.TEAMS, LEGAL_TEAMS),
        (Platform.SLACK, CARDS),
        (Platform.TEAMS, CHANNEL),
    }

    # Claimed from the broad Teams stub (its answer is the card, to the clicker), a reply in
    # each restricted thread, shown-full and show clicked in the broad Slack channel, closed.
    clicked = await teams_post(
        claim_invoke("allhands.claim", first, cards[Platform.TEAMS, CHANNEL])
    )
    refreshed = await teams_post(
        claim_invoke("allhands.refresh", first, cards[Platform.TEAMS, CHANNEL])
    )
    answers = [json.dumps(await r.json(), ensure_ascii=False) for r in (clicked, refreshed)]
    await settle(core.db)
    sender = SlackSender(client)
    legal_ts = cards[Platform.SLACK, LEGAL_SLACK].split(":")[-1]
    await sender.event(
        event(
            "message_thread_reply.json",
            "EvLegal1",
            user="UANA",
            text=SLACK_REPLY,
            thread_ts=legal_ts,
            ts="1800000000.1",
            channel=LEGAL_SLACK,
            parent_user_id=BOT_USER,
        )
    )
    teams_thread = f"{LEGAL_TEAMS};messageid={cards[Platform.TEAMS, LEGAL_TEAMS]}"
    await teams_post(message(TEAMS_REPLY, id="1800000000002", conversation=teams_thread))
    broad_ts = cards[Platform.SLACK, CARDS].split(":")[-1]
    await sender.interactive(block_action(SlackId.SHOW_FULL, first, "UBEN", message_ts=broad_ts))
    for command in (f"show {first}", "open"):
        await sender.form(slash_command(command, "UBEN", slack.response_url()))
    await settle(core.db)
    assert len(core.desk.get(first).comments) == 2
    core.desk.close(first, person("ana"), RESOLUTION)
    await settle(core.db)

    documents = digest_documents(core)
    slack_broad = [c.args for c in slack.calls if c.args.get("channel") != LEGAL_SLACK]
    slack_legal = [c.args for c in slack.calls if c.args.get("channel") == LEGAL_SLACK]
    teams_broad = [c.body for c in connector.calls if LEGAL_TEAMS not in c.path]
    teams_legal = [c.body for c in connector.calls if LEGAL_TEAMS in c.path]
    broad = {
        "slack broad channels and answers": json.dumps(slack_broad, ensure_ascii=False),
        "teams broad channel": json.dumps(teams_broad, ensure_ascii=False),
        "teams card answers": "\n".join(answers),
        "untrusted webhook": "\n".join(bodies["crm"]),
        "digest": "\n".join(documents),
    }

    assert {name: sensitive_leaked(text) for name, text in broad.items()} == {
        key: [] for key in broad
    }
    # …while the broad surfaces did show the stub, and the restricted ones the words.
    assert STUB in broad["slack broad channels and answers"]
    assert STUB in broad["teams broad channel"]
    assert STUB in broad["teams card answers"]
    assert STUB in broad["digest"]  # the open one, among the oldest waiting
    assert len(bodies["crm"]) >= 3  # claimed, commented twice, closed: states without words
    restricted = {
        "slack": json.dumps(slack_legal, ensure_ascii=False),
        "teams": json.dumps(teams_legal, ensure_ascii=False),
        "trusted webhook": "\n".join(bodies["legal"]),
    }
    assert "oncology" in restricted["slack"]
    assert TEAMS_REPLY in restricted["slack"]  # a reply crosses to the other restricted copy
    assert SLACK_REPLY in restricted["teams"]
    assert TITLE in restricted["trusted webhook"]
    assert "m•••@example.org" in restricted["trusted webhook"]  # masked as any webhook's
    assert RESOLUTION in restricted["trusted webhook"]
    assert core.desk.get(waiting).sensitive_rule == "Enterprise"
