"""API tokens, kept as hashes only, with what each may do."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.ports.records import TokenGrant, TokenInfo, TokenScope
from storage.models import ApiTokenRow
from storage.plans import insert_for
from storage.repositories.sql import table_of

_LIVE = ApiTokenRow.revoked_at.is_(None)


def _scope(sources: list[str] | None, can_read: bool, can_erase: bool) -> TokenScope:
    return TokenScope(None if sources is None else frozenset(sources), can_read, can_erase)


class TokenRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, name: str, token_hash: str, scope: TokenScope, now: datetime) -> bool:
        sources = None if scope.sources is None else sorted(scope.sources)
        inserted = self._session.scalar(
            insert_for(self._session, table_of(ApiTokenRow))
            .values(
                name=name,
                token_hash=token_hash,
                created_at=now,
                revoked_at=None,
                sources=sources,
                can_read=scope.read,
                can_erase=scope.erase,
            )
            .on_conflict_do_nothing()
            .returning(ApiTokenRow.id)
        )
        return inserted is not None

    def grant_for_hash(self, token_hash: str) -> TokenGrant | None:
        row = self._session.execute(
            select(
                ApiTokenRow.name, ApiTokenRow.sources, ApiTokenRow.can_read, ApiTokenRow.can_erase
            ).where(ApiTokenRow.token_hash == token_hash, _LIVE)
        ).first()
        return (
            None
            if row is None
            else TokenGrant(row.name, _scope(row.sources, row.can_read, row.can_erase))
        )

    def scope_of(self, name: str) -> TokenScope | None:
        row = self._session.execute(
            select(ApiTokenRow.sources, ApiTokenRow.can_read, ApiTokenRow.can_erase).where(
                ApiTokenRow.name == name, _LIVE
            )
        ).first()
        return None if row is None else _scope(row.sources, row.can_read, row.can_erase)

    def all(self) -> list[TokenInfo]:
        rows = self._session.scalars(select(ApiTokenRow).order_by(ApiTokenRow.name, ApiTokenRow.id))
        return [
            TokenInfo(
                r.name, r.created_at, r.revoked_at, _scope(r.sources, r.can_read, r.can_erase)
            )
            for r in rows
        ]

    def revoke(self, name: str, now: datetime) -> bool:
        result = self._session.execute(
            update(ApiTokenRow).where(ApiTokenRow.name == name, _LIVE).values(revoked_at=now)
        )
        return bool(result.rowcount == 1)  # type: ignore[attr-defined]
