"""The durable table: every delivery a listener records finds its handler by Slack's own id,
including deliveries an earlier version recorded under a handler name."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.core import Core
from bot.domain import Platform, State
from handlers.server import build_server, chat_adapters
from handlers.slack.ids import Field, SlackEvent, SlackId, durable_id
from tests.support.eventually import eventually
from tests.support.realdata import needs_realdata
from tests.support.slack_payloads import SlackSender, block_action, event, view_submission

pytestmark = needs_realdata

EVENT_FILES = {
    SlackEvent.REACTION_ADDED: "reaction_added.json",
    SlackEvent.REACTION_REMOVED: "ReactionRemovedPayload.json",
    SlackEvent.MESSAGE: "message.json",
    SlackEvent.APP_HOME_OPENED: "app_home_opened.json",
    SlackEvent.APP_MENTION: "app_mention.json",
}


def test_the_key_is_read_off_each_kind_of_recorded_body() -> None:
    assert durable_id(block_action(SlackId.UNCLAIM, "FB-1", "UANA", message_ts="1.2")) == (
        SlackId.UNCLAIM
    )
    assert durable_id(view_submission(SlackId.LOG_VIEW, {}, "{}", "UANA")) == SlackId.LOG_VIEW
    reaction = event("reaction_added.json", "Ev1")
    assert durable_id(reaction) == SlackEvent.REACTION_ADDED
    with pytest.raises(ValueError, match=r"allhands\.nothing"):
        durable_id(block_action("allhands.nothing", "FB-1", "UANA", message_ts="1.2"))


VALID = {
    SlackId.LINK_VIEW: {
        Field.ISSUE_URL: {"type": "plain_text_input", "value": "https://github.com/a/b/issues/1"}
    }
}


async def test_every_id_a_listener_records_has_its_handler(
    core: Core, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each action, modal and event is sent once; what the listeners record is exactly what
    the table handles."""
    recorded: list[dict[str, Any]] = []

    async def capture(platform: Platform, delivery_id: str, payload: dict[str, Any]) -> None:
        recorded.append(payload["body"])

    monkeypatch.setattr(core.inbox, "record", capture)
    adapters, _ = chat_adapters(core, dev=False)
    table = adapters[0].handle_recorded.__self__.durable  # type: ignore[union-attr]
    async with TestClient(TestServer(build_server(core, adapters, work=False))) as client:
        sender = SlackSender(client)
        for slack_id in SlackId:
            await sender.interactive(block_action(slack_id, "FB-1", "UANA", message_ts="1.2"))
            values = VALID.get(slack_id, {})  # a form checked before it is recorded
            await sender.interactive(view_submission(slack_id, values, "{}", "UANA"))
        for number, name in enumerate(EVENT_FILES.values()):
            await sender.event(event(name, f"Ev{number}"))
    assert {durable_id(body) for body in recorded} == set(table)
    assert set(table) >= set(SlackEvent)


async def test_a_delivery_recorded_by_an_earlier_version_is_handled(
    client: Any, core: Core, ingest: Any
) -> None:
    ref, ts = await ingest()
    body = block_action(SlackId.CLAIM, ref, "UANA", message_ts=ts)
    old = {"handler": "action:allhands.claim", "body": body}

    await core.inbox.record(Platform.SLACK, "action:old-version", old)

    await eventually(lambda: core.desk.get(ref).state is State.CLAIMED)
