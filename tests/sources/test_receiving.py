"""POST /sources/NAME end to end, with Zendesk's own payloads: one item and one card per
ticket, retries do nothing, follow-ups become comments, bad signatures store nothing, and an
unreadable delivery is kept for a replay."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import func, select

from bot.core import Core
from bot.domain import EventKind, Kind, Severity, State
from bot.ports.records import ListFilter
from bot.sources.events import Arrived
from handlers.sources import zendesk
from handlers.sources.vendors import VendorParser
from storage.models import SourceDeliveryRow
from tests.support.eventually import eventually
from tests.support.fakes.slack_api import FakeSlackApi
from tests.support.realdata import needs_realdata, realdata_path
from tests.support.slack_payloads import CARDS

pytestmark = needs_realdata

SECRET = "zendesk-webhook-secret"
Client = TestClient[Any, Any]


@pytest.fixture(autouse=True)
def helpdesk(core: Core) -> None:
    core.sources.add("zendesk", "helpdesk", secret=SECRET)


def zendesk_event(name: str, **changes: Any) -> bytes:
    data = json.loads(realdata_path("sources", "zendesk", "events", name).read_text())
    data.update(changes)
    return json.dumps(data).encode()


async def deliver(client: Client, body: bytes, secret: str = SECRET) -> Any:
    at = "2025-01-08T10:12:08Z"
    mac = hmac.new(secret.encode(), at.encode() + body, hashlib.sha256).digest()
    headers = {
        "Content-Type": "application/json",
        "X-Zendesk-Webhook-Signature": base64.b64encode(mac).decode(),
        "X-Zendesk-Webhook-Signature-Timestamp": at,
    }
    return await client.post("/sources/helpdesk", data=body, headers=headers)


def items(core: Core) -> list[Any]:
    return core.desk.search(ListFilter(limit=100))


def deliveries(core: Core) -> int:
    with core.db.read() as uow:
        return int(uow.session.scalar(select(func.count()).select_from(SourceDeliveryRow)))  # type: ignore[attr-defined]


async def test_a_ticket_becomes_one_item_and_one_card_and_a_retry_nothing(
    client: Client, core: Core, slack: FakeSlackApi
) -> None:
    body = zendesk_event("ticket_created.json")

    first = await deliver(client, body)
    assert first.status == 200
    await eventually(lambda: len(slack.cards(CARDS)) == 1)
    [item] = items(core)
    assert (item.source, item.external_id, item.title) == (
        "helpdesk",
        "5158",
        "Cannot login to mobile app",
    )
    assert (item.kind, item.severity, item.tags) == (Kind.BUG, Severity.HIGH, ("mobile", "login"))

    again = await deliver(client, body)
    assert again.status == 200
    assert (await again.json())["duplicate"] is True
    assert deliveries(core) == 1
    assert len(items(core)) == 1


async def test_a_follow_up_on_the_ticket_is_a_comment_on_the_same_item(
    client: Client, core: Core, slack: FakeSlackApi
) -> None:
    await deliver(client, zendesk_event("ticket_created.json"))
    await eventually(lambda: len(slack.cards(CARDS)) == 1)

    reply = await deliver(client, zendesk_event("ticket_comment_added.json"))

    assert reply.status == 200
    [item] = items(core)
    await eventually(lambda: len(core.desk.get(item.ref).comments) == 1)
    [comment] = core.desk.get(item.ref).comments
    assert comment.text == (
        "Support Agent: We are investigating this issue and will update you shortly."
    )
    assert len(slack.cards(CARDS)) == 1  # never a second card


async def test_the_vendor_solving_the_ticket_is_noted_on_the_card(
    client: Client, core: Core, slack: FakeSlackApi
) -> None:
    await deliver(client, zendesk_event("ticket_created.json"))
    await eventually(lambda: len(slack.cards(CARDS)) == 1)
    solved = zendesk_event(
        "ticket_created.json", type=zendesk.STATUS, id="status-1", event={"current": "SOLVED"}
    )

    assert (await deliver(client, solved)).status == 200

    ref = items(core)[0].ref
    await eventually(lambda: core.desk.get(ref).source_status == "solved")
    with core.db.read() as uow:
        kinds = [event.kind for event in uow.events.for_item(items(core)[0].id)]
    assert kinds == [EventKind.INGESTED, EventKind.SOURCE_STATUS]
    assert core.desk.get(ref).state is State.OPEN  # noted, not closed for everyone
    [card] = slack.cards(CARDS)
    await eventually(lambda: "helpdesk: solved" in json.dumps(slack.cards(CARDS)[0].blocks))
    await eventually(lambda: len(slack.replies(CARDS, card.ts)) == 1)
    assert "is now solved" in slack.replies(CARDS, card.ts)[0].text


async def test_a_wrong_signature_is_401_and_stores_nothing(client: Client, core: Core) -> None:
    response = await deliver(client, zendesk_event("ticket_created.json"), secret="guess")

    assert response.status == 401
    assert deliveries(core) == 0
    assert items(core) == []


async def test_an_unknown_source_is_404(client: Client) -> None:
    response = await client.post("/sources/nobody", data=b"{}")
    assert response.status == 404


async def test_a_truncated_payload_is_422_kept_and_replayed_once_the_parser_is_fixed(
    client: Client, core: Core, monkeypatch: pytest.MonkeyPatch
) -> None:
    body = zendesk_event("ticket_created.json")
    truncated = body[: len(body) // 2]

    response = await deliver(client, truncated)

    assert response.status == 422
    problem = await response.json()
    assert "not JSON" in problem["detail"]
    assert deliveries(core) == 1
    assert items(core) == []

    def fixed(received: Any, source: Any) -> list[Arrived]:
        """A parser that reads what the broken one could not (the fix, simulated)."""
        return [Arrived(key="5158", body=received.body.decode()[:200])]

    monkeypatch.setattr(zendesk, "parse", fixed)
    applied = core.source_intake.apply(problem["delivery"], VendorParser())

    assert applied.unusable is None
    [item] = items(core)
    assert item.external_id == "5158"
