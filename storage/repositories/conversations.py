"""Where a chat platform lets the bot write on its own: Teams conversation references (service
URL, tenant, bot id, captured at install time) and each user's chat id (29:…), for every
replica to post and refresh cards proactively."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from storage.models import TeamsConversationRow, TeamsUserRow
from storage.plans import insert_for
from storage.repositories.sql import table_of

_CONVERSATIONS: Table = table_of(TeamsConversationRow)
_USERS: Table = table_of(TeamsUserRow)


class ConversationRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def remember(
        self, conversation_id: str, reference: dict[str, Any], team_id: str | None, now: datetime
    ) -> None:
        """Store, or refresh (service URLs change), one conversation's reference."""
        values = {"reference": reference, "team_id": team_id, "updated_at": now}
        self._session.execute(
            insert_for(self._session, _CONVERSATIONS)
            .values(id=conversation_id, **values)
            .on_conflict_do_update(index_elements=["id"], set_=values)
        )

    def newest_team(self) -> str | None:
        team: str | None = self._session.scalar(
            select(TeamsConversationRow.team_id)
            .where(TeamsConversationRow.team_id.is_not(None))
            .order_by(TeamsConversationRow.updated_at.desc())
            .limit(1)
        )
        return team

    def references(self) -> list[tuple[str, str | None, dict[str, Any]]]:
        rows = self._session.execute(
            select(
                TeamsConversationRow.id,
                TeamsConversationRow.team_id,
                TeamsConversationRow.reference,
            ).order_by(TeamsConversationRow.updated_at.desc())
        ).all()
        return [(row.id, row.team_id, dict(row.reference)) for row in rows]

    def remember_user(self, account_id: str, chat_id: str, now: datetime) -> None:
        values = {"user_id": chat_id, "updated_at": now}
        self._session.execute(
            insert_for(self._session, _USERS)
            .values(aad_object_id=account_id, **values)
            .on_conflict_do_update(index_elements=["aad_object_id"], set_=values)
        )

    def chat_ids(self, account_ids: Sequence[str]) -> list[str]:
        if not account_ids:
            return []
        return list(
            self._session.scalars(
                select(TeamsUserRow.user_id).where(TeamsUserRow.aad_object_id.in_(account_ids))
            )
        )
