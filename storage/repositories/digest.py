"""The digest's aggregate queries: a few grouped scans of the event log, whatever its size.

Every count comes from `events` (who did what, when), so the digest shows what happened rather
than the items' current state. Day buckets are passed in as UTC bounds, so the database never
needs to know the company time zone.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Integer, case, cast, distinct, func, select
from sqlalchemy.orm import Session

from bot.domain import EventKind
from bot.ports.records import HelperRow, ThemeRow
from storage.models import EventRow, FeedbackRow, PersonRow

BODY_CHARS = 2_000
WORK_KINDS = [k.value for k in EventKind if k is not EventKind.INGESTED]


class DigestQueries:
    def __init__(self, session: Session) -> None:
        self._session = session

    def arrivals_by_day(self, bounds: Sequence[datetime]) -> dict[tuple[int, str], int]:
        """{(day index, item kind): items ingested that day} for days bounds[i]..bounds[i+1]."""
        bucket = _bucket(bounds)
        rows = self._session.execute(
            select(bucket, FeedbackRow.kind, func.count())
            .join(FeedbackRow, FeedbackRow.id == EventRow.feedback_id)
            .where(_in_window(EventKind.INGESTED, bounds[0], bounds[-1]))
            .group_by(bucket, FeedbackRow.kind)
        )
        return {(int(day), kind): int(count) for day, kind, count in rows}

    def transitions_by_day(
        self, bounds: Sequence[datetime], kinds: Sequence[EventKind]
    ) -> dict[tuple[int, EventKind], int]:
        """{(day index, event kind): events that day}: claims, closes, reopens."""
        bucket = _bucket(bounds)
        rows = self._session.execute(
            select(bucket, EventRow.kind, func.count())
            .where(
                EventRow.kind.in_([k.value for k in kinds]),
                EventRow.at >= bounds[0],
                EventRow.at < bounds[-1],
            )
            .group_by(bucket, EventRow.kind)
        )
        return {(int(day), EventKind(kind)): int(count) for day, kind, count in rows}

    def backlog_at(self, moment: datetime) -> int:
        """Items not closed at `moment`: every arrival, less every close, plus every reopen.

        Exact because the service only closes open or claimed items and only reopens closed
        ones, each with one event.
        """
        weight = case(
            (EventRow.kind == EventKind.CLOSED.value, -1),
            else_=1,
        )
        total = self._session.scalar(
            select(func.coalesce(func.sum(weight), 0)).where(
                EventRow.kind.in_(
                    [EventKind.INGESTED.value, EventKind.CLOSED.value, EventKind.REOPENED.value]
                ),
                EventRow.at < moment,
            )
        )
        return int(total or 0)

    def helpers(self, since: datetime, period_start: datetime, end: datetime) -> list[HelperRow]:
        """Claims and closes per person from `since`, split at `period_start`."""
        in_period = case((EventRow.at >= period_start, 1), else_=0)
        rows = self._session.execute(
            select(PersonRow.id, PersonRow.name, PersonRow.email, EventRow.kind, in_period)
            .add_columns(func.count())
            .join(PersonRow, PersonRow.id == EventRow.actor_id)
            .where(
                EventRow.kind.in_([EventKind.CLAIMED.value, EventKind.CLOSED.value]),
                EventRow.at >= since,
                EventRow.at < end,
            )
            .group_by(PersonRow.id, PersonRow.name, PersonRow.email, EventRow.kind, in_period)
        )
        return [
            HelperRow(pid, name, email, EventKind(kind), bool(flag), int(count))
            for pid, name, email, kind, flag, count in rows
        ]

    def distinct_actors(self, start: datetime, end: datetime) -> int:
        """Different people who claimed, discussed, closed … anything (arrivals do not count)."""
        return int(
            self._session.scalar(
                select(func.count(distinct(EventRow.actor_id))).where(
                    EventRow.kind.in_(WORK_KINDS), EventRow.at >= start, EventRow.at < end
                )
            )
            or 0
        )

    def minutes_since_arrival(self, kind: EventKind, start: datetime, end: datetime) -> list[float]:
        """For each `kind` event in [start, end): minutes from the item's arrival to it."""
        rows = self._session.scalars(
            select(self._minutes_between(FeedbackRow.created_at, EventRow.at))
            .join(FeedbackRow, FeedbackRow.id == EventRow.feedback_id)
            .where(_in_window(kind, start, end))
        )
        return [float(minutes) for minutes in rows]

    def arrivals(self, start: datetime, end: datetime, stride: int) -> list[ThemeRow]:
        """Items ingested in [start, end); with stride n > 1 only every n-th id (a sample)."""
        query = (
            select(
                FeedbackRow.id,
                EventRow.at,
                FeedbackRow.title,
                func.substr(FeedbackRow.body, 1, BODY_CHARS),
                FeedbackRow.tags,
                FeedbackRow.source,
                FeedbackRow.customer_name,
                FeedbackRow.url,
            )
            .join(FeedbackRow, FeedbackRow.id == EventRow.feedback_id)
            .where(_in_window(EventKind.INGESTED, start, end))
        )
        if stride > 1:
            query = query.where(FeedbackRow.id % stride == 0)
        return [
            ThemeRow(item_id, at, title, body, list(tags or []), source, customer, url)
            for item_id, at, title, body, tags, source, customer, url in self._session.execute(
                query
            )
        ]

    def _minutes_between(self, earlier: Any, later: Any) -> ColumnElement[Any]:
        if self._session.get_bind().dialect.name == "postgresql":
            return func.extract("epoch", later - earlier) / 60.0
        return (func.julianday(later) - func.julianday(earlier)) * 1440.0


def _in_window(kind: EventKind, start: datetime, end: datetime) -> ColumnElement[bool]:
    return (EventRow.kind == kind.value) & (EventRow.at >= start) & (EventRow.at < end)


def _bucket(bounds: Sequence[datetime]) -> ColumnElement[int]:
    """Which day an event falls in: 0 for [bounds[0], bounds[1]), 1 for the next …"""
    whens = [(EventRow.at < bound, index) for index, bound in enumerate(bounds[1:])]
    return cast(case(*whens, else_=len(bounds) - 1), Integer)
