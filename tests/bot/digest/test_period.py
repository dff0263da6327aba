"""Which days a digest covers and when it is due, in the company time zone."""

from __future__ import annotations

import itertools
from datetime import date, time, timedelta

import pytest
from pydantic import ValidationError

from bot.config import Settings
from bot.digest.period import parse_weekdays
from tests.support.digest import PLAN, local


@pytest.mark.parametrize(
    ("digest_day", "first", "last"),
    [
        pytest.param(date(2026, 3, 10), date(2026, 3, 9), date(2026, 3, 9), id="tuesday"),
        pytest.param(date(2026, 3, 9), date(2026, 3, 6), date(2026, 3, 8), id="monday"),
        pytest.param(date(2026, 3, 14), date(2026, 3, 13), date(2026, 3, 13), id="saturday"),
    ],
)
def test_a_digest_covers_every_day_since_the_previous_digest_day(
    digest_day: date, first: date, last: date
) -> None:
    period = PLAN.period(digest_day)
    assert (period.first_day, period.last_day) == (first, last)
    assert (period.start, period.end) == (local(first, 0), local(digest_day, 0))


def test_mon_fri_periods_tile_the_calendar_without_gaps_or_overlaps() -> None:
    days = [date(2026, 3, 2) + timedelta(days=n) for n in range(28)]
    periods = [PLAN.period(d) for d in days if d.weekday() < 5]
    assert all(a.end == b.start for a, b in itertools.pairwise(periods))


def test_a_period_across_the_spring_change_is_an_hour_short() -> None:
    period = PLAN.period(date(2026, 3, 30))  # Monday: Friday 27 to Sunday 29 March
    assert period.end - period.start == timedelta(hours=71)
    assert period.label == "Friday 27 to Sunday 29 March"


def test_due_only_from_send_time_until_the_grace_runs_out() -> None:
    monday = date(2026, 3, 9)
    assert PLAN.due(local(monday, 8, 59)) == []
    assert PLAN.due(local(monday, 9, 0)) == [monday]
    assert PLAN.due(local(monday, 14, 59)) == [monday]
    assert PLAN.due(local(monday, 15, 0)) == []
    assert PLAN.due(local(date(2026, 3, 14), 9, 0)) == []  # Saturday is not a digest day


def test_day_lists_and_ranges_wrap_around_the_week() -> None:
    assert parse_weekdays("mon-fri") == {0, 1, 2, 3, 4}
    assert parse_weekdays("sat-mon") == {5, 6, 0}
    assert parse_weekdays("mon, wed,fri") == {0, 2, 4}
    with pytest.raises(ValueError, match="monday"):
        parse_weekdays("monday")


def test_settings_refuse_unknown_zones_days_and_times() -> None:
    for field, value in [
        ("ALLHANDS_TIMEZONE", "Mars/Olympus"),
        ("ALLHANDS_DIGEST_DAYS", "someday"),
        ("ALLHANDS_DIGEST_TIME", "9am"),
    ]:
        with pytest.raises(ValidationError):
            Settings(**{field: value})  # type: ignore[arg-type]


def test_settings_make_the_plan_and_the_targets() -> None:
    settings = Settings(
        ALLHANDS_TIMEZONE="America/New_York",
        ALLHANDS_DIGEST_TIME="07:30",
        ALLHANDS_DIGEST_DAYS="sun-thu",
        ALLHANDS_EXECS="CEO@Example.com, cfo@example.com,",
    )  # type: ignore[call-arg]
    plan = settings.digest_plan
    assert (plan.zone.key, plan.send_at, plan.weekdays) == (
        "America/New_York",
        time(7, 30),
        frozenset({6, 0, 1, 2, 3}),
    )
    assert settings.exec_emails == ["ceo@example.com", "cfo@example.com"]
