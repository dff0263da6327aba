"""With `replies.approval`, a reply by anyone but a lead is held: nothing reaches the customer
until a lead approves it (as written, or as they edited it); nobody else can let it go."""

from __future__ import annotations

import pytest

from bot.core import Core
from bot.domain import EventKind, ReplyStatus
from bot.errors import Conflict, Forbidden
from tests.support.replies import email_thread, outbox, person
from tests.support.smtp import RunningSmtp

ANA, BEN, LEA = "ana@company.example", "ben@company.example", "lea@company.example"


@pytest.fixture(autouse=True)
def approval(core: Core) -> None:
    core.admin.set_role(LEA, "lead", True, None)
    core.admin.change("replies", {"who": "anyone", "approval": True}, None)


async def test_a_held_reply_waits_for_a_lead_and_then_goes_once(
    core: Core, smtp: RunningSmtp
) -> None:
    item = await email_thread(core)

    sent = core.replies.reply(item.ref, person(ANA), "Fixed in 4.2.")
    await outbox(core, smtp.url).drain_once()

    assert sent.held
    assert "kept for a lead's approval" in sent.told
    assert smtp.sink.received == []
    held = core.desk.get(item.ref)
    assert held.reply_held
    assert [r.status for r in held.replies] == [ReplyStatus.AWAITING_APPROVAL]
    with core.db.read() as uow:
        kinds = [e.kind for e in uow.events.for_item(item.id)]
    assert EventKind.REPLY_HELD in kinds
    assert EventKind.REPLIED not in kinds

    with pytest.raises(Forbidden, match="Only support leads may approve"):
        core.replies.approve(item.ref, person(BEN))
    core.replies.approve(item.ref, person(LEA))
    await outbox(core, smtp.url).drain_once()
    await outbox(core, smtp.url).drain_once()

    (mail,) = smtp.sink.received
    assert "Fixed in 4.2." in mail.get_payload()
    assert [r.status for r in core.desk.get(item.ref).replies] == [ReplyStatus.SENT]
    with pytest.raises(Conflict, match="no reply awaiting approval"):
        core.replies.approve(item.ref, person(LEA))


async def test_a_lead_edits_the_words_before_they_go(core: Core, smtp: RunningSmtp) -> None:
    item = await email_thread(core)
    core.replies.reply(item.ref, person(ANA), "Fixd in 4.2")
    with pytest.raises(Forbidden):
        core.replies.held_text(item.ref, person(ANA))

    assert core.replies.held_text(item.ref, person(LEA)) == "Fixd in 4.2"
    core.replies.approve(item.ref, person(LEA), "Fixed in 4.2.")
    await outbox(core, smtp.url).drain_once()

    (mail,) = smtp.sink.received
    assert "Fixed in 4.2." in mail.get_payload()
    assert "Fixd" not in mail.get_payload()


async def test_a_leads_own_reply_is_not_held(core: Core, smtp: RunningSmtp) -> None:
    item = await email_thread(core)

    assert not core.replies.reply(item.ref, person(LEA), "On it.").held
    await outbox(core, smtp.url).drain_once()

    assert len(smtp.sink.received) == 1
