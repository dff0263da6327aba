"""What counts as a spike: today's count against the trailing four weeks, per tag and source."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from bot.ports.spikes import Arrival
from bot.signal.spikes import MIN_ITEMS, baseline, daily_history, spikes, today_counts

BERLIN = ZoneInfo("Europe/Berlin")


def test_after_a_quiet_month_the_tenth_item_of_a_day_is_a_spike() -> None:
    quiet = [0] * 27 + [1]

    assert baseline(quiet).threshold == MIN_ITEMS


def test_a_busy_tag_needs_far_more_than_its_usual_day() -> None:
    busy = [18, 22] * 14  # 20 a day, give or take two

    usual = baseline(busy)

    assert usual.usual == 20.0
    assert usual.threshold == 27  # above 20 + 3 * 2
    counts = Counter({("tag", "login"): 26})
    assert spikes(counts, {("tag", "login"): 9}, {("tag", "login"): busy}) == []


def test_each_tag_and_source_is_counted_and_the_newest_item_remembered() -> None:
    at = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    arrivals = [Arrival(i, at, "zendesk", ("cards", "cards")) for i in range(1, 11)]
    arrivals.append(Arrival(11, at, "email", ("login",)))

    counts, newest = today_counts(arrivals)

    assert counts[("tag", "cards")] == 10  # a tag given twice on one item counts once
    assert counts[("source", "zendesk")] == 10
    found = spikes(counts, newest, {})
    assert [(s.key, s.count, s.newest_id) for s in found] == [
        (("source", "zendesk"), 10, 10),
        (("tag", "cards"), 10, 10),
    ]


def test_days_are_the_company_s_local_days() -> None:
    # 23:30 UTC on 1 March is already 2 March in Berlin.
    late = Arrival(1, datetime(2026, 3, 1, 23, 30, tzinfo=UTC), "email", ())

    history = daily_history([late], date(2026, 3, 1), BERLIN, days=2)

    assert history[("source", "email")] == [0, 1]
