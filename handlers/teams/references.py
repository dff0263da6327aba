"""Where the bot can reach Teams, kept in the database because every replica posts proactively.

Teams lets a bot write to a channel only with a conversation reference (service URL, tenant,
bot id) captured when the app was installed, and refreshes a card automatically only for the
chat ids (29:...) it lists. The core stores both (`ConversationRepository`); which reference
serves which channel is this adapter's own knowledge.
"""

from __future__ import annotations

from typing import Any

from bot.domain import Feedback, Platform, State
from bot.ports.clock import Clock
from bot.ports.store import Store

THREAD_MARKER = ";messageid="


def channel_of(conversation_id: str) -> str:
    """`19:abc@thread.tacv2;messageid=123` → `19:abc@thread.tacv2` (the thread's channel)."""
    return conversation_id.split(THREAD_MARKER, 1)[0]


def thread_root(conversation_id: str) -> str | None:
    """The id of the post a channel reply belongs to, if the conversation is a thread."""
    parts = conversation_id.split(THREAD_MARKER, 1)
    return parts[1] if len(parts) == 2 else None


class TeamsDirectory:
    def __init__(self, db: Store, clock: Clock) -> None:
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
        with self._db.write() as uow:
            uow.conversations.remember(conversation_id, reference, team_id, self._clock.now())
            uow.commit()

    def general_channel(self) -> str | None:
        """The General channel of the team the app was last installed in (it has the team's
        id): where cards go when ALLHANDS_TEAMS_CHANNEL is not set."""
        with self._db.read() as uow:
            return uow.conversations.newest_team()

    def newest_conversation(self) -> str | None:
        """The conversation that told the bot about itself last, team or not: where cards go
        in emulator mode, since the Bot Framework Emulator's conversations belong to no team."""
        with self._db.read() as uow:
            rows = uow.conversations.references()
        return rows[0][0] if rows else None

    def conversation_for(self, channel_id: str) -> dict[str, Any] | None:
        """A reference to post into `channel_id`.

        The channel itself if the app saw it; else its team (a team's General channel has the
        team's id); else the newest reference, since one installation reaches every channel of
        its team through the same service URL.
        """
        with self._db.read() as uow:
            rows = uow.conversations.references()
        if not rows:
            return None
        _, _, found = next(
            (r for r in rows if r[0] == channel_id),
            next((r for r in rows if r[1] == channel_id), rows[0]),
        )
        reference = dict(found)
        reference["conversation"] = {**reference["conversation"], "id": channel_id}
        return reference

    def remember_user(self, aad_object_id: str, user_id: str) -> None:
        """Note a user's chat id; written once per process per user, not on every click."""
        if self._known_users.get(aad_object_id) == user_id:
            return
        with self._db.write() as uow:
            uow.conversations.remember_user(aad_object_id, user_id, self._clock.now())
            uow.commit()
        self._known_users[aad_object_id] = user_id

    def refresh_ids(self, item: Feedback) -> list[str]:
        """Chat ids of whoever should see their own view of the card: the claimer."""
        if item.state is not State.CLAIMED or item.claimed is None:
            return []
        with self._db.read() as uow:
            identities = uow.people.identities(item.claimed.person.id)
            aad_ids = [i.external_id for i in identities if i.platform is Platform.TEAMS]
            return uow.conversations.chat_ids(aad_ids)
