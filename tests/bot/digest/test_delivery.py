"""Delivery through the real platform clients, against the fake platform services.

Teams: the Bot Connector fake records the channel post, the 1:1 conversation it creates with
an executive and the card sent there.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date

import jsonschema
import pytest

from bot.config import Settings
from bot.digest.delivery import DigestSender, Target
from bot.domain import Platform
from handlers.teams.adapter import authentication
from handlers.teams.digest_poster import TeamsDigestPoster
from handlers.teams.references import TeamsDirectory
from storage.uow import SqlStore
from tests.support.clock import FakeClock
from tests.support.digest import PLAN, local
from tests.support.fakes.connector import Call, FakeConnector
from tests.support.realdata import realdata_json

DAY = date(2026, 3, 10)
CHANNEL = "19:digest@thread.tacv2"
TENANT = "56653e9d-2158-46ee-90d7-675c39642038"
CEO = ("29:ceo-chat-id", "aad-ceo", "Cleo Exec", "ceo@example.com")


@pytest.fixture
def connector() -> Iterator[FakeConnector]:
    with FakeConnector().running() as fake:
        fake.add_member(*CEO)
        yield fake


@pytest.fixture
def teams(database: SqlStore, connector: FakeConnector, clock: FakeClock) -> TeamsDigestPoster:
    """The Teams publisher, with the app installed in the digest channel's team."""
    directory = TeamsDirectory(database, clock)
    directory.remember_conversation(
        {
            "conversation": {"id": CHANNEL, "conversationType": "channel", "tenantId": TENANT},
            "serviceUrl": connector.service_url,
            "channelId": "msteams",
            "bot": {"id": f"28:{connector.app_id}"},
        },
        team_id=None,
    )
    settings = Settings(MicrosoftAppId=connector.app_id)  # type: ignore[call-arg]
    auth = authentication(
        settings,
        openid_metadata_url=connector.openid_metadata_url,
        credentials_factory=connector.credentials_factory(),
    )
    return TeamsDigestPoster(auth, directory, connector.app_id, roster_channel=CHANNEL)


def cards(calls: list[Call], conversation_prefix: str) -> list[dict[str, object]]:
    return [
        c.body["attachments"][0]["content"]
        for c in calls
        if c.method == "POST"
        and c.path.startswith(f"/v3/conversations/{conversation_prefix}")
        and c.path.endswith("/activities")
    ]


async def test_teams_channel_and_executive_dm_arrive_at_the_connector(
    database: SqlStore, teams: TeamsDigestPoster, connector: FakeConnector, clock: FakeClock
) -> None:
    clock.current = local(DAY, 9)
    sender = DigestSender(database, {Platform.TEAMS: teams}, PLAN, clock, owner="test")
    targets = [
        Target(Platform.TEAMS, CHANNEL),
        Target(Platform.TEAMS, "ceo@example.com", person=True),
        Target(Platform.TEAMS, "nobody@example.com", person=True),
    ]

    results = await sender.send(DAY, targets)
    await teams.close()

    assert [r.status for r in results] == ["sent", "sent", "unknown person"]
    created = [c.body for c in connector.calls if c.path == "/v3/conversations"]
    assert len(created) == 1
    assert created[0]["members"] == [{"id": CEO[0]}]
    assert created[0]["channelData"] == {"tenant": {"id": TENANT}}
    assert created[0]["isGroup"] is False
    schema = realdata_json("teams", "schemas", "adaptive-card-1.5.json")
    channel_cards, dm_cards = cards(connector.calls, CHANNEL), cards(connector.calls, "a:new-")
    assert len(channel_cards) == 1
    assert len(dm_cards) == 1
    for card in channel_cards + dm_cards:
        jsonschema.validate(card, schema)
        assert "Voice of the customer" in json.dumps(card)


async def test_sending_again_is_a_no_op_unless_forced(
    database: SqlStore, teams: TeamsDigestPoster, connector: FakeConnector, clock: FakeClock
) -> None:
    sender = DigestSender(database, {Platform.TEAMS: teams}, PLAN, clock, owner="cli")
    target = [Target(Platform.TEAMS, CHANNEL)]

    first = await sender.send(DAY, target)
    again = await sender.send(DAY, target)
    forced = await sender.send(DAY, target, force=True)
    await teams.close()

    assert [r.status for r in first + again + forced] == ["sent", "already sent", "sent"]
    assert len(cards(connector.calls, CHANNEL)) == 2


async def test_a_platform_that_is_off_is_reported_and_left_unclaimed(
    database: SqlStore, clock: FakeClock
) -> None:
    sender = DigestSender(database, {}, PLAN, clock, owner="cli")

    results = await sender.send(DAY, Target.parse("slack:C1") + Target.parse("CEO@example.com"))

    assert [(r.target.key, r.status) for r in results] == [
        ("slack:C1", "platform off"),
        ("slack:dm:ceo@example.com", "platform off"),
        ("teams:dm:ceo@example.com", "platform off"),
    ]
    with database.write() as uow:
        assert uow.jobs.claim_run("digest", f"{DAY}:slack:C1", "later", clock.now())
