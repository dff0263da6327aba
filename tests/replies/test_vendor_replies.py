"""Replying to a customer who wrote through a helpdesk or an app store: one public reply on their
Zendesk ticket, Intercom conversation or Freshdesk ticket, or one response to their App Store or
Google Play review, posted with the access the source was added with (each fake refuses a call
without it).
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
from tests.support.fakes.app_stores import FakeAppStoreConnect, FakeGooglePlay
from tests.support.fakes.helpdesks import FakeFreshdesk, FakeIntercom, FakeZendesk
from tests.support.fakes.vendor_replies import FakeVendor
from tests.support.replies import killed_after_sending, outbox, person, vendor_item

ANA = "ana@company.example"
TEXT = "Fixed in 4.2, sorry for the trouble."
SECOND = "And 4.2 is out today."
THIRD = "Tell us if it happens again."


@pytest.fixture(
    params=[FakeZendesk, FakeIntercom, FakeFreshdesk, FakeAppStoreConnect, FakeGooglePlay],
    ids=lambda f: f.vendor,
)
async def vendor(request: pytest.FixtureRequest) -> AsyncIterator[FakeVendor]:
    async with request.param() as fake:
        yield fake


def words(taken: str) -> str:
    """The reply's text as the customer reads it (Intercom and Freshdesk take HTML)."""
    return taken.removeprefix("<p>").removesuffix("</p>")


async def test_each_reply_is_posted_once_through_lost_answers_crashes_and_refusals(
    core: Core, vendor: FakeVendor, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One test per vendor keeps the suite lean: each step starts from the one before."""
    item, target = await vendor_item(core, vendor)
    core.desk.claim(item.ref, person(ANA))

    # The vendor takes the first reply but its answer never comes in time.
    vendor.stall_reply()
    first = core.replies.reply(item.ref, person(ANA), TEXT)
    await outbox(core, timeout=0.2).drain_once()
    assert core.desk.get(item.ref).replies[0].status is ReplyStatus.PENDING
    clock.advance(minutes=10)
    await outbox(core).drain_once()  # found at the vendor: recorded, not posted again

    # The process dies after the vendor took the second, before it is recorded.
    core.replies.reply(item.ref, person(ANA), SECOND)
    with killed_after_sending(core, monkeypatch):
        await outbox(core).drain_once()
    clock.advance(minutes=2)
    await outbox(core).drain_once()  # another replica, once the lease ran out
    await outbox(core).drain_once()

    # The vendor refuses the third: failed, with its words, until Retry posts it once.
    vendor.refuse_reply("Status: closed prevents ticket update")
    core.replies.reply(item.ref, person(ANA), THIRD)
    await outbox(core).drain_once()
    failed = item_json(core.desk.get(item.ref), with_comments=True)["replies"][-1]
    assert failed["status"] == "failed"
    assert f"answered {vendor.refusal_status}" in failed["error"]
    assert "closed prevents ticket update" in failed["error"]
    assert len(vendor.replies) == 2
    core.replies.retry(item.ref, person(ANA))
    await outbox(core).drain_once()
    await outbox(core).drain_once()  # nothing left: it is recorded as sent

    taken = [(r.target, words(r.text)) for r in vendor.replies]
    assert taken == [(target, TEXT), (target, SECOND), (target, THIRD)]
    if isinstance(vendor, FakeZendesk):
        assert vendor.replies[0].marker == first.message_id
    replies = item_json(core.desk.get(item.ref), with_comments=True)["replies"]
    assert [(r["status"], r["channel"]) for r in replies] == [("sent", vendor.vendor)] * 3
