"""Replying to a customer who wrote by email: one threaded email from the support address,
sent through a real SMTP server of the test's own; a dropped answer or a crash after sending
means one more send with the same Message-ID; a refusal shows on the item with its reason and
can be sent again."""

from __future__ import annotations

import pytest

from bot.core import Core
from bot.domain import EventKind, ReplyStatus
from handlers.item_json import item_json
from tests.support.clock import FakeClock
from tests.support.replies import (
    CUSTOMER,
    FIRST_ID,
    SECOND_ID,
    SUPPORT,
    email_thread,
    killed_after_sending,
    outbox,
    person,
)
from tests.support.smtp import RunningSmtp

ANA = "ana@company.example"
TEXT = "Fixed in 4.2, sorry for the trouble."


async def test_a_reply_arrives_once_in_the_customers_thread(core: Core, smtp: RunningSmtp) -> None:
    item = await email_thread(core)
    core.desk.claim(item.ref, person(ANA))

    sent = core.replies.reply(item.ref, person(ANA), TEXT)
    await outbox(core, smtp.url).drain_once()
    await outbox(core, smtp.url).drain_once()  # nothing left: it is recorded as sent

    (message,) = smtp.sink.received
    assert smtp.sink.recipients == [[CUSTOMER]]
    assert message["Message-ID"] == sent.message_id
    assert sent.message_id.endswith("@support.example>")
    assert message["From"] == SUPPORT
    assert message["To"] == CUSTOMER
    assert message["Subject"] == "Re: Export is broken"
    assert message["In-Reply-To"] == SECOND_ID
    assert message["References"].split() == [FIRST_ID, SECOND_ID]
    assert "Fixed in 4.2" in message.get_payload()
    shown = core.desk.get(item.ref)
    assert [(r.status, r.by.email) for r in shown.replies] == [(ReplyStatus.SENT, ANA)]
    assert (
        shown.comments[-1].text == "Replied to the customer: Fixed in 4.2, sorry for the trouble."
    )
    assert item_json(shown, with_comments=True)["replies"][0]["status"] == "sent"


async def test_an_answer_lost_after_the_server_took_it_sends_it_again_with_the_same_id(
    core: Core, smtp: RunningSmtp, clock: FakeClock
) -> None:
    item = await email_thread(core)
    core.desk.claim(item.ref, person(ANA))
    smtp.sink.drop_first = True
    core.replies.reply(item.ref, person(ANA), "We are on it.")

    await outbox(core, smtp.url).drain_once()
    assert core.desk.get(item.ref).replies[0].status is ReplyStatus.PENDING
    clock.advance(minutes=10)
    await outbox(core, smtp.url).drain_once()

    # The server kept the first copy, but its answer never came: the only safe move is to
    # send again, and both copies carry one Message-ID, so the customer's mail shows one.
    first, second = smtp.sink.received
    assert first["Message-ID"] == second["Message-ID"]
    assert core.desk.get(item.ref).replies[0].status is ReplyStatus.SENT


async def test_a_crash_between_sending_and_recording_sends_again_with_the_same_id(
    core: Core, smtp: RunningSmtp, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    item = await email_thread(core)
    core.desk.claim(item.ref, person(ANA))
    core.replies.reply(item.ref, person(ANA), "We are on it.")

    with killed_after_sending(core, monkeypatch):
        await outbox(core, smtp.url).drain_once()
    assert len(smtp.sink.received) == 1
    clock.advance(minutes=2)
    await outbox(core, smtp.url).drain_once()  # another replica, once the lease ran out

    first, second = smtp.sink.received
    assert first["Message-ID"] == second["Message-ID"]
    assert core.desk.get(item.ref).replies[0].status is ReplyStatus.SENT


async def test_a_refusal_shows_its_reason_and_the_reply_can_be_sent_again(
    core: Core, smtp: RunningSmtp
) -> None:
    item = await email_thread(core)
    core.desk.claim(item.ref, person(ANA))
    smtp.sink.refuse = "550 5.1.1 Mailbox dana does not exist"
    sent = core.replies.reply(item.ref, person(ANA), "We are on it.")

    await outbox(core, smtp.url).drain_once()

    (failed,) = item_json(core.desk.get(item.ref), with_comments=True)["replies"]
    assert failed["status"] == "failed"
    assert failed["error"] == "550 5.1.1 Mailbox dana does not exist"
    assert smtp.sink.received == []
    with core.db.read() as uow:
        kinds = [e.kind for e in uow.events.for_item(item.id)]
    assert kinds[-1] is EventKind.REPLY_FAILED

    smtp.sink.refuse = None
    again = core.replies.retry(item.ref, person(ANA))
    await outbox(core, smtp.url).drain_once()
    await outbox(core, smtp.url).drain_once()

    (message,) = smtp.sink.received
    assert again.message_id == sent.message_id == message["Message-ID"]
    assert core.desk.get(item.ref).replies[0].status is ReplyStatus.SENT
