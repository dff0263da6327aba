"""Many people acting on one item at the same second: one wins, the rest are told who did."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from bot.domain import EventKind, State
from bot.errors import AlreadyClaimed
from bot.intake import FeedbackDraft
from bot.ports.records import ListFilter
from bot.service import Desk
from tests.support.builders import person

CLAIMERS = 50


def _draft(**fields: object) -> FeedbackDraft:
    return FeedbackDraft.model_validate({"source": "zendesk", "body": "The app crashes", **fields})


def test_fifty_concurrent_claims_have_one_winner(desk: Desk) -> None:
    item = desk.ingest(_draft(), person("api")).item

    def attempt(n: int) -> str:
        try:
            desk.claim(item.ref, person(f"employee{n}"))
        except AlreadyClaimed as conflict:
            return f"conflict:{conflict.holder}"
        return "won"

    with ThreadPoolExecutor(max_workers=CLAIMERS) as pool:
        results = list(pool.map(attempt, range(CLAIMERS)))

    assert results.count("won") == 1
    winner = desk.get(item.ref).claimed
    assert winner is not None
    assert results.count(f"conflict:{winner.person.name}") == CLAIMERS - 1
    with desk.db.read() as uow:
        assert uow.events.count(item.id, EventKind.CLAIMED) == 1
    assert desk.get(item.ref).state is State.CLAIMED


def test_twenty_concurrent_posts_of_one_external_id_create_one_item(desk: Desk) -> None:
    draft = _draft(external_id="ticket-77")

    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(lambda _: desk.ingest(draft, person("zendesk")), range(20)))

    assert sum(r.created for r in results) == 1
    assert len({r.item.id for r in results}) == 1
    with desk.db.read() as uow:
        assert uow.events.count(results[0].item.id, EventKind.INGESTED) == 1


def test_concurrent_posts_with_one_idempotency_key_create_one_item(desk: Desk) -> None:
    draft = _draft()

    def post(_: int) -> int:
        return desk.ingest(draft, person("helpdesk"), idempotency_key="req-1").item.id

    with ThreadPoolExecutor(max_workers=10) as pool:
        ids = set(pool.map(post, range(10)))

    assert len(ids) == 1
    assert len(desk.search(ListFilter(limit=100))) == 1
