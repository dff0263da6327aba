"""`/allhands search` and `@All Hands search`: the best matches, only to the asker, each
linked to its card, personal data masked."""

from __future__ import annotations

from typing import Any

from bot.core import Core
from tests.support.builders import API, draft
from tests.support.fakes.slack_api import FakeSlackApi
from tests.support.realdata import needs_realdata
from tests.support.search import BY_MEANING, BY_WORD, OTHERS, REFUND
from tests.support.slack_payloads import CARDS, SlackSender, event, slash_command

pytestmark = needs_realdata


async def _seed(core: Core, ingest: Any) -> tuple[str, str]:
    """The refund with its card posted, and the others; the refund's ref and card ts."""
    found = await ingest(REFUND)
    for body in OTHERS:
        core.desk.ingest(draft(body), API)
    return found


async def test_search_by_command_and_by_mention_links_the_card(
    core: Core, slack: FakeSlackApi, sender: SlackSender, ingest: Any
) -> None:
    ref, ts = await _seed(core, ingest)
    link = f"<https://allhands-test.slack.com/archives/{CARDS}/p{ts.replace('.', '')}|{ref}>"

    await sender.form(slash_command(f"search {BY_WORD}", "UANA", slack.response_url()))
    answer = (await slack.wait_for("response_url"))[0].args
    assert answer["response_type"] == "ephemeral"
    first = answer["blocks"][1]["text"]["text"]
    assert first.startswith(f"*{link}* · open · My refund has not shown up")
    assert "jane.doe@example.com" not in str(answer["blocks"])

    mention = event("app_mention.json", "Ev40", user="UANA", channel=CARDS)
    mention["event"]["text"] = f"<@UBOT> search {BY_MEANING}"
    assert (await sender.event(mention)).status == 200
    told = (await slack.wait_for("chat.postEphemeral"))[0].args
    assert (told["user"], told["channel"]) == ("UANA", CARDS)
    assert f"*{link}* · open" in str(told["blocks"])


async def test_search_with_nothing_to_find_says_what_to_type(
    slack: FakeSlackApi, sender: SlackSender
) -> None:
    await sender.form(slash_command("search", "UANA", slack.response_url()))
    answer = (await slack.wait_for("response_url"))[0].args
    assert answer["text"].startswith("Say what to search for")
