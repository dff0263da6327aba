"""Linking the fix from a Teams card: the "Link issue…" form's Link (a real invoke through the
real adapter) links the issue and answers with the card saying so; a URL that names no issue is
told to the clicker and links nothing."""

from __future__ import annotations

from bot.core import Core
from tests.support.realdata import needs_realdata
from tests.support.teams import Post, assert_valid_card, claim_invoke, ingest_with_card

pytestmark = needs_realdata

ISSUE = "https://github.com/acme/app/issues/12"


async def test_the_card_form_links_the_issue_and_the_card_shows_it(core: Core, post: Post) -> None:
    ref, card_id = await ingest_with_card(core, post)

    response = await post(claim_invoke("allhands.link", ref, card_id, issue_url=ISSUE))

    card = (await response.json())["value"]
    assert_valid_card(card)
    assert "Fix linked: acme/app\\#12" in [block.get("text") for block in card["body"]]
    assert [link.url for link in core.desk.get(ref).links] == [ISSUE]


async def test_a_url_that_names_no_issue_is_told_to_the_clicker(core: Core, post: Post) -> None:
    ref, card_id = await ingest_with_card(core, post)

    response = await post(claim_invoke("allhands.link", ref, card_id, issue_url="not a url"))

    answer = await response.json()
    assert answer["type"] == "application/vnd.microsoft.activity.message"
    assert "is not an issue URL" in answer["value"]
    assert core.desk.get(ref).links == ()
