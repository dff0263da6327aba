"""`GET /api/v1/feedback?q=`: found by a word or a paraphrase, best first, with the other
filters and a cursor through the ranking; only for tokens that may read."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from aiohttp.test_utils import TestClient

from bot.core import Core
from tests.support.builders import person
from tests.support.openapi import assert_matches
from tests.support.search import BY_MEANING, BY_WORD, seed

Client = TestClient[object, object]


async def _get(client: Client, auth: dict[str, str], query: str) -> Any:
    response = await client.get(f"/api/v1/feedback?{query}", headers=auth)
    return response.status, await response.json()


async def test_search_by_a_word_or_a_paraphrase_with_filters_and_pages(
    client: Client, core: Core, auth: dict[str, str]
) -> None:
    ref = seed(core.desk)
    for query in (BY_WORD, BY_MEANING):
        status, page = await _get(client, auth, f"q={quote(query)}")
        assert status == 200
        assert page["items"][0]["ref"] == ref
        assert "jane.doe@example.com" in page["items"][0]["body"]  # a reading token sees all
    core.desk.close(ref, person("ana"), "refund sent")
    _, open_only = await _get(client, auth, f"q={BY_WORD}&state=open")
    assert ref not in [item["ref"] for item in open_only["items"]]

    _, everything = await _get(client, auth, "q=card%20refund")
    seen: list[str] = []
    query = "q=card%20refund&limit=1"
    while query:
        status, page = await _get(client, auth, query)
        assert status == 200
        seen += [item["ref"] for item in page["items"]]
        cursor = page["next_cursor"]
        query = f"q=card%20refund&limit=1&cursor={cursor}" if cursor else ""
    assert seen == [item["ref"] for item in everything["items"]]


async def test_search_refuses_an_empty_query_a_list_cursor_and_a_write_only_token(
    client: Client, core: Core, auth: dict[str, str]
) -> None:
    seed(core.desk)
    for query in ("q=", "q=%20%20"):
        status, problem = await _get(client, auth, query)
        assert (status, problem["field"]) == (422, "q")
        assert "Say what to search for" in problem["detail"]
        assert_matches("Problem", problem)
    _, listed = await _get(client, auth, "limit=1")
    status, problem = await _get(client, auth, f"q=refund&cursor={listed['next_cursor']}")
    assert (status, problem["field"]) == (422, "cursor")
    write_only = {"Authorization": f"Bearer {core.tokens.create('shop', ['shop'])}"}
    status, problem = await _get(client, write_only, "q=refund")
    assert status == 403
    assert "--read" in problem["detail"]
