"""What each digest number means, one definition at a time (docs/digest.md, "The numbers")."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.digest.build import build_digest
from bot.digest.model import Count, Counts, Digest, SentimentMix, Theme
from bot.digest.period import DigestPlan
from bot.digest.quotes import mood
from bot.digest.render import digest_text
from bot.digest.shifts import biggest_shifts
from bot.digest.themes import Windows, find_themes
from bot.domain import EventKind, Identity, Kind, Platform, Severity, id_from_ref
from bot.importer import CsvFile, CsvImporter
from bot.intake import FeedbackDraft
from bot.ports.records import ThemeRow
from bot.service import Desk
from bot.signal.embedding import HashingEmbedder
from tests.support.clock import FakeClock

ZONE = ZoneInfo("Europe/Berlin")
PLAN = DigestPlan(
    zone=ZONE, send_at=time(9), weekdays=frozenset(range(5)), grace=timedelta(hours=6)
)
TUESDAY = date(2026, 3, 10)
MONDAY = date(2026, 3, 9)
SOURCE = Identity(Platform.API, "zendesk-token", "zendesk")
OPS = Identity(Platform.CLI, "ops@example.com", "Ops", "ops@example.com")


def local(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=ZONE).astimezone(UTC)


def colleague(name: str) -> Identity:
    return Identity(Platform.SLACK, f"slack:{name}", name.capitalize(), f"{name}@example.com")


def ingest(desk: Desk, clock: FakeClock, when: datetime, body: str, **fields: object) -> str:
    clock.current = when
    return desk.ingest(FeedbackDraft(source="email", body=body, **fields), SOURCE).item.ref


def build(desk: Desk, digest_day: date = TUESDAY) -> Digest:
    return build_digest(desk.db, PLAN, digest_day, local(digest_day, 9))


def test_items_that_arrive_after_the_period_are_neither_open_nor_waiting_in_it(
    desk: Desk, clock: FakeClock
) -> None:
    for n in range(4):
        ingest(desk, clock, local(TUESDAY, 7), f"Fresh item {n}")

    fresh = build(desk)

    assert (fresh.counts.still_open.value, fresh.waiting, fresh.oldest_open) == (0, 0, ())
    assert "0 items still open" in digest_text(fresh)
    assert "Waiting longest" not in digest_text(fresh)


def test_still_open_counts_what_was_open_at_the_periods_end_and_waiting_is_part_of_it(
    desk: Desk, clock: FakeClock
) -> None:
    claimed = ingest(desk, clock, local(MONDAY, 9), "Claimed and kept")
    closed_since = ingest(desk, clock, local(MONDAY, 10), "Closed this morning")
    reopened_since = ingest(desk, clock, local(MONDAY, 11), "Reopened this morning")
    waiting = ingest(desk, clock, local(MONDAY, 12), "Nobody took it")
    desk.claim(claimed, colleague("ana"))
    desk.close(reopened_since, colleague("ana"))
    clock.current = local(TUESDAY, 8)
    desk.close(closed_since, colleague("bo"))
    desk.reopen(reopened_since, colleague("bo"))

    digest = build(desk)

    assert digest.counts.still_open.value == 3  # claimed, closed_since, waiting
    assert digest.waiting == 1
    assert [item.ref for item in digest.oldest_open] == [waiting]
    assert "Waiting longest for someone to claim them (1 of the 3 still open):" in digest_text(
        digest
    )


def test_imported_history_counts_on_the_days_customers_wrote(
    desk: Desk, clock: FakeClock, tmp_path: Path
) -> None:
    wrote = local(MONDAY - timedelta(days=3), 10)
    rows = [f"{wrote.isoformat()},Old message {n}" for n in range(7)]
    (tmp_path / "history.csv").write_text("received_at,body\n" + "\n".join(rows) + "\n")
    clock.current = local(MONDAY, 15)
    csv = CsvFile.check(tmp_path / "history.csv")
    assert CsvImporter(desk.db, clock).run(csv, "archive", OPS).imported == 7

    digest = build(desk)

    assert digest.counts.new.value == 0
    by_day = {v.day: sum(v.new_by_kind.values()) for v in digest.volume}
    assert by_day[MONDAY - timedelta(days=3)] == 7
    assert digest.counts.still_open.value == 7


def test_an_arrival_time_ahead_of_the_stores_clock_counts_when_it_was_stored(
    desk: Desk, clock: FakeClock
) -> None:
    ingest(
        desk,
        clock,
        local(MONDAY, 10),
        "From a source whose clock runs fast",
        received_at=local(TUESDAY, 12),
    )

    digest = build(desk)

    assert (digest.counts.new.value, digest.counts.still_open.value) == (1, 1)


@pytest.mark.parametrize(
    ("text", "kind", "severity", "felt"),
    [
        ("The export stopped after the update", Kind.BUG, Severity.NORMAL, "negative"),
        ("App crashes when I open it", Kind.FEEDBACK, Severity.NORMAL, "negative"),
        ("Where is the invoice?", Kind.QUESTION, Severity.URGENT, "negative"),
        ("I would like a copy of the invoice", Kind.COMPLAINT, Severity.NORMAL, "negative"),
        ("Where is the invoice?", Kind.QUESTION, Severity.NORMAL, "neutral"),
        ("The new calendar view", Kind.PRAISE, Severity.NORMAL, "positive"),
        ("Thanks, the fix works great and I love it", Kind.BUG, Severity.NORMAL, "positive"),
    ],
)
def test_mood_reads_kind_and_severity_with_the_words(
    text: str, kind: Kind, severity: Severity, felt: str
) -> None:
    assert mood(text, kind, severity) == felt


def test_a_day_of_crash_reports_is_a_negative_day(desk: Desk, clock: FakeClock) -> None:
    for body in ("App crashes on start", "Screen goes white after login", "Camera crashed"):
        ingest(desk, clock, local(MONDAY, 10), body, kind=Kind.BUG, severity=Severity.HIGH)

    mix = build(desk).sentiment

    assert (mix.positive, mix.neutral, mix.negative) == (0, 0, 3)


def test_a_theme_needs_two_items_of_the_period(desk: Desk, clock: FakeClock) -> None:
    ingest(desk, clock, local(MONDAY, 9), "Dark mode please", tags=["solo"])
    ingest(desk, clock, local(MONDAY - timedelta(days=7), 9), "Dark mode please", tags=["solo"])
    for n in range(2):
        ingest(desk, clock, local(MONDAY, 10 + n), f"Refund request {n}", tags=["refunds"])

    themes = build(desk).themes

    assert [(t.source, t.period) for t in themes] == [("tag", 2), ("cluster", 2)]
    assert themes[0].label == "refunds"
    assert "refund" in themes[1].label


def test_one_sampled_item_is_no_theme_however_far_it_scales() -> None:
    start = datetime(2026, 3, 9, tzinfo=UTC)
    row = ThemeRow(
        1,
        start,
        None,
        "Dark mode please",
        ["solo"],
        "email",
        None,
        None,
        Kind.FEEDBACK,
        Severity.NORMAL,
    )

    vectors = HashingEmbedder().embed([row.body])

    assert find_themes([row], vectors, Windows(start, start, start), scale=50) == ()


def test_thanks_and_all_hands_count_the_same_work_and_no_bots(desk: Desk, clock: FakeClock) -> None:
    first = ingest(desk, clock, local(date(2026, 2, 27), 9), "Card declined abroad")
    second = ingest(desk, clock, local(date(2026, 2, 27), 10), "Statement is late")
    desk.claim(first, colleague("ana"))
    clock.current = local(date(2026, 3, 1), 12)
    desk.comment(second, colleague("eve"), "Asked the bank")
    desk.comment(second, SOURCE, "The customer wrote again")
    second_id = id_from_ref(second)
    assert second_id is not None
    desk.system_note(second_id, EventKind.NUDGED, {}, ("nudge", second))

    digest = build(desk, date(2026, 3, 2))  # a Monday: Friday 27 February to Sunday 1 March
    text = digest_text(digest)

    assert (digest.people, digest.distinct_helpers_month) == (2, 2)
    assert [(h.name, h.claimed, h.other) for h in digest.helpers] == [("Ana", 1, 0), ("Eve", 0, 1)]
    assert "Thanks to the 2 people who worked on feedback from Friday 27 February" in text
    assert "All hands: 2 different people have worked on customer feedback since Friday 27" in text


def counts(new: tuple[int, float], still_open: tuple[int, float]) -> Counts:
    return Counts(Count(*new), Count(3, 3.0), Count(2, 2.0), Count(*still_open))


def test_the_biggest_moves_are_the_most_unusual_ones() -> None:
    doubled = counts(new=(40, 20.0), still_open=(31, 30.0))
    newcomer = Theme("refunds", "tag", 2, 2, 0)
    quiet_mix = SentimentMix(5, 5, 5)

    shifts = biggest_shifts(doubled, [newcomer], quiet_mix, SentimentMix(1, 1, 1))

    assert [(s.subject, s.value, s.usual) for s in shifts] == [
        ("new", 40, 20.0),
        ("refunds", 2, 0),
        ("still_open", 31, 30.0),
    ]
    assert shifts[0].up


def test_figures_that_did_not_move_are_no_news() -> None:
    steady = counts(new=(3, 3.0), still_open=(9, 9.0))
    same_share = SentimentMix(2, 2, 2)

    assert biggest_shifts(steady, [Theme("fees", "tag", 2, 4, 4)], same_share, same_share) == ()


def test_a_day_of_arrivals_nobody_worked_on_thanks_nobody(desk: Desk, clock: FakeClock) -> None:
    ingest(desk, clock, local(MONDAY, 10), "The export button is broken")

    text = digest_text(build(desk))

    assert "Thanks to:\n  (nobody yet)" in text
    assert "Thanks to the 0" not in text
