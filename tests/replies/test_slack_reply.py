"""Replying from a Slack card: "Reply to customer…" in the card's menu opens a modal; what is
sent there reaches the customer by email or on their Zendesk ticket (the server's outbox), and
an item with no way back tells the person so, with their words to copy. A vendor's refusal is
noted in the card's thread and on the card itself with its words and Retry, which posts it
once; closing with "tell the customer" sends the resolution the same way. A fix-shipped direct
message's Reply to customer… button opens the same modal."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from bot.admin.secrets import new_key
from bot.core import Core
from bot.domain import ReplyStatus
from handlers.chat import ChatAdapter
from handlers.server import chat_adapters
from handlers.slack.ids import Field, SlackId
from tests.support.eventually import eventually
from tests.support.fakes.helpdesks import FakeZendesk
from tests.support.fakes.slack_api import FakeSlackApi
from tests.support.replies import CUSTOMER, SUPPORT, email_thread, vendor_item
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


@pytest.fixture
async def zendesk() -> AsyncIterator[FakeZendesk]:
    async with FakeZendesk() as fake:
        yield fake


async def submit_from_card(
    slack: FakeSlackApi,
    sender: SlackSender,
    chosen: tuple[SlackId, SlackId],
    ref: str,
    ts: str,
    values: dict[str, dict[str, Any]],
) -> None:
    """Open the card's modal (`chosen`: the menu option or button, the modal's callback id)
    and submit it with `values`."""
    action, view = chosen
    if action is SlackId.CLOSE:
        click = block_action(SlackId.CLOSE, ref, "UANA", message_ts=ts)
    else:
        click = block_action(SlackId.MORE, "", "UANA", message_ts=ts, selected=f"{action}:{ref}")
    before = len(slack.calls_to("views.open"))
    await sender.interactive(click)
    opened = (await slack.wait_for("views.open", before + 1))[-1]
    assert opened.args["view"]["callback_id"] == view
    metadata = opened.args["view"]["private_metadata"]
    await sender.interactive(view_submission(view, values, metadata, "UANA"))


async def reply_from_card(
    slack: FakeSlackApi, sender: SlackSender, ref: str, ts: str, text: str
) -> None:
    values = {Field.REPLY: {"type": "plain_text_input", "value": text}}
    await submit_from_card(slack, sender, (SlackId.REPLY, SlackId.REPLY_VIEW), ref, ts, values)


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


async def test_a_reply_from_the_card_is_one_comment_on_the_zendesk_ticket(
    core: Core, slack: FakeSlackApi, sender: SlackSender, zendesk: FakeZendesk
) -> None:
    item, ticket = await vendor_item(core, zendesk)
    await eventually(lambda: len(slack.cards(CARDS)) == 1, what="the card")
    core.admin.change("replies", {"who": "anyone"}, None)

    await reply_from_card(slack, sender, item.ref, slack.cards(CARDS)[0].ts, "Fixed in 4.2.")

    await eventually(
        lambda: [r.status for r in core.desk.get(item.ref).replies] == [ReplyStatus.SENT],
        what="the reply sent",
    )
    assert [(r.target, r.text) for r in zendesk.replies] == [(ticket, "Fixed in 4.2.")]
    (told,) = await slack.wait_for("chat.postEphemeral")
    assert told.args["text"] == f"Reply to zendesk ({ticket}) on its way."


async def test_a_refusal_is_noted_with_retry_and_closing_tells_the_customer(
    core: Core, slack: FakeSlackApi, sender: SlackSender, zendesk: FakeZendesk
) -> None:
    item, ticket = await vendor_item(core, zendesk)
    await eventually(lambda: len(slack.cards(CARDS)) == 1, what="the card")
    ts = slack.cards(CARDS)[0].ts
    core.admin.change("replies", {"who": "anyone"}, None)
    zendesk.refuse_reply("Status: closed prevents ticket update")

    await reply_from_card(slack, sender, item.ref, ts, "Fixed in 4.2.")

    def retry_note() -> list[dict[str, Any]]:
        return [
            call.args
            for call in slack.calls_to("chat.postMessage")
            if SlackId.RETRY_REPLY in json.dumps(call.args.get("blocks") or [])
        ]

    def card_update() -> str:
        updates = [c.args for c in slack.calls_to("chat.update") if c.args.get("ts") == ts]
        return json.dumps(updates[-1]["blocks"]) if updates else ""

    await eventually(lambda: len(retry_note()) == 1, what="the refusal's note")
    (note,) = retry_note()
    assert note["thread_ts"] == ts
    assert "Zendesk answered 422: Status: closed prevents ticket update" in note["text"]
    await eventually(lambda: "refused" in card_update(), what="the card showing the refusal")
    refused = card_update()
    assert "Reply to the customer refused: Zendesk answered 422: Status: closed" in refused
    assert SlackId.RETRY_REPLY in refused
    await sender.interactive(block_action(SlackId.RETRY_REPLY, item.ref, "UANA", message_ts=ts))
    await eventually(lambda: len(zendesk.replies) == 1, what="the reply posted again")
    await eventually(lambda: "refused" not in card_update(), what="the card without it")
    assert SlackId.RETRY_REPLY not in card_update()

    resolution = {
        Field.RESOLUTION: {"type": "plain_text_input", "value": "Shipped in 4.2 today."},
        Field.TELL_CUSTOMER: {"type": "checkboxes", "selected_options": [{"value": "yes"}]},
    }
    await slack.wait_for("views.open")  # the reply modal's, seen above
    await submit_from_card(
        slack, sender, (SlackId.CLOSE, SlackId.CLOSE_VIEW), item.ref, ts, resolution
    )

    await eventually(lambda: len(zendesk.replies) == 2, what="the resolution told")
    assert [(r.target, r.text) for r in zendesk.replies] == [
        (ticket, "Fixed in 4.2."),
        (ticket, "Shipped in 4.2 today."),
    ]
    await eventually(
        lambda: [r.status for r in core.desk.get(item.ref).replies] == [ReplyStatus.SENT] * 2,
        what="both replies recorded as sent",
    )


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


async def test_the_fix_shipped_messages_button_opens_the_reply_modal(
    core: Core, slack: FakeSlackApi, sender: SlackSender, smtp: RunningSmtp
) -> None:
    item = await email_thread(core)
    core.admin.change("replies", {"who": "anyone"}, None)
    dm_button = block_action(SlackId.REPLY, item.ref, "UANA", message_ts="5.5", channel="DUANA")

    await sender.interactive(dm_button)

    (opened,) = await slack.wait_for("views.open")
    assert opened.args["view"]["callback_id"] == SlackId.REPLY_VIEW
    values = {Field.REPLY: {"type": "plain_text_input", "value": "The fix shipped today."}}
    metadata = opened.args["view"]["private_metadata"]
    await sender.interactive(view_submission(SlackId.REPLY_VIEW, values, metadata, "UANA"))
    await eventually(lambda: len(smtp.sink.received) == 1, what="the email")
    assert "The fix shipped today." in smtp.sink.received[0].get_payload()
