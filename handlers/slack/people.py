"""Slack users as people: `users.info` (cached) gives the name and the email that links a Slack
account to the same person's Teams account; the reverse gives the `<@U…>` a card mentions.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.domain import Feedback, Identity, Person, Platform
from bot.service import Desk
from handlers.slack.blocks import Mentions

log = logging.getLogger(__name__)

CACHE_SECONDS = 600.0


def external_id(team_id: str, user_id: str) -> str:
    return f"{team_id}:{user_id}"


def user_id_of(identity: Identity) -> str:
    return identity.external_id.rpartition(":")[2]


class SlackPeople:
    def __init__(
        self, client: AsyncWebClient, desk: Desk, cache_seconds: float = CACHE_SECONDS
    ) -> None:
        self._client = client
        self._desk = desk
        self._cache_seconds = cache_seconds
        self._identities: dict[str, tuple[float, Identity]] = {}
        self._user_ids: dict[int, tuple[float, str | None]] = {}

    async def identity(
        self, team_id: str, user_id: str, *, within: float | None = None
    ) -> Identity:
        """The person behind a Slack user, asking Slack at most `within` seconds.

        A failed or late look-up is not cached, so it is retried, and gives no name, so it
        renames nobody (the account's person is still found by its id).
        """
        key = external_id(team_id, user_id)
        cached = self._identities.get(key)
        if cached and cached[0] > time.monotonic():
            return cached[1]
        try:
            user = (await asyncio.wait_for(self._client.users_info(user=user_id), within))["user"]
        except (SlackApiError, TimeoutError) as error:
            reason = error.response.get("error") if isinstance(error, SlackApiError) else "late"
            log.warning("slack.user_lookup_failed user=%s error=%s", user_id, reason)
            return Identity(Platform.SLACK, key, name="")
        profile = user.get("profile") or {}
        name = profile.get("real_name") or profile.get("display_name") or user.get("name")
        email = profile.get("email") or None
        identity = Identity(Platform.SLACK, key, name or user_id, email.lower() if email else None)
        self._identities[key] = (time.monotonic() + self._cache_seconds, identity)
        return identity

    async def mentions_for(self, item: Feedback, *others: Person | None) -> Mentions:
        """Slack user ids of everyone an item's card, notes or story names."""
        return await self.mentions([*named_on(item), *others])

    async def mentions(self, people: Iterable[Person | None]) -> Mentions:
        """Slack user ids of these people, for those who have a Slack account."""
        found: dict[int, str] = {}
        for person in {p.id: p for p in people if p is not None}.values():
            cached = self._user_ids.get(person.id)
            if cached is None or cached[0] <= time.monotonic():
                user = await asyncio.to_thread(self._slack_user, person)
                cached = (time.monotonic() + self._cache_seconds, user)
                self._user_ids[person.id] = cached
            if cached[1] is not None:
                found[person.id] = cached[1]
        return found

    def _slack_user(self, person: Person) -> str | None:
        return slack_user_of(self._desk, person)


def named_on(item: Feedback) -> list[Person]:
    """Everyone an item's card, notes or story may name: its holders and its commenters."""
    holders = [h.person for h in (item.claimed, item.closed) if h is not None]
    return [*holders, *(c.author for c in item.comments)]


def slack_user_of(desk: Desk, person: Person) -> str | None:
    """The person's Slack user id, if one of their stored accounts is on Slack."""
    identities = desk.identities(person)
    return next((user_id_of(i) for i in identities if i.platform is Platform.SLACK), None)


def stored_mentions(desk: Desk, item: Feedback) -> Mentions:
    """What `SlackPeople.mentions_for(item)` finds, read straight from the store: for one card
    rendered outside a running server (`allhands preview card`), with no cache to keep."""
    users = {person.id: slack_user_of(desk, person) for person in named_on(item)}
    return {person_id: user for person_id, user in users.items() if user is not None}
