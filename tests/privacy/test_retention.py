"""Retention: leads set how long customers' words are kept (from chat, like any setting); the
daily job, once across replicas, removes them from older items and keeps counts, states and
events (on SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta

from bot.admin import form
from bot.core import Core
from bot.privacy.retention import RetentionJob
from bot.privacy.scrub import EXPIRED
from tests.support.builders import API, draft, person
from tests.support.clock import FakeClock
from tests.support.stored_text import rows_holding

OLD_WORDS = "my old address is 4 Elm Street"


async def test_words_older_than_the_retention_go_once_a_day_and_the_history_stays(
    core: Core, clock: FakeClock, db_url: str
) -> None:
    form.apply(core.admin, {"retention_days": "30"}, None)
    assert form.current(core.admin)["retention_days"] == "30"
    old = core.desk.ingest(
        draft(
            OLD_WORDS,
            received_at=(clock.now() - timedelta(days=31)).isoformat(),
            customer={"name": "Olga", "email": "olga@example.com", "company": "Elm"},
        ),
        API,
    ).item
    core.desk.comment(old.ref, person("ana"), f"She wrote {OLD_WORDS}")
    core.desk.close(old.ref, person("ana"), "Moved her account")
    recent = core.desk.ingest(draft("Dark mode please", external_id="z-2"), API).item
    before = len(core.desk.get(old.ref).comments), core.desk.counts()

    replicas = [RetentionJob(core.retention, core.db, f"replica-{n}") for n in range(2)]
    for job in replicas:  # both wake for the day: one run
        await job.run_due(clock.now())

    kept = core.desk.get(old.ref)
    assert kept.body == EXPIRED
    assert kept.customer.email is None
    assert kept.customer.company is None
    assert kept.state.value == "closed"
    assert (len(kept.comments), core.desk.counts()) == before
    assert rows_holding(db_url, [OLD_WORDS, "olga@example.com"]) == []
    assert core.desk.get(recent.ref).body == "Dark mode please"
    with core.db.read() as uow:
        kinds = [e.kind.value for e in uow.events.for_item(old.id)]
        claims = uow.jobs.claims("retention", [clock.now().date().isoformat()])
    assert kinds == ["ingested", "commented", "closed"]
    assert [c.owner for c in claims] == ["replica-0"]
