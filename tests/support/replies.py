"""A customer's email thread on an item, and the outbox that sends replies, as tests use them."""

from __future__ import annotations

from bot.core import Core
from bot.delivery.outbox import OutboxWorker
from bot.domain import Feedback, Identity, Platform
from bot.ports.records import ListFilter
from bot.sources.intake import Incoming
from handlers.sources.vendors import VendorParser
from handlers.vendors.smtp import SmtpReplyChannel

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


def outbox(core: Core, smtp_url: str) -> OutboxWorker:
    return OutboxWorker(core.db, {}, core.clock, replies=(SmtpReplyChannel(smtp_url), core.replies))
