"""Show full text on a Slack card: the claimer and leads get the words unmasked in a message
only they see; anyone else, or everyone once leads turned it off, gets a refusal only they see.
The full text goes to Slack, and never into the logs."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from bot.core import Core
from handlers.slack.ids import SlackId
from tests.support.eventually import eventually
from tests.support.fakes.slack_api import FakeSlackApi
from tests.support.realdata import needs_realdata
from tests.support.slack_payloads import SlackSender, block_action

pytestmark = needs_realdata

EMAIL, CARD, IBAN = "dana.whitfield@example.com", "4242 4242 4242 4242", "DE89370400440532013000"
BODY = f"Dana ({EMAIL}) paid with {CARD}; refund to {IBAN}."
Ingest = Callable[..., Awaitable[tuple[str, str]]]


async def _show_full(
    sender: SlackSender, slack: FakeSlackApi, ref: str, ts: str, user: str
) -> dict[str, Any]:
    """Click Show full text as `user`; the ephemeral message it got."""
    before = len(slack.calls_to("chat.postEphemeral"))
    response = await sender.interactive(block_action(SlackId.SHOW_FULL, ref, user, message_ts=ts))
    assert response.status == 200
    calls = await slack.wait_for("chat.postEphemeral", before + 1)
    args: dict[str, Any] = calls[before].args
    assert args["user"] == user
    return args


async def test_the_claimer_and_a_lead_see_the_full_text_and_others_are_refused(
    core: Core,
    slack: FakeSlackApi,
    sender: SlackSender,
    ingest: Ingest,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    for library in ("slack_bolt", "slack_sdk"):  # their DEBUG lines, whatever a test set before
        caplog.set_level(logging.DEBUG, logger=library)
    core.admin.set_role("cat@example.com", "lead", True, None)
    ref, ts = await ingest(BODY)
    card = json.dumps(slack.cards()[0].blocks, ensure_ascii=False)
    assert "•••• 4242" in card
    assert EMAIL not in card
    assert "allhands.show_full" in card  # the short body was masked: the button is there

    early = await _show_full(sender, slack, ref, ts, "UBEN")
    await sender.interactive(block_action(SlackId.CLAIM, ref, "UANA", message_ts=ts))
    await slack.wait_for("chat.update")
    claimer = await _show_full(sender, slack, ref, ts, "UANA")
    lead = await _show_full(sender, slack, ref, ts, "UCAT")
    other = await _show_full(sender, slack, ref, ts, "UBEN")

    refusal = f"Only whoever claimed {ref} or a support lead can see its full text."
    assert early["text"] == other["text"] == refusal
    for shown in (claimer, lead):
        words = "".join(b["text"]["text"] for b in shown["blocks"][1:])
        assert words == BODY
    logged = caplog.text + "".join(r.getMessage() for r in caplog.records)
    assert any(SlackId.SHOW_FULL in r.getMessage() for r in caplog.records)
    for value in (EMAIL, CARD, IBAN):
        assert value not in logged


async def test_leads_turning_it_off_refuses_even_the_claimer(
    core: Core, slack: FakeSlackApi, sender: SlackSender, ingest: Ingest
) -> None:
    core.admin.change("privacy", {"show_full_text": False}, None)
    await eventually(
        lambda: not core.desk.privacy.config().show_full_text
    )  # read again within seconds
    ref, ts = await ingest(BODY)
    await sender.interactive(block_action(SlackId.CLAIM, ref, "UANA", message_ts=ts))
    await slack.wait_for("chat.update")

    answer = await _show_full(sender, slack, ref, ts, "UANA")

    assert answer["text"] == "Leads turned off showing the full text: personal data stays masked."
    assert "blocks" not in answer
