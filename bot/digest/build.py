"""Builds the daily digest as a view model (`bot.digest.model.Digest`) from the event log.

Numbers are exact: a handful of grouped queries over the items and the event log
(`DigestQueries`), bucketed by local day in Python-computed UTC bounds, each number decided
once here so every rendering shows the same. Text analysis (themes, sentiment, quotes) reads
the items themselves; past `THEME_SAMPLE` arrivals in the 14-day themes window it reads an even
sample of them and scales its counts back up, so a flood day still builds in seconds.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import replace
from datetime import date, datetime, timedelta

from bot.digest.fixes import fix_loop
from bot.digest.model import Count, Counts, Csat, DayVolume, Digest, Helper, OpenItem
from bot.digest.period import DigestPlan, local_midnight
from bot.digest.quotes import mix, pick_quotes, score
from bot.digest.render import shorten
from bot.digest.shifts import biggest_shifts
from bot.digest.themes import Windows, find_themes
from bot.domain import EventKind, Kind, Platform, ref_for
from bot.ports.embeddings import Embedder
from bot.ports.records import HelperRow, ThemeRow, WaitingRow
from bot.ports.repositories import DigestQueries
from bot.ports.store import Store
from bot.privacy.masking import Masker
from bot.privacy.sensitive import stub_title
from bot.privacy.shown import stored_privacy
from bot.signal.embedding import default_embedder
from bot.signal.vectors import item_vectors

CHART_DAYS = 14
TRAILING_DAYS = 7
THEME_SAMPLE = 2_000
OLDEST_OPEN = 5
LEADERBOARD = 10
TITLE_CHARS = 150


class _Days:
    """Per-day series over the window: arrivals by kind, claims, closes, backlog at day end."""

    def __init__(self, queries: DigestQueries, first_day: date, count: int, plan: DigestPlan):
        self.days = [first_day + timedelta(days=i) for i in range(count)]
        self.bounds = [
            local_midnight(first_day + timedelta(days=i), plan.zone) for i in range(count + 1)
        ]
        arrivals = queries.arrivals_by_day(self.bounds)
        moves = queries.transitions_by_day(
            self.bounds, [EventKind.CLAIMED, EventKind.CLOSED, EventKind.REOPENED]
        )
        self.by_kind = [{k: arrivals.get((i, k.value), 0) for k in Kind} for i in range(count)]
        self.new = [sum(kinds.values()) for kinds in self.by_kind]
        self.claimed = [moves.get((i, EventKind.CLAIMED), 0) for i in range(count)]
        self.closed = [moves.get((i, EventKind.CLOSED), 0) for i in range(count)]
        reopened = [moves.get((i, EventKind.REOPENED), 0) for i in range(count)]
        level = queries.backlog_at(self.bounds[0])
        self.backlog: list[int] = []
        for i in range(count):
            level += self.new[i] - self.closed[i] + reopened[i]
            self.backlog.append(level)

    def flow(self, series: list[int], period_days: int) -> Count:
        """The period's total beside the 7 days before it, per day, times the period's days."""
        trailing = series[-period_days - TRAILING_DAYS : -period_days]
        average = sum(trailing) / TRAILING_DAYS * period_days
        return Count(sum(series[-period_days:]), round(average, 1))

    def level(self, period_days: int) -> Count:
        trailing = self.backlog[-period_days - TRAILING_DAYS : -period_days]
        return Count(self.backlog[-1], round(sum(trailing) / TRAILING_DAYS, 1))

    def chart(self) -> tuple[DayVolume, ...]:
        return tuple(
            DayVolume(day, kinds, backlog)
            for day, kinds, backlog in list(
                zip(self.days, self.by_kind, self.backlog, strict=True)
            )[-CHART_DAYS:]
        )


# What counts as working on feedback: every change a person makes to an item, from a chat or
# the command line. The bot's own reminders and an integration's comments are not people at work.
WORK = (
    EventKind.CLAIMED,
    EventKind.UNCLAIMED,
    EventKind.HANDED_OFF,
    EventKind.COMMENTED,
    EventKind.CLOSED,
    EventKind.REOPENED,
    EventKind.EDITED,
)
PEOPLE_PLATFORMS = (Platform.SLACK, Platform.TEAMS, Platform.CLI)


def build_digest(
    db: Store,
    plan: DigestPlan,
    digest_day: date,
    now: datetime,
    embedder: Embedder | None = None,
) -> Digest:
    """The digest sent on local `digest_day`, covering `plan.period(digest_day)`; themes cluster
    the items' vectors from `embedder` (default: the packaged model, or its fallback)."""
    period = plan.period(digest_day)
    window_days = max(CHART_DAYS, period.days + TRAILING_DAYS)
    month_start = min(period.first_day, period.last_day.replace(day=1))
    with db.read() as uow:
        queries = uow.digest
        days = _Days(queries, period.last_day - timedelta(days=window_days - 1), window_days, plan)
        week_start, last_week_start = days.bounds[-8], days.bounds[-15]
        before_start = local_midnight(period.first_day - timedelta(days=TRAILING_DAYS), plan.zone)
        work = _Work(
            queries, [period.start, week_start, local_midnight(month_start, plan.zone)], period.end
        )
        waits = queries.minutes_since_arrival(
            [EventKind.CLAIMED, EventKind.CLOSED], period.start, period.end
        )
        stride = max(1, math.ceil(sum(days.new[-CHART_DAYS:]) / THEME_SAMPLE))
        # A period is a week at most, so the 7 days before it start within the themes' window.
        privacy = stored_privacy(uow)
        masker = Masker(privacy.patterns)
        rows = [
            _masked(row, masker) for row in queries.arrivals(last_week_start, period.end, stride)
        ]
        waiting, oldest = queries.waiting(period.end, OLDEST_OPEN)
        fixes = fix_loop(queries.issue_links(week_start), week_start, masker)
        csat = Csat(
            tuple(queries.csat_scores(week_start, period.end)),
            tuple(queries.csat_scores(last_week_start, week_start)),
        )
    if privacy.sensitive_elsewhere == "nothing":
        oldest = [row for row in oldest if row.sensitive_rule is None]
    vectors = item_vectors(db, embedder or default_embedder(), rows, now)
    themes = find_themes(rows, vectors, Windows(period.start, week_start, last_week_start), stride)
    scored = score(rows)
    in_period = [s for s in scored if s.row.arrived >= period.start]
    sentiment = mix(in_period, stride)
    before = mix([s for s in scored if before_start <= s.row.arrived < period.start], stride)
    counts = Counts(
        new=days.flow(days.new, period.days),
        claimed=days.flow(days.claimed, period.days),
        closed=days.flow(days.closed, period.days),
        still_open=days.level(period.days),
    )
    return Digest(
        period=period,
        generated_at=now,
        counts=counts,
        themes=themes,
        sentiment=sentiment,
        sentiment_before=before,
        quotes=pick_quotes(in_period, themes, mask=plan.mask_customers),
        waiting=waiting,
        oldest_open=tuple(_open_item(row, now, masker) for row in oldest),
        people=work.people(period.start),
        helpers=_leaderboard(work.since(period.start)),
        helpers_week=_leaderboard(work.since(week_start)),
        distinct_helpers_month=work.people(local_midnight(month_start, plan.zone)),
        month_start=month_start,
        median_minutes_to_claim=_median([m for k, m in waits if k is EventKind.CLAIMED]),
        median_minutes_to_close=_median([m for k, m in waits if k is EventKind.CLOSED]),
        volume=days.chart(),
        sampled=stride > 1,
        # Clusters are found afresh each day, so only tags, fixed words, compete as moves.
        shifts=biggest_shifts(counts, [t for t in themes if t.source == "tag"], sentiment, before),
        fixes=fixes,
        csat=csat,
    )


class _Work:
    """Everyone's work up to the period's end, read once and split by where it began."""

    def __init__(self, queries: DigestQueries, starts: list[datetime], end: datetime) -> None:
        self._cuts = [*sorted(set(starts)), end]
        self._rows = queries.work_by_person(self._cuts, WORK, PEOPLE_PLATFORMS)

    def since(self, start: datetime) -> list[HelperRow]:
        return [row for row in self._rows if self._cuts[row.stretch] >= start]

    def people(self, start: datetime) -> int:
        return len({row.person_id for row in self.since(start)})


def _leaderboard(rows: Iterable[HelperRow]) -> tuple[Helper, ...]:
    """People by claims plus closes, then by their other updates, most first."""
    tally: dict[int, dict[EventKind, int]] = defaultdict(lambda: defaultdict(int))
    names: dict[int, tuple[str, str | None]] = {}
    for row in rows:
        tally[row.person_id][row.kind] += row.count
        names[row.person_id] = (row.name, row.email)
    helpers = [
        Helper(
            names[pid][0],
            names[pid][1],
            kinds[EventKind.CLAIMED],
            kinds[EventKind.CLOSED],
            sum(kinds.values()) - kinds[EventKind.CLAIMED] - kinds[EventKind.CLOSED],
        )
        for pid, kinds in tally.items()
    ]
    helpers.sort(key=lambda h: (-h.claimed - h.closed, -h.closed, -h.other, h.name.lower()))
    return tuple(helpers[:LEADERBOARD])


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 1) if values else None


def _masked(row: ThemeRow, masker: Masker) -> ThemeRow:
    """The words themes and quotes are drawn from, personal data masked: a card number two
    customers both quoted must not become a theme."""
    return replace(row, title=masker.mask_optional(row.title), body=masker.mask(row.body))


def _open_item(row: WaitingRow, now: datetime, masker: Masker) -> OpenItem:
    """An item waiting longest; a sensitive one by its stub, never its words."""
    if row.sensitive_rule is not None:
        title = stub_title(row.sensitive_rule)
    else:
        title = masker.mask(row.title or row.body.strip().splitlines()[0])
    return OpenItem(
        id=row.id,
        ref=ref_for(row.id),
        title=shorten(" ".join(title.split()), TITLE_CHARS),
        kind=row.kind,
        severity=row.severity,
        source=row.source,
        received_at=row.arrived,
        waiting_minutes=max(0, int((now - row.arrived).total_seconds() // 60)),
    )
