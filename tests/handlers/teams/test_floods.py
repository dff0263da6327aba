"""A flood from one source into a Teams channel: cards up to the limit, then one summary
message, posted once and updated in place (the Bot Connector's PUT) as the flood grows."""

from __future__ import annotations

from typing import Any

import pytest

from bot.core import Core
from bot.intake import FeedbackDraft
from handlers.teams.adapter import TeamsAdapter
from tests.support.builders import API
from tests.support.fakes.connector import FakeConnector
from tests.support.teams import installed_outbox, teams_settings

LIMIT = 2


@pytest.fixture
def core_settings(connector: FakeConnector) -> dict[str, Any]:
    return teams_settings(connector) | {"ALLHANDS_FLOOD_CARDS_PER_HOUR": str(LIMIT)}


def _flood(core: Core, count: int) -> None:
    drafts = [FeedbackDraft(source="googleplay", body=f"Login loop ({n})") for n in range(count)]
    core.desk.ingest_many(drafts, API)


async def test_a_flood_is_one_summary_updated_in_place(
    core: Core, teams: TeamsAdapter, connector: FakeConnector
) -> None:
    outbox = installed_outbox(core, teams, connector)
    _flood(core, 5)
    await outbox.drain_once()
    _flood(core, 4)
    await outbox.drain_once()

    posted = connector.sent("POST")
    summaries = [c for c in posted if "more from googleplay" in str(c.body.get("text"))]
    cards = [c for c in posted if c.body.get("attachments")]
    assert len(cards) == LIMIT
    assert len(summaries) == 1
    assert summaries[0].body["text"].startswith("3 more from googleplay in the last hour")
    [update] = connector.sent("PUT")
    assert update.body["text"].startswith("7 more from googleplay in the last hour")
    assert "/activities/" in update.path  # the summary's own activity, replaced
