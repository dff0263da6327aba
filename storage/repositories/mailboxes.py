"""Polled mailboxes: how far each was read, and the lease that lets one process read it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from bot.ports.records import MailboxPosition
from storage.models import MailboxStateRow
from storage.plans import insert_for
from storage.repositories.sql import table_of


class MailboxRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def claim(
        self, source: str, owner: str, now: datetime, until: datetime
    ) -> MailboxPosition | None:
        """One conditional update decides who reads: the holder renews, anyone takes a lease
        that ran out (or was given back); on PostgreSQL the row lock orders racing claims."""
        self._session.execute(
            insert_for(self._session, table_of(MailboxStateRow))
            .values(source=source, uidvalidity=None, last_uid=0, owner=None, leased_until=None)
            .on_conflict_do_nothing(index_elements=["source"])
        )
        taken = self._session.execute(
            update(MailboxStateRow)
            .where(
                MailboxStateRow.source == source,
                or_(
                    MailboxStateRow.owner == owner,
                    MailboxStateRow.owner.is_(None),
                    MailboxStateRow.leased_until < now,
                ),
            )
            .values(owner=owner, leased_until=until)
        )
        if taken.rowcount != 1:  # type: ignore[attr-defined]
            return None
        return self.position(source)

    def advance(
        self, source: str, owner: str, uidvalidity: int, last_uid: int, until: datetime
    ) -> bool:
        moved = self._session.execute(
            update(MailboxStateRow)
            .where(MailboxStateRow.source == source, MailboxStateRow.owner == owner)
            .values(uidvalidity=uidvalidity, last_uid=last_uid, leased_until=until)
        )
        return bool(moved.rowcount == 1)  # type: ignore[attr-defined]

    def release(self, source: str, owner: str) -> None:
        self._session.execute(
            update(MailboxStateRow)
            .where(MailboxStateRow.source == source, MailboxStateRow.owner == owner)
            .values(owner=None, leased_until=None)
        )

    def position(self, source: str) -> MailboxPosition | None:
        row = self._session.execute(
            select(MailboxStateRow.uidvalidity, MailboxStateRow.last_uid).where(
                MailboxStateRow.source == source
            )
        ).first()
        return MailboxPosition(row[0], int(row[1])) if row else None

    def forget(self, source: str) -> None:
        self._session.execute(delete(MailboxStateRow).where(MailboxStateRow.source == source))
