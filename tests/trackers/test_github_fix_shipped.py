"""POST /trackers/NAME end to end with GitHub's real `issues` payloads, signed GitHub's way: a
closed issue marks every item linked to it fixed-awaiting-reply, its card says "Fix shipped",
and each item's claimer gets one direct message with a Reply to customer… button; the same
delivery again does nothing; a wrong signature is 401 with nothing changed; a reopened issue
says so on the cards.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from bot.core import Core
from bot.domain import EventKind, LinkStatus
from bot.ports.records import OutboxAction
from handlers.item_json import item_json
from handlers.slack.ids import SlackId
from handlers.trackers_http import DELIVERY_LIMIT_BYTES
from storage.models import OutboxRow
from tests.support.builders import draft
from tests.support.eventually import eventually
from tests.support.fakes.slack_api import FakeSlackApi
from tests.support.realdata import needs_realdata, realdata_json
from tests.support.trackers import (
    CLAIMERS,
    SECRET,
    Client,
    card_text,
    direct_messages,
    linked_and_claimed,
    slack_person,
)
from tests.support.trackers import deliver as deliver_to

pytestmark = needs_realdata

NAME = "gh"


def github(name: str) -> dict[str, Any]:
    data: dict[str, Any] = realdata_json("sources", "github", name)
    return data


async def deliver(
    client: Client, payload: dict[str, Any], delivery: str, secret: str = SECRET
) -> Any:
    return await deliver_to(client, "github", NAME, payload, delivery, secret)


async def test_a_closed_issue_marks_three_linked_items_fixed_and_dms_each_claimer_once(
    client: Client, core: Core, slack: FakeSlackApi
) -> None:
    closed = github("issues.closed.json")
    issue = closed["issue"]
    refs = await linked_and_claimed(core, slack, issue["html_url"])

    response = await deliver(client, closed, "delivery-1")

    assert response.status == 200, await response.text()
    assert sorted((await response.json())["changed"]) == sorted(refs)
    for ref in refs:
        shown = item_json(core.desk.get(ref))
        assert shown["links"] == [
            {"url": issue["html_url"], "title": issue["title"], "status": "closed"}
        ]
        assert shown["fixed_awaiting_reply"] is True
    await eventually(lambda: direct_messages(slack) == ["DUANA", "DUBEN", "DUCAI"])
    await eventually(
        lambda: all(f"Fix shipped: {issue['title']}" in text for text in card_text(slack))
    )
    dm = next(c for c in slack.calls_to("chat.postMessage") if c.args["channel"] == "DUANA")
    assert refs[0] in dm.args["text"]
    assert issue["title"] in dm.args["text"]
    (_, buttons) = dm.args["blocks"]
    assert [(b["action_id"], b["value"]) for b in buttons["elements"]] == [(SlackId.REPLY, refs[0])]


async def test_the_same_delivery_again_does_nothing(
    client: Client, core: Core, slack: FakeSlackApi
) -> None:
    closed = github("issues.closed.json")
    refs = await linked_and_claimed(core, slack, closed["issue"]["html_url"])
    assert (await deliver(client, closed, "delivery-1")).status == 200
    await eventually(lambda: len(direct_messages(slack)) == 3)

    again = await deliver(client, closed, "delivery-1")
    redelivered = await deliver(client, closed, "delivery-2")  # a new id, the same news

    assert again.status == 200
    assert await again.json() == {"changed": [], "duplicate": True}
    assert (await redelivered.json())["changed"] == []
    with core.db.read() as uow:
        for ref in refs:
            assert uow.events.count(core.desk.get(ref).id, EventKind.FIX_SHIPPED) == 1
        direct = select(func.count()).where(OutboxRow.action == OutboxAction.DIRECT)
        assert uow.session.scalar(direct) == 3  # type: ignore[attr-defined]
    assert len(direct_messages(slack)) == 3


async def test_a_wrong_signature_is_401_and_changes_nothing(
    client: Client, core: Core, slack: FakeSlackApi
) -> None:
    closed = github("issues.closed.json")
    refs = await linked_and_claimed(core, slack, closed["issue"]["html_url"])

    response = await deliver(client, closed, "delivery-1", secret="a-guess")

    assert response.status == 401
    for ref in refs:
        item = core.desk.get(ref)
        assert [link.status for link in item.links] == [LinkStatus.OPEN]
        assert not item.fixed_awaiting_reply
    # the delivery id was not spent: the real delivery still applies
    assert (await (await deliver(client, closed, "delivery-1")).json())["changed"] != []


async def test_an_unknown_tracker_is_404(client: Client) -> None:
    response = await client.post("/trackers/nobody", data=b"{}")

    assert response.status == 404


async def test_a_reopened_issue_says_so_on_the_cards(
    client: Client, core: Core, slack: FakeSlackApi
) -> None:
    reopened = github("issues.reopened.payload.json")
    issue = reopened["issue"]
    closed = reopened | {"action": "closed", "issue": issue | {"state": "closed"}}
    refs = await linked_and_claimed(core, slack, issue["html_url"])
    assert (await deliver(client, closed, "delivery-1")).status == 200
    await eventually(lambda: len(direct_messages(slack)) == 3)

    response = await deliver(client, reopened, "delivery-2")

    assert sorted((await response.json())["changed"]) == sorted(refs)
    for ref in refs:
        item = core.desk.get(ref)
        assert [link.status for link in item.links] == [LinkStatus.OPEN]
        assert not item.fixed_awaiting_reply
    await eventually(
        lambda: all(f"Fix reopened: {issue['title']}" in text for text in card_text(slack))
    )
    assert len(direct_messages(slack)) == 3  # reopening messages nobody


async def test_an_opened_issue_changes_nothing(
    client: Client, core: Core, slack: FakeSlackApi
) -> None:
    opened = github("issues.opened.payload.json")
    refs = await linked_and_claimed(core, slack, opened["issue"]["html_url"])

    response = await deliver(client, opened, "delivery-1")

    assert response.status == 200
    assert (await response.json())["changed"] == []
    assert all(not core.desk.get(ref).fixed_awaiting_reply for ref in refs)


async def test_whoever_logged_the_item_in_chat_hears_too(
    client: Client, core: Core, slack: FakeSlackApi
) -> None:
    closed = github("issues.closed.json")
    dee = slack_person("UDEE", "Dee Park", "dee@example.com")
    slack.add_user("UDEE", "Dee Park", "dee@example.com")
    ana = slack_person(*CLAIMERS[0])
    item = core.desk.ingest(draft("The export hangs"), dee).item
    core.desk.claim(item.ref, ana)
    core.desk.link(item.ref, ana, closed["issue"]["html_url"])

    assert (await deliver(client, closed, "delivery-1")).status == 200

    await eventually(lambda: direct_messages(slack) == ["DUANA", "DUDEE"])


async def test_a_body_over_the_limit_is_413(client: Client) -> None:
    body = b"x" * (DELIVERY_LIMIT_BYTES + 1)

    response = await client.post(f"/trackers/{NAME}", data=body)

    assert response.status == 413
