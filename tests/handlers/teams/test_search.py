"""`@All Hands search` in Teams: a reply to the asker listing the best matches, each linked
to its card in the channel, personal data masked."""

from __future__ import annotations

from urllib.parse import quote

from bot.core import Core
from tests.support.builders import API, draft
from tests.support.fakes.connector import FakeConnector
from tests.support.outbox import settle
from tests.support.search import BY_MEANING, BY_WORD, OTHERS, REFUND
from tests.support.teams import (
    BOT_MENTION,
    CHANNEL,
    Post,
    install,
    message,
    posted_id,
)


def answer_to(connector: FakeConnector, activity_id: str) -> str:
    """The bot's reply to one message (posted to that activity, not as a new card)."""
    (reply,) = [c for c in connector.sent("POST") if c.path.endswith(f"/activities/{activity_id}")]
    return str(reply.body["text"])


async def test_search_by_a_word_or_a_paraphrase_replies_with_links_to_the_cards(
    core: Core, post: Post, connector: FakeConnector
) -> None:
    await install(post)
    ref = core.desk.ingest(draft(REFUND, url=None), API).item.ref
    for body in OTHERS:
        core.desk.ingest(draft(body, url=None), API)
    await settle(core.db)
    link = f"https://teams.microsoft.com/l/message/{quote(CHANNEL, safe='')}/{posted_id(core, 1)}"

    for number, query in enumerate((BY_WORD, BY_MEANING, "")):
        await post(message(f"{BOT_MENTION} search {query}", id=f"q{number}"))
    for number in (0, 1):
        first = answer_to(connector, f"q{number}").split("\n\n")[1].splitlines()[0]
        assert first.startswith(f"- **[{ref}]({link})** · open · My refund has not shown up")
        assert "jane.doe@example.com" not in first
    assert answer_to(connector, "q2").startswith("Say what to search for")
