"""The customer on the card, end to end through the real server and outbox with a fake Slack:
a returning customer's earlier items (read for a whole round of cards at once), and the
account fields of the company's own look-up, a real HTTP server here, which never holds a
card back longer than its timeout."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from app import build_core
from bot.config import Settings
from bot.core import Core
from bot.customers.stories import CustomerStories
from bot.domain import Feedback, Identity, Platform
from bot.intake import FeedbackDraft
from handlers.server import build_server, chat_adapters
from handlers.teams.actions import execute
from handlers.teams.cards import Verb
from handlers.teams.references import TeamsDirectory
from tests.support.eventually import eventually
from tests.support.fakes.slack_api import FakeSlackApi
from tests.support.fakes.slack_workspace import Message

CARDS = "C0CARDS"
API = Identity(Platform.API, "crm", "crm")
ANA = Identity(Platform.SLACK, "T1:UANA", "Ana Lima", "ana@example.com")
BO = Identity(Platform.TEAMS, "aad-bo", "Bo Chen", "bo@example.com")
FIELDS = ["plan", "arr", "owner.name"]


class Records:
    """The company's customer look-up: a real HTTP endpoint, `GET /customers?email=…`.

    With `hold` set it answers only once released (or after 3 s): a slow endpoint.
    """

    def __init__(self) -> None:
        self.asked: list[str] = []
        self.answered: list[str] = []
        self.hold = False
        self.release = asyncio.Event()
        self.status = 200
        self.raw: str | None = None  # an answer other than the record
        self.url = ""

    async def answer(self, request: web.Request) -> web.StreamResponse:
        email = request.query["email"]
        self.asked.append(email)
        if self.hold:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.release.wait(), 3.0)
        self.answered.append(email)
        if self.status != 200 or self.raw is not None:
            return web.Response(status=self.status, text=self.raw or "oops")
        return web.json_response(
            {
                "email": email,
                "plan": "Enterprise",
                "arr": 120000,
                "owner": {"name": "Ana Lima", "phone": "+1 555 0100"},
                "notes": "confidential: churn risk",
                "tags": ["vip"],
            }
        )


@pytest.fixture
async def records() -> AsyncIterator[Records]:
    app = web.Application()
    found = Records()
    app.router.add_get("/customers", found.answer)
    async with TestServer(app, host="127.0.0.1") as server:
        found.url = str(server.make_url("/customers"))
        yield found
        found.release.set()


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlackApi]:
    async with FakeSlackApi() as fake:
        yield fake


@pytest.fixture
def core(db_url: str, slack: FakeSlackApi, records: Records) -> Iterator[Core]:
    settings = Settings(
        ALLHANDS_DATABASE_URL=db_url,
        SLACK_BOT_TOKEN="xoxb-test",
        SLACK_SIGNING_SECRET="slack-secret",
        SLACK_API_URL=slack.api_url,
        ALLHANDS_SLACK_CHANNEL=CARDS,
        ALLHANDS_CUSTOMER_LOOKUP_URL=records.url,
    )
    built = build_core(settings)
    yield built
    built.close()


@pytest.fixture
async def client(core: Core) -> AsyncIterator[TestClient[Any, Any]]:
    adapters, _ = chat_adapters(core, dev=False)
    async with TestClient(TestServer(build_server(core, adapters))) as test_client:
        yield test_client


def ingest(core: Core, email: str | None, body: str, source: str = "api") -> Feedback:
    customer = {"email": email} if email else {}
    draft = FeedbackDraft(source=source, body=body, customer=customer)
    return core.desk.ingest(draft, API).item


def card_of(slack: FakeSlackApi, ref: str) -> Message | None:
    return next(
        (m for m in slack.cards(CARDS) if f" {ref} · " in m.blocks[0]["text"]["text"]), None
    )


async def posted(slack: FakeSlackApi, ref: str) -> Message:
    await eventually(lambda: card_of(slack, ref) is not None)
    card = card_of(slack, ref)
    assert card is not None
    return card


def history_of(card: Message) -> tuple[str | None, list[tuple[str, str]]]:
    """The card's "N earlier items" line, and each earlier item's line with its button value."""
    heads = [
        b["elements"][0]["text"]
        for b in card.blocks
        if b["type"] == "context" and "earlier item" in b["elements"][0]["text"]
    ]
    lines = [
        (b["text"]["text"], b["accessory"]["value"])
        for b in card.blocks
        if b["type"] == "section"
        and b.get("accessory", {}).get("action_id") == "allhands.show_full"
        and b["accessory"].get("text", {}).get("text") == "Show"
    ]
    return (heads[0] if heads else None), lines


def account_of(card: Message) -> list[str]:
    """The labels of the account line (`*plan:* Enterprise · …`), in order."""
    for block in card.blocks:
        if block["type"] == "context" and block is not card.blocks[1]:
            text = block["elements"][0]["text"]
            if text.startswith("*") and ":* " in text:
                return [part.split(":*", 1)[0].strip("* ") for part in text.split(" · ")]
    return []


async def settled(core: Core) -> None:
    def empty() -> bool:
        with core.db.read() as uow:
            return uow.outbox.pending() == 0

    await eventually(empty)


# ---- earlier items ----------------------------------------------------------------------


async def test_a_returning_customers_card_lists_their_earlier_items_from_any_source(
    client: TestClient[Any, Any], core: Core, slack: FakeSlackApi
) -> None:
    first = ingest(core, "Dana@Example.com", "The export button does nothing", "zendesk")
    closed = ingest(core, "dana@example.com", "Charged twice for March", "mail")
    claimed = ingest(core, "dana@example.COM", "Where is my invoice?", "api")
    latest = ingest(core, "dana@example.com", "Login loops back to the start", "appstore")
    stranger = ingest(core, "eve@example.com", "Dark mode please")
    core.desk.close(
        closed.ref, ANA, "Refunded both charges and sent a voucher for all the trouble caused"
    )
    core.desk.claim(claimed.ref, BO)
    await settled(core)

    returning = ingest(core, "DANA@example.com", "Still charged twice")

    head, lines = history_of(await posted(slack, returning.ref))
    assert head == "*4 earlier items from this customer*"
    assert [ref for _, ref in lines] == [latest.ref, claimed.ref, closed.ref]  # newest three
    by_ref = {ref: text for text, ref in lines}
    assert f"`{latest.ref}` · :large_green_circle: Open — Login loops" in by_ref[latest.ref]
    assert "Claimed by Bo Chen (in Teams) — Where is my invoice?" in by_ref[claimed.ref]
    assert (
        "Closed by Ana Lima: Refunded both charges and sent a voucher for…"
        " — Charged twice for March"
    ) in by_ref[closed.ref]
    assert "<@" not in json.dumps(lines)  # earlier people are named, never paged
    for ref in (first.ref, stranger.ref):
        assert history_of(await posted(slack, ref)) == (None, [])


async def test_an_earlier_item_changing_shows_on_the_next_render_of_the_card(
    client: TestClient[Any, Any], core: Core, slack: FakeSlackApi
) -> None:
    earlier = ingest(core, "dana@example.com", "Charged twice for March")
    returning = ingest(core, "dana@example.com", "Still charged twice")
    await posted(slack, returning.ref)

    core.desk.close(earlier.ref, ANA, "Refunded")
    core.desk.claim(returning.ref, BO)  # updates the card, which reads its history again

    await eventually(
        lambda: "Closed by Ana Lima: Refunded" in json.dumps(card_of(slack, returning.ref).blocks)  # type: ignore[union-attr]
    )


async def test_a_round_of_cards_reads_their_histories_in_one_query(
    client: TestClient[Any, Any], core: Core, slack: FakeSlackApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[list[int]] = []
    real = CustomerStories.histories

    def counted(uow: Any, items: Any) -> Any:
        items = list(items)
        calls.append([item.id for item in items])
        return real(uow, items)

    monkeypatch.setattr(core.stories, "histories", counted)
    drafts = [
        FeedbackDraft(source="api", body=f"Problem {n}", customer={"email": "dana@example.com"})
        for n in range(5)
    ]

    made = [ingested.item for ingested in core.desk.ingest_many(drafts, API)]

    for n, item in enumerate(made):
        head, _ = history_of(await posted(slack, item.ref))
        assert head == (
            f"*{n} earlier item{'s' if n != 1 else ''} from this customer*" if n else None
        )
    assert [item.id for item in made] in calls
    assert len(calls) == 1


async def test_teams_shows_an_earlier_item_to_whoever_clicks_it_and_answers_clicks_with_history(
    core: Core,
) -> None:
    earlier = ingest(core, "dana@example.com", "Charged twice for March")
    core.desk.close(earlier.ref, ANA, "Refunded")
    returning = ingest(core, "dana@example.com", "Still charged twice")
    directory = TeamsDirectory(core.db, core.desk.clock)

    shown = execute(
        core.desk, core.stories, directory, Verb.SHOW, {"ref": earlier.ref}, BO, "29:bo"
    )
    claimed = execute(
        core.desk, core.stories, directory, Verb.CLAIM, {"ref": returning.ref}, BO, "29:bo"
    )

    assert (
        shown.body.value == f"{earlier.ref}: Closed by Ana Lima (in Slack). Charged twice for March"
    )
    assert core.desk.get(earlier.ref).state.value == "closed"  # showing changes nothing
    card = json.dumps(claimed.body.value)
    assert "1 earlier item from this customer" in card
    assert f'"verb": "allhands.show", "data": {{"ref": "{earlier.ref}"}}' in card


# ---- account context from the company's look-up -----------------------------------------


def allow(core: Core, fields: list[str]) -> None:
    core.admin.change("customers", {"fields": fields}, None)


async def test_a_slow_look_up_does_not_hold_the_card_back(
    client: TestClient[Any, Any], core: Core, slack: FakeSlackApi, records: Records
) -> None:
    allow(core, FIELDS)
    records.hold = True  # answers after 3 s, or once released

    item = ingest(core, "dana@example.com", "The export button does nothing")

    card = await posted(slack, item.ref)
    assert records.asked == ["dana@example.com"]
    assert records.answered == []  # the card went out while the look-up was still waiting
    assert account_of(card) == []
    records.release.set()
    # the failed look-up is not repeated at once: the next card does not wait for it again
    again = ingest(core, "dana@example.com", "And the import too")
    assert account_of(await posted(slack, again.ref)) == []
    assert records.asked == ["dana@example.com"]


async def test_a_quick_look_up_shows_exactly_the_allowlisted_fields_and_is_kept(
    client: TestClient[Any, Any], core: Core, slack: FakeSlackApi, records: Records
) -> None:
    allow(core, FIELDS)

    item = ingest(core, "dana@example.com", "The export button does nothing")

    card = await posted(slack, item.ref)
    assert account_of(card) == FIELDS
    shown = json.dumps(card.blocks, ensure_ascii=False)
    assert "*plan:* Enterprise · *arr:* 120000 · *owner.name:* Ana Lima" in shown
    for secret in ("confidential", "churn", "555", "vip"):
        assert secret not in shown
    core.desk.claim(item.ref, BO)
    again = ingest(core, "Dana@Example.com", "And the import too")
    assert account_of(await posted(slack, again.ref)) == FIELDS
    await settled(core)
    assert account_of(card_of(slack, item.ref)) == FIELDS  # type: ignore[arg-type]
    assert records.asked == ["dana@example.com"]  # kept: asked once for three renders


async def test_without_allowlisted_fields_nothing_is_looked_up(
    client: TestClient[Any, Any], core: Core, slack: FakeSlackApi, records: Records
) -> None:
    item = ingest(core, "dana@example.com", "The export button does nothing")

    assert account_of(await posted(slack, item.ref)) == []
    assert records.asked == []


@pytest.mark.parametrize(
    ("status", "raw"), [(500, None), (200, "[1, 2]"), (200, "<html>")], ids=str
)
async def test_a_failing_look_up_leaves_the_card_without_the_account(
    client: TestClient[Any, Any],
    core: Core,
    slack: FakeSlackApi,
    records: Records,
    status: int,
    raw: str | None,
) -> None:
    allow(core, FIELDS)
    records.status, records.raw = status, raw

    item = ingest(core, "dana@example.com", "The export button does nothing")

    assert account_of(await posted(slack, item.ref)) == []
    assert records.answered == ["dana@example.com"]


def test_lookup_url_must_keep_customers_addresses_private() -> None:
    for url in ("http://crm.example.com/customers", "ftp://crm.example.com", "crm.example.com"):
        with pytest.raises(ValueError, match="https://"):
            Settings(ALLHANDS_CUSTOMER_LOOKUP_URL=url)
    for url in ("https://crm.example.com/customers?team=7", "http://127.0.0.1:8080/c", ""):
        assert Settings(ALLHANDS_CUSTOMER_LOOKUP_URL=url).customer_lookup_url == url
