"""Replying from a Slack card: "Reply to customer…" in the card's menu opens a modal; what is
sent there reaches the customer by email (the server's outbox), and an item with no way back
tells the person so, with their words to copy."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from bot.admin.secrets import new_key
from bot.core import Core
from handlers.chat import ChatAdapter
from handlers.server import chat_adapters
from handlers.slack.ids import Field, SlackId
from tests.support.eventually import eventually
from tests.support.fakes.slack_api import FakeSlackApi
from tests.support.replies import CUSTOMER, SUPPORT, email_thread
from tests.support.slack import CARDS, ingest_with_card, slack_settings
from tests.support.slack_payloads import SlackSender, block_action, view_submission
from tests.support.smtp import RunningSmtp


@pytest.fixture
def core_settings(slack: FakeSlackApi, smtp: RunningSmtp) -> dict[str, Any]:
    mail = {"ALLHANDS_SMTP_URL": smtp.url, "ALLHANDS_SUPPORT_FROM": SUPPORT}
    return slack_settings(slack) | mail | {"ALLHANDS_SECRET_KEY": new_key()}


@pytest.fixture
def adapters(core: Core) -> list[ChatAdapter]:
    return chat_adapters(core, dev=False)[0]


@pytest.fixture
def sender(client: TestClient[Any, Any]) -> SlackSender:
    return SlackSender(client)


async def reply_from_card(
    slack: FakeSlackApi, sender: SlackSender, ref: str, ts: str, text: str
) -> None:
    menu = block_action(SlackId.MORE, "", "UANA", message_ts=ts, selected=f"{SlackId.REPLY}:{ref}")
    await sender.interactive(menu)
    (opened,) = await slack.wait_for("views.open")
    assert opened.args["view"]["callback_id"] == SlackId.REPLY_VIEW
    values = {Field.REPLY: {"type": "plain_text_input", "value": text}}
    metadata = opened.args["view"]["private_metadata"]
    await sender.interactive(view_submission(SlackId.REPLY_VIEW, values, metadata, "UANA"))


async def test_a_reply_from_the_card_reaches_the_customer_by_email(
    core: Core, slack: FakeSlackApi, sender: SlackSender, smtp: RunningSmtp
) -> None:
    item = await email_thread(core)
    await eventually(lambda: len(slack.cards(CARDS)) == 1, what="the card")
    core.admin.change("replies", {"who": "anyone"}, None)

    await reply_from_card(slack, sender, item.ref, slack.cards(CARDS)[0].ts, "Fixed in 4.2.")

    await eventually(lambda: len(smtp.sink.received) == 1, what="the email")
    (told,) = await slack.wait_for("chat.postEphemeral")
    assert told.args["text"] == f"Reply to {CUSTOMER} on its way."
    assert "Fixed in 4.2." in smtp.sink.received[0].get_payload()
    (reply,) = core.desk.get(item.ref).replies
    assert reply.by.email == "ana@example.com"


async def test_an_item_with_no_way_back_says_so_with_the_words_to_copy(
    core: Core, slack: FakeSlackApi, sender: SlackSender, smtp: RunningSmtp
) -> None:
    ref, ts = await ingest_with_card(core, slack, "The export button does nothing")
    core.admin.change("replies", {"who": "anyone"}, None)

    await reply_from_card(slack, sender, ref, ts, "Try the beta, please.")

    (told,) = await slack.wait_for("chat.postEphemeral")
    assert "no channel back to the customer" in told.args["text"]
    assert told.args["text"].endswith("Your reply:\nTry the beta, please.")
    assert smtp.sink.received == []
    assert core.desk.get(ref).replies == ()


async def test_a_held_reply_waits_for_a_leads_approve_on_the_card(
    core: Core, slack: FakeSlackApi, sender: SlackSender, smtp: RunningSmtp
) -> None:
    item = await email_thread(core)
    await eventually(lambda: len(slack.cards(CARDS)) == 1, what="the card")
    core.admin.set_role("cat@example.com", "lead", True, None)
    core.admin.change("replies", {"who": "anyone", "approval": True}, None)
    ts = slack.cards(CARDS)[0].ts

    await reply_from_card(slack, sender, item.ref, ts, "Fixed in 4.2.")
    (told,) = await slack.wait_for("chat.postEphemeral")
    assert "kept for a lead's approval" in told.args["text"]
    await eventually(
        lambda: any(SlackId.APPROVE_REPLY in str(c.args) for c in slack.calls_to("chat.update")),
        what="the card with Approve reply",
    )

    await sender.interactive(block_action(SlackId.APPROVE_REPLY, item.ref, "UBEN", message_ts=ts))
    (_, refused) = await slack.wait_for("chat.postEphemeral", 2)
    assert "Only support leads may approve" in refused.args["text"]
    await sender.interactive(block_action(SlackId.APPROVE_REPLY, item.ref, "UCAT", message_ts=ts))

    await eventually(lambda: len(smtp.sink.received) == 1, what="the email")
    (reply,) = core.desk.get(item.ref).replies
    assert reply.by.email == "ana@example.com"
    assert reply.status.value in ("pending", "sent")
