"""Replying to a customer who wrote through a helpdesk: one public reply on their Zendesk ticket,
Intercom conversation or Freshdesk ticket, posted with the access the source was added with.
An answer lost after the vendor took the reply, or a crash between sending and recording it,
never posts it twice: the next attempt finds it at the vendor. A 422 leaves it failed with the
vendor's words, and Retry posts it once."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.core import Core
from bot.domain import ReplyStatus
from handlers.item_json import item_json
from tests.support.clock import FakeClock
from tests.support.fakes.helpdesks import (
    FakeFreshdesk,
    FakeHelpdesk,
    FakeIntercom,
    FakeZendesk,
    basic,
)
from tests.support.replies import helpdesk_item, killed_after_sending, outbox, person

ANA = "ana@company.example"
TEXT = "Fixed in 4.2, sorry for the trouble."
AUTHORIZATION = {
    "zendesk": basic(FakeZendesk.token),
    "intercom": f"Bearer {FakeIntercom.token}",
    "freshdesk": basic(f"{FakeFreshdesk.token}:X"),
}


@pytest.fixture(params=[FakeZendesk, FakeIntercom, FakeFreshdesk], ids=lambda f: f.vendor)
async def vendor(request: pytest.FixtureRequest) -> AsyncIterator[FakeHelpdesk]:
    async with request.param() as fake:
        yield fake


def words(taken: str) -> str:
    """The reply's text as the customer reads it (Intercom and Freshdesk take HTML)."""
    return taken.removeprefix("<p>").removesuffix("</p>")


async def test_neither_a_lost_answer_nor_a_crash_posts_a_reply_twice(
    core: Core, vendor: FakeHelpdesk, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    item, target = await helpdesk_item(core, vendor)
    core.desk.claim(item.ref, person(ANA))

    # The vendor takes the first reply but its answer never comes in time.
    vendor.stall()
    first = core.replies.reply(item.ref, person(ANA), TEXT)
    await outbox(core, timeout=0.2).drain_once()
    assert core.desk.get(item.ref).replies[0].status is ReplyStatus.PENDING
    clock.advance(minutes=10)
    await outbox(core).drain_once()  # found at the vendor: recorded, not posted again

    # The process dies after the vendor took the second, before it is recorded.
    core.replies.reply(item.ref, person(ANA), "And 4.2 is out today.")
    with killed_after_sending(core, monkeypatch):
        await outbox(core).drain_once()
    clock.advance(minutes=2)
    await outbox(core).drain_once()  # another replica, once the lease ran out
    await outbox(core).drain_once()

    taken = [(r.target, words(r.text)) for r in vendor.replies]
    assert taken == [(target, TEXT), (target, "And 4.2 is out today.")]
    if isinstance(vendor, FakeZendesk):
        assert vendor.replies[0].marker == first.message_id
    replies = item_json(core.desk.get(item.ref), with_comments=True)["replies"]
    assert [(r["status"], r["channel"]) for r in replies] == [("sent", vendor.vendor)] * 2


async def test_a_refusal_shows_the_vendors_words_and_retry_posts_it_once(
    core: Core, vendor: FakeHelpdesk
) -> None:
    item, target = await helpdesk_item(core, vendor)
    core.desk.claim(item.ref, person(ANA))
    vendor.refuse("Status: closed prevents ticket update")
    core.replies.reply(item.ref, person(ANA), TEXT)

    await outbox(core).drain_once()

    (failed,) = item_json(core.desk.get(item.ref), with_comments=True)["replies"]
    assert failed["status"] == "failed"
    assert "answered 422" in failed["error"]
    assert "closed prevents ticket update" in failed["error"]
    assert vendor.replies == []

    core.replies.retry(item.ref, person(ANA))
    await outbox(core).drain_once()
    await outbox(core).drain_once()  # nothing left: it is recorded as sent

    assert [(r.target, words(r.text)) for r in vendor.replies] == [(target, TEXT)]
    assert vendor.authorizations == [AUTHORIZATION[vendor.vendor]] * 2
    assert core.desk.get(item.ref).replies[0].status is ReplyStatus.SENT
