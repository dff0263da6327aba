"""Query values and times at the edges of what Python and the database can hold: each a 422
naming the field, never a 500."""

from __future__ import annotations

import base64
from typing import Any

import pytest

Client = Any


def cursor(value: str) -> str:
    return base64.urlsafe_b64encode(f"id:{value}".encode()).decode().rstrip("=")


EDGES = {
    "since-before-year-1-in-utc": ("since", "0001-01-01T00:00:00+14:00"),
    "since-after-year-9999-in-utc": ("since", "9999-12-31T23:59:59-14:00"),
    "cursor-past-bigint": ("cursor", cursor(str(2**63))),
    "limit-superscript": ("limit", "²"),
    "limit-arabic-indic": ("limit", "\u0661\u0662"),  # Arabic-Indic twelve
    "limit-full-width": ("limit", "\uff15"),  # a full-width five
}


@pytest.mark.parametrize(("field", "value"), EDGES.values(), ids=EDGES.keys())
async def test_listing_edges_are_422_naming_the_field(
    client: Client, auth: dict[str, str], field: str, value: str
) -> None:
    response = await client.get("/api/v1/feedback", params={field: value}, headers=auth)

    assert response.status == 422
    assert (await response.json())["field"] == field


async def test_the_largest_cursor_is_still_a_cursor(client: Client, auth: dict[str, str]) -> None:
    response = await client.get(
        "/api/v1/feedback", params={"cursor": cursor(str(2**63 - 1))}, headers=auth
    )
    assert response.status == 200


@pytest.mark.parametrize("received_at", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"])
async def test_received_at_at_the_calendars_edges_is_422(
    client: Client, auth: dict[str, str], received_at: str
) -> None:
    item = {"source": "email", "body": "Hello", "received_at": received_at}

    response = await client.post("/api/v1/feedback", json=item, headers=auth)

    assert response.status == 422
    assert (await response.json())["field"] == "received_at"
