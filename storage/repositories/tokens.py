"""API tokens, kept as hashes only."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.ports.records import TokenInfo
from storage.models import ApiTokenRow
from storage.plans import insert_for
from storage.repositories.sql import table_of


class TokenRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, name: str, token_hash: str, now: datetime) -> bool:
        inserted = self._session.scalar(
            insert_for(self._session, table_of(ApiTokenRow))
            .values(name=name, token_hash=token_hash, created_at=now, revoked_at=None)
            .on_conflict_do_nothing()
            .returning(ApiTokenRow.id)
        )
        return inserted is not None

    def name_for_hash(self, token_hash: str) -> str | None:
        return self._session.scalar(
            select(ApiTokenRow.name).where(
                ApiTokenRow.token_hash == token_hash, ApiTokenRow.revoked_at.is_(None)
            )
        )

    def all(self) -> list[TokenInfo]:
        rows = self._session.scalars(select(ApiTokenRow).order_by(ApiTokenRow.name, ApiTokenRow.id))
        return [TokenInfo(r.name, r.created_at, r.revoked_at) for r in rows]

    def revoke(self, name: str, now: datetime) -> bool:
        result = self._session.execute(
            update(ApiTokenRow)
            .where(ApiTokenRow.name == name, ApiTokenRow.revoked_at.is_(None))
            .values(revoked_at=now)
        )
        return bool(result.rowcount == 1)  # type: ignore[attr-defined]
