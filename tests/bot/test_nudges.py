"""Unclaimed items are nudged, then escalated, once each, even with several replicas racing."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from bot.admin.configure import Admin
from bot.admin.routing import StaticRouter
from bot.domain import EventKind, Platform
from bot.intake import FeedbackDraft
from bot.notify import LogChanges
from bot.nudges import Nudger
from bot.service import Desk
from storage.db import create_db_engine
from storage.uow import SqlStore
from tests.support.builders import person
from tests.support.clock import FakeClock

API = person("zendesk", Platform.API)


def _desk(db_url: str, clock: FakeClock) -> Desk:
    return Desk(
        SqlStore(create_db_engine(db_url)), StaticRouter(slack_channel="C1"), LogChanges(), clock
    )


def _kinds(desk: Desk, item_id: int) -> list[EventKind]:
    with desk.db.read() as uow:
        return [e.kind for e in uow.events.for_item(item_id)]


def test_urgent_item_is_nudged_once_then_escalated_once_across_three_replicas(
    db_url: str, clock: FakeClock
) -> None:
    replicas = [_desk(db_url, clock) for _ in range(3)]
    desk = replicas[0]
    Admin(desk.db, clock).set_role("lee@example.com", "lead", True, None)
    item = desk.ingest(FeedbackDraft(source="email", body="Site down", severity="urgent"), API).item
    nudgers = [Nudger(replica) for replica in replicas]

    def all_run() -> int:
        with ThreadPoolExecutor(max_workers=3) as pool:
            return sum(pool.map(lambda nudger: nudger.run(), nudgers))

    clock.advance(minutes=14)
    assert all_run() == 0
    clock.advance(minutes=2)
    assert all_run() == 1
    assert all_run() == 0
    clock.advance(minutes=15)
    assert all_run() == 1
    clock.advance(hours=5)
    assert all_run() == 0
    assert _kinds(desk, item.id) == [EventKind.INGESTED, EventKind.NUDGED, EventKind.ESCALATED]
    with desk.db.read() as uow:
        escalation = uow.events.for_item(item.id)[-1]
        notes = [
            m.action
            for m in uow.outbox.lease_due(
                [Platform.SLACK], clock.now(), clock.now() - clock.now(), 50
            )
        ]
    assert escalation.data == {"minutes": 31, "leads": ["lee"]}
    assert notes == ["post_card", "update_card", "note", "update_card", "note"]
    for replica in replicas:
        replica.db.close()


def test_claiming_stops_nudges_and_a_quiet_claim_gets_one_reminder(
    db_url: str, clock: FakeClock
) -> None:
    desk = _desk(db_url, clock)
    nudger = Nudger(desk)
    item = desk.ingest(FeedbackDraft(source="email", body="Invoice wrong"), API).item
    clock.advance(hours=1)
    desk.claim(item.ref, person("ana"))
    clock.advance(hours=5)
    assert nudger.run() == 0  # claimed in time: no nudge for a normal item (4 h)
    clock.advance(hours=20)
    assert nudger.run() == 1
    assert nudger.run() == 0
    desk.comment(item.ref, person("ana"), "Waiting for finance")
    clock.advance(hours=25)
    assert nudger.run() == 1
    assert _kinds(desk, item.id).count(EventKind.REMINDED) == 2
    desk.db.close()


def test_reopened_items_wait_afresh(db_url: str, clock: FakeClock) -> None:
    desk = _desk(db_url, clock)
    nudger = Nudger(desk)
    item = desk.ingest(FeedbackDraft(source="email", body="Hi", severity="high"), API).item
    clock.advance(minutes=61)
    assert nudger.run() == 1
    desk.close(item.ref, person("ana"))
    desk.reopen(item.ref, person("bo"))
    clock.advance(minutes=61)
    assert nudger.run() == 1
    assert _kinds(desk, item.id).count(EventKind.NUDGED) == 2
    desk.db.close()
