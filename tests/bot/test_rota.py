"""Who is on shift now and next, across midnight and a DST change."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.admin.schemas import RotaConfig
from bot.rota import next_up, on_now, started_within

BERLIN = ZoneInfo("Europe/Berlin")
ROTA = RotaConfig.model_validate(
    {
        "shifts": [
            {"day": "mon", "start": "09:00", "end": "13:00", "emails": ["ana@example.com"]},
            {
                "day": "mon",
                "start": "13:00",
                "end": "17:00",
                "emails": ["bo@example.com", "cy@example.com"],
            },
            {"day": "sun", "start": "22:00", "end": "02:00", "emails": ["night@example.com"]},
        ]
    }
)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=BERLIN)


def test_who_is_on_now_and_next() -> None:
    monday_ten = at("2026-03-02T10:00")
    assert [s.shift.emails for s in on_now(ROTA, monday_ten, BERLIN)] == [["ana@example.com"]]
    upcoming = next_up(ROTA, monday_ten, BERLIN)
    assert upcoming is not None
    assert (upcoming.shift.emails, upcoming.start) == (
        ["bo@example.com", "cy@example.com"],
        at("2026-03-02T13:00"),
    )
    assert on_now(ROTA, at("2026-03-02T18:00"), BERLIN) == []


def test_night_shift_runs_past_midnight() -> None:
    assert [s.shift.emails for s in on_now(ROTA, at("2026-03-02T01:00"), BERLIN)] == [
        ["night@example.com"]
    ]


def test_shift_start_is_found_once_within_the_window_and_in_local_time_across_dst() -> None:
    # 2026-03-29 is the spring DST change in Berlin; the Monday after starts at 09:00 CEST.
    start = at("2026-03-30T09:00")
    assert start.astimezone(UTC).hour == 7
    window = timedelta(minutes=10)
    assert [s.key for s in started_within(ROTA, start + timedelta(minutes=3), BERLIN, window)] == [
        "2026-03-30:0900:ana@example.com"
    ]
    assert started_within(ROTA, start + timedelta(minutes=11), BERLIN, window) == []
    assert started_within(ROTA, start - timedelta(minutes=1), BERLIN, window) == []
