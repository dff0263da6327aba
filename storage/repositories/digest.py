"""The digest's aggregate queries: a few grouped scans of the items and the event log.

Arrivals are counted from the items themselves, on the day the customer wrote (see
`bot.ports.repositories.DigestQueries`); everything people did comes from `events` (who did
what, when), so the digest shows what happened rather than the items' current state. Day
buckets are passed in as UTC bounds, so the database never needs to know the company time zone.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Integer, SQLColumnExpression, case, cast, func, select
from sqlalchemy.orm import Session

from bot.domain import EventKind, Kind, LinkStatus, Platform, Severity, State
from bot.ports.records import HelperRow, IssueLinkRow, ThemeRow, WaitingRow
from storage.models import EventRow, FeedbackLinkRow, FeedbackRow, PersonRow

BODY_CHARS = 2_000


class DigestQueries:
    def __init__(self, session: Session) -> None:
        self._session = session

    def arrivals_by_day(self, bounds: Sequence[datetime]) -> dict[tuple[int, str], int]:
        """{(day index, item kind): items that arrived that day} for days bounds[i]..bounds[i+1]."""
        bucket = _bucket(_arrival(), bounds)
        rows = self._session.execute(
            select(bucket, FeedbackRow.kind, func.count())
            .where(_arrived_in(bounds[0], bounds[-1]))
            .group_by(bucket, FeedbackRow.kind)
        )
        return {(int(day), kind): int(count) for day, kind, count in rows}

    def transitions_by_day(
        self, bounds: Sequence[datetime], kinds: Sequence[EventKind]
    ) -> dict[tuple[int, EventKind], int]:
        """{(day index, event kind): events that day}: claims, closes, reopens."""
        bucket = _bucket(EventRow.at, bounds)
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
        ones, each with one event, and an item arrives no later than it was stored.
        """
        arrived = self._session.scalar(select(func.count()).where(_arrival() < moment))
        weight = case((EventRow.kind == EventKind.CLOSED.value, -1), else_=1)
        moved = self._session.scalar(
            select(func.coalesce(func.sum(weight), 0)).where(
                EventRow.kind.in_([EventKind.CLOSED.value, EventKind.REOPENED.value]),
                EventRow.at < moment,
            )
        )
        return int(arrived or 0) + int(moved or 0)

    def work_by_person(
        self, bounds: Sequence[datetime], kinds: Sequence[EventKind], platforms: Sequence[Platform]
    ) -> list[HelperRow]:
        """Events of `kinds` made from `platforms`, per person and per stretch of time: stretch
        i is [bounds[i], bounds[i+1])."""
        stretch = _bucket(EventRow.at, bounds)
        rows = self._session.execute(
            select(PersonRow.id, PersonRow.name, PersonRow.email, EventRow.kind, stretch)
            .add_columns(func.count())
            .join(PersonRow, PersonRow.id == EventRow.actor_id)
            .where(
                EventRow.kind.in_([k.value for k in kinds]),
                EventRow.platform.in_([p.value for p in platforms]),
                EventRow.at >= bounds[0],
                EventRow.at < bounds[-1],
            )
            .group_by(PersonRow.id, PersonRow.name, PersonRow.email, EventRow.kind, stretch)
        )
        return [
            HelperRow(pid, name, email, EventKind(kind), int(index), int(count))
            for pid, name, email, kind, index, count in rows
        ]

    def minutes_since_arrival(
        self, kinds: Sequence[EventKind], start: datetime, end: datetime
    ) -> list[tuple[EventKind, float]]:
        """For each event of `kinds` in [start, end): minutes from its item's arrival to it."""
        rows = self._session.execute(
            select(EventRow.kind, self._minutes_between(_arrival(), EventRow.at))
            .join(FeedbackRow, FeedbackRow.id == EventRow.feedback_id)
            .where(
                EventRow.kind.in_([k.value for k in kinds]),
                EventRow.at >= start,
                EventRow.at < end,
            )
        )
        return [(EventKind(kind), float(minutes)) for kind, minutes in rows]

    def csat_scores(self, start: datetime, end: datetime) -> list[int]:
        rows = self._session.execute(
            select(EventRow.feedback_id, EventRow.data)
            .where(
                EventRow.kind == EventKind.CSAT_RATED.value,
                EventRow.at >= start,
                EventRow.at < end,
            )
            .order_by(EventRow.at, EventRow.id)
        )
        latest = {item_id: int(data["score"]) for item_id, data in rows}
        return list(latest.values())

    def arrivals(self, start: datetime, end: datetime, stride: int) -> list[ThemeRow]:
        """Items that arrived in [start, end); with stride n > 1 only every n-th id (a sample)."""
        query = select(
            FeedbackRow.id,
            _arrival(),
            FeedbackRow.title,
            func.substr(FeedbackRow.body, 1, BODY_CHARS),
            FeedbackRow.tags,
            FeedbackRow.source,
            FeedbackRow.customer_name,
            FeedbackRow.url,
            FeedbackRow.kind,
            FeedbackRow.severity,
        ).where(_arrived_in(start, end), FeedbackRow.sensitive_rule.is_(None))
        if stride > 1:
            query = query.where(FeedbackRow.id % stride == 0)
        return [
            ThemeRow(
                item_id,
                at,
                title,
                body,
                list(tags or []),
                source,
                customer,
                url,
                Kind(kind),
                Severity(severity),
            )
            for item_id, at, title, body, tags, source, customer, url, kind, severity in (
                self._session.execute(query)
            )
        ]

    def waiting(self, end: datetime, limit: int) -> tuple[int, list[WaitingRow]]:
        """Items open and unclaimed now that had arrived and were not closed at `end`.

        An item was closed at `end` when it had more closes than reopens before it (the two
        alternate). Only an item reopened since can be open now and have been closed then, so
        only those few are counted through. The list follows `received_at` (the index's order),
        which is the arrival for every item but one whose source's clock ran ahead.
        """
        reopened_since = self._session.scalars(
            select(EventRow.feedback_id)
            .where(EventRow.kind == EventKind.REOPENED.value, EventRow.at >= end)
            .distinct()
        ).all()
        net = func.sum(case((EventRow.kind == EventKind.CLOSED.value, 1), else_=-1))
        closed_then = self._session.scalars(
            select(EventRow.feedback_id)
            .where(
                EventRow.feedback_id.in_(reopened_since),
                EventRow.kind.in_([EventKind.CLOSED.value, EventKind.REOPENED.value]),
                EventRow.at < end,
            )
            .group_by(EventRow.feedback_id)
            .having(net > 0)
        ).all()
        chosen = (
            FeedbackRow.state == State.OPEN.value,
            _arrived_before(end),
            FeedbackRow.id.not_in(closed_then),
        )
        count = self._session.scalar(select(func.count()).where(*chosen))
        rows = self._session.execute(
            select(
                FeedbackRow.id,
                FeedbackRow.title,
                func.substr(FeedbackRow.body, 1, BODY_CHARS),
                FeedbackRow.kind,
                FeedbackRow.severity,
                FeedbackRow.source,
                _arrival(),
                FeedbackRow.sensitive_rule,
            )
            .where(*chosen)
            .order_by(FeedbackRow.received_at, FeedbackRow.id)
            .limit(limit)
        )
        return int(count or 0), [
            WaitingRow(item_id, title, body, Kind(kind), Severity(severity), source, arrived, rule)
            for item_id, title, body, kind, severity, source, arrived, rule in rows
        ]

    def issue_links(self, closed_since: datetime | None) -> list[IssueLinkRow]:
        shown = FeedbackLinkRow.status == LinkStatus.OPEN.value
        if closed_since is not None:
            shown = shown | (FeedbackLinkRow.updated_at >= closed_since)
        rows = self._session.execute(
            select(
                FeedbackLinkRow.url,
                FeedbackLinkRow.title,
                FeedbackLinkRow.status,
                FeedbackLinkRow.awaiting_reply,
                FeedbackLinkRow.updated_at,
                FeedbackLinkRow.feedback_id,
                func.lower(FeedbackRow.customer_email),
            )
            .join(FeedbackRow, FeedbackRow.id == FeedbackLinkRow.feedback_id)
            .where(shown)
            .order_by(FeedbackLinkRow.id)
        )
        return [
            IssueLinkRow(url, title, LinkStatus(status), waiting, at, item_id, email)
            for url, title, status, waiting, at, item_id, email in rows
        ]

    def _minutes_between(self, earlier: Any, later: Any) -> ColumnElement[Any]:
        if self._session.get_bind().dialect.name == "postgresql":
            return func.extract("epoch", later - earlier) / 60.0
        return (func.julianday(later) - func.julianday(earlier)) * 1440.0


def _arrival() -> ColumnElement[datetime]:
    """When the customer wrote, never later than when All Hands stored the item."""
    return case(
        (FeedbackRow.received_at < FeedbackRow.created_at, FeedbackRow.received_at),
        else_=FeedbackRow.created_at,
    )


def _arrived_before(end: datetime) -> ColumnElement[bool]:
    """`_arrival() < end`, said so that the database can use its `received_at` indexes."""
    return (FeedbackRow.received_at < end) | (
        (FeedbackRow.received_at >= end) & (FeedbackRow.created_at < end)
    )


def _arrived_in(start: datetime, end: datetime) -> ColumnElement[bool]:
    """Arrived in [start, end); the `received_at` bound lets the database use its index."""
    return (FeedbackRow.received_at >= start) & (_arrival() >= start) & (_arrival() < end)


def _bucket(at: SQLColumnExpression[datetime], bounds: Sequence[datetime]) -> ColumnElement[int]:
    """Which day `at` falls in: 0 for [bounds[0], bounds[1]), 1 for the next …"""
    whens = [(at < bound, index) for index, bound in enumerate(bounds[1:])]
    return cast(case(*whens, else_=len(bounds) - 1), Integer)
