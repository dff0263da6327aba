"""Sensitive routes: which rule restricts an item, what broad channels get instead (a stub or
nothing), and that the mark holds on the item. Pure parts first, then on both engines."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.admin.configure import Admin
from bot.admin.form import format_routes, parse_routes
from bot.admin.routing import ConfiguredRouter, RouteTable, StaticRouter
from bot.admin.schemas import RoutesConfig, Webhook
from bot.admin.webhooks import webhook_body
from bot.digest.build import build_digest
from bot.domain import (
    Customer,
    EventKind,
    Feedback,
    Holder,
    Kind,
    Person,
    Platform,
    Severity,
    State,
)
from bot.errors import Forbidden
from bot.importer import CsvFile, CsvImporter
from bot.notify import LogChanges
from bot.ports.records import CardCopy, ListFilter, OutboxAction
from bot.privacy.sensitive import on_card, stub_item, stub_line, webhook_without_words
from bot.service import Desk
from bot.signal.embedding import HashingEmbedder
from bot.signal.repeats import Repeats
from storage.uow import SqlStore
from tests.support.builders import STORED_AT as NOW
from tests.support.builders import draft, person, stored
from tests.support.clock import FakeClock
from tests.support.digest import PLAN

S, T = Platform.SLACK, Platform.TEAMS
ANA = Person(7, "Ana", "ana@example.com")
WORDS = "My lawyer will hear about the leak of my medical file"


def dest(platform: str, channel: str) -> dict[str, str]:
    return {"platform": platform, "channel": channel}


ROUTES: dict[str, Any] = {
    "rules": [
        {"name": "bugs", "kinds": ["bug"], "destinations": [dest("slack", "CBUGS")]},
        {
            "name": "Enterprise",
            "tags": ["enterprise"],
            "keywords": ["lawyer"],
            "sensitive": True,
            "destinations": [dest("slack", "CLEGAL"), dest("teams", "19:legal")],
        },
    ],
    "default": [dest("slack", "CALL"), dest("teams", "19:legal")],
}
TABLE = RouteTable(RoutesConfig.model_validate(ROUTES), fallback=[])


def where(destinations: Any) -> list[tuple[Platform, str]]:
    return [(d.platform, d.channel) for d in destinations]


def test_a_sensitive_rule_wins_wherever_it_stands_and_broad_channels_become_stubs() -> None:
    decision = TABLE.decide(draft(WORDS, kind="bug", tags=["Enterprise"]))

    assert (decision.rule, decision.sensitive) == ("Enterprise", True)
    assert where(decision.destinations) == [(S, "CLEGAL"), (T, "19:legal")]
    assert where(decision.stubs) == [(S, "CBUGS")]  # the rule it passed over; never its own
    assert decision.placement().sensitive == "Enterprise"


def test_without_a_broad_rule_the_default_gets_the_stub_less_the_restricted_channels() -> None:
    decision = TABLE.decide(draft(WORDS, tags=["enterprise"]))
    assert where(decision.stubs) == [(S, "CALL")]


@pytest.mark.parametrize(
    "subject",
    [draft(WORDS), draft("Export is slow", tags=["enterprise"]), draft("lawyers", kind="bug")],
    ids=["keyword without tag", "tag without keyword", "keywords match whole words"],
)
def test_a_sensitive_rule_needs_every_criterion(subject: Any) -> None:
    decision = TABLE.decide(subject)
    assert not decision.sensitive
    assert decision.placement().sensitive is None
    assert decision.stubs == []


def test_the_form_line_says_sensitive_and_reads_back_the_same() -> None:
    line = "Enterprise: tag=enterprise keyword=lawyer sensitive -> slack:CLEGAL teams:19:legal"
    parsed = RoutesConfig.model_validate(parse_routes(line))
    assert parsed.rules[0].sensitive
    assert format_routes(parsed) == line
    plain = RoutesConfig.model_validate(parse_routes("bugs: kind=bug -> slack:C1"))
    assert "sensitive" not in plain.model_dump()["rules"][0]  # stored routes stay as they were


def _item(**fields: Any) -> Feedback:
    """A sensitive item with every field that could tell what it is about, or who wrote it."""
    return stored(
        external_id="ticket-9",
        title="Medical file leaked",
        body=WORDS,
        kind=Kind.COMPLAINT,
        severity=Severity.HIGH,
        tags=("enterprise",),
        product_area="records",
        url="https://acme.zendesk.com/tickets/9",
        customer=Customer("Dana Whitfield", "dana@example.com", "Acme", "gold"),
        sensitive_rule="Enterprise",
        **fields,
    )


@pytest.mark.parametrize(
    ("fields", "line"),
    [
        ({}, "A sensitive item from Enterprise"),
        (
            {"state": State.CLAIMED, "claimed": Holder(ANA, S, NOW)},
            "A sensitive item from Enterprise — claimed by Ana",
        ),
        (
            {"state": State.CLOSED, "closed": Holder(ANA, T, NOW), "resolution": WORDS},
            "A sensitive item from Enterprise — closed by Ana",
        ),
    ],
)
def test_the_stub_line_says_where_from_and_who_has_it(fields: dict[str, Any], line: str) -> None:
    assert stub_line(_item(**fields)) == line


def test_the_stub_card_keeps_state_and_severity_and_drops_every_word_and_the_customer() -> None:
    item = _item(state=State.CLAIMED, claimed=Holder(ANA, S, NOW), resolution="Refunded")
    stub = stub_item(item)

    shown = repr(stub)
    for secret in (WORDS, "Medical", "Dana", "dana@", "Acme", "gold", "ticket-9", "records"):
        assert secret not in shown
    assert (stub.title, stub.state, stub.severity, stub.claimed) == (
        "A sensitive item from Enterprise",
        State.CLAIMED,
        Severity.HIGH,
        item.claimed,
    )


def test_only_a_restricted_copy_shows_the_words() -> None:
    item = _item()
    restricted = CardCopy(1, 12, S, "CLEGAL", "m1", {}, restricted=True)
    broad = replace(restricted, channel="CALL", restricted=False)

    assert on_card(item, restricted) == (item, True)
    assert on_card(item, broad).item.body != WORDS
    assert not on_card(item, None).words  # a card we cannot place shows the stub
    ordinary = replace(item, sensitive_rule=None)
    assert on_card(ordinary, broad) == (ordinary, True)


def test_an_untrusted_webhook_gets_the_state_without_words_or_customer() -> None:
    item = _item(state=State.CLOSED, closed=Holder(ANA, S, NOW), resolution="Refunded Dana")
    body = webhook_body(EventKind.CLOSED, item, ANA, S, NOW, {"resolution": "Refunded Dana"})

    bare = webhook_without_words(body)

    assert "Dana" not in repr(bare)
    assert "Medical" not in repr(bare)
    assert bare["feedback"]["state"] == "closed"
    assert bare["feedback"]["ref"] == "FB-12"
    assert not Webhook(name="crm", url="https://crm.example.com/h", secret="s" * 16).trusted


# ---- on both engines: the mark, the copies, the thread ------------------------------------


@pytest.fixture
def admin(database: SqlStore, clock: FakeClock) -> Admin:
    admin = Admin(database, clock)
    admin.change("routes", ROUTES, None)
    return admin


def _desk(database: SqlStore, clock: FakeClock) -> Desk:
    router = ConfiguredRouter(database, StaticRouter(), [S, T])
    return Desk(database, router, LogChanges(), clock)


def _copies(database: SqlStore, item_id: int) -> list[tuple[str, bool]]:
    with database.read() as uow:
        return [(c.channel, c.restricted) for c in uow.cards.for_item(item_id)]


def test_the_mark_and_the_copies_hold_after_the_routes_change(
    database: SqlStore, clock: FakeClock, admin: Admin
) -> None:
    desk = _desk(database, clock)
    item = desk.ingest(draft(WORDS, tags=["enterprise"]), person("api", Platform.API)).item
    admin.change("routes", {"default": [dest("slack", "CALL")]}, None)

    assert item.sensitive_rule == "Enterprise"
    assert desk.get(item.ref).sensitive_rule == "Enterprise"
    assert _copies(database, item.id) == [("CLEGAL", True), ("19:legal", True), ("CALL", False)]
    assert desk.shown(item.ref).body != WORDS  # chat answers show the stub
    with pytest.raises(Forbidden):  # nothing to mask, yet not anyone's to read
        desk.full_text(item.ref, person("bo"))
    admin.set_role("lee@example.com", "lead", True, None)
    assert desk.full_text(item.ref, person("lee")).body == WORDS


def test_leads_may_give_broad_channels_nothing(
    database: SqlStore, clock: FakeClock, admin: Admin
) -> None:
    admin.change("privacy", {"sensitive_elsewhere": "nothing"}, None)
    desk = _desk(database, clock)
    item = desk.ingest(draft(WORDS, tags=["enterprise"]), person("api", Platform.API)).item
    assert _copies(database, item.id) == [("CLEGAL", True), ("19:legal", True)]


def test_a_thread_reply_is_never_noted_on_a_broad_copy(
    database: SqlStore, clock: FakeClock, admin: Admin
) -> None:
    desk = _desk(database, clock)
    item = desk.ingest(draft(WORDS, tags=["enterprise"]), person("api", Platform.API)).item
    desk.comment(item.ref, person("ana", Platform.TEAMS), "She sent the file", external_id="c1")

    with database.write() as uow:
        leased = uow.outbox.lease_due([S, T], clock.now(), timedelta(minutes=1), 100)
        uow.commit()
    notes = [(m.channel, m.action) for m in leased if m.action is OutboxAction.NOTE]
    updates = {m.channel for m in leased if m.action is OutboxAction.UPDATE_CARD}
    assert notes == [("CLEGAL", OutboxAction.NOTE)]  # mirrored to Slack's restricted copy only
    assert updates == {"CLEGAL", "19:legal", "CALL"}  # every copy shows the new state


@pytest.mark.parametrize(
    ("elsewhere", "waiting"),
    [
        ("stub", ["A sensitive item from Enterprise", "Export is slow"]),
        ("nothing", ["Export is slow"]),
    ],
)
def test_the_digest_names_a_waiting_sensitive_item_by_its_stub_or_not_at_all(
    database: SqlStore, clock: FakeClock, admin: Admin, elsewhere: str, waiting: list[str]
) -> None:
    admin.change("privacy", {"sensitive_elsewhere": elsewhere}, None)
    desk = _desk(database, clock)
    desk.ingest(draft(WORDS, tags=["enterprise"]), person("api", Platform.API))
    desk.ingest(draft("Export is slow"), person("api", Platform.API))

    digest = build_digest(database, PLAN, date(2026, 3, 3), clock.now())

    assert [item.title for item in digest.oldest_open] == waiting
    assert digest.counts.new.value == 2  # counted, never quoted
    assert [quote.text for quote in digest.quotes] == ["Export is slow"]


def test_imported_history_is_marked_too_and_stays_out_of_the_digests_words(
    database: SqlStore, clock: FakeClock, admin: Admin, tmp_path: Path
) -> None:
    rows = f'body,tags\n"{WORDS}",enterprise\n"Export is slow",\n'
    (tmp_path / "history.csv").write_text(rows)
    csv = CsvFile.check(tmp_path / "history.csv")
    assert CsvImporter(database, clock).run(csv, "archive", person("ops")).imported == 2

    with database.read() as uow:
        rules = [(item.body, item.sensitive_rule) for item in uow.feedback.find(ListFilter())]
    assert sorted(rules) == [("Export is slow", None), (WORDS, "Enterprise")]
    digest = build_digest(database, PLAN, date(2026, 3, 3), clock.now())
    assert [quote.text for quote in digest.quotes] == ["Export is slow"]


def test_a_repeat_never_joins_across_a_sensitive_line(
    database: SqlStore, clock: FakeClock, admin: Admin
) -> None:
    """The card a repeat joins quotes it: a sensitive item's words never join a broad card, nor
    a broad item's a restricted one."""
    router = ConfiguredRouter(database, StaticRouter(), [S, T])
    desk = Desk(database, router, LogChanges(), clock, repeats=Repeats(HashingEmbedder()))
    api = person("api", Platform.API)
    broad = desk.ingest(draft(WORDS), api).item
    again = desk.ingest(draft(WORDS), api).item
    restricted = desk.ingest(draft(WORDS, tags=["enterprise"]), api).item
    after = desk.ingest(draft(WORDS), api).item

    assert again.duplicate_of == broad.id  # the same words join, as anywhere
    assert restricted.duplicate_of is None
    assert restricted.sensitive_rule == "Enterprise"
    assert after.duplicate_of == broad.id


def test_a_customer_s_sensitive_item_is_never_named_on_their_other_cards(
    database: SqlStore, clock: FakeClock, admin: Admin
) -> None:
    desk = _desk(database, clock)
    api = person("api", Platform.API)
    customer = {"email": "dana@example.com"}
    first = desk.ingest(draft("Invoice question", customer=customer), api).item
    desk.ingest(draft(WORDS, tags=["enterprise"], customer=customer), api)
    latest = desk.ingest(draft("App crashes on login", customer=customer), api).item

    with database.read() as uow:
        history = uow.feedback.earlier_by_customer([latest.id], 5)[latest.id]
        named = uow.repeats.lines([first.id, first.id + 1])
    assert history.count == 1
    assert [line.ref for line in history.shown] == [first.ref]
    assert list(named) == [first.id]  # a similar-items line never names the sensitive one
