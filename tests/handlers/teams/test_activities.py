"""Every recorded Teams activity goes through the real CloudAdapter and is handled."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.core import Core
from handlers.teams.references import TeamsDirectory
from tests.support.fakes.connector import FakeConnector
from tests.support.realdata import needs_realdata, realdata_path
from tests.support.teams import CHANNEL, Post, recording

pytestmark = needs_realdata

HELP_START = "**All Hands** — customer feedback"


def test_every_recording_is_covered() -> None:
    folder = realdata_path("teams", "activities")
    assert {p.name for p in Path(folder).glob("*.json")} == set(EXPECTED)


EXPECTED = {
    # file: (HTTP status, what the bot sent back to the conversation, if anything)
    "conversation_update_bot_added_to_team.json": (201, None),
    "conversation_update_channel_created.json": (201, None),
    "conversation_update_member_removed.json": (201, None),
    "teamsnet_ConversationUpdateActivity.json": (201, None),
    "installation_update_add.json": (201, None),
    "message_reaction_added.json": (201, None),
    "message_reaction_removed.json": (201, None),
    "teamsnet_MessageReactionActivity.json": (201, None),
    "message_channel_with_mention.json": (201, "I don't know `reply`."),
    "message_outgoing_with_mention.json": (201, "I don't know `hey`."),
    "teamsnet_MessageActivity.json": (201, "I don't know `testing123`."),
    "teamsnet_MessageActivity_Mention.json": (201, "I don't know `testing123`."),
    "outgoing_adaptive_card_message.json": (201, HELP_START),
    "invoke_adaptive_card_action.json": (400, None),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
async def test_recorded_activity_is_handled(
    name: str, post: Post, connector: FakeConnector
) -> None:
    status, reply = EXPECTED[name]

    response = await post(recording(name))

    assert response.status == status, await response.text()
    replies = connector.sent("POST")
    if reply is None:
        assert replies == []
    else:
        assert len(replies) == 1
        assert replies[0].body["text"].startswith(reply)


async def test_unknown_card_action_gets_an_error_body_not_a_500(post: Post) -> None:
    response = await post(recording("invoke_adaptive_card_action.json"))

    body = await response.json()
    assert body["statusCode"] == 400
    assert body["type"] == "application/vnd.microsoft.error"


async def test_mention_reply_goes_to_the_thread_it_came_from(
    post: Post, connector: FakeConnector
) -> None:
    activity = recording("message_channel_with_mention.json")

    await post(activity)

    (reply,) = connector.sent("POST")
    conversation = activity["conversation"]["id"]
    assert reply.path == f"/v3/conversations/{conversation}/activities/{activity['id']}"
    assert reply.body["replyToId"] == activity["id"]


@pytest.mark.parametrize(
    "name", ["conversation_update_bot_added_to_team.json", "installation_update_add.json"]
)
async def test_install_stores_the_conversation_reference_in_the_database(
    name: str, core: Core, post: Post, connector: FakeConnector
) -> None:
    await post(recording(name))

    reference = TeamsDirectory(core.db, core.clock).conversation_for(CHANNEL)
    assert reference is not None
    assert reference["serviceUrl"] == connector.service_url
    assert reference["conversation"]["id"] == CHANNEL


async def test_redelivered_message_is_answered_once(post: Post, connector: FakeConnector) -> None:
    activity = recording("message_channel_with_mention.json")

    first = await post(activity)
    again = await post(activity)

    assert (first.status, again.status) == (201, 201)
    assert len(connector.sent("POST")) == 1
