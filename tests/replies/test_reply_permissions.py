"""Who may answer a customer is the leads' `replies` setting: the item's holder (the default),
anyone, or leads only; an item with no way back to its customer says so."""

from __future__ import annotations

import pytest

from bot.admin.secrets import new_key
from bot.core import Core
from bot.errors import Forbidden, Invalid
from bot.intake import CustomerIn, FeedbackDraft
from tests.support.clock import FakeClock
from tests.support.core import make_core
from tests.support.replies import SUPPORT, email_thread, person

ANA, BEN, LEA = "ana@company.example", "ben@company.example", "lea@company.example"


def replies_by(core: Core, who: str) -> None:
    core.admin.change("replies", {"who": who}, None)


async def test_by_default_only_the_holder_replies(core: Core) -> None:
    item = await email_thread(core)
    with pytest.raises(Forbidden, match=r"Claim FB-\d+ before replying.*replies.who = claimer"):
        core.replies.reply(item.ref, person(ANA), "Hello")
    core.desk.claim(item.ref, person(ANA))

    with pytest.raises(Forbidden, match=r"Only ana, who holds .*replies\.who = claimer"):
        core.replies.reply(item.ref, person(BEN), "Hello")
    assert core.replies.reply(item.ref, person(ANA), "Hello").reply_id > 0
    core.desk.close(item.ref, person(ANA), "Fixed")
    with pytest.raises(Forbidden, match=r"Only ana, who closed "):
        core.replies.reply(item.ref, person(BEN), "Hello")
    core.replies.reply(item.ref, person(ANA), "It is fixed now")
    assert [r.by.email for r in core.desk.get(item.ref).replies] == [ANA, ANA]


async def test_anyone_may_reply_when_the_leads_say_so(core: Core) -> None:
    item = await email_thread(core)
    core.desk.claim(item.ref, person(ANA))
    replies_by(core, "anyone")

    core.replies.reply(item.ref, person(BEN), "Hello")

    assert [r.by.email for r in core.desk.get(item.ref).replies] == [BEN]


async def test_leads_only_refuses_even_the_holder(core: Core) -> None:
    item = await email_thread(core)
    core.desk.claim(item.ref, person(ANA))
    core.admin.set_role(LEA, "lead", True, None)
    replies_by(core, "leads")

    with pytest.raises(Forbidden, match="Only support leads may reply"):
        core.replies.reply(item.ref, person(ANA), "Hello")
    core.replies.reply(item.ref, person(LEA), "Hello")

    assert [r.by.email for r in core.desk.get(item.ref).replies] == [LEA]


def test_the_setting_names_its_choices(core: Core) -> None:
    with pytest.raises(Invalid, match=r"replies\.who"):
        replies_by(core, "everyone")


def test_an_item_from_the_api_has_no_channel_back(core: Core) -> None:
    draft = FeedbackDraft(
        source="api", body="Export fails", customer=CustomerIn(email="dana@customer.example")
    )
    item = core.desk.ingest(draft, person(ANA)).item
    replies_by(core, "anyone")

    with pytest.raises(Invalid, match=r"came from api .*no channel back.*copy the text"):
        core.replies.reply(item.ref, person(ANA), "Hello")
    assert core.desk.get(item.ref).replies == ()


async def test_without_a_mail_server_an_email_reply_is_refused_up_front(
    db_url: str, clock: FakeClock
) -> None:
    core = make_core(db_url, clock, ALLHANDS_SECRET_KEY=new_key(), ALLHANDS_SUPPORT_FROM=SUPPORT)
    try:
        item = await email_thread(core)
        core.desk.claim(item.ref, person(ANA))
        with pytest.raises(Invalid, match="ALLHANDS_SMTP_URL"):
            core.replies.reply(item.ref, person(ANA), "Hello")
        assert core.desk.get(item.ref).replies == ()
    finally:
        core.close()
