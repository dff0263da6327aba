"""Messages the bot starts on its own: into a channel, or 1:1 with a person known by email.

The digest and the rota's shift-start queue both need this. It is a `TeamsPoster`, so it shares
that class's Connector clients, pacing and error mapping (429 → retry later, 403 → give up). A
channel post starts from the conversation reference stored at install time. Teams has no
look-up by email for bots, so a person is found in the roster of `roster_channel` (a channel of
the team the app is installed in), and the bot opens a 1:1 conversation with them, which needs
the same service URL and tenant.
"""

from __future__ import annotations

from typing import Any, Self

from botbuilder.schema import Activity, ActivityTypes, ChannelAccount, ConversationParameters
from botbuilder.schema.teams import TeamsChannelAccount
from botframework.connector.auth import BotFrameworkAuthentication

from bot.config import Settings
from bot.ports.clock import Clock
from bot.ports.store import Store
from handlers.teams.adapter import authentication
from handlers.teams.cards import attachment, direct_card, message_safe
from handlers.teams.poster import TeamsPoster
from handlers.teams.references import TeamsDirectory


class TeamsMessenger(TeamsPoster):
    def __init__(
        self,
        auth: BotFrameworkAuthentication,
        directory: TeamsDirectory,
        app_id: str,
        roster_channel: str,
    ) -> None:
        super().__init__(auth, directory, app_id)
        self._roster_channel = roster_channel

    @classmethod
    def from_settings(cls, settings: Settings, db: Store, clock: Clock) -> Self | None:
        """A messenger for the configured bot, or None when Teams is off.

        The roster is a digest channel's team, else the card channel's.
        """
        if not settings.teams_enabled:
            return None
        roster = next(iter(settings.digest_teams_channel_ids), settings.teams_channel)
        directory = TeamsDirectory(db, clock)
        return cls(authentication(settings), directory, settings.teams_app_id, roster)

    async def send_to_channel(self, channel: str, activity: Activity) -> None:
        reference = await self._reference(channel)
        await self._call(
            str(reference["serviceUrl"]),
            channel,
            lambda c: c.conversations.send_to_conversation(channel, activity),
        )

    async def send_direct(self, email: str, text: str, reply_ref: str | None = None) -> bool:
        """The `DirectMessenger` port, 1:1: plain text made safe as a message, or with
        `reply_ref` a card with the item's Reply to customer… form."""
        if reply_ref is None:
            activity = Activity(type=ActivityTypes.message, text=message_safe(text))
        else:
            card = attachment(direct_card(text, reply_ref))
            activity = Activity(type=ActivityTypes.message, attachments=[card])
        return await self.send_to_email(email, activity)

    async def send_to_email(self, email: str, activity: Activity) -> bool:
        """A 1:1 message; False when nobody in the roster has this email."""
        reference = await self._reference(self._roster_channel)
        service_url = str(reference["serviceUrl"])
        members = await self._call(
            service_url,
            self._roster_channel,
            lambda c: c.conversations.get_conversation_members(self._roster_channel),
        )
        user = next((m for m in map(_teams_member, members) if _email_of(m) == email.lower()), None)
        if user is None:
            return False
        tenant = _tenant(reference, user)
        parameters = ConversationParameters(
            is_group=False,
            bot=ChannelAccount(id=str(reference.get("bot", {}).get("id") or f"28:{self._app_id}")),
            members=[ChannelAccount(id=user.id)],
            tenant_id=tenant,
            channel_data={"tenant": {"id": tenant}},
        )
        created = await self._call(
            service_url, user.id, lambda c: c.conversations.create_conversation(parameters)
        )
        await self._call(
            service_url,
            created.id,
            lambda c: c.conversations.send_to_conversation(created.id, activity),
        )
        return True


def _teams_member(member: ChannelAccount) -> TeamsChannelAccount:
    """A roster entry with its Teams fields (email, UPN, tenant), as `TeamsInfo` reads them."""
    fields = dict(member.serialize(), **(member.additional_properties or {}))
    account: TeamsChannelAccount = TeamsChannelAccount().deserialize(fields)
    return account


def _email_of(member: TeamsChannelAccount) -> str:
    return str(member.email or member.user_principal_name or "").lower()


def _tenant(reference: dict[str, Any], member: TeamsChannelAccount) -> str | None:
    conversation = reference.get("conversation") or {}
    return conversation.get("tenantId") or getattr(member, "tenant_id", None)
