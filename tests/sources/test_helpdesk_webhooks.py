"""POST /sources/NAME end to end for Intercom, Freshdesk, Typeform and the generic JSON kind, each
signed its vendor's way: a real example becomes one item and one card, the same event again
nothing, a later event on the same conversation a comment on that item (never a second card),
a wrong signature 401 with nothing stored, a truncated payload 422, kept, and turned into an
item by `allhands sources replay` once the parser is fixed.

Intercom, Freshdesk and Typeform use their vendors' own payloads (../shared/realdata/sources);
their follow-ups are those payloads changed to the same conversation. The generic JSON kind has
no vendor: its payloads are built here from the field map it is given.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from click.testing import CliRunner
from sqlalchemy import func, select

from app import build_core, cli
from bot.admin.secrets import new_key
from bot.config import Settings
from bot.core import Core
from bot.domain import Identity, Platform, State
from bot.ports.records import ListFilter
from bot.sources.events import Arrived
from handlers.server import build_server, chat_adapters
from handlers.sources import freshdesk, generic, intercom, typeform
from handlers.sources.base import hmac_base64, hmac_hex
from storage.models import SourceDeliveryRow
from tests.support.eventually import eventually
from tests.support.fakes.slack_api import FakeSlackApi
from tests.support.realdata import needs_realdata, realdata_json

pytestmark = needs_realdata

CARDS = "C0CARDS"
NAME = "feed"
SECRET = "a-test-secret-for-this-source"
ANA = Identity(Platform.SLACK, "T0001:UANA", "Ana Lima", "ana@example.com")
Client = TestClient[Any, Any]


@dataclass(frozen=True)
class Vendor:
    """One kind of source as these tests drive it."""

    kind: str
    module: ModuleType
    sign: Callable[[bytes, str], dict[str, str]]  # the headers proving a body (with a secret)
    example: Callable[[], bytes]  # the vendor's real example: a new conversation
    external_id: str
    thread: Callable[[], list[bytes]]  # a conversation: its first delivery, then more words
    comment: str  # what the more words become
    status: Callable[[], bytes] | None = None  # the vendor setting the conversation's status
    options: dict[str, Any] = field(default_factory=dict)


def changed(data: Any, **changes: Any) -> bytes:
    return json.dumps(data | changes).encode()


# Intercom: X-Hub-Signature: sha1=hex(HMAC-SHA1(client secret, body)).
def intercom_payload(name: str, conversation: str = "123456789", **changes: Any) -> bytes:
    data = realdata_json("sources", "intercom", "webhooks", name)
    data["data"]["item"]["id"] = conversation
    return changed(data, **changes)


INTERCOM = Vendor(
    "intercom",
    intercom,
    lambda body, secret: {"X-Hub-Signature": "sha1=" + hmac_hex(secret, body, "sha1")},
    lambda: intercom_payload("conversation_user_created_sdk.json"),
    "123456789",
    lambda: [
        intercom_payload("conversation_user_created_sdk.json"),
        intercom_payload("conversation_user_replied.json"),
    ],
    "Eeshan Garg: Well, I need some help getting access to a developer account.",
    status=lambda: intercom_payload(
        "conversation_user_created_sdk.json", topic="conversation.admin.closed", id="notif_c"
    ),
)


# Freshdesk: the shared secret in `Authorization: Bearer SECRET`.
def freshdesk_payload(**changes: Any) -> bytes:
    data = realdata_json("sources", "freshdesk", "webhooks", "ticket_created.json")
    return json.dumps({"freshdesk_webhook": data["freshdesk_webhook"] | changes}).encode()


FRESHDESK = Vendor(
    "freshdesk",
    freshdesk,
    lambda body, secret: {"Authorization": f"Bearer {secret}"},
    freshdesk_payload,
    "11",
    lambda: [
        freshdesk_payload(),
        # Zulip's documented public-note delivery, with the comment Freshdesk's
        # {{ticket.latest_public_comment}} fills in ("Name : <html>")
        freshdesk_payload(
            triggered_event="{note_type:public}",
            ticket_latest_public_comment="Rachel : <div>This is a reply</div>",
        ),
    ],
    "Rachel: This is a reply",
    status=lambda: freshdesk_payload(
        triggered_event="{status:{from:3,to:5}}", ticket_status="Closed"
    ),
)


# Typeform: Typeform-Signature: sha256=base64(HMAC-SHA256(secret, body)).
def typeform_payload(partial: bool = False) -> bytes:
    data = realdata_json("sources", "typeform", "webhook_form_response_docs_example.json")
    if partial:  # what Typeform sends of the same response before it is submitted
        response = data["form_response"]
        del response["submitted_at"]
        response["answers"] = response["answers"][:3]
        data |= {"event_id": "partial-1", "event_type": "form_response_partial"}
    return json.dumps(data).encode()


TYPEFORM_BODY = (
    "It's cold right now! I live in an older medium-sized city with a university. "
    "Geographically, the area is hilly.\n\nRating: 3 on a scale of 1 to 5 (How would you "
    "rate the weather where you currently live? 1 is poor weather, 5 is excellent weather.)"
)
TYPEFORM = Vendor(
    "typeform",
    typeform,
    lambda body, secret: {"Typeform-Signature": "sha256=" + hmac_base64(secret, body)},
    typeform_payload,
    "a3a12ec67a1365927098a606107fac15",
    lambda: [typeform_payload(partial=True), typeform_payload()],
    f"laura@example.com: {TYPEFORM_BODY}",
)


# Generic JSON: X-AllHands-Signature: sha256=hex(HMAC-SHA256(secret, body)); no vendor example.
def json_payload(**changes: Any) -> bytes:
    data = {
        "id": "T-7",
        "type": "new",
        "text": "The export button does nothing",
        "from": {"name": "Dana", "email": "dana@example.com"},
    }
    return json.dumps({"data": data | changes}).encode()


JSON = Vendor(
    "json",
    generic,
    lambda body, secret: {"X-AllHands-Signature": "sha256=" + hmac_hex(secret, body)},
    json_payload,
    "T-7",
    lambda: [json_payload(), json_payload(type="follow-up", text="Still broken today")],
    "Dana: Still broken today",
    status=lambda: json_payload(type="status", state="Closed"),
    options={
        "map": generic.field_map(
            [
                "key=data.id",
                "body=data.text",
                "event=data.type",
                "status=data.state",
                "name=data.from.name",
                "email=data.from.email",
            ]
        )
    },
)
VENDORS = [INTERCOM, FRESHDESK, TYPEFORM, JSON]
WITH_STATUS = [vendor for vendor in VENDORS if vendor.status]


@pytest.fixture(params=VENDORS, ids=[vendor.kind for vendor in VENDORS])
def vendor(request: pytest.FixtureRequest) -> Vendor:
    return request.param  # type: ignore[no-any-return]


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlackApi]:
    async with FakeSlackApi() as fake:
        yield fake


@pytest.fixture
def secret_key() -> str:
    return new_key()


@pytest.fixture
def core(db_url: str, slack: FakeSlackApi, vendor: Vendor, secret_key: str) -> Core:
    settings = Settings(
        ALLHANDS_DATABASE_URL=db_url,
        SLACK_BOT_TOKEN="xoxb-test",
        SLACK_SIGNING_SECRET="slack-secret",
        SLACK_API_URL=slack.api_url,
        ALLHANDS_SLACK_CHANNEL=CARDS,
        ALLHANDS_SECRET_KEY=secret_key,
    )
    built = build_core(settings)
    built.sources.add(vendor.kind, NAME, secret=SECRET, options=vendor.options)
    return built


@pytest.fixture
async def client(core: Core) -> AsyncIterator[Client]:
    adapters, _ = chat_adapters(core, dev=False)
    async with TestClient(TestServer(build_server(core, adapters))) as test_client:
        yield test_client


async def deliver(client: Client, vendor: Vendor, body: bytes, secret: str = SECRET) -> Any:
    headers = vendor.sign(body, secret)
    headers["Content-Type"] = "application/json"
    return await client.post(f"/sources/{NAME}", data=body, headers=headers)


def items(core: Core) -> list[Any]:
    return core.desk.search(ListFilter(limit=100))


def deliveries(core: Core) -> int:
    with core.db.read() as uow:
        return int(uow.session.scalar(select(func.count()).select_from(SourceDeliveryRow)))  # type: ignore[attr-defined]


async def test_a_real_payload_is_one_item_and_one_card_and_the_same_event_again_nothing(
    client: Client, core: Core, slack: FakeSlackApi, vendor: Vendor
) -> None:
    body = vendor.example()

    first = await deliver(client, vendor, body)

    assert first.status == 200, await first.text()
    await eventually(lambda: len(slack.cards(CARDS)) == 1)
    [item] = items(core)
    assert (item.source, item.external_id) == (NAME, vendor.external_id)
    again = await deliver(client, vendor, body)
    assert again.status == 200
    assert (await again.json())["duplicate"] is True
    assert deliveries(core) == 1
    assert len(items(core)) == 1
    assert len(slack.cards(CARDS)) == 1


async def test_a_later_event_in_the_conversation_is_a_comment_on_its_item_never_a_second_card(
    client: Client, core: Core, slack: FakeSlackApi, vendor: Vendor
) -> None:
    first, *later = vendor.thread()
    assert (await deliver(client, vendor, first)).status == 200
    await eventually(lambda: len(slack.cards(CARDS)) == 1)

    for body in later:
        assert (await deliver(client, vendor, body)).status == 200

    [item] = items(core)
    await eventually(lambda: len(core.desk.get(item.ref).comments) == 1)
    [comment] = core.desk.get(item.ref).comments
    assert comment.text == vendor.comment
    assert len(slack.cards(CARDS)) == 1


async def test_a_wrong_signature_is_401_and_stores_nothing(
    client: Client, core: Core, vendor: Vendor
) -> None:
    response = await deliver(client, vendor, vendor.example(), secret="a-guess")

    assert response.status == 401
    assert deliveries(core) == 0
    assert items(core) == []


async def test_a_truncated_payload_is_422_kept_and_replayed_into_an_item_once_the_parser_is_fixed(
    client: Client,
    core: Core,
    vendor: Vendor,
    db_url: str,
    secret_key: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    body = vendor.example()

    response = await deliver(client, vendor, body[: len(body) // 2])

    assert response.status == 422
    problem = await response.json()
    assert "not JSON" in problem["detail"]
    assert deliveries(core) == 1
    assert items(core) == []

    def fixed(received: Any, source: Any) -> list[Arrived]:
        """A parser that reads what the broken one could not (the fix, simulated)."""
        return [Arrived(key=vendor.external_id, body=received.body.decode()[:200])]

    monkeypatch.setattr(vendor.module, "parse", fixed)
    env = {"ALLHANDS_DATABASE_URL": db_url, "ALLHANDS_SECRET_KEY": secret_key}
    replayed = CliRunner().invoke(cli, ["sources", "replay", str(problem["delivery"])], env=env)

    assert replayed.exit_code == 0, replayed.output
    [item] = items(core)
    assert item.external_id == vendor.external_id
    assert f"applied: {item.ref}" in replayed.stdout


@pytest.mark.parametrize("vendor", WITH_STATUS, ids=[v.kind for v in WITH_STATUS], indirect=True)
async def test_the_vendor_closing_the_conversation_is_noted_on_the_card(
    client: Client, core: Core, slack: FakeSlackApi, vendor: Vendor
) -> None:
    assert vendor.status is not None
    await deliver(client, vendor, vendor.example())
    await eventually(lambda: len(slack.cards(CARDS)) == 1)

    assert (await deliver(client, vendor, vendor.status())).status == 200

    ref = items(core)[0].ref
    await eventually(lambda: core.desk.get(ref).source_status == "closed")
    assert core.desk.get(ref).state is State.OPEN  # noted, not closed for everyone
    await eventually(lambda: f"{NAME}: closed" in json.dumps(slack.cards(CARDS)[0].blocks))


@pytest.mark.parametrize("vendor", [INTERCOM], ids=["intercom"], indirect=True)
async def test_a_teammates_reply_does_not_reopen_and_the_customers_does(
    client: Client, core: Core, slack: FakeSlackApi, vendor: Vendor
) -> None:
    await deliver(client, vendor, vendor.example())
    await eventually(lambda: len(slack.cards(CARDS)) == 1)
    ref = items(core)[0].ref
    core.desk.close(ref, ANA, "Answered")

    await deliver(client, vendor, intercom_payload("conversation_admin_replied.json"))
    await eventually(lambda: len(core.desk.get(ref).comments) == 1)
    assert core.desk.get(ref).comments[0].text == "Andy: hi Bob"
    assert core.desk.get(ref).state is State.CLOSED

    await deliver(client, vendor, intercom_payload("conversation_user_replied.json"))
    await eventually(lambda: core.desk.get(ref).state is State.OPEN)
    assert len(core.desk.get(ref).comments) == 2
    assert len(slack.cards(CARDS)) == 1


@pytest.mark.parametrize("vendor", [FRESHDESK], ids=["freshdesk"], indirect=True)
async def test_the_same_words_on_two_tickets_are_two_comments(
    client: Client, core: Core, slack: FakeSlackApi, vendor: Vendor
) -> None:
    thanks = {
        "triggered_event": "{note_type:public}",
        "ticket_latest_public_comment": "Requester ☃ Bob : <div>Thanks!</div>",
    }
    for ticket in ("11", "12"):
        await deliver(client, vendor, freshdesk_payload(ticket_id=ticket))
    await eventually(lambda: len(slack.cards(CARDS)) == 2)

    for ticket in ("11", "12"):
        await deliver(client, vendor, freshdesk_payload(ticket_id=ticket, **thanks))

    for item in items(core):
        await eventually(lambda ref=item.ref: len(core.desk.get(ref).comments) == 1)
        assert core.desk.get(item.ref).comments[0].text == "Requester ☃ Bob: Thanks!"
