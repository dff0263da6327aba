"""Without ALLHANDS_TEAMS_CHANNEL, cards go to the General channel of the team the app joined."""

from __future__ import annotations

import pytest

from bot.config import Settings
from bot.core import Core
from bot.intake import FeedbackDraft
from tests.fakes.connector import FakeConnector
from tests.handlers.teams.conftest import Post, recording, settle
from tests.handlers.teams.test_end_to_end import CUSTOMER_CARE, install
from tests.support import needs_realdata

pytestmark = needs_realdata


@pytest.fixture
def settings(db_url: str, connector: FakeConnector) -> Settings:
    """Like the shared settings, but with ALLHANDS_TEAMS_CHANNEL left unset."""
    return Settings(
        ALLHANDS_DATABASE_URL=db_url,
        MicrosoftAppId=connector.app_id,
        MicrosoftAppPassword="not-used-the-fake-signs-tokens",
    )


async def test_without_a_configured_channel_cards_go_to_the_teams_general_channel(
    core: Core, post: Post, connector: FakeConnector
) -> None:
    before = core.desk.ingest(FeedbackDraft(source="zendesk", body="Before install"), CUSTOMER_CARE)
    with core.db.read() as uow:
        assert uow.cards.for_item(before.item.id) == []  # nowhere to go yet
    await install(post)
    general = recording("conversation_update_bot_added_to_team.json")["channelData"]["team"]["id"]
    core.desk.ingest(FeedbackDraft(source="zendesk", body="After install"), CUSTOMER_CARE)
    await settle(core.db)
    posts = [c.path for c in connector.sent("POST") if c.path.endswith("/activities")]
    assert posts == [f"/v3/conversations/{general}/activities"]
