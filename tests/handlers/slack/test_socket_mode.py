"""Socket Mode, for installs without a public URL: Slack's deliveries come over a WebSocket the
app opens (found through `SLACK_API_URL`), each is acked on it, and the listeners are the same
as over HTTP, retries and duplicates included."""

from __future__ import annotations

from typing import Any

import pytest

from bot.core import Core
from bot.domain import State
from handlers.slack.ids import SlackId
from tests.support.eventually import eventually
from tests.support.fakes.slack_api import FakeSlackApi
from tests.support.fakes.slack_workspace import BOT_USER
from tests.support.realdata import needs_realdata
from tests.support.slack_payloads import CARDS, block_action, event

pytestmark = needs_realdata


@pytest.fixture
def core_settings(slack: FakeSlackApi) -> dict[str, Any]:
    """An app-level token and no signing secret: Socket Mode, no /slack/events route."""
    return {
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_APP_TOKEN": "xapp-test",
        "SLACK_API_URL": slack.api_url,
        "ALLHANDS_SLACK_CHANNEL": CARDS,
    }


def _envelope(envelope_id: str, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
    return {
        "envelope_id": envelope_id,
        "type": kind,
        "payload": payload,
        "accepts_response_payload": kind == "interactive",
        "retry_attempt": 0,
        "retry_reason": "",
    }


async def test_a_click_over_the_socket_is_acked_and_claims_once(
    core: Core, slack: FakeSlackApi, ingest: Any
) -> None:
    ref, ts = await ingest()
    assert slack.calls_to("apps.connections.open"), "the socket URL comes from SLACK_API_URL"
    click = block_action(SlackId.CLAIM, ref, "UANA", message_ts=ts)

    await slack.send_over_socket(_envelope("env-1", "interactive", click))
    await slack.send_over_socket(_envelope("env-2", "interactive", click))  # delivered twice

    acks = await slack.wait_for("socket.ack", 2)
    assert sorted(a.args["envelope_id"] for a in acks) == ["env-1", "env-2"]
    await eventually(lambda: core.desk.get(ref).state is State.CLAIMED)
    (update,) = await slack.wait_for("chat.update")
    assert "<@UANA>" in str(update.args["blocks"])
    await eventually(lambda: core.inbox.pending() == 0)
    assert len(slack.calls_to("chat.update")) == 1
    assert slack.calls_to("chat.postEphemeral") == []  # the card itself answered


async def test_an_event_over_the_socket_is_acked_and_handled(
    core: Core, slack: FakeSlackApi, ingest: Any
) -> None:
    ref, ts = await ingest()
    item = {"type": "message", "channel": CARDS, "ts": ts}
    reaction = event("reaction_added.json", "EvSocket1", user="UBEN", reaction="eyes", item=item)
    reaction["event"]["item_user"] = BOT_USER

    await slack.send_over_socket(_envelope("env-3", "events_api", reaction))

    (ack,) = await slack.wait_for("socket.ack")
    assert ack.args["envelope_id"] == "env-3"
    await eventually(lambda: core.desk.get(ref).state is State.CLAIMED)
    claimed = core.desk.get(ref).claimed
    assert claimed is not None
    assert claimed.person.name == "Ben Okafor"
