"""Items' links to the tracker issues that fix them, and the trackers that say when one ships."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from bot.domain import Link, LinkStatus
from bot.ports.records import StoredTracker
from storage.models import FeedbackLinkRow, TrackerRow
from storage.plans import insert_for
from storage.repositories.sql import flush_pending, table_of


class LinkRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, feedback_id: int, url: str, title: str, now: datetime) -> bool:
        inserted = self._session.scalar(
            insert_for(self._session, table_of(FeedbackLinkRow))
            .values(
                feedback_id=feedback_id,
                url=url,
                title=title,
                status=LinkStatus.OPEN.value,
                awaiting_reply=False,
                reopened=False,
                created_at=now,
                updated_at=now,
            )
            .on_conflict_do_nothing(index_elements=["feedback_id", "url"])
            .returning(FeedbackLinkRow.id)
        )
        return inserted is not None

    def for_items(self, item_ids: Sequence[int]) -> dict[int, tuple[Link, ...]]:
        if not item_ids:
            return {}
        flush_pending(self._session)
        rows = self._session.scalars(
            select(FeedbackLinkRow)
            .where(FeedbackLinkRow.feedback_id.in_(item_ids))
            .order_by(FeedbackLinkRow.id)
        )
        found: dict[int, tuple[Link, ...]] = {}
        for row in rows:
            status = LinkStatus(row.status)
            link = Link(row.url, row.title, status, row.awaiting_reply, row.reopened)
            found[row.feedback_id] = (*found.get(row.feedback_id, ()), link)
        return found

    def items_linked(self, url: str) -> list[int]:
        query = select(FeedbackLinkRow.feedback_id).where(FeedbackLinkRow.url == url)
        return list(self._session.scalars(query.order_by(FeedbackLinkRow.feedback_id)))

    def set_status(
        self, feedback_id: int, url: str, title: str, status: LinkStatus, now: datetime
    ) -> bool:
        """The issue's new status (closed: the customer awaits a reply; open: reopened);
        False when the link had it already."""
        result = self._session.execute(
            update(FeedbackLinkRow)
            .where(
                FeedbackLinkRow.feedback_id == feedback_id,
                FeedbackLinkRow.url == url,
                FeedbackLinkRow.status != status.value,
            )
            .values(
                status=status.value,
                title=title,
                awaiting_reply=status is LinkStatus.CLOSED,
                reopened=status is LinkStatus.OPEN,
                updated_at=now,
            )
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]


class TrackerRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, tracker: StoredTracker) -> bool:
        inserted = self._session.scalar(
            insert_for(self._session, table_of(TrackerRow))
            .values(
                name=tracker.name,
                kind=tracker.kind,
                sealed_secret=tracker.sealed_secret,
                created_at=tracker.created_at,
            )
            .on_conflict_do_nothing(index_elements=["name"])
            .returning(TrackerRow.name)
        )
        return inserted is not None

    def get(self, name: str) -> StoredTracker | None:
        row = self._session.get(TrackerRow, name)
        return _stored(row) if row else None

    def all(self) -> list[StoredTracker]:
        rows = self._session.scalars(select(TrackerRow).order_by(TrackerRow.name))
        return [_stored(row) for row in rows]

    def remove(self, name: str) -> bool:
        result = self._session.execute(delete(TrackerRow).where(TrackerRow.name == name))
        return bool(result.rowcount)  # type: ignore[attr-defined]


def _stored(row: TrackerRow) -> StoredTracker:
    return StoredTracker(row.name, row.kind, row.sealed_secret, row.created_at)
