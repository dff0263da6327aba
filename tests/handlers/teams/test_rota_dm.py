"""At a shift's start the person on it gets the open queue 1:1 in Teams, and can claim from it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.core import Core
from bot.domain import State
from bot.rota import RotaJob
from handlers.jobs import queue_messengers
from handlers.teams.adapter import authentication
from handlers.teams.cards import queue_card
from handlers.teams.queue_messenger import TeamsQueueMessenger
from handlers.teams.references import TeamsDirectory
from tests.support.clock import FakeClock
from tests.support.fakes.connector import FakeConnector
from tests.support.realdata import needs_realdata
from tests.support.teams import (
    CHANNEL,
    RIDO,
    Post,
    assert_valid_card,
    card_of,
    ingest_with_card,
    recording,
)

pytestmark = needs_realdata
SHIFT = {"day": "mon", "start": "09:00", "end": "12:00", "emails": ["rido@example.com"]}


@pytest.fixture
async def messenger(core: Core, connector: FakeConnector) -> AsyncIterator[TeamsQueueMessenger]:
    """The Teams messenger, with the fake's tokens instead of Azure AD's."""
    auth = authentication(
        core.settings,
        openid_metadata_url=connector.openid_metadata_url,
        credentials_factory=connector.credentials_factory(),
    )
    directory = TeamsDirectory(core.db, core.clock)
    built = TeamsQueueMessenger(auth, directory, connector.app_id, roster_channel=CHANNEL)
    yield built
    await built.close()


def personal_posts(connector: FakeConnector) -> list[dict[str, Any]]:
    """Messages the bot sent into 1:1 conversations it opened (the fake names them a:new-…)."""
    return [c.body for c in connector.sent("POST") if c.path.startswith("/v3/conversations/a:new-")]


async def test_shift_start_sends_the_queue_and_its_claim_button_claims(
    core: Core,
    post: Post,
    connector: FakeConnector,
    messenger: TeamsQueueMessenger,
    clock: FakeClock,
) -> None:
    ref, _ = await ingest_with_card(core, post)
    core.admin.change("rota", {"shifts": [SHIFT]}, None)
    job = RotaJob(core.db, lambda: core.digest.plan().zone, [messenger], owner="test")

    clock.advance(minutes=1)
    await job.run_due(clock.now())
    await job.run_due(clock.now())  # the next tick announces nothing twice

    (opened,) = [c for c in connector.calls if c.path == "/v3/conversations"]
    assert [m["id"] for m in opened.body["members"]] == [RIDO]
    (dm,) = personal_posts(connector)
    card = card_of(dm)
    assert_valid_card(card)
    assert card["body"][0]["text"].startswith("Your All Hands support shift starts now")
    (entry,) = card["body"][1:]
    assert entry["items"][0]["text"].startswith(ref)
    (claim,) = entry["items"][2]["actions"]

    click = recording("invoke_adaptive_card_action.json")  # Rido, in a personal chat
    click["value"]["action"] = claim
    response = await post(click)

    assert response.status == 200
    answer = await response.json()
    assert "Claimed by Rido" in str(answer["value"]["body"])
    item = core.desk.get(ref)
    assert item.state is State.CLAIMED
    assert item.claimed is not None
    assert item.claimed.person.email == "rido@example.com"


async def test_someone_not_in_the_roster_gets_nothing(
    core: Core, post: Post, connector: FakeConnector, messenger: TeamsQueueMessenger
) -> None:
    await ingest_with_card(core, post)

    sent = await messenger.send_queue("nobody@example.com", "Your shift starts now.", [])

    assert sent is False
    assert [c for c in connector.calls if c.path == "/v3/conversations"] == []
    assert personal_posts(connector) == []


def test_an_empty_queue_is_a_valid_card_without_buttons() -> None:
    card = queue_card("The queue is empty right now.", [])

    assert_valid_card(card)
    assert card["body"] == [
        {"type": "TextBlock", "text": "The queue is empty right now.", "wrap": True}
    ]


def test_the_server_gets_a_teams_messenger_when_teams_is_on(core: Core) -> None:
    assert [type(m) for m in queue_messengers(core)] == [TeamsQueueMessenger]
