"""The payload shapes Slack publishes (the shared real-data folder) are accepted end to end.

Only ids and values are adapted; the rest of each payload stays as published, including the
java-slack-sdk samples that carry every optional field.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlencode

import pytest

from bot.core import Core
from bot.domain import State
from handlers.slack.ids import Field, SlackId
from handlers.slack.views import Origin
from tests.support.eventually import eventually
from tests.support.fakes.slack_api import FakeSlackApi
from tests.support.fakes.slack_workspace import TEAM
from tests.support.realdata import needs_realdata, realdata_json
from tests.support.slack_payloads import CARDS, SlackSender, event

pytestmark = needs_realdata


@pytest.fixture(autouse=True)
def _no_listener_errors(caplog: pytest.LogCaptureFixture) -> Any:
    """A listener that fails after its ack still answers 200: its log line is the tell."""
    with caplog.at_level(logging.WARNING):
        yield
    failures = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert failures == []


async def test_url_verification(sender: SlackSender) -> None:
    challenge = realdata_json("slack", "events", "url_verification.json")
    response = await sender.event(challenge)
    assert response.status == 200
    assert (await response.json())["challenge"] == challenge["challenge"]


async def test_java_sdk_block_actions_claim(core: Core, sender: SlackSender, ingest: Any) -> None:
    ref, ts = await ingest()
    payload = realdata_json("slack", "events", "block_actions_java_sdk.json")
    payload["user"] |= {"id": "UANA", "team_id": TEAM}
    payload["team"]["id"] = TEAM
    payload["container"] |= {"type": "message", "message_ts": ts, "channel_id": CARDS}
    payload["channel"]["id"] = CARDS
    payload["trigger_id"] = "1.2.java"
    payload["actions"][0] |= {"type": "button", "action_id": SlackId.CLAIM, "value": ref}
    payload["actions"] = payload["actions"][:1]
    assert (await sender.interactive(payload)).status == 200
    await eventually(lambda: core.desk.get(ref).state is State.CLAIMED)


async def test_java_sdk_message_shortcut_opens_the_log_modal(
    slack: FakeSlackApi, sender: SlackSender
) -> None:
    payload = realdata_json("slack", "events", "message_shortcut_java_sdk.json")
    payload["callback_id"] = SlackId.LOG_SHORTCUT
    payload["user"] |= {"id": "UANA", "team_id": TEAM}
    payload["team"]["id"] = TEAM
    payload["channel"]["id"] = "C0SUPPORT"
    payload["trigger_id"] = "1.2.shortcut"
    payload["message"] |= {"user": "UCAT", "ts": "1800000000.000100", "text": "It crashes"}
    assert (await sender.interactive(payload)).status == 200
    (opened,) = await slack.wait_for("views.open")
    assert opened.args["view"]["callback_id"] == SlackId.LOG_VIEW


async def test_a_thread_broadcast_is_a_comment(
    core: Core, sender: SlackSender, ingest: Any
) -> None:
    ref, ts = await ingest()
    broadcast = event("message_thread_broadcast.json", "EvB", user="UBEN", channel=CARDS)
    broadcast["event"] |= {"thread_ts": ts}
    await sender.event(broadcast)
    await eventually(lambda: core.desk.get(ref).comments)
    assert core.desk.get(ref).comments[0].text == "Hi there!"


@pytest.mark.parametrize(
    "name", ["message.json", "MessageRepliedPayload.json", "MessageChangedPayload.json"]
)
async def test_other_message_events_are_answered_and_change_nothing(
    core: Core, sender: SlackSender, ingest: Any, name: str
) -> None:
    ref, _ = await ingest()
    envelope = event(name, f"Ev-{name}", channel=CARDS)
    assert (await sender.event(envelope)).status == 200
    assert core.desk.get(ref).comments == ()


async def test_java_sdk_app_home_opened(slack: FakeSlackApi, sender: SlackSender) -> None:
    envelope = event("AppHomeOpenedPayload.json", "EvHome", user="UANA", tab="home")
    assert (await sender.event(envelope)).status == 200
    (published,) = await slack.wait_for("views.publish")
    assert published.args["user_id"] == "UANA"


async def test_java_sdk_slash_command_fields(slack: FakeSlackApi, sender: SlackSender) -> None:
    fields = realdata_json("slack", "events", "SlashCommandPayload.json")
    fields |= {
        "command": SlackId.COMMAND,
        "text": "stats",
        "user_id": "UANA",
        "team_id": TEAM,
        "channel_id": CARDS,
        "response_url": slack.response_url(),
        "trigger_id": "1.2.command",
    }
    form = {k: str(v).lower() if isinstance(v, bool) else v for k, v in fields.items()}
    assert (await sender.form(urlencode(form))).status == 200
    (answer,) = await slack.wait_for("response_url")
    assert answer.args["text"].startswith("Open: 0")


async def test_java_sdk_view_submission_closes(
    core: Core, sender: SlackSender, ingest: Any
) -> None:
    ref, ts = await ingest()
    payload = realdata_json("slack", "events", "ViewSubmissionPayload.json")
    payload["user"] |= {"id": "UANA", "team_id": TEAM}
    payload["team"]["id"] = TEAM
    payload["trigger_id"] = "1.2.view"
    resolution = {"type": "plain_text_input", "value": "Sent a new key"}
    payload["view"] |= {
        "type": "modal",
        "callback_id": SlackId.CLOSE_VIEW,
        "private_metadata": Origin(ref, CARDS, ts).dump(),
        "state": {"values": {Field.RESOLUTION: {Field.RESOLUTION: resolution}}},
    }
    assert (await sender.interactive(payload)).status == 200
    await eventually(lambda: core.desk.get(ref).state is State.CLOSED)
    assert core.desk.get(ref).resolution == "Sent a new key"
