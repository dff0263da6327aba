"""What a token may do: submit only items of its sources, and read only when made to."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient

from bot.core import Core
from bot.domain import State
from bot.ports.records import ListFilter
from tests.support.builders import person
from tests.support.openapi import assert_matches

Client = TestClient[object, object]
ITEM = {
    "source": "zendesk",
    "external_id": "t-1",
    "body": "My card was declined",
    "customer": {"name": "Dana", "email": "dana@example.com"},
}


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _refs(core: Core) -> list[str]:
    return [item.ref for item in core.desk.search(ListFilter(limit=200))]


async def test_a_token_for_appstore_cannot_post_zendesk_nor_reopen_its_items(
    client: Client, core: Core, auth: dict[str, str]
) -> None:
    ref = (await (await client.post("/api/v1/feedback", json=ITEM, headers=auth)).json())["ref"]
    core.desk.close(ref, person("ana"))
    appstore = _bearer(core.tokens.create("appstore", ["appstore"], read=True))

    refused = await client.post(
        "/api/v1/feedback", json={**ITEM, "body": "again"}, headers=appstore
    )
    assert refused.status == 403
    assert refused.content_type == "application/problem+json"
    problem = await refused.json()
    assert (problem["status"], problem["field"]) == (403, "source")
    assert "appstore" in problem["detail"]
    assert_matches("Problem", problem)
    assert core.desk.get(ref).state is State.CLOSED
    new = {"source": "zendesk", "external_id": "t-2", "body": "Another one"}
    assert (await client.post("/api/v1/feedback", json=new, headers=appstore)).status == 403
    assert _refs(core) == [ref]

    own = {"source": "appstore", "external_id": "r-1", "body": "Crashes on start"}
    assert (await client.post("/api/v1/feedback", json=own, headers=appstore)).status == 201


async def test_a_batch_with_one_source_the_token_may_not_submit_stores_nothing(
    client: Client, core: Core
) -> None:
    appstore = _bearer(core.tokens.create("appstore", ["appstore"]))
    items = [
        {"source": "appstore", "external_id": "r-1", "body": "Crashes"},
        {"source": "zendesk", "external_id": "z-1", "body": "Declined"},
        {"source": "appstore", "external_id": "r-2", "body": "Slow"},
    ]
    refused = await client.post("/api/v1/feedback/batch", json={"items": items}, headers=appstore)
    assert refused.status == 403
    problem = await refused.json()
    assert problem["field"] == "source"
    assert [e["field"] for e in problem["errors"]] == ["items.1.source"]
    assert _refs(core) == []

    allowed = {"items": [items[0], items[2]]}
    assert (
        await client.post("/api/v1/feedback/batch", json=allowed, headers=appstore)
    ).status == 200
    assert len(_refs(core)) == 2


async def test_a_write_only_token_cannot_read_and_is_told_only_where_its_item_is(
    client: Client, core: Core, auth: dict[str, str]
) -> None:
    writer = _bearer(core.tokens.create("crm"))
    created = await client.post("/api/v1/feedback", json=ITEM, headers=writer)
    assert created.status == 201
    receipt = await created.json()
    assert receipt["ref"] == created.headers["Location"].rsplit("/", 1)[1]
    assert "customer" not in receipt
    assert "body" not in receipt
    assert_matches("Receipt", receipt)
    seen_again = await (await client.post("/api/v1/feedback", json=ITEM, headers=writer)).json()
    assert "customer" not in seen_again

    ref = receipt["ref"]
    for path in ("/api/v1/feedback", f"/api/v1/feedback/{ref}", "/api/v1/feedback?state=open"):
        refused = await client.get(path, headers=writer)
        assert refused.status == 403, path
        assert "--read" in (await refused.json())["detail"]
    commented = await client.post(
        f"/api/v1/feedback/{ref}/comments", json={"text": "Called again"}, headers=writer
    )
    assert commented.status == 201
    assert "comments" not in await commented.json()

    shown = await client.get(f"/api/v1/feedback/{ref}", headers=auth)
    assert shown.status == 200
    item = await shown.json()
    assert item["customer"]["email"] == "dana@example.com"
    assert [c["text"] for c in item["comments"]] == ["Called again"]
    listed = await client.get("/api/v1/feedback", headers=auth)
    assert [i["ref"] for i in (await listed.json())["items"]] == [ref]


async def test_a_token_limited_to_sources_comments_only_on_their_items(
    client: Client, core: Core, auth: dict[str, str]
) -> None:
    ref = (await (await client.post("/api/v1/feedback", json=ITEM, headers=auth)).json())["ref"]
    appstore = _bearer(core.tokens.create("appstore", ["appstore"]))
    refused = await client.post(
        f"/api/v1/feedback/{ref}/comments", json={"text": "Not mine"}, headers=appstore
    )
    assert (refused.status, (await refused.json())["field"]) == (403, "source")
    assert core.desk.get(ref).comments == ()


async def test_a_rotated_token_may_do_what_the_old_one_could(client: Client, core: Core) -> None:
    core.tokens.create("appstore", ["appstore"])
    rotated = _bearer(core.tokens.rotate("appstore"))
    zendesk: dict[str, Any] = {"source": "zendesk", "body": "Declined"}
    assert (await client.post("/api/v1/feedback", json=zendesk, headers=rotated)).status == 403
    assert (await client.get("/api/v1/feedback", headers=rotated)).status == 403
    appstore = {"source": "appstore", "body": "Crashes"}
    assert (await client.post("/api/v1/feedback", json=appstore, headers=rotated)).status == 201
