"""Routes decide which channels get a card, on both platforms; old items are never re-posted."""

from __future__ import annotations

from bot.admin.configure import Admin
from bot.admin.routing import ConfiguredRouter, StaticRouter
from bot.domain import Platform
from bot.intake import FeedbackDraft
from bot.notify import LogChanges
from bot.service import Desk
from storage.uow import SqlStore
from tests.support.builders import person
from tests.support.clock import FakeClock

API = person("zendesk", Platform.API)


def _cards(database: SqlStore, item_id: int) -> list[tuple[str, str]]:
    with database.read() as uow:
        return [(c.platform.value, c.channel) for c in uow.cards.for_item(item_id)]


def test_routes_place_cards_and_a_change_does_not_repost_old_items(
    database: SqlStore, clock: FakeClock
) -> None:
    router = ConfiguredRouter(
        database, StaticRouter("CENV", "19:env"), [Platform.SLACK, Platform.TEAMS]
    )
    desk = Desk(database, router, LogChanges(), clock)
    admin = Admin(database, clock)
    admin.change(
        "routes",
        {
            "rules": [
                {
                    "name": "bugs",
                    "kinds": ["bug"],
                    "destinations": [
                        {"platform": "slack", "channel": "CBUGS"},
                        {"platform": "teams", "channel": "19:bugs"},
                    ],
                }
            ]
        },
        None,
    )
    router._routes._ttl = 0  # read the table afresh each time in this test
    bug = desk.ingest(FeedbackDraft(source="email", body="crash", kind="bug"), API).item
    other = desk.ingest(FeedbackDraft(source="email", body="hello"), API).item
    assert _cards(database, bug.id) == [("slack", "CBUGS"), ("teams", "19:bugs")]
    assert _cards(database, other.id) == [("slack", "CENV"), ("teams", "19:env")]

    admin.change("routes", {"default": [{"platform": "slack", "channel": "CNEW"}]}, None)
    desk.claim(bug.ref, person("ana"))
    desk.ingest(FeedbackDraft(source="email", body="crash", kind="bug", external_id="x"), API)
    assert _cards(database, bug.id) == [("slack", "CBUGS"), ("teams", "19:bugs")]
    with database.read() as uow:
        posts = [
            m
            for m in uow.outbox.lease_due(
                list(Platform), clock.now(), clock.now() - clock.now(), 100
            )
            if m.action == "post_card"
        ]
    assert sorted((m.platform.value, m.channel) for m in posts) == [
        ("slack", "CBUGS"),
        ("slack", "CENV"),
        ("slack", "CNEW"),
        ("teams", "19:bugs"),
        ("teams", "19:env"),
    ]


def test_disabled_platforms_get_no_cards(database: SqlStore, clock: FakeClock) -> None:
    router = ConfiguredRouter(database, StaticRouter("CENV", "19:env"), [Platform.SLACK])
    desk = Desk(database, router, LogChanges(), clock)
    item = desk.ingest(FeedbackDraft(source="email", body="hello"), API).item
    assert _cards(database, item.id) == [("slack", "CENV")]
