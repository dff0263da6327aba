"""`/allhands`: each subcommand answers ephemerally; mistakes get a helpful line."""

from __future__ import annotations

from typing import Any

import pytest

from bot.core import Core
from bot.domain import State
from tests.support.fakes.slack_api import FakeSlackApi
from tests.support.realdata import needs_realdata
from tests.support.slack_payloads import SlackSender, slash_command

pytestmark = needs_realdata


@pytest.fixture
def run(slack: FakeSlackApi, sender: SlackSender) -> Any:
    async def command(text: str, user: str = "UANA") -> dict[str, Any]:
        before = len(slack.calls_to("response_url"))
        response = await sender.form(slash_command(text, user, slack.response_url()))
        assert response.status == 200
        calls = await slack.wait_for("response_url", before + 1)
        answer = calls[before].args
        assert answer["response_type"] == "ephemeral"
        return answer

    return command


async def test_the_loop_by_command(core: Core, run: Any, ingest: Any) -> None:
    ref, _ = await ingest()
    assert (await run(f"claim {ref}"))["text"] == f"You claimed {ref}."
    mine = await run("mine")
    assert ref in str(mine["blocks"])
    assert (await run(f"close {ref} Refunded the order"))["text"] == f"You closed {ref}."
    assert core.desk.get(ref).resolution == "Refunded the order"
    assert (await run(f"reopen {ref}"))["text"] == f"You reopened {ref}."
    assert core.desk.get(ref).state is State.OPEN


async def test_log_open_show_and_stats(core: Core, run: Any, ingest: Any) -> None:
    older, _ = await ingest("Old complaint")
    logged = await run("log The app logs me out every hour")
    assert logged["text"] == "Logged as FB-2."
    waiting = await run("open")
    claim_buttons = [
        block["accessory"]["value"] for block in waiting["blocks"] if "accessory" in block
    ]
    assert claim_buttons == [older, "FB-2"]  # oldest first, each with its Claim button
    shown = await run(f"show {older}")
    assert "Old complaint" in str(shown["blocks"])
    assert (await run("stats"))["text"] == "Open: 2 · Claimed: 0 · Closed: 0"


@pytest.mark.parametrize(
    ("text", "answer"),
    [
        ("", "log what a customer said"),
        ("help", "log what a customer said"),
        ("frobnicate", "I don't know `frobnicate`"),
        ("claim", "Which item? For example `claim FB-12`."),
        ("claim banana", "'banana' is not a feedback reference like FB-12."),
        ("show FB-999", "There is no feedback FB-999."),
        ("log", "Say what the customer said"),
    ],
)
async def test_mistakes_get_a_helpful_line(run: Any, text: str, answer: str) -> None:
    assert answer in (await run(text))["text"]


async def test_claiming_a_claimed_item_says_who_has_it(run: Any, ingest: Any) -> None:
    ref, _ = await ingest()
    await run(f"claim {ref}", user="UBEN")
    assert (await run(f"claim {ref}"))["text"] == f"{ref} is already claimed by Ben Okafor."
