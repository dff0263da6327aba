"""Run claims and delivery ids: what makes a job, or a platform delivery, happen once."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.domain import Platform
from bot.ports.records import RunClaim
from storage.models import InboundDeliveryRow, JobRunRow
from storage.plans import insert_for
from storage.repositories.sql import insert_returning, table_of


class JobRepository:
    """Claims that make a job, or a platform delivery, happen once across every replica."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def claim_run(self, job: str, key: str, owner: str, now: datetime) -> bool:
        inserted = self._session.scalar(
            insert_for(self._session, table_of(JobRunRow))
            .values(job=job, key=key, owner=owner, started_at=now, finished_at=None)
            .on_conflict_do_nothing(index_elements=["job", "key"])
            .returning(JobRunRow.job)
        )
        return inserted is not None

    def finish_run(self, job: str, key: str, now: datetime) -> None:
        self._session.execute(
            update(JobRunRow)
            .where(JobRunRow.job == job, JobRunRow.key == key)
            .values(finished_at=now)
        )

    def forget_runs(self, job: str, started_before: datetime) -> int:
        old = (
            table_of(JobRunRow)
            .delete()
            .where(JobRunRow.job == job, JobRunRow.started_at < started_before)
        )
        return int(self._session.execute(old).rowcount)  # type: ignore[attr-defined]

    def release_run(self, job: str, key: str) -> None:
        """Give an unfinished run back, so a later attempt may claim it."""
        self._session.execute(
            table_of(JobRunRow)
            .delete()
            .where(JobRunRow.job == job, JobRunRow.key == key, JobRunRow.finished_at.is_(None))
        )

    def claims(self, job: str, keys: Iterable[str]) -> list[RunClaim]:
        rows = self._session.execute(
            select(JobRunRow.key, JobRunRow.owner, JobRunRow.finished_at).where(
                JobRunRow.job == job, JobRunRow.key.in_(list(keys))
            )
        )
        return [RunClaim(key, owner, finished is not None) for key, owner, finished in rows]

    def first_delivery(self, platform: Platform, delivery_id: str, now: datetime) -> bool:
        """True the first time a platform delivery id is seen; False for every retry."""
        row = {"platform": platform.value, "delivery_id": delivery_id, "at": now}
        conflict = ["platform", "delivery_id"]
        table = table_of(InboundDeliveryRow)
        return insert_returning(self._session, table, row, "delivery_id", conflict) is not None

    def forget_deliveries(self, seen_before: datetime) -> int:
        """Delete delivery ids first seen before `seen_before`; how many."""
        old = table_of(InboundDeliveryRow).delete().where(InboundDeliveryRow.at < seen_before)
        return int(self._session.execute(old).rowcount)  # type: ignore[attr-defined]
