"""The app's Slack side against the fake Web API: the settings that turn it on, the people in
the fake workspace, and an item whose card is up."""

from __future__ import annotations

from typing import Any

from bot.core import Core
from bot.domain import Platform
from handlers.slack.ids import message_key
from tests.support.builders import API, draft
from tests.support.eventually import eventually
from tests.support.fakes.slack_api import FakeSlackApi
from tests.support.slack_payloads import CARDS, SECRET

PEOPLE = {
    "UANA": ("Ana Lima", "ana@example.com"),
    "UBEN": ("Ben Okafor", "ben@example.com"),
    "UCAT": ("Cat Jones", "cat@example.com"),
}


def with_people(slack: FakeSlackApi) -> FakeSlackApi:
    """The fake workspace with Ana, Ben and Cat in it."""
    for user, (name, email) in PEOPLE.items():
        slack.add_user(user, name, email)
    return slack


def slack_settings(slack: FakeSlackApi) -> dict[str, Any]:
    """Slack on over HTTP, against the fake, with cards in CARDS."""
    return {
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": slack.api_url,
        "ALLHANDS_SLACK_CHANNEL": CARDS,
    }


async def ingest_with_card(
    core: Core, slack: FakeSlackApi, body: str = "The export button does nothing", **fields: Any
) -> tuple[str, str]:
    """Ingest an item over the core and wait until its card is posted and recorded.

    Returns (item ref, card ts); the server's outbox must be running.
    """
    before = len(slack.cards(CARDS))
    item = core.desk.ingest(draft(body, **fields), API).item
    await eventually(lambda: len(slack.cards(CARDS)) > before, what="the card")
    ts = slack.cards(CARDS)[before].ts
    await eventually(lambda: core.desk.item_for_card(Platform.SLACK, message_key(CARDS, ts)))
    return item.ref, ts
