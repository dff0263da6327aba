"""Where the bot can reach Teams, kept in the database because every replica posts proactively.

Teams lets a bot write to a channel only with a conversation reference (service URL, tenant,
bot id) captured when the app was installed, and refreshes a card automatically only for the
chat ids (29:...) it lists. Both are this adapter's own bookkeeping, so the queries live here
rather than in the platform-neutral repositories.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Table, select

from bot.domain import Feedback, Platform, State
from bot.ports.chat import Clock
from storage.models import TeamsConversationRow, TeamsUserRow
from storage.plans import insert_for
from storage.uow import Database

THREAD_MARKER = ";messageid="
_CONVERSATIONS: Table = TeamsConversationRow.__table__  # type: ignore[assignment]
_USERS: Table = TeamsUserRow.__table__  # type: ignore[assignment]


def channel_of(conversation_id: str) -> str:
    """`19:abc@thread.tacv2;messageid=123` → `19:abc@thread.tacv2` (the thread's channel)."""
    return conversation_id.split(THREAD_MARKER, 1)[0]


def thread_root(conversation_id: str) -> str | None:
    """The id of the post a channel reply belongs to, if the conversation is a thread."""
    parts = conversation_id.split(THREAD_MARKER, 1)
    return parts[1] if len(parts) == 2 else None


class TeamsDirectory:
    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock
        self._known_users: dict[str, str] = {}

    def remember_conversation(self, reference: dict[str, Any], team_id: str | None) -> None:
        """Store (or refresh: service URLs change) a serialized ConversationReference."""
        conversation_id = channel_of(str(reference["conversation"]["id"]))
        reference = {
            **reference,
            "conversation": {**reference["conversation"], "id": conversation_id},
        }
        values = {"reference": reference, "team_id": team_id, "updated_at": self._clock.now()}
        with self._db.write() as uow:
            uow.session.execute(
                insert_for(uow.session, _CONVERSATIONS)
                .values(id=conversation_id, **values)
                .on_conflict_do_update(index_elements=["id"], set_=values)
            )
            uow.commit()

    def general_channel(self) -> str | None:
        """The General channel of the team the app was last installed in (it has the team's
        id): where cards go when ALLHANDS_TEAMS_CHANNEL is not set."""
        with self._db.read() as uow:
            team: str | None = uow.session.scalar(
                select(TeamsConversationRow.team_id)
                .where(TeamsConversationRow.team_id.is_not(None))
                .order_by(TeamsConversationRow.updated_at.desc())
                .limit(1)
            )
        return team

    def conversation_for(self, channel_id: str) -> dict[str, Any] | None:
        """A reference to post into `channel_id`.

        The channel itself if the app saw it; else its team (a team's General channel has the
        team's id); else the newest reference, since one installation reaches every channel of
        its team through the same service URL.
        """
        with self._db.read() as uow:
            rows = uow.session.execute(
                select(
                    TeamsConversationRow.id,
                    TeamsConversationRow.team_id,
                    TeamsConversationRow.reference,
                ).order_by(TeamsConversationRow.updated_at.desc())
            ).all()
        if not rows:
            return None
        row = next(
            (r for r in rows if r.id == channel_id),
            next((r for r in rows if r.team_id == channel_id), rows[0]),
        )
        reference = dict(row.reference)
        reference["conversation"] = {**reference["conversation"], "id": channel_id}
        return reference

    def remember_user(self, aad_object_id: str, user_id: str) -> None:
        """Note a user's chat id; written once per process per user, not on every click."""
        if self._known_users.get(aad_object_id) == user_id:
            return
        values = {"user_id": user_id, "updated_at": self._clock.now()}
        with self._db.write() as uow:
            uow.session.execute(
                insert_for(uow.session, _USERS)
                .values(aad_object_id=aad_object_id, **values)
                .on_conflict_do_update(index_elements=["aad_object_id"], set_=values)
            )
            uow.commit()
        self._known_users[aad_object_id] = user_id

    def refresh_ids(self, item: Feedback) -> list[str]:
        """Chat ids of whoever should see their own view of the card: the claimer."""
        if item.state is not State.CLAIMED or item.claimed is None:
            return []
        with self._db.read() as uow:
            identities = uow.people.identities(item.claimed.person.id)
            aad_ids = [i.external_id for i in identities if i.platform is Platform.TEAMS]
            return self._user_ids(uow.session, aad_ids)

    @staticmethod
    def _user_ids(session: Any, aad_ids: Iterable[str]) -> list[str]:
        wanted = list(aad_ids)
        if not wanted:
            return []
        return list(
            session.scalars(
                select(TeamsUserRow.user_id).where(TeamsUserRow.aad_object_id.in_(wanted))
            )
        )
