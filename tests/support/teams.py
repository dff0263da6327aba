"""The app's Teams side against the fake Bot Connector: the settings and adapter that turn it
on, the real Teams recordings to send, and the cards that come back.

Activities are the real Teams recordings with their serviceUrl pointed at the fake connector;
requests carry channel tokens the fake signed, checked by botbuilder against the keys the fake
publishes. `keep_local` makes any attempt to resolve a host other than 127.0.0.1 fail.
"""

from __future__ import annotations

import copy
import socket
from collections.abc import Awaitable, Callable
from typing import Any

import jsonschema
import pytest
from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient

from bot.core import Core
from bot.delivery.outbox import OutboxWorker
from bot.domain import Platform
from handlers.teams.adapter import TeamsAdapter, authentication
from handlers.teams.references import TeamsDirectory
from tests.support.builders import API, draft
from tests.support.fakes.connector import FakeConnector
from tests.support.outbox import settle
from tests.support.realdata import realdata_json

Client = TestClient[Any, Any]
Post = Callable[..., Awaitable[ClientResponse]]
CHANNEL = "19:0b7f32667e064dd9b25d7969801541f4@thread.tacv2"  # from the bot-added recording
RIDO = "29:1uMVvhoAyfTqdMsyvHL0qlJTTfQF9MOUSI8_cQts2kdSWEZVDyJO2jz-CsNOhQcdYq1Bw4cHT0__O6XDj4AZ-Jw"
BOT_MENTION = "<at>ridotest</at>"
LOCAL_HOSTS = {"127.0.0.1", "localhost"}


def keep_local(monkeypatch: pytest.MonkeyPatch) -> None:
    """Token endpoints, OpenID metadata, the Connector: everything must stay on this machine."""
    real = socket.getaddrinfo

    def local_only(host: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else host
        if name not in LOCAL_HOSTS:
            raise OSError(f"test tried to reach {name}")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", local_only)


def with_rido(connector: FakeConnector) -> FakeConnector:
    """The connector knowing Rido, the member who added the app in the recordings."""
    connector.add_member(RIDO, "c5e99701-2a32-49c1-a660-4629ceeb8c61", "Rido", "rido@example.com")
    return connector


def teams_settings(connector: FakeConnector, channel: str | None = CHANNEL) -> dict[str, Any]:
    """Teams on, against the fake connector, with cards in `channel` (None: the General one)."""
    settings = {
        "MicrosoftAppId": connector.app_id,
        "MicrosoftAppPassword": "not-used-the-fake-signs-tokens",
    }
    return settings | ({"ALLHANDS_TEAMS_CHANNEL": channel} if channel else {})


def installed_in_team(core: Core, connector: FakeConnector) -> None:
    """The conversation reference Teams gives when the app is added to CHANNEL's team, kept
    so proactive posts into CHANNEL can start."""
    reference = {
        "conversation": {"id": CHANNEL, "isGroup": True, "conversationType": "channel"},
        "serviceUrl": connector.service_url,
        "channelId": "msteams",
        "bot": {"id": f"28:{connector.app_id}"},
    }
    TeamsDirectory(core.db, core.clock).remember_conversation(reference, team_id=None)


def teams_adapter(core: Core, connector: FakeConnector) -> TeamsAdapter:
    """The real adapter, trusting the fake's keys and taking its tokens instead of Azure AD's."""
    auth = authentication(
        core.settings,
        openid_metadata_url=connector.openid_metadata_url,
        credentials_factory=connector.credentials_factory(),
    )
    return TeamsAdapter(core, auth, app_id=connector.app_id, mode="test")


def bot_framework(client: Client, connector: FakeConnector) -> Post:
    """POST an activity to /api/messages the way the Bot Framework does (signed token)."""

    async def send(activity: dict[str, Any], *, authorization: str | None = None) -> ClientResponse:
        activity = connector.activity(activity)
        header = authorization if authorization is not None else connector.authorization(activity)
        return await client.post("/api/messages", json=activity, headers={"Authorization": header})

    return send


def recording(name: str) -> dict[str, Any]:
    """A private copy of a real Teams activity, safe to change."""
    activity: dict[str, Any] = copy.deepcopy(realdata_json("teams", "activities", name))
    return activity


def message(text: str, *, id: str, conversation: str | None = None) -> dict[str, Any]:
    """The recorded channel message, with other text, id and conversation."""
    activity = recording("message_channel_with_mention.json")
    activity.update(id=id, text=text)
    activity["attachments"] = []
    if BOT_MENTION not in text:
        activity["entities"] = [e for e in activity["entities"] if e["type"] != "mention"]
    if conversation is not None:
        activity["conversation"]["id"] = conversation
    return activity


def claim_invoke(verb: str, ref: str, card_id: str, **data: Any) -> dict[str, Any]:
    """The recorded `adaptiveCard/action` invoke, as a click on one of our cards in the channel."""
    activity = recording("invoke_adaptive_card_action.json")
    activity["id"] = f"f:{verb}-{ref}-{card_id}"
    activity["value"]["action"] = {
        "type": "Action.Execute",
        "verb": verb,
        "data": {"ref": ref, **data},
    }
    activity["conversation"] = {
        "id": f"{CHANNEL};messageid={card_id}",
        "conversationType": "channel",
        "isGroup": True,
        "tenantId": "56653e9d-2158-46ee-90d7-675c39642038",
    }
    activity["replyToId"] = card_id
    return activity


def assert_valid_card(card: dict[str, Any]) -> None:
    jsonschema.validate(card, realdata_json("teams", "schemas", "adaptive-card-1.5.json"))


def card_of(call_body: dict[str, Any]) -> dict[str, Any]:
    """The Adaptive Card a message the bot sent carries."""
    attachment = call_body["attachments"][0]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card: dict[str, Any] = attachment["content"]
    return card


async def install(post: Post) -> None:
    """The app added to the team, as the recording of it has it."""
    response = await post(recording("conversation_update_bot_added_to_team.json"))
    assert response.status in (200, 201)


def posted_id(core: Core, item_id: int) -> str:
    """The Teams message id of the item's one card."""
    with core.db.read() as uow:
        copies = uow.cards.for_item(item_id)
    assert [c.platform for c in copies] == [Platform.TEAMS]
    assert copies[0].message_id is not None
    return copies[0].message_id


async def ingest_with_card(core: Core, post: Post) -> tuple[str, str]:
    """Install the app, log one item, and return (its ref, its card's Teams message id)."""
    await install(post)
    item = core.desk.ingest(draft("My card was declined **twice**", url=None), API).item
    await settle(core.db)
    return item.ref, posted_id(core, item.id)


def installed_outbox(core: Core, teams: TeamsAdapter, connector: FakeConnector) -> OutboxWorker:
    """The outbox sending to Teams, driven by hand; the app is installed in the team already."""
    installed_in_team(core, connector)
    return OutboxWorker(core.db, {Platform.TEAMS: teams.poster}, core.clock)
