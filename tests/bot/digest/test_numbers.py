"""`digest preview --format json` numbers equal what the test works out from its own ledger."""

from __future__ import annotations

import json
import statistics
from collections import Counter
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from click.testing import CliRunner

from app import cli
from tests.support.digest import Ledger, local
from tests.support.realdata import needs_realdata

pytestmark = needs_realdata

ENV = {"ALLHANDS_TIMEZONE": "Europe/Berlin", "ALLHANDS_DIGEST_DAYS": "mon-fri"}
# (digest date, first day it covers): a Tuesday covers Monday; a Monday covers Friday to Sunday.
PERIODS = [
    pytest.param(date(2026, 3, 10), date(2026, 3, 9), id="tuesday"),
    pytest.param(date(2026, 3, 9), date(2026, 3, 6), id="monday"),
]


def preview(db_url: str, digest_day: date) -> dict[str, Any]:
    result = CliRunner().invoke(
        cli,
        ["digest", "preview", "--date", digest_day.isoformat(), "--format", "json"],
        env={"ALLHANDS_DATABASE_URL": db_url, **ENV},
    )
    assert result.exit_code == 0, result.output
    document: dict[str, Any] = json.loads(result.stdout)
    return document


def _count(times: list[datetime], start: datetime, end: datetime) -> int:
    return sum(start <= t < end for t in times)


def _backlog(ledger: Ledger, moment: datetime) -> int:
    arrived = sum(t < moment for t in ledger.arrived.values())
    closed = sum(t < moment for t, _, _ in ledger.closes)
    return arrived - closed + sum(t < moment for t, _ in ledger.reopens)


def expected_counts(ledger: Ledger, first: date, digest_day: date) -> dict[str, Any]:
    days = (digest_day - first).days
    start, end = local(first, 0), local(digest_day, 0)
    week_before = local(first - timedelta(days=7), 0)
    flows = {
        "new": list(ledger.arrived.values()),
        "claimed": [t for t, _, _ in ledger.claims],
        "closed": [t for t, _, _ in ledger.closes],
    }
    counts = {
        name: (_count(times, start, end), round(_count(times, week_before, start) / 7 * days, 1))
        for name, times in flows.items()
    }
    day_ends = [local(first - timedelta(days=back), 0) for back in range(7)]
    counts["still_open"] = (
        _backlog(ledger, end),
        round(sum(_backlog(ledger, t) for t in day_ends) / 7, 1),
    )
    return counts


def expected_people(ledger: Ledger, first: date, digest_day: date) -> dict[str, Any]:
    """Everyone who claimed, closed, commented or reopened: thanked in the period, counted in
    the month (or since the period began, when that was earlier)."""
    start, end = local(first, 0), local(digest_day, 0)
    acts = [(t, who, "claimed") for t, who, _ in ledger.claims]
    acts += [(t, who, "closed") for t, who, _ in ledger.closes]
    acts += [(t, who, "other") for t, who in ledger.comments]
    acts += [(t, "lee", "other") for t, _ in ledger.reopens]
    helped: dict[str, Counter[str]] = {}
    for t, who, kind in acts:
        if start <= t < end:
            helped.setdefault(who, Counter())[kind] += 1
    helpers = [
        {
            "name": who.capitalize(),
            "email": f"{who}@example.com",
            **{kind: tally[kind] for kind in ("claimed", "closed", "other")},
        }
        for who, tally in helped.items()
    ]
    helpers.sort(key=lambda h: (-h["claimed"] - h["closed"], -h["closed"], -h["other"], h["name"]))
    month = min(start, local((digest_day - timedelta(days=1)).replace(day=1), 0))

    def median(rows: list[tuple[datetime, str, str]]) -> float | None:
        waits = [
            (t - ledger.arrived[ref]).total_seconds() / 60 for t, _, ref in rows if start <= t < end
        ]
        return round(statistics.median(waits), 1) if waits else None

    return {
        "helpers": helpers,
        "people_in_period": len(helpers),
        "distinct_helpers_month": len({who for t, who, _ in acts if month <= t < end}),
        "median_minutes_to_claim": median(ledger.claims),
        "median_minutes_to_close": median(ledger.closes),
    }


@pytest.mark.parametrize(("digest_day", "first"), PERIODS)
def test_preview_numbers_match_the_ledger(
    db_url: str, history: Ledger, digest_day: date, first: date
) -> None:
    shown = preview(db_url, digest_day)

    assert shown["period"]["start"] == local(first, 0).isoformat()
    assert shown["period"]["end"] == local(digest_day, 0).isoformat()
    counts = {k: (v["value"], v["average_7d"]) for k, v in shown["counts"].items()}
    want = expected_counts(history, first, digest_day)
    assert counts == want
    assert all(value > 0 for value, _ in want.values()), "the fixture must exercise every count"
    people = expected_people(history, first, digest_day)
    assert people["helpers"], "the fixture must have helpers in the period"
    assert {k: shown[k] for k in people} == people


def test_oldest_open_lists_the_items_waiting_longest_for_a_claim(
    db_url: str, history: Ledger
) -> None:
    claimed = {ref for _, _, ref in history.claims}
    waiting = [ref for ref in history.arrived if ref not in claimed]
    waiting += [ref for _, ref in history.reopens]
    waiting.sort(key=lambda ref: history.arrived[ref])

    shown = preview(db_url, date(2026, 3, 10))["oldest_open"]

    assert [item["ref"] for item in shown] == waiting[:5]
