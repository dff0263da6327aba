"""Without ALLHANDS_TEAMS_CHANNEL, cards go to the General channel of the team the app joined."""

from __future__ import annotations

from typing import Any

import pytest

from bot.core import Core
from bot.intake import FeedbackDraft
from tests.support.builders import API
from tests.support.fakes.connector import FakeConnector
from tests.support.outbox import settle
from tests.support.realdata import needs_realdata
from tests.support.teams import Post, install, recording, teams_settings

pytestmark = needs_realdata


@pytest.fixture
def core_settings(connector: FakeConnector) -> dict[str, Any]:
    """Like the shared settings, but with ALLHANDS_TEAMS_CHANNEL left unset."""
    return teams_settings(connector, channel=None)


async def test_without_a_configured_channel_cards_go_to_the_teams_general_channel(
    core: Core, post: Post, connector: FakeConnector
) -> None:
    before = core.desk.ingest(FeedbackDraft(source="zendesk", body="Before install"), API)
    with core.db.read() as uow:
        assert uow.cards.for_item(before.item.id) == []  # nowhere to go yet
    await install(post)
    general = recording("conversation_update_bot_added_to_team.json")["channelData"]["team"]["id"]
    core.desk.ingest(FeedbackDraft(source="zendesk", body="After install"), API)
    await settle(core.db)
    posts = [c.path for c in connector.sent("POST") if c.path.endswith("/activities")]
    assert posts == [f"/v3/conversations/{general}/activities"]
