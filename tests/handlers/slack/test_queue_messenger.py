"""The rota's shift-start queue in Slack: a DM found by email, with Claim buttons that claim."""

from __future__ import annotations

from typing import Any

from bot.core import Core
from bot.domain import State
from bot.ports.records import ListFilter
from handlers.slack.ids import SlackId
from handlers.slack.queue_messenger import SlackQueueMessenger
from tests.support.eventually import eventually
from tests.support.fakes.slack_api import FakeSlackApi
from tests.support.realdata import needs_realdata
from tests.support.slack_payloads import SlackSender, block_action

pytestmark = needs_realdata
OPEN = ListFilter(state=State.OPEN, oldest_first=True)
INTRO = "Your All Hands support shift starts now, until 13:00. Here is the open queue:"


async def test_the_queue_reaches_the_person_and_its_claim_button_claims(
    core: Core, slack: FakeSlackApi, sender: SlackSender, ingest: Any
) -> None:
    first, _ = await ingest("Export <!here> fails")
    second, _ = await ingest("Dark mode?")
    messenger = SlackQueueMessenger.from_settings(core.settings)
    assert messenger is not None

    sent = await messenger.send_queue("ben@example.com", INTRO, core.desk.search(OPEN))

    assert sent is True
    (lookup,) = slack.calls_to("users.lookupByEmail")
    assert lookup.args["email"] == "ben@example.com"
    (opened,) = slack.calls_to("conversations.open")
    assert opened.args["users"] == "UBEN"
    (dm,) = [m for m in slack.messages if m.channel == "DUBEN"]
    assert dm.text == INTRO
    claims = [b["accessory"] for b in dm.blocks if "accessory" in b]
    assert [(c["action_id"], c["value"]) for c in claims] == [
        (SlackId.CLAIM, first),
        (SlackId.CLAIM, second),
    ]
    assert "Export &lt;!here&gt; fails" in str(dm.blocks)

    click = block_action(SlackId.CLAIM, first, "UBEN", message_ts=dm.ts, channel="DUBEN")
    await sender.interactive(click)
    await eventually(lambda: core.desk.get(first).state is State.CLAIMED)
    claimed = core.desk.get(first).claimed
    assert claimed is not None
    assert claimed.person.email == "ben@example.com"
    (told,) = await slack.wait_for("chat.postEphemeral")  # not the card: no update shows it
    assert told.args["text"] == f"You claimed {first}."


async def test_nobody_with_the_email_gets_no_message(core: Core, slack: FakeSlackApi) -> None:
    messenger = SlackQueueMessenger.from_settings(core.settings)
    assert messenger is not None
    assert await messenger.send_queue("nobody@example.com", INTRO, []) is False
    assert slack.calls_to("conversations.open") == []
    assert slack.calls_to("chat.postMessage") == []
