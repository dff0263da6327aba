"""Outbound webhooks to a real HTTP receiver: signed, retried with backoff, once each, in order."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.admin.configure import Admin
from bot.admin.routing import StaticRouter
from bot.admin.secrets import SecretBox, new_key
from bot.admin.webhooks import SIGNATURE_HEADER, WebhookDirectory
from bot.delivery.outbox import OutboxWorker
from bot.domain import Platform
from bot.intake import FeedbackDraft
from bot.notify import LogChanges
from bot.service import Desk
from handlers.webhooks import HttpWebhookSender
from storage.uow import SqlStore
from tests.support.builders import person
from tests.support.clock import FakeClock

SECRET = "test-secret-0123456789abcdef"
SENDERS: list[HttpWebhookSender] = []


@dataclass
class Receiver:
    """A customer's endpoint: answers the scripted statuses, then 200; checks every signature."""

    statuses: list[int] = field(default_factory=list)
    received: list[dict[str, object]] = field(default_factory=list)
    attempts: int = 0

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        timestamp, mac = (
            part.split("=", 1)[1] for part in request.headers[SIGNATURE_HEADER].split(",")
        )
        expected = hmac.new(
            SECRET.encode(), f"{timestamp}.".encode() + body, hashlib.sha256
        ).hexdigest()
        if not hmac.compare_digest(mac, expected):
            return web.Response(status=401)
        self.attempts += 1
        status = self.statuses.pop(0) if self.statuses else 200
        if status == 200:
            self.received.append(json.loads(body))
        return web.Response(status=status)


@pytest.fixture
async def receiver() -> AsyncIterator[tuple[Receiver, str]]:
    endpoint = Receiver()
    app = web.Application()
    app.router.add_post("/hook", endpoint.handle)
    async with TestServer(app) as server:
        yield endpoint, str(server.make_url("/hook"))


def _setup(
    database: SqlStore, clock: FakeClock, url: str, box: SecretBox | None = None, **hook: object
) -> tuple[Desk, OutboxWorker]:
    Admin(database, clock, box).change(
        "webhooks", {"hooks": [{"name": "crm", "url": url, "secret": SECRET, **hook}]}, None
    )
    directory = WebhookDirectory(database, clock, box)
    desk = Desk(database, StaticRouter(), LogChanges(), clock, directory)
    sender = HttpWebhookSender(clock)
    SENDERS.append(sender)
    worker = OutboxWorker(database, {}, clock, webhooks=(sender, directory))
    return desk, worker


@pytest.fixture(autouse=True)
async def _close_senders() -> AsyncIterator[None]:
    yield
    for sender in SENDERS:
        await sender.close()
    SENDERS.clear()


async def test_failing_receiver_gets_each_event_once_in_order(
    database: SqlStore, clock: FakeClock, receiver: tuple[Receiver, str]
) -> None:
    endpoint, url = receiver
    endpoint.statuses = [500, 500]
    desk, worker = _setup(database, clock, url)
    ref = desk.ingest(
        FeedbackDraft(source="crm", body="Call me", external_id="c-1"), person("crm", Platform.API)
    ).item.ref
    desk.claim(ref, person("ana"))
    desk.comment(ref, person("ana"), "Called back")
    desk.close(ref, person("ana"), "Sorted", notify_customer=True)

    await worker.drain_once()  # 500: everything waits, in order
    clock.advance(seconds=1)
    await worker.drain_once()  # still inside the backoff: nothing is sent
    assert endpoint.attempts == 1
    clock.advance(seconds=2)
    await worker.drain_once()  # 500 again
    clock.advance(seconds=5)
    await worker.drain_once()
    await worker.drain_once()

    assert [r["event"] for r in endpoint.received] == [
        "feedback.claimed",
        "feedback.commented",
        "feedback.closed",
    ]
    assert endpoint.attempts == 5
    closed = endpoint.received[-1]
    assert closed["feedback"] == {
        "ref": ref,
        "source": "crm",
        "external_id": "c-1",
        "state": "closed",
        "title": None,
        "resolution": "Sorted",
        "notify_customer": True,
        "customer_email": None,
    }
    with database.read() as uow:
        assert uow.outbox.pending() == 0


async def test_rejected_delivery_is_listed_and_can_be_redelivered(
    database: SqlStore, clock: FakeClock, receiver: tuple[Receiver, str]
) -> None:
    endpoint, url = receiver
    endpoint.statuses = [410]
    desk, worker = _setup(database, clock, url, events=["closed"])
    ref = desk.ingest(FeedbackDraft(source="crm", body="Hi"), person("crm", Platform.API)).item.ref
    desk.claim(ref, person("ana"))  # not subscribed: no delivery
    desk.close(ref, person("ana"))
    await worker.drain_once()
    with database.write() as uow:
        failed = uow.outbox.failed(Platform.WEBHOOK)
        assert [(f.channel, f.payload["event"], f.error) for f in failed] == [
            ("crm", "feedback.closed", "webhook answered 410; not retried")
        ]
        assert uow.outbox.retry_failed(failed[0].id, clock.now())
        uow.commit()
    await worker.drain_once()
    assert [r["event"] for r in endpoint.received] == ["feedback.closed"]


async def test_a_sealed_secret_still_signs_every_delivery(
    database: SqlStore, clock: FakeClock, receiver: tuple[Receiver, str]
) -> None:
    endpoint, url = receiver
    desk, worker = _setup(database, clock, url, SecretBox(new_key()))
    ref = desk.ingest(FeedbackDraft(source="crm", body="Hi"), person("crm", Platform.API)).item.ref
    desk.claim(ref, person("ana"))
    await worker.drain_once()
    assert [body["event"] for body in endpoint.received] == ["feedback.claimed"]
