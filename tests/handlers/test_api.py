"""The ingest API: happy paths, every error status, responses that match the OpenAPI document."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest
from aiohttp.test_utils import TestClient

from bot.core import Core
from tests.support.openapi import assert_matches

Client = TestClient[object, object]
ITEM = {
    "source": "zendesk",
    "external_id": "t-1",
    "title": "Card declined",
    "body": "My card was declined <!channel> & nobody answers",
    "kind": "complaint",
    "severity": "high",
    "tags": ["billing", "#Card"],
    "product_area": "payments",
    "url": "https://help.example.com/t/1",
    "customer": {"name": "Dana", "email": "dana@example.com", "company": "Acme", "tier": "gold"},
    "received_at": "2026-03-01T10:00:00Z",
}


async def _post(client: Client, auth: dict[str, str], body: Any, **headers: str) -> Any:
    return await client.post("/api/v1/feedback", json=body, headers={**auth, **headers})


async def test_create_returns_201_with_location_and_the_public_shape(
    client: Client, auth: dict[str, str]
) -> None:
    response = await _post(client, auth, ITEM)
    assert response.status == 201
    item = await response.json()
    assert response.headers["Location"] == f"/api/v1/feedback/{item['ref']}"
    assert item["ref"].startswith("FB-")
    assert item["tags"] == ["billing", "card"]
    assert item["customer"]["email"] == "dana@example.com"
    assert item["state"] == "open"
    assert item["claimed_by"] is None
    assert item["received_at"] == "2026-03-01T10:00:00Z"
    assert_matches("Item", item)

    shown = await (await client.get(response.headers["Location"], headers=auth)).json()
    assert shown["comments"] == []
    assert_matches("Item", shown)


async def test_same_external_id_or_idempotency_key_returns_the_existing_item(
    client: Client, auth: dict[str, str]
) -> None:
    first = await (await _post(client, auth, ITEM)).json()
    again = await _post(client, auth, {**ITEM, "body": "resent"})
    assert again.status == 200
    assert (await again.json())["ref"] == first["ref"]

    plain = {"source": "email", "body": "Hello"}
    keyed = await _post(client, auth, plain, **{"Idempotency-Key": "k1"})
    repeat = await _post(client, auth, plain, **{"Idempotency-Key": "k1"})
    assert (keyed.status, repeat.status) == (201, 200)
    assert (await keyed.json())["ref"] == (await repeat.json())["ref"]


@pytest.mark.parametrize(
    ("status", "request_kwargs", "field"),
    [
        (400, {"data": b'{"source": ', "headers": {"Content-Type": "application/json"}}, None),
        (400, {"data": b"[" * 100_000, "headers": {"Content-Type": "application/json"}}, None),
        (
            413,
            {
                "data": b'{"body": "' + b"x" * 300_000 + b'"}',
                "headers": {"Content-Type": "application/json"},
            },
            None,
        ),
        (415, {"data": b"source=email", "headers": {"Content-Type": "text/plain"}}, None),
        (422, {"json": {"source": "email"}}, "body"),
        (422, {"json": {"source": "email", "body": "x", "colour": "red"}}, "colour"),
        (422, {"json": {"source": "email", "body": "x" * 20_001}}, "body"),
        (422, {"json": {"source": "email", "body": "x", "kind": "rant"}}, "kind"),
        (
            422,
            {"json": {"source": "email", "body": "x", "customer": {"email": "nope"}}},
            "customer.email",
        ),
        (
            422,
            {"json": {"source": "email", "body": "x", "received_at": "2026-03-01T10:00:00"}},
            "received_at",
        ),
        (422, {"json": ["not", "an", "object"]}, None),
    ],
)
async def test_bad_requests_get_a_problem_naming_what_is_wrong(
    client: Client,
    auth: dict[str, str],
    status: int,
    request_kwargs: dict[str, Any],
    field: str | None,
) -> None:
    kwargs = dict(request_kwargs)
    headers = {**auth, **kwargs.pop("headers", {})}
    response = await client.post("/api/v1/feedback", headers=headers, **kwargs)
    assert response.status == status
    assert response.content_type == "application/problem+json"
    problem = await response.json()
    assert problem["status"] == status
    assert problem["detail"]
    assert_matches("Problem", problem)
    if field:
        assert problem["field"] == field


@pytest.mark.parametrize("header", [None, "Bearer", "Bearer ah_wrong", "Basic dXNlcjpwYXNz"])
async def test_missing_or_bad_tokens_get_401(client: Client, header: str | None) -> None:
    headers = {"Authorization": header} if header else {}
    response = await client.post("/api/v1/feedback", json=ITEM, headers=headers)
    assert response.status == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert (await response.json())["type"].endswith("unauthorized")


async def test_revoked_token_is_refused(client: Client, core: Core, auth: dict[str, str]) -> None:
    assert (await _post(client, auth, ITEM)).status == 201
    core.tokens.revoke("zendesk")
    assert (await _post(client, auth, ITEM)).status == 401


async def test_reusing_an_idempotency_key_for_other_feedback_is_a_409(
    client: Client, auth: dict[str, str]
) -> None:
    await _post(client, auth, {"source": "email", "body": "first"}, **{"Idempotency-Key": "k"})
    response = await _post(
        client, auth, {"source": "email", "body": "second"}, **{"Idempotency-Key": "k"}
    )
    assert response.status == 409
    assert "Idempotency-Key" in (await response.json())["detail"]


async def test_unknown_refs_and_routes_are_404_problems(
    client: Client, auth: dict[str, str]
) -> None:
    for path in ("/api/v1/feedback/FB-404", "/api/v1/nothing-here"):
        response = await client.get(path, headers=auth)
        assert response.status == 404
        assert (await response.json())["status"] == 404
    response = await client.get("/api/v1/feedback/banana", headers=auth)
    assert response.status == 422


async def test_batch_is_all_or_nothing_with_per_item_results(
    client: Client, auth: dict[str, str]
) -> None:
    items = [
        {"source": "appstore", "body": f"review {n}", "external_id": f"r{n}"} for n in range(3)
    ]
    bad = await client.post(
        "/api/v1/feedback/batch", json={"items": [*items, {"source": "appstore"}]}, headers=auth
    )
    assert bad.status == 422
    assert (await bad.json())["field"] == "items.3.body"
    listed = await (await client.get("/api/v1/feedback", headers=auth)).json()
    assert listed["items"] == []

    good = await client.post("/api/v1/feedback/batch", json={"items": items}, headers=auth)
    assert good.status == 200
    results = (await good.json())["results"]
    assert [r["status"] for r in results] == ["created"] * 3
    again = await (
        await client.post("/api/v1/feedback/batch", json={"items": items[:1]}, headers=auth)
    ).json()
    assert again["results"][0]["status"] == "existing"

    too_many = {"items": [{"source": "a", "body": "b"}] * 501}
    assert (await client.post("/api/v1/feedback/batch", json=too_many, headers=auth)).status == 422


async def test_list_filters_and_pages_with_a_cursor(client: Client, auth: dict[str, str]) -> None:
    for n in range(5):
        source = "email" if n % 2 else "appstore"
        day = f"2026-03-0{n + 1}T00:00:00Z"
        await _post(client, auth, {"source": source, "body": f"n{n}", "received_at": day})
    seen: list[str] = []
    url = "/api/v1/feedback?limit=2"
    while url:
        page = await (await client.get(url, headers=auth)).json()
        seen += [i["body"] for i in page["items"]]
        url = (
            f"/api/v1/feedback?limit=2&cursor={page['next_cursor']}" if page["next_cursor"] else ""
        )
    assert seen == ["n0", "n1", "n2", "n3", "n4"]

    email = await (await client.get("/api/v1/feedback?source=email", headers=auth)).json()
    assert [i["body"] for i in email["items"]] == ["n1", "n3"]
    recent = await (
        await client.get("/api/v1/feedback?since=2026-03-04T00:00:00%2B00:00", headers=auth)
    ).json()
    assert [i["body"] for i in recent["items"]] == ["n3", "n4"]
    for query, field in (
        ("limit=0", "limit"),
        ("cursor=%%%", "cursor"),
        ("state=lost", "state"),
        ("since=yesterday", "since"),
    ):
        response = await client.get(f"/api/v1/feedback?{query}", headers=auth)
        assert response.status == 422, query
        assert (await response.json())["field"] == field


async def test_comments_join_the_discussion(client: Client, auth: dict[str, str]) -> None:
    ref = (await (await _post(client, auth, ITEM)).json())["ref"]
    response = await client.post(
        f"/api/v1/feedback/{ref}/comments", json={"text": "Customer called again"}, headers=auth
    )
    assert response.status == 201
    comments = (await response.json())["comments"]
    assert [(c["text"], c["platform"], c["author"]["name"]) for c in comments] == [
        ("Customer called again", "api", "zendesk")
    ]
    empty = await client.post(f"/api/v1/feedback/{ref}/comments", json={"text": ""}, headers=auth)
    assert (empty.status, (await empty.json())["field"]) == (422, "text")
    missing = await client.post(
        "/api/v1/feedback/FB-999/comments", json={"text": "hi"}, headers=auth
    )
    assert missing.status == 404


async def test_openapi_document_is_served_and_lists_every_route(client: Client) -> None:
    response = await client.get("/api/v1/openapi.json")
    document = await response.json()
    assert document["openapi"].startswith("3.1")
    assert set(document["paths"]) == {
        "/api/v1/customers/{email}",
        "/api/v1/feedback",
        "/api/v1/feedback/batch",
        "/api/v1/feedback/{ref}",
        "/api/v1/feedback/{ref}/comments",
    }
    jsonschema.Draft202012Validator.check_schema(document["components"]["schemas"]["FeedbackIn"])


async def test_health_and_readiness(client: Client) -> None:
    assert (await (await client.get("/healthz")).json()) == {"status": "ok"}
    assert (await (await client.get("/readyz")).json()) == {"status": "ready", "warnings": []}


@pytest.mark.parametrize(
    "body",
    [
        b"null",
        b"1e999999",
        b'"text"',
        b'{"source": null, "body": null}',
        '{"source":"é","body":"\\ud800"}'.encode(),
        json.dumps({"source": "a", "body": "b", "tags": [None]}).encode(),
        b"\xff\xfe",
    ],
)
async def test_garbage_never_causes_a_500(
    client: Client, auth: dict[str, str], body: bytes
) -> None:
    response = await client.post(
        "/api/v1/feedback", data=body, headers={**auth, "Content-Type": "application/json"}
    )
    assert 400 <= response.status < 500
    assert (await response.json())["detail"]
