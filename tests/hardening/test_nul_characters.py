"""NUL characters (found by the schema fuzzer): PostgreSQL cannot store them, so the API refuses
them up front instead of failing with a 500 deep in the database."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestClient

Client = TestClient[object, object]
NUL = "\u0000"


@pytest.mark.parametrize(
    "fields",
    [
        {"body": f"a{NUL}b"},
        {"title": NUL},
        {"external_id": f"x{NUL}"},
        {"tags": [f"x{NUL}"]},
        {"customer": {"name": f"x{NUL}"}},
        {"product_area": NUL},
    ],
)
async def test_nul_in_any_text_field_is_a_400(
    client: Client, auth: dict[str, str], fields: dict[str, Any]
) -> None:
    item = {"source": "email", "body": "ok", **fields}
    response = await client.post("/api/v1/feedback", json=item, headers=auth)
    assert response.status == 400
    assert (await response.json())["type"] == "urn:allhands:problem:nul-character"
    batch = await client.post("/api/v1/feedback/batch", json={"items": [item]}, headers=auth)
    assert batch.status == 400


async def test_nul_in_comments_and_query_parameters_is_refused(
    client: Client, auth: dict[str, str]
) -> None:
    created = await client.post("/api/v1/feedback", json={"source": "a", "body": "b"}, headers=auth)
    ref = (await created.json())["ref"]
    comment = {"text": f"hi{NUL}"}
    response = await client.post(f"/api/v1/feedback/{ref}/comments", json=comment, headers=auth)
    assert response.status == 400
    for query, field in (("source=a%00b", "source"), ("cursor=%00", "cursor")):
        listed = await client.get(f"/api/v1/feedback?{query}", headers=auth)
        assert listed.status == 422
        assert (await listed.json())["field"] == field
    harmless = await client.post(
        "/api/v1/feedback", json={"source": "a", "body": "a \\u0000 in prose"}, headers=auth
    )
    assert harmless.status == 201
