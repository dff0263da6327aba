"""App store reviews end to end: polled from fake App Store Connect and Google Play servers
(real aiohttp servers answering in the vendors' documented shapes: no permissively licensed
capture of either API exists, see `tests/fakes/app_stores.py`), kept raw, applied by the
inbox worker of the real server, and shown as cards in a fake Slack.

The tests poll by hand (`SourcePolling.poll`, `PollJob.run_due`) so that each decides when;
the server's own schedule is switched off for them, and one test checks that it polls.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import func, select

import handlers.background
from app import build_core
from bot.admin.secrets import new_key
from bot.config import Settings
from bot.core import Core
from bot.delivery.jobs import JobRunner
from bot.domain import EventKind, Identity, Kind, Platform, Severity, State
from bot.ports.records import ListFilter
from bot.sources.events import Arrived
from bot.sources.polling import PollJob, SourcePolling
from handlers.jobs import server_jobs, source_polling
from handlers.server import build_server, chat_adapters
from handlers.sources import appstore
from handlers.sources.vendors import VendorParser
from storage.models import SourceDeliveryRow
from tests.support.eventually import eventually
from tests.support.fakes.app_stores import FakeAppStoreConnect, FakeGooglePlay
from tests.support.fakes.slack_api import FakeSlackApi

CARDS = "C0REVIEWS"
ANA = Identity(Platform.CLI, "ana@example.com", "ana", "ana@example.com")


@dataclass
class Store:
    """One store as a test uses it: its source's name and its fake server."""

    source: str
    fake: FakeAppStoreConnect | FakeGooglePlay

    def write(
        self, rating: int, text: str, title: str = "", ago: timedelta = timedelta(hours=1)
    ) -> str:
        if isinstance(self.fake, FakeAppStoreConnect):
            return self.fake.add(rating, text, title, ago=ago)
        return self.fake.add(rating, f"{title}\t{text}" if title else text, ago=ago)

    def rewrite(self, key: str, rating: int, text: str) -> None:
        self.fake.edit(key, rating, text)

    def link(self, key: str) -> str:
        if isinstance(self.fake, FakeAppStoreConnect):
            return appstore.REVIEWS_PAGE.format(app=self.fake.app_id)
        return f"https://play.google.com/store/apps/details?id={self.fake.package}&reviewId=" + (
            key.replace(":", "%3A")
        )


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlackApi]:
    async with FakeSlackApi() as fake:
        yield fake


@pytest.fixture
async def apple() -> AsyncIterator[FakeAppStoreConnect]:
    async with FakeAppStoreConnect() as fake:
        yield fake


@pytest.fixture
async def google() -> AsyncIterator[FakeGooglePlay]:
    async with FakeGooglePlay() as fake:
        yield fake


def settings(db_url: str, slack: FakeSlackApi, key: str) -> Settings:
    return Settings(
        ALLHANDS_DATABASE_URL=db_url,
        SLACK_BOT_TOKEN="xoxb-test",
        SLACK_SIGNING_SECRET="slack-secret",
        SLACK_API_URL=slack.api_url,
        ALLHANDS_SLACK_CHANNEL=CARDS,
        ALLHANDS_SECRET_KEY=key,
    )


@pytest.fixture
def sealing_key() -> str:
    return new_key()


@pytest.fixture
def core(
    db_url: str,
    slack: FakeSlackApi,
    apple: FakeAppStoreConnect,
    google: FakeGooglePlay,
    sealing_key: str,
) -> Core:
    built = build_core(settings(db_url, slack, sealing_key))
    built.sources.add(
        "appstore",
        "ios",
        credentials=apple.key_pem,
        options={
            "app_id": apple.app_id,
            "key_id": apple.key_id,
            "issuer_id": apple.issuer_id,
            "api_url": apple.url,
        },
    )
    built.sources.add(
        "googleplay",
        "android",
        credentials=google.service_account_json,
        options={"package": google.package, "api_url": google.url},
    )
    return built


@pytest.fixture
def no_schedule(monkeypatch: pytest.MonkeyPatch) -> None:
    """The server's scheduler, off: each test decides when to poll."""
    monkeypatch.setattr(handlers.background, "server_jobs", lambda c: JobRunner([], c.clock))


@pytest.fixture
async def server(core: Core, no_schedule: None) -> AsyncIterator[TestClient[Any, Any]]:
    """The real server beside the fakes: its inbox worker applies what the polls keep."""
    adapters, _ = chat_adapters(core, dev=False)
    async with TestClient(TestServer(build_server(core, adapters))) as client:
        yield client


@pytest.fixture(params=["appstore", "googleplay"])
def store(
    request: pytest.FixtureRequest, apple: FakeAppStoreConnect, google: FakeGooglePlay
) -> Store:
    return Store("ios", apple) if request.param == "appstore" else Store("android", google)


@pytest.fixture
def polling(core: Core) -> SourcePolling:
    return source_polling(core)


async def poll(core: Core, polling: SourcePolling, name: str) -> Any:
    return await polling.poll(core.sources.get(name))


def items(core: Core) -> list[Any]:
    return sorted(core.desk.search(ListFilter(limit=100)), key=lambda item: item.id)


def deliveries(core: Core) -> int:
    with core.db.read() as uow:
        count = uow.session.scalar(select(func.count()).select_from(SourceDeliveryRow))  # type: ignore[attr-defined]
    return int(count)


def events(core: Core, item_id: int) -> list[EventKind]:
    with core.db.read() as uow:
        return [event.kind for event in uow.events.for_item(item_id)]


async def test_reviews_become_items_and_cards_with_kind_severity_and_link_across_pages(
    core: Core, server: Any, polling: SourcePolling, store: Store, slack: FakeSlackApi
) -> None:
    written = {
        rating: store.write(rating, f"Review with {rating} stars", ago=timedelta(hours=6 - rating))
        for rating in (1, 2, 3, 4, 5)
    }

    report = await poll(core, polling, store.source)

    assert (report.found, report.kept, report.error) == (5, 5, None)
    assert len(store.fake.requests) == 3  # five reviews, two a page: every page was read
    await eventually(lambda: len(slack.cards(CARDS)) == 5)
    found = {item.external_id: item for item in items(core)}
    assert set(found) == set(written.values())
    expected = {
        1: (Kind.COMPLAINT, Severity.HIGH),
        2: (Kind.COMPLAINT, Severity.NORMAL),
        3: (Kind.FEEDBACK, Severity.NORMAL),
        4: (Kind.PRAISE, Severity.LOW),
        5: (Kind.PRAISE, Severity.LOW),
    }
    for rating, key in written.items():
        item = found[key]
        assert (item.kind, item.severity) == expected[rating]
        assert item.source == store.source
        assert item.body == f"Review with {rating} stars"
        assert item.url == store.link(key)
        assert f"{rating}-star" in item.tags
    worst = found[written[1]]
    [card] = [c for c in slack.cards(CARDS) if worst.ref in json.dumps(c.blocks)]
    assert store.link(written[1]) in json.dumps(card.blocks)  # the card links to the review


async def test_a_second_poll_adds_nothing(
    core: Core, server: Any, polling: SourcePolling, store: Store, slack: FakeSlackApi
) -> None:
    for rating in (2, 4, 5):
        store.write(rating, f"{rating} stars")
    await poll(core, polling, store.source)
    await eventually(lambda: len(slack.cards(CARDS)) == 3)
    calls = len(slack.calls)

    again = await poll(core, polling, store.source)

    assert (again.found, again.kept, again.error) == (3, 0, None)
    assert deliveries(core) == 3
    assert len(items(core)) == 3
    await asyncio.sleep(0.3)  # give a wrong card or update time to show up
    assert len(slack.calls) == calls


async def test_an_edited_review_updates_its_item_and_says_so_in_the_thread(
    core: Core, server: Any, polling: SourcePolling, store: Store, slack: FakeSlackApi
) -> None:
    key = store.write(5, "Love it, syncs instantly", title="Great")
    await poll(core, polling, store.source)
    await eventually(lambda: len(slack.cards(CARDS)) == 1)
    [item] = items(core)

    store.rewrite(key, 1, "Since the update it lost all my notes")
    report = await poll(core, polling, store.source)

    assert report.kept == 1
    new_text = "Since the update it lost all my notes"
    await eventually(lambda: core.desk.get(item.ref).body == new_text)
    edited = core.desk.get(item.ref)
    assert (edited.kind, edited.severity) == (Kind.COMPLAINT, Severity.HIGH)
    assert "1-star" in edited.tags
    assert "5-star" not in edited.tags
    assert events(core, item.id) == [EventKind.INGESTED, EventKind.REVISED]
    assert len(items(core)) == 1
    [card] = slack.cards(CARDS)
    await eventually(lambda: len(slack.replies(CARDS, card.ts)) == 1)
    assert "edited their review (now 1★)" in slack.replies(CARDS, card.ts)[0].text
    await eventually(lambda: "lost all my notes" in json.dumps(slack.cards(CARDS)[0].blocks))
    assert len(slack.cards(CARDS)) == 1  # the same card, brought up to date


async def test_an_edit_that_still_complains_reopens_a_closed_item_and_a_kinder_one_does_not(
    core: Core, server: Any, polling: SourcePolling, store: Store
) -> None:
    key = store.write(2, "Sync is slow")
    await poll(core, polling, store.source)
    await eventually(lambda: len(items(core)) == 1)
    ref = items(core)[0].ref
    core.desk.close(ref, ANA, "Sped up in 4.2")

    store.rewrite(key, 4, "Sync is fast now, thanks")
    await poll(core, polling, store.source)
    await eventually(lambda: core.desk.get(ref).body == "Sync is fast now, thanks")
    assert core.desk.get(ref).state is State.CLOSED

    store.rewrite(key, 1, "Slow again after 4.3")
    await poll(core, polling, store.source)
    await eventually(lambda: core.desk.get(ref).state is State.OPEN)
    assert core.desk.get(ref).kind is Kind.COMPLAINT
    assert events(core, items(core)[0].id)[-2:] == [EventKind.REVISED, EventKind.REOPENED]


async def test_a_refused_token_is_reported_and_the_next_poll_loses_nothing(
    core: Core, server: Any, polling: SourcePolling, store: Store
) -> None:
    store.write(3, "First")
    await poll(core, polling, store.source)
    reached = polling.state(store.source).reached
    store.write(1, "Written while the token was refused", ago=timedelta(minutes=1))
    store.fake.refuse()

    refused = await poll(core, polling, store.source)

    assert refused.error is not None
    assert "answered 401" in refused.error
    assert ("NOT_AUTHORIZED" if store.source == "ios" else "UNAUTHENTICATED") in refused.error
    state = polling.state(store.source)
    assert (state.error, state.reached) == (refused.error, reached)  # the place is kept

    retried = await poll(core, polling, store.source)

    assert retried.error is None
    assert polling.state(store.source).error is None
    await eventually(lambda: len(items(core)) == 2)
    assert {item.body for item in items(core)} == {"First", "Written while the token was refused"}


async def test_apple_receives_an_es256_token_that_its_public_key_validates(
    core: Core, apple: FakeAppStoreConnect, polling: SourcePolling
) -> None:
    apple.add(5, "Nice")

    report = await poll(core, polling, "ios")

    assert report.error is None
    [token] = apple.tokens  # verified by the fake with the public half of the key
    assert token.header == {"alg": "ES256", "kid": apple.key_id, "typ": "JWT"}
    assert token.claims["iss"] == apple.issuer_id
    assert token.claims["aud"] == "appstoreconnect-v1"
    assert 0 < token.claims["exp"] - token.claims["iat"] <= 20 * 60


async def test_a_token_signed_with_another_key_is_refused_clearly(
    core: Core, apple: FakeAppStoreConnect, polling: SourcePolling
) -> None:
    other = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    options = {
        "app_id": apple.app_id,
        "key_id": apple.key_id,
        "issuer_id": apple.issuer_id,
        "api_url": apple.url,
    }
    core.sources.add("appstore", "ios-wrong", credentials=other.decode(), options=options)

    report = await poll(core, polling, "ios-wrong")

    assert report.error == (
        "App Store Connect answered 401 (NOT_AUTHORIZED: Authentication credentials are missing "
        "or invalid.); check --key-id, --issuer-id and the .p8 key (revoked?); the next poll "
        "tries again"
    )


async def test_google_validates_the_rs256_assertion_and_the_token_is_kept_until_refused(
    core: Core, google: FakeGooglePlay, polling: SourcePolling
) -> None:
    google.add(4, "Good")

    await poll(core, polling, "android")
    await poll(core, polling, "android")

    [assertion] = google.assertions  # one token, kept for the second poll
    assert assertion.header == {"alg": "RS256", "kid": google.key_id, "typ": "JWT"}
    assert assertion.claims["iss"] == google.client_email
    assert assertion.claims["scope"] == "https://www.googleapis.com/auth/androidpublisher"
    assert assertion.claims["aud"] == f"{google.url}/token"
    assert 0 < assertion.claims["exp"] - assertion.claims["iat"] <= 3600

    google.revoke_tokens()  # the kept token stops working before its time
    refused = await poll(core, polling, "android")
    assert refused.error is not None
    assert "answered 401" in refused.error
    assert "the next poll asks for a new one" in refused.error

    again = await poll(core, polling, "android")
    assert again.error is None
    assert len(google.assertions) == 2


async def test_each_source_is_polled_once_a_period_whichever_replica_runs(
    core: Core, apple: FakeAppStoreConnect, google: FakeGooglePlay, polling: SourcePolling
) -> None:
    apple.add(5, "Nice")
    google.add(5, "Nice")
    replicas = [PollJob(core.sources, polling, core.db, core.clock, f"replica-{n}") for n in (1, 2)]
    now = datetime(2026, 3, 2, 9, 1, tzinfo=UTC)

    await asyncio.gather(*(replica.run_due(now) for replica in replicas))
    await asyncio.gather(*(replica.run_due(now + timedelta(minutes=2)) for replica in replicas))
    assert (len(apple.requests), len(google.requests)) == (1, 1)

    await asyncio.gather(*(replica.run_due(now + timedelta(minutes=5)) for replica in replicas))
    assert (len(apple.requests), len(google.requests)) == (2, 2)


async def test_the_servers_schedule_polls_the_app_stores(
    core: Core, apple: FakeAppStoreConnect, google: FakeGooglePlay
) -> None:
    apple.add(1, "Crashes on launch")
    google.add(2, "Slow")

    await server_jobs(core).run_pending()

    assert (len(apple.requests), len(google.requests)) == (1, 1)
    assert deliveries(core) == 2


async def test_a_restart_neither_loses_nor_repeats_a_review(
    db_url: str,
    slack: FakeSlackApi,
    sealing_key: str,
    core: Core,
    server: Any,
    polling: SourcePolling,
    store: Store,
) -> None:
    for rating in (1, 2, 3):
        store.write(rating, f"{rating} stars", ago=timedelta(hours=4 - rating))
    store.fake.fail(after=1)  # the second page fails: the poll is cut short

    cut = await poll(core, polling, store.source)
    assert cut.error is not None
    assert "answered 500" in cut.error
    assert polling.state(store.source).reached is None

    await poll(core, polling, store.source)
    await eventually(lambda: len(items(core)) == 3)
    store.write(5, "Written while we were down", ago=timedelta(minutes=1))

    restarted = build_core(settings(db_url, slack, sealing_key))  # another process, same db
    try:
        report = await poll(restarted, source_polling(restarted), store.source)
    finally:
        restarted.close()

    assert (report.kept, report.error) == (1, None)  # the new one, and nothing again
    await eventually(lambda: len(items(core)) == 4)
    assert deliveries(core) == 4


async def test_a_review_that_cannot_be_read_is_kept_and_replayed_once_the_parser_is_fixed(
    core: Core,
    server: Any,
    polling: SourcePolling,
    apple: FakeAppStoreConnect,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    key = apple.add(5, "Nice")
    apple.reviews[key]["rating"] = 0  # a rating the parser cannot use

    await poll(core, polling, "ios")

    def unusable() -> list[tuple[int, str]]:
        with core.db.read() as uow:
            rows = uow.session.scalars(select(SourceDeliveryRow))  # type: ignore[attr-defined]
            return [(row.id, row.error) for row in rows if row.status == "unusable"]

    await eventually(lambda: len(unusable()) == 1)
    [(delivery_id, error)] = unusable()
    assert "rating 0" in error
    assert items(core) == []

    def fixed(received: Any, source: Any) -> list[Arrived]:
        """The parser after its fix (simulated): it reads what it could not."""
        return [Arrived(key=json.loads(received.body)["id"], body="Nice")]

    monkeypatch.setattr(appstore, "parse", fixed)
    applied = core.source_intake.apply(delivery_id, VendorParser())

    assert applied.unusable is None
    [item] = items(core)
    assert item.external_id == key


async def test_an_app_store_source_takes_no_deliveries_over_http(server: Any) -> None:
    """Reviews are fetched, never posted: `POST /sources/NAME` knows no polled source."""
    response = await server.post("/sources/ios", json={"data": []})
    assert response.status == 404
