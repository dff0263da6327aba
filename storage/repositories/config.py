"""Configuration values by key, each change audited in the same transaction."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.domain import Platform
from bot.ports.records import AuditEntry
from storage.models import AuditRow, ConfigRow
from storage.repositories.people import PeopleRepository


class ConfigRepository:
    def __init__(self, session: Session, people: PeopleRepository) -> None:
        self._session = session
        self._people = people

    def get(self, key: str) -> dict[str, Any] | None:
        row = self._session.get(ConfigRow, key)
        return dict(row.value) if row else None

    def all(self) -> dict[str, dict[str, Any]]:
        return {row.key: dict(row.value) for row in self._session.scalars(select(ConfigRow))}

    def put(
        self,
        key: str,
        value: dict[str, Any],
        actor_id: int | None,
        platform: Platform,
        now: datetime,
        redact: Callable[[dict[str, Any]], dict[str, Any]] = dict,
    ) -> dict[str, Any]:
        """Set `key`; returns the old value ({} when unset). Writes the audit row too, through
        `redact`, so secrets never reach the audit trail."""
        row = self._session.get(ConfigRow, key, with_for_update=True)
        old = dict(row.value) if row else {}
        if row is None:
            self._session.add(ConfigRow(key=key, value=value, updated_at=now))
        else:
            row.value, row.updated_at = value, now
        self._session.add(
            AuditRow(
                key=key,
                old=redact(old),
                new=redact(value),
                actor_id=actor_id,
                platform=platform.value,
                at=now,
            )
        )
        self._session.flush()
        return old

    def audit(self, limit: int = 50) -> list[AuditEntry]:
        rows = self._session.scalars(select(AuditRow).order_by(AuditRow.id.desc()).limit(limit))
        return [
            AuditEntry(
                r.id,
                r.key,
                r.old,
                r.new,
                self._people.get(r.actor_id) if r.actor_id is not None else None,
                Platform(r.platform),
                r.at,
            )
            for r in rows
        ]
