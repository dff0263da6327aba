"""Token buckets in the database: one guarded UPDATE spends, so replicas share one rate."""

from __future__ import annotations

from typing import Any

from sqlalchemy import case, select, update
from sqlalchemy.orm import Session

from storage.models import RateBucketRow
from storage.plans import insert_for
from storage.repositories.sql import table_of

_BUCKET = RateBucketRow


def _level(tokens: Any, refilled_at: Any, rate: float, burst: float, now: float) -> Any:
    """What the bucket holds at `now`: refilled since `refilled_at`, never above `burst`. A
    replica whose clock is behind the last spender's refills nothing rather than draining."""
    elapsed = case((refilled_at < now, now - refilled_at), else_=0.0)
    refilled = tokens + elapsed * rate
    return case((refilled > burst, burst), else_=refilled)


class RateBucketRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def spend(self, key: str, cost: float, rate: float, burst: float, now: float) -> float:
        if self._take(key, cost, rate, burst, now):
            return 0.0
        row = self._row(key)
        if row is None and cost <= burst:
            if self._open(key, burst - cost, now):
                return 0.0
            if self._take(key, cost, rate, burst, now):  # opened by another replica meanwhile
                return 0.0
            row = self._row(key)
        tokens, refilled_at = row or (burst, now)  # never opened: as full as a bucket gets
        level = min(burst, tokens + max(0.0, now - refilled_at) * rate)
        return (cost - level) / rate

    def _take(self, key: str, cost: float, rate: float, burst: float, now: float) -> bool:
        level = _level(_BUCKET.tokens, _BUCKET.refilled_at, rate, burst, now)
        result = self._session.execute(
            update(_BUCKET)
            .where(_BUCKET.key == key, level >= cost)
            .values(
                tokens=level - cost,
                refilled_at=case((_BUCKET.refilled_at < now, now), else_=_BUCKET.refilled_at),
            )
        )
        return bool(result.rowcount == 1)  # type: ignore[attr-defined]

    def _row(self, key: str) -> tuple[float, float] | None:
        row = self._session.execute(
            select(_BUCKET.tokens, _BUCKET.refilled_at).where(_BUCKET.key == key)
        ).first()
        return None if row is None else (row.tokens, row.refilled_at)

    def _open(self, key: str, tokens: float, now: float) -> bool:
        """A new bucket holding `tokens`; False when another process opened it first."""
        opened = self._session.scalar(
            insert_for(self._session, table_of(_BUCKET))
            .values(key=key, tokens=tokens, refilled_at=now)
            .on_conflict_do_nothing()
            .returning(_BUCKET.key)
        )
        return opened is not None
