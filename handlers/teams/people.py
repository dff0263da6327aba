"""Who is acting: a Teams user as an `Identity` (AAD object id, name, email).

Activities carry only the chat id and a display name; the email that links a Teams user to the
same person's Slack identity comes from `TeamsInfo`, which costs a Connector call. Answers are
cached for a while so a burst of clicks does not become a burst of look-ups.
"""

from __future__ import annotations

import asyncio
import logging
import time

from botbuilder.core import TurnContext
from botbuilder.core.teams import TeamsInfo
from botbuilder.schema.teams import TeamsChannelAccount

from bot.domain import Identity, Platform
from handlers.teams.references import TeamsDirectory

log = logging.getLogger(__name__)

CACHE_SECONDS = 600.0
FAILURE_CACHE_SECONDS = 60.0


class TeamsPeople:
    def __init__(self, directory: TeamsDirectory, cache_seconds: float = CACHE_SECONDS) -> None:
        self._directory = directory
        self._cache_seconds = cache_seconds
        self._cache: dict[str, tuple[float, Identity]] = {}

    async def identity(self, context: TurnContext) -> Identity:
        sender = context.activity.from_property
        cached = self._cache.get(sender.id)
        if cached and cached[0] > time.monotonic():
            return cached[1]
        member = await self._member(context)
        if member is None:  # known by chat id only, and asked again a minute later
            identity = Identity(
                Platform.TEAMS, sender.aad_object_id or sender.id, sender.name or "Someone"
            )
            self._cache[sender.id] = (time.monotonic() + FAILURE_CACHE_SECONDS, identity)
            return identity
        email = member.email or member.user_principal_name
        identity = Identity(
            Platform.TEAMS,
            member.aad_object_id or sender.aad_object_id or sender.id,
            member.name or sender.name or "Someone",
            email.lower() if email and "@" in email else None,
        )
        await asyncio.to_thread(self._directory.remember_user, identity.external_id, sender.id)
        self._cache[sender.id] = (time.monotonic() + self._cache_seconds, identity)
        return identity

    @staticmethod
    async def _member(context: TurnContext) -> TeamsChannelAccount | None:
        sender = context.activity.from_property
        try:
            member: TeamsChannelAccount = await TeamsInfo.get_member(context, sender.id)
        except Exception as error:  # the emulator, a guest, a transient Connector failure
            log.warning("teams.member_lookup_failed user=%s error=%s", sender.id, error)
            return None
        return member
