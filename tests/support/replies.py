"""A customer's email thread or helpdesk ticket on an item, and the outbox that sends replies,
as tests use them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from bot.core import Core
from bot.delivery.outbox import OutboxWorker
from bot.domain import Feedback, Identity, Platform
from bot.ports.records import ListFilter
from bot.sources.intake import Incoming
from handlers.sources.vendors import VendorParser
from handlers.vendors.replies import ReplyRouter
from handlers.vendors.smtp import SmtpReplyChannel
from tests.support.fakes.app_stores import FakeAppStoreConnect, FakeGooglePlay
from tests.support.fakes.vendor_replies import FakeVendor
from tests.support.realdata import realdata_json

SUPPORT = "help@support.example"
MAILBOX = "support-inbox"
CUSTOMER = "dana@customer.example"
FIRST_ID = "<first.1@customer.example>"
SECOND_ID = "<second.2@customer.example>"


def person(email: str) -> Identity:
    return Identity(Platform.CLI, email, email.split("@")[0], email)


def raw_mail(message_id: str, text: str, *, replying_to: str | None = None) -> bytes:
    thread = f"In-Reply-To: {replying_to}\nReferences: {replying_to}\n" if replying_to else ""
    return (
        f"From: Dana <{CUSTOMER}>\nTo: {SUPPORT}\nSubject: Export is broken\n"
        f"Message-ID: {message_id}\n{thread}Date: Mon, 02 Mar 2026 08:00:00 +0000\n\n{text}\n"
    ).encode()


async def receive(core: Core, raw: bytes, event_id: str) -> None:
    kept = await core.source_intake.keep(Incoming(MAILBOX, event_id, "message/rfc822", {}, raw))
    assert kept.delivery_id is not None
    core.source_intake.apply(kept.delivery_id, VendorParser())


async def email_thread(core: Core) -> Feedback:
    """An item from a mailbox: the customer's first message and their follow-up on it."""
    core.sources.add("imap", MAILBOX, options={"url": "imap://inbox:pw@127.0.0.1:1/INBOX"})
    await receive(core, raw_mail(FIRST_ID, "Exporting to CSV fails."), FIRST_ID)
    follow_up = raw_mail(SECOND_ID, "Still failing today.", replying_to=FIRST_ID)
    await receive(core, follow_up, SECOND_ID)
    (item,) = core.desk.search(ListFilter())
    return item


def outbox(core: Core, smtp_url: str | None = None, *, timeout: float = 5.0) -> OutboxWorker:
    """The outbox sending replies only: by email to `smtp_url`, or through the vendors'
    APIs, waiting `timeout` seconds for each call."""
    mail = SmtpReplyChannel(smtp_url) if smtp_url else None
    router = ReplyRouter(core.sources, mail, timeout=timeout)
    return OutboxWorker(core.db, {}, core.clock, replies=(router, core.replies))


# Each helpdesk's real "new conversation" delivery, and the ticket or conversation it names.
HELPDESK_DELIVERIES = {
    "zendesk": (("zendesk", "events", "ticket_created.json"), "5158"),
    "intercom": (("intercom", "webhooks", "conversation_user_created_sdk.json"), "123456789"),
    "freshdesk": (("freshdesk", "webhooks", "ticket_created.json"), "11"),
}


async def vendor_item(core: Core, fake: FakeVendor) -> tuple[Feedback, str]:
    """An item from `fake`'s source, added with the fake's address and access, and the
    ticket, conversation or review it came from."""
    kind = fake.vendor
    if isinstance(fake, FakeAppStoreConnect):
        target = fake.add(1, "Crashes when I open a PDF.")
        body = fake.resource(target)
        ids = {"app_id": fake.app_id, "key_id": fake.key_id, "issuer_id": fake.issuer_id}
        core.sources.add(kind, kind, credentials=fake.key_pem, options={"api_url": fake.url, **ids})
    elif isinstance(fake, FakeGooglePlay):
        target = fake.add(1, "Crashes when I open a PDF.")
        body = fake.reviews[target]
        options = {"api_url": fake.url, "package": fake.package}
        core.sources.add(kind, kind, credentials=fake.service_account_json, options=options)
    else:
        path, target = HELPDESK_DELIVERIES[kind]
        body = realdata_json("sources", *path)
        options = {"api_url": fake.url}
        core.sources.add(
            kind, kind, secret="webhook-secret", credentials=fake.token, options=options
        )
    raw = json.dumps(body).encode()
    kept = await core.source_intake.keep(Incoming(kind, f"{kind}-1", "application/json", {}, raw))
    assert kept.delivery_id is not None
    core.source_intake.apply(kept.delivery_id, VendorParser())
    (item,) = core.desk.search(ListFilter())
    assert item.external_id == target
    return item, target


class Killed(Exception):
    """The process dies after the reply went out, before it is recorded as sent."""


@contextmanager
def killed_after_sending(core: Core, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The outbox run inside sends the reply and dies before recording it."""

    def killed(message_id: int, reply_id: int) -> None:
        raise Killed

    with monkeypatch.context() as patch:
        patch.setattr(core.replies, "sent", killed)
        with pytest.raises(Killed):
            yield
