"""POST /trackers/NAME end to end with GitHub's real `issues` payloads, signed GitHub's way: a
closed issue marks every item linked to it fixed-awaiting-reply, its card says "Fix shipped",
and each item's claimer gets one direct message; the same delivery again does nothing; a
wrong signature is 401 with nothing changed; a reopened issue says so on the cards.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import func, select

from app import build_core
from bot.admin.secrets import new_key
from bot.config import Settings
from bot.core import Core
from bot.domain import EventKind, Identity, LinkStatus, Platform
from bot.ports.records import OutboxAction
from handlers.item_json import item_json
from handlers.server import build_server, chat_adapters
from handlers.sources.base import hmac_hex
from handlers.trackers_http import DELIVERY_LIMIT_BYTES
from storage.models import OutboxRow
from tests.support.builders import API, draft
from tests.support.eventually import eventually
from tests.support.fakes.slack_api import FakeSlackApi
from tests.support.realdata import needs_realdata, realdata_json

pytestmark = needs_realdata

CARDS = "C0CARDS"
NAME = "gh"
SECRET = "a-test-secret-for-this-webhook"
Client = TestClient[Any, Any]
CLAIMERS = [
    ("UANA", "Ana Lima", "ana@example.com"),
    ("UBEN", "Ben Okafor", "ben@example.com"),
    ("UCAI", "Cai Wen", "cai@example.com"),
]


def github(name: str) -> dict[str, Any]:
    data: dict[str, Any] = realdata_json("sources", "github", name)
    return data


def slack_person(user_id: str, name: str, email: str) -> Identity:
    return Identity(Platform.SLACK, f"T0001:{user_id}", name, email)


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlackApi]:
    async with FakeSlackApi() as fake:
        for user_id, name, email in CLAIMERS:
            fake.add_user(user_id, name, email)
        yield fake


@pytest.fixture
def core(db_url: str, slack: FakeSlackApi) -> Core:
    settings = Settings(
        ALLHANDS_DATABASE_URL=db_url,
        SLACK_BOT_TOKEN="xoxb-test",
        SLACK_SIGNING_SECRET="slack-secret",
        SLACK_API_URL=slack.api_url,
        ALLHANDS_SLACK_CHANNEL=CARDS,
        ALLHANDS_SECRET_KEY=new_key(),
    )
    built = build_core(settings)
    built.trackers.add("github", NAME, SECRET)
    return built


@pytest.fixture
async def client(core: Core) -> AsyncIterator[Client]:
    adapters, _ = chat_adapters(core, dev=False)
    async with TestClient(TestServer(build_server(core, adapters))) as test_client:
        yield test_client


async def deliver(
    client: Client, payload: dict[str, Any], delivery: str, secret: str = SECRET
) -> Any:
    body = json.dumps(payload).encode()
    headers = {
        "Content-Type": "application/json",
        "X-GitHub-Event": "issues",
        "X-GitHub-Delivery": delivery,
        "X-Hub-Signature-256": "sha256=" + hmac_hex(secret, body),
    }
    return await client.post(f"/trackers/{NAME}", data=body, headers=headers)


def direct_messages(slack: FakeSlackApi) -> list[str]:
    """The DM channels the bot posted to (Slack's D… conversations)."""
    posts = slack.calls_to("chat.postMessage")
    return sorted(str(c.args["channel"]) for c in posts if str(c.args["channel"]).startswith("D"))


async def linked_and_claimed(core: Core, slack: FakeSlackApi, url: str) -> list[str]:
    """Three items, each claimed in Slack by a different person and linked to `url`."""
    refs = []
    for index, (user_id, name, email) in enumerate(CLAIMERS):
        item = core.desk.ingest(draft(f"Export fails, case {index}"), API).item
        who = slack_person(user_id, name, email)
        core.desk.claim(item.ref, who)
        assert core.desk.link(item.ref, who, url).changed
        refs.append(item.ref)
    await eventually(lambda: len(slack.cards(CARDS)) == 3)
    return refs


def card_text(slack: FakeSlackApi) -> list[str]:
    return [json.dumps(card.blocks) for card in slack.cards(CARDS)]


async def test_a_closed_issue_marks_three_linked_items_fixed_and_dms_each_claimer_once(
    client: Client, core: Core, slack: FakeSlackApi
) -> None:
    closed = github("issues.closed.json")
    issue = closed["issue"]
    refs = await linked_and_claimed(core, slack, issue["html_url"])

    response = await deliver(client, closed, "delivery-1")

    assert response.status == 200, await response.text()
    assert sorted((await response.json())["changed"]) == sorted(refs)
    for ref in refs:
        shown = item_json(core.desk.get(ref))
        assert shown["links"] == [
            {"url": issue["html_url"], "title": issue["title"], "status": "closed"}
        ]
        assert shown["fixed_awaiting_reply"] is True
    await eventually(lambda: direct_messages(slack) == ["DUANA", "DUBEN", "DUCAI"])
    await eventually(
        lambda: all(f"Fix shipped: {issue['title']}" in text for text in card_text(slack))
    )
    dm = next(c for c in slack.calls_to("chat.postMessage") if c.args["channel"] == "DUANA")
    assert refs[0] in dm.args["text"]
    assert issue["title"] in dm.args["text"]


async def test_the_same_delivery_again_does_nothing(
    client: Client, core: Core, slack: FakeSlackApi
) -> None:
    closed = github("issues.closed.json")
    refs = await linked_and_claimed(core, slack, closed["issue"]["html_url"])
    assert (await deliver(client, closed, "delivery-1")).status == 200
    await eventually(lambda: len(direct_messages(slack)) == 3)

    again = await deliver(client, closed, "delivery-1")
    redelivered = await deliver(client, closed, "delivery-2")  # a new id, the same news

    assert again.status == 200
    assert await again.json() == {"changed": [], "duplicate": True}
    assert (await redelivered.json())["changed"] == []
    with core.db.read() as uow:
        for ref in refs:
            assert uow.events.count(core.desk.get(ref).id, EventKind.FIX_SHIPPED) == 1
        direct = select(func.count()).where(OutboxRow.action == OutboxAction.DIRECT)
        assert uow.session.scalar(direct) == 3  # type: ignore[attr-defined]
    assert len(direct_messages(slack)) == 3


async def test_a_wrong_signature_is_401_and_changes_nothing(
    client: Client, core: Core, slack: FakeSlackApi
) -> None:
    closed = github("issues.closed.json")
    refs = await linked_and_claimed(core, slack, closed["issue"]["html_url"])

    response = await deliver(client, closed, "delivery-1", secret="a-guess")

    assert response.status == 401
    for ref in refs:
        item = core.desk.get(ref)
        assert [link.status for link in item.links] == [LinkStatus.OPEN]
        assert not item.fixed_awaiting_reply
    # the delivery id was not spent: the real delivery still applies
    assert (await (await deliver(client, closed, "delivery-1")).json())["changed"] != []


async def test_an_unknown_tracker_is_404(client: Client) -> None:
    response = await client.post("/trackers/nobody", data=b"{}")

    assert response.status == 404


async def test_a_reopened_issue_says_so_on_the_cards(
    client: Client, core: Core, slack: FakeSlackApi
) -> None:
    reopened = github("issues.reopened.payload.json")
    issue = reopened["issue"]
    closed = reopened | {"action": "closed", "issue": issue | {"state": "closed"}}
    refs = await linked_and_claimed(core, slack, issue["html_url"])
    assert (await deliver(client, closed, "delivery-1")).status == 200
    await eventually(lambda: len(direct_messages(slack)) == 3)

    response = await deliver(client, reopened, "delivery-2")

    assert sorted((await response.json())["changed"]) == sorted(refs)
    for ref in refs:
        item = core.desk.get(ref)
        assert [link.status for link in item.links] == [LinkStatus.OPEN]
        assert not item.fixed_awaiting_reply
    await eventually(
        lambda: all(f"Fix reopened: {issue['title']}" in text for text in card_text(slack))
    )
    assert len(direct_messages(slack)) == 3  # reopening messages nobody


async def test_an_opened_issue_changes_nothing(
    client: Client, core: Core, slack: FakeSlackApi
) -> None:
    opened = github("issues.opened.payload.json")
    refs = await linked_and_claimed(core, slack, opened["issue"]["html_url"])

    response = await deliver(client, opened, "delivery-1")

    assert response.status == 200
    assert (await response.json())["changed"] == []
    assert all(not core.desk.get(ref).fixed_awaiting_reply for ref in refs)


async def test_whoever_logged_the_item_in_chat_hears_too(
    client: Client, core: Core, slack: FakeSlackApi
) -> None:
    closed = github("issues.closed.json")
    dee = slack_person("UDEE", "Dee Park", "dee@example.com")
    slack.add_user("UDEE", "Dee Park", "dee@example.com")
    ana = slack_person(*CLAIMERS[0])
    item = core.desk.ingest(draft("The export hangs"), dee).item
    core.desk.claim(item.ref, ana)
    core.desk.link(item.ref, ana, closed["issue"]["html_url"])

    assert (await deliver(client, closed, "delivery-1")).status == 200

    await eventually(lambda: direct_messages(slack) == ["DUANA", "DUDEE"])


async def test_a_body_over_the_limit_is_413(client: Client) -> None:
    body = b"x" * (DELIVERY_LIMIT_BYTES + 1)

    response = await client.post(f"/trackers/{NAME}", data=body)

    assert response.status == 413
