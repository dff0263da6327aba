"""The real server with Slack (against the fake Web API) and Teams (through the real
CloudAdapter against the fake Bot Connector) both on, for tests that cross them."""

from __future__ import annotations

from aiohttp import web

from app import build_core
from bot.config import Settings
from bot.core import Core
from handlers.server import build_server
from handlers.slack.adapter import SlackAdapter
from handlers.teams.adapter import TeamsAdapter, authentication
from tests.fakes.connector import FakeConnector
from tests.fakes.slack_api import FakeSlackApi
from tests.handlers.slack.payloads import CARDS, SECRET
from tests.handlers.teams.conftest import CHANNEL
from tests.support import FakeClock


def server_with_both(
    db_url: str, clock: FakeClock, connector: FakeConnector, slack: FakeSlackApi
) -> tuple[Core, web.Application]:
    settings = Settings(
        ALLHANDS_DATABASE_URL=db_url,
        SLACK_BOT_TOKEN="xoxb-test",
        SLACK_SIGNING_SECRET=SECRET,
        SLACK_API_URL=slack.api_url,
        ALLHANDS_SLACK_CHANNEL=CARDS,
        MicrosoftAppId=connector.app_id,
        MicrosoftAppPassword="not-used-the-fake-signs-tokens",
        ALLHANDS_TEAMS_CHANNEL=CHANNEL,
    )
    core = build_core(settings, clock)
    auth = authentication(
        settings,
        openid_metadata_url=connector.openid_metadata_url,
        credentials_factory=connector.credentials_factory(),
    )
    slack_adapter = SlackAdapter.from_settings(settings, core)
    assert slack_adapter is not None
    teams = TeamsAdapter(core, auth, app_id=connector.app_id, mode="test")
    return core, build_server(core, [slack_adapter, teams])
