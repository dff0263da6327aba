"""Linking the fix from a Slack card: "Link issue…" in the card's menu opens a modal; a tracker
issue URL links the item (the card then says so), anything else keeps the modal open with the
reason, and nothing is linked."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable

from bot.core import Core
from handlers.slack.ids import Field, SlackId
from tests.support.fakes.slack_api import FakeSlackApi
from tests.support.slack_payloads import SlackSender, block_action, view_submission

ISSUE = "https://github.com/acme/app/issues/12"
Ingest = Callable[..., Awaitable[tuple[str, str]]]


async def open_link_modal(slack: FakeSlackApi, sender: SlackSender, ref: str, ts: str) -> str:
    menu = block_action(SlackId.MORE, "", "UANA", message_ts=ts, selected=f"{SlackId.LINK}:{ref}")
    await sender.interactive(menu)
    (opened,) = await slack.wait_for("views.open")
    assert opened.args["view"]["callback_id"] == SlackId.LINK_VIEW
    return str(opened.args["view"]["private_metadata"])


def issue_field(url: str) -> dict[str, dict[str, str]]:
    return {Field.ISSUE_URL: {"type": "plain_text_input", "value": url}}


async def test_a_linked_issue_lands_on_the_item_and_its_card(
    core: Core, slack: FakeSlackApi, sender: SlackSender, ingest: Ingest
) -> None:
    ref, ts = await ingest()
    metadata = await open_link_modal(slack, sender, ref, ts)

    await sender.interactive(
        view_submission(SlackId.LINK_VIEW, issue_field(ISSUE), metadata, "UANA")
    )

    (update,) = await slack.wait_for("chat.update")
    assert "Fix linked: acme/app#12" in json.dumps(update.args["blocks"])
    assert [link.url for link in core.desk.get(ref).links] == [ISSUE]


async def test_a_url_that_names_no_issue_keeps_the_modal_open_with_the_reason(
    core: Core, slack: FakeSlackApi, sender: SlackSender, ingest: Ingest
) -> None:
    ref, ts = await ingest()
    metadata = await open_link_modal(slack, sender, ref, ts)
    wrong = view_submission(SlackId.LINK_VIEW, issue_field("https://example.com/x"), metadata, "U1")

    response = await sender.interactive(wrong)

    answer = await response.json()
    assert answer["response_action"] == "errors"
    assert "is not an issue URL" in answer["errors"][Field.ISSUE_URL]
    assert core.desk.get(ref).links == ()
