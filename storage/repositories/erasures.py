"""Erasure jobs: one person's erasure as it goes, leased to the process doing it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from bot.domain import Platform
from bot.ports.privacy import ErasureJob, Lease
from storage.models import AuditRow, ErasureRow

AUDIT_KEY = "customer.forget"


def _job(row: ErasureRow) -> ErasureJob:
    assert row.email is not None
    return ErasureJob(row.id, row.email, {k: int(v) for k, v in row.counts.items()})


class ErasureRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def start(
        self, email: str, actor_id: int | None, platform: Platform, lease: Lease
    ) -> ErasureJob | None:
        running = self._session.scalar(
            select(ErasureRow.id).where(ErasureRow.email == email, ErasureRow.finished_at.is_(None))
        )
        if running is not None:
            return self._lease(running, lease)
        row = ErasureRow(
            email=email,
            actor_id=actor_id,
            platform=platform.value,
            counts={},
            owner=lease.owner,
            leased_until=lease.until,
            started_at=lease.now,
            finished_at=None,
        )
        self._session.add(row)
        self._session.flush()
        return _job(row)

    def take(self, lease: Lease) -> ErasureJob | None:
        candidates = self._session.scalars(
            select(ErasureRow.id)
            .where(ErasureRow.finished_at.is_(None), ErasureRow.leased_until < lease.now)
            .order_by(ErasureRow.id)
            .limit(5)
        )
        for job_id in list(candidates):
            job = self._lease(job_id, lease)
            if job is not None:
                return job
        return None

    def _lease(self, job_id: int, lease: Lease) -> ErasureJob | None:
        """One guarded update: the job becomes `owner`'s only if nobody holds it now."""
        taken = self._session.execute(
            update(ErasureRow)
            .where(
                ErasureRow.id == job_id,
                ErasureRow.finished_at.is_(None),
                or_(ErasureRow.leased_until < lease.now, ErasureRow.owner == lease.owner),
            )
            .values(owner=lease.owner, leased_until=lease.until)
        )
        if taken.rowcount != 1:  # type: ignore[attr-defined]
            return None
        row = self._session.get(ErasureRow, job_id, populate_existing=True)
        return _job(row) if row is not None else None

    def progress(self, job_id: int, counts: dict[str, int], owner: str, until: datetime) -> bool:
        moved = self._session.execute(
            update(ErasureRow)
            .where(
                ErasureRow.id == job_id,
                ErasureRow.owner == owner,
                ErasureRow.finished_at.is_(None),
            )
            .values(counts=counts, leased_until=until)
        )
        return bool(moved.rowcount == 1)  # type: ignore[attr-defined]

    def finish(self, job_id: int, counts: dict[str, int], now: datetime) -> bool:
        done = self._session.execute(
            update(ErasureRow)
            .where(ErasureRow.id == job_id, ErasureRow.finished_at.is_(None))
            .values(counts=counts, email=None, owner=None, leased_until=None, finished_at=now)
        )
        if done.rowcount != 1:  # type: ignore[attr-defined]
            return False
        row = self._session.get(ErasureRow, job_id)
        assert row is not None
        self._session.add(
            AuditRow(
                key=AUDIT_KEY,
                old={},
                new={"erasure": job_id, "counts": counts},
                actor_id=row.actor_id,
                platform=row.platform,
                at=now,
            )
        )
        self._session.flush()
        return True
