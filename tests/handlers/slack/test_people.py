"""Slack users as people: names come from `users.info`, follow renames in Slack, and a failed
look-up (Slack down, rate limited) renames nobody."""

from __future__ import annotations

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.core import Core
from handlers.slack.people import SlackPeople
from tests.support.fakes.slack_api import FakeSlackApi
from tests.support.fakes.slack_workspace import TEAM


@pytest.fixture
def people(core: Core, slack: FakeSlackApi) -> SlackPeople:
    """No cache: every look-up asks Slack."""
    client = AsyncWebClient(token="xoxb-test", base_url=slack.api_url)
    return SlackPeople(client, core.desk, cache_seconds=0)


async def test_names_follow_slack_and_a_failed_look_up_keeps_them(
    core: Core, slack: FakeSlackApi, people: SlackPeople
) -> None:
    known = await people.identity(TEAM, "UANA")
    assert core.desk.person(known).name == "Ana Lima"

    slack.fail_after_doing("users.info")
    failed = await people.identity(TEAM, "UANA")
    assert failed.name == ""
    assert core.desk.person(failed).name == "Ana Lima"

    slack.add_user("UANA", "Ana Souza", "ana@example.com")  # she changed her name in Slack
    assert core.desk.person(await people.identity(TEAM, "UANA")).name == "Ana Souza"


async def test_someone_first_seen_while_slack_fails_is_named_properly_later(
    core: Core, slack: FakeSlackApi, people: SlackPeople
) -> None:
    slack.fail_after_doing("users.info")
    stand_in = core.desk.person(await people.identity(TEAM, "UBEN"))
    assert stand_in.name == f"{TEAM}:UBEN"

    named = core.desk.person(await people.identity(TEAM, "UBEN"))
    assert (named.id, named.name, named.email) == (stand_in.id, "Ben Okafor", "ben@example.com")
