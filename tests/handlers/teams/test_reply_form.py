"""Replying from a Teams card: "Reply to customer…" opens a form under the card; its Send
(a real `adaptiveCard/action` invoke through the real adapter) reaches the customer by email
once, even when Teams delivers the click twice; a refusal is told to the clicker alone. The
Close… form's "tell the customer" toggle sends the resolution the same way."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from bot.admin.secrets import new_key
from bot.core import Core
from bot.domain import Feedback, State
from handlers.teams.cards import RESOLUTION_INPUT, TELL_INPUT, Verb, feedback_card
from tests.support.eventually import eventually
from tests.support.fakes.connector import FakeConnector
from tests.support.outbox import settle
from tests.support.realdata import needs_realdata
from tests.support.replies import CUSTOMER, SUPPORT, email_thread
from tests.support.smtp import RunningSmtp, running_smtp
from tests.support.teams import (
    Post,
    assert_valid_card,
    claim_invoke,
    install,
    posted_id,
    teams_settings,
)

pytestmark = needs_realdata


@pytest.fixture
def smtp() -> Iterator[RunningSmtp]:
    with running_smtp() as server:
        yield server


@pytest.fixture
def core_settings(connector: FakeConnector, smtp: RunningSmtp) -> dict[str, Any]:
    mail = {"ALLHANDS_SMTP_URL": smtp.url, "ALLHANDS_SUPPORT_FROM": SUPPORT}
    return teams_settings(connector) | mail | {"ALLHANDS_SECRET_KEY": new_key()}


async def carded_thread(core: Core, post: Post) -> tuple[Feedback, str]:
    await install(post)
    item = await email_thread(core)
    await settle(core.db)
    return item, posted_id(core, item.id)


async def test_the_card_form_sends_the_reply_once_even_when_the_click_comes_twice(
    core: Core, post: Post, smtp: RunningSmtp
) -> None:
    item, card_id = await carded_thread(core, post)
    core.admin.change("replies", {"who": "anyone"}, None)
    click = claim_invoke("allhands.reply", item.ref, card_id, reply="Fixed in 4.2.")

    first = await post(click)
    again = await post(click)  # Teams resends an invoke it saw no answer to

    assert first.status == again.status == 200
    assert (await first.json())["value"] == f"Reply to {CUSTOMER} on its way."
    await settle(core.db)
    await eventually(lambda: len(smtp.sink.received) >= 1, what="the email")
    (mail,) = smtp.sink.received
    assert "Fixed in 4.2." in mail.get_payload()
    (reply,) = core.desk.get(item.ref).replies
    assert reply.by.email == "rido@example.com"


async def test_a_refusal_is_told_to_the_clicker_and_nothing_is_sent(
    core: Core, post: Post, smtp: RunningSmtp
) -> None:
    item, card_id = await carded_thread(core, post)  # replies.who stays "claimer"

    answer = await post(claim_invoke("allhands.reply", item.ref, card_id, reply="Hello"))

    body = await answer.json()
    assert body["type"] == "application/vnd.microsoft.activity.message"
    assert body["value"].startswith(f"Claim {item.ref} before replying")
    assert core.desk.get(item.ref).replies == ()
    assert smtp.sink.received == []


async def test_a_held_reply_goes_only_when_a_lead_approves_it(
    core: Core, post: Post, smtp: RunningSmtp
) -> None:
    item, card_id = await carded_thread(core, post)
    core.admin.change("replies", {"who": "anyone", "approval": True}, None)
    await post(claim_invoke("allhands.reply", item.ref, card_id, reply="Fixed in 4.2."))

    refused = await post(claim_invoke("allhands.approve_reply", item.ref, card_id))
    assert "Only support leads may approve" in (await refused.json())["value"]
    core.admin.set_role("rido@example.com", "lead", True, None)
    form = await post(claim_invoke("allhands.edit_reply", item.ref, card_id))
    assert_valid_card(edit := (await form.json())["value"])
    assert edit["body"][-1]["value"] == "Fixed in 4.2."
    edited = claim_invoke("allhands.approve_reply", item.ref, card_id, edited_reply="Fixed: 4.2")
    edited["id"] += ":edited"  # another click than the refused one
    approved = await post(edited)

    assert (await approved.json())["value"].startswith("Approved: Reply to")
    await settle(core.db)
    await eventually(lambda: len(smtp.sink.received) >= 1, what="the email")
    (mail,) = smtp.sink.received
    assert "Fixed: 4.2" in mail.get_payload()


async def test_closing_with_tell_the_customer_sends_the_resolution(
    core: Core, post: Post, smtp: RunningSmtp
) -> None:
    item, card_id = await carded_thread(core, post)
    core.admin.change("replies", {"who": "anyone"}, None)
    close_form = json.dumps(feedback_card(item))
    assert f'"type": "Input.Toggle", "id": "{TELL_INPUT}"' in close_form
    data = {RESOLUTION_INPUT: "Shipped in 4.2 today.", TELL_INPUT: "true"}

    answer = await post(claim_invoke(Verb.CLOSE, item.ref, card_id, **data))

    assert (await answer.json())["value"] == f"Reply to {CUSTOMER} on its way."
    closed = core.desk.get(item.ref)
    assert (closed.state, closed.resolution, closed.notify_customer) == (
        State.CLOSED,
        "Shipped in 4.2 today.",
        True,
    )
    await settle(core.db)
    await eventually(lambda: len(smtp.sink.received) >= 1, what="the email")
    (mail,) = smtp.sink.received
    assert "Shipped in 4.2 today." in mail.get_payload()
