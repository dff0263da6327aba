"""Deliveries the inbox worker takes together are applied together: each gets its own outcome,
in order, as if applied one by one (Zendesk's own payloads, on both engines)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from app import build_core
from bot.admin.secrets import new_key
from bot.config import Settings
from bot.core import Core
from bot.errors import NotFound
from bot.ports.records import DeliveryStatus
from bot.sources.intake import Applied, Incoming
from handlers.sources.vendors import VendorParser
from tests.support.realdata import needs_realdata, realdata_path

pytestmark = needs_realdata


@pytest.fixture
def core(db_url: str) -> Iterator[Core]:
    built = build_core(Settings(ALLHANDS_DATABASE_URL=db_url, ALLHANDS_SECRET_KEY=new_key()))
    built.sources.add("zendesk", "helpdesk", secret="zendesk-secret")
    yield built
    built.close()


def event(name: str, **changes: Any) -> bytes:
    data = json.loads(realdata_path("sources", "zendesk", "events", name).read_text())
    data.update(changes)
    return json.dumps(data).encode()


async def keep(core: Core, *bodies: bytes) -> list[int]:
    kept = []
    for n, body in enumerate(bodies):
        incoming = Incoming("helpdesk", f"event-{n}", "application/json", {}, body)
        delivery_id = (await core.source_intake.keep(incoming)).delivery_id
        assert delivery_id is not None
        kept.append(delivery_id)
    return kept


async def test_a_batch_gets_one_outcome_per_delivery_in_order(core: Core) -> None:
    created = event("ticket_created.json")
    second = event("ticket_created.json", detail={**json.loads(created)["detail"], "id": "77"})
    ids = await keep(
        core, created, event("ticket_comment_added.json"), created[:40], second, created
    )

    outcomes = core.source_intake.apply_each([*ids, 999_999], VendorParser())

    first, comment, truncated, other, again, missing = outcomes
    assert isinstance(first, Applied)
    assert isinstance(comment, Applied)
    assert isinstance(truncated, Applied)
    assert isinstance(other, Applied)
    assert isinstance(again, Applied)
    assert first.refs == comment.refs == again.refs  # the same ticket: one item
    assert truncated.refs == ()
    assert truncated.unusable == "the body is not JSON"
    assert other.refs != first.refs
    assert isinstance(missing, NotFound)
    item = core.desk.get(first.refs[0])
    assert [c.text for c in item.comments] == [
        "Support Agent: We are investigating this issue and will update you shortly."
    ]
    with core.db.read() as uow:
        statuses = [d.status if d else None for d in uow.sources.deliveries([*ids, 999_999])]
    applied, unusable = DeliveryStatus.APPLIED, DeliveryStatus.UNUSABLE
    assert statuses == [applied, applied, unusable, applied, applied, None]


async def test_a_replay_of_one_delivery_still_raises_what_stops_it(core: Core) -> None:
    with pytest.raises(NotFound, match="no source delivery 42"):
        core.source_intake.apply(42, VendorParser())
    [delivery] = await keep(core, event("ticket_created.json"))
    core.sources.remove("helpdesk")

    with pytest.raises(NotFound, match="no source named helpdesk"):
        core.source_intake.apply(delivery, VendorParser())
